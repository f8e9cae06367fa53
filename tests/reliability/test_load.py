"""Load, small: 8 concurrent lanes through the engine while a typist task runs.

The full figures (8 × 5,000 tokens, the TUI, a 10,000-message history) come from
``bench/bench_load.py``. Here: 8 lanes × 500 and × 2,000 tokens through fan-out with a
Store; every lane completes with all its text, the event loop stays responsive, and
Python memory allocated during the turn stays proportional to the text streamed
(4× the text must not cost much more than 4× the memory: no quadratic buffers).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.reliability.load import (
    CHUNK_CHARS,
    answer_text,
    engine_load,
    history_load,
    model_id,
    summary,
)

LANES = 8


def script(server: FakeServer, tokens: int) -> int:
    for lane in range(1, LANES + 1):
        server.script(
            model_id(lane), Reply(text=answer_text(tokens, lane), chunk_chars=CHUNK_CHARS)
        )
    return sum(len(answer_text(tokens, lane)) for lane in range(1, LANES + 1))


@pytest.mark.timeout(120)
async def test_eight_lanes_memory_is_proportional(fake_server: FakeServer, tmp_path: Path) -> None:
    peaks = {}
    for tokens in (500, 2000):
        total = script(fake_server, tokens)
        workdir = tmp_path / str(tokens)
        workdir.mkdir()
        report = await engine_load(fake_server.url, workdir, LANES, tokens, trace=True)
        print(summary(report), file=sys.stderr)
        assert report.extra == {"status": "complete", "lanes_done": LANES}
        assert report.text_chars == total
        assert report.lag_p99_ms < 1000, summary(report)
        peaks[tokens] = (report.py_peak_mb, total / 1e6)
    (small_mb, small_text), (big_mb, big_text) = peaks[500], peaks[2000]
    # The text itself must be held (lanes keep it): at most ~60 bytes per char of it...
    assert big_mb < 60 * big_text + 8, peaks
    # ...and growing the text 4× must not grow memory much more than 4×.
    assert big_mb - small_mb < 5 * (big_text - small_text) * 60 + 2, peaks


@pytest.mark.timeout(120)
async def test_long_history_opens_quickly(tmp_path: Path) -> None:
    report = await history_load(tmp_path / "h.sqlite3", 2000, tui=False)
    print(summary(report), file=sys.stderr)
    assert report.extra["store_open_and_path_s"] < 5
