"""Crash safety: SIGKILL the app at random moments while answers stream.

N kills (20 here; ``MMCHAT_CRASH_RUNS`` raises it, ``bench/bench_crash.py`` runs 100+)
against one shared history database. What is checked after each kill is described in
``tests/reliability/crash.py``: integrity, no lost user message, interrupted answers
marked with the text flushed before the kill.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.fakeserver.server import FakeServer
from tests.reliability.crash import run_kills

RUNS = int(os.environ.get("MMCHAT_CRASH_RUNS", "20"))
SEED = int(os.environ.get("MMCHAT_CRASH_SEED", "0")) or int.from_bytes(os.urandom(4), "big")


@pytest.mark.integration
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the crash driver forks")
@pytest.mark.timeout(300)
def test_sigkill_while_streaming(fake_server: FakeServer, tmp_path: Path) -> None:
    print(f"crash seed {SEED} (MMCHAT_CRASH_SEED={SEED} repeats the delays)", file=sys.stderr)
    report = run_kills(fake_server, tmp_path / "crash", RUNS, seed=SEED)
    print(report.summary(), file=sys.stderr)
    assert report.runs == RUNS
    # The random delays must actually hit streaming answers, not only quiet moments.
    assert report.outcomes["killed mid-stream (text kept)"] >= RUNS // 3, report.summary()
