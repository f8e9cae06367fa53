"""Fault matrix: every wire fault × every built-in strategy, one Engine per cell.

The faulty model ``x`` sits on its own provider ("bad", one retry allowed) and is one
member of each strategy's preset (the only one for ``single``); the healthy models
``a``, ``b``, ``c`` answer on provider "good". Each cell checks that

* the turn finishes (TurnFinished is the last event, exactly once) — no crash;
* every lane of ``x`` that failed says why in one plain sentence (no traceback, no
  exception repr, no key) naming what to do where there is something to do;
* every other lane finishes ``done``;
* text that arrived before a mid-stream failure is kept on the lane (event and
  SQLite row, status ``failed``) and is a prefix of what the server sent;
* the turn says what was missing: a Note, a Decision, a failed plan node or the turn
  error names the failed model or its error;
* retries happen only for retryable faults before any text (never for 401/404 or
  after text), exactly ``max_retries`` times per call, each announced by a
  LaneRetrying event with the server's Retry-After honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from mmchat.api import (
    Decision,
    Event,
    FinalAnswer,
    LaneClosed,
    LaneRetrying,
    Note,
    PlanNode,
    TurnFinished,
)
from mmchat.engine import TurnRequest
from mmchat.history.store import Store
from mmchat.plugins import Registry, discover
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.reliability.common import (
    PROMPT,
    STRATEGIES,
    SleepRecorder,
    build_engine,
    config_for,
    lanes_of,
    leaks,
    plain_sentence_problems,
    preset_for,
    script_healthy,
)

X_TEXT = "The answer from x is forty two, said slowly."
CHUNK = 4


@dataclass(frozen=True)
class Fault:
    name: str
    reply: Reply
    # ok: x answers fully; before: x fails before any text; mid: after some text
    outcome: Literal["ok", "before", "mid"]
    hint: str = ""  # a phrase the lane error must contain (what happened / what to do)
    retried: bool = False  # the retry policy may try again
    kind: str = "openai"  # the faulty provider's wire protocol
    read_timeout: float = 5.0
    chunks_before: int = 0  # text chunks that arrive before a mid-stream failure
    retry_delay: float | None = None  # the delay the server asked for (Retry-After)


def _reply(**kw: object) -> Reply:
    return Reply(text=X_TEXT, chunk_chars=CHUNK, **kw)  # type: ignore[arg-type]


FAULTS = [
    Fault("401", _reply(status=401), "before", "mmchat keys set x-key"),
    Fault("404", _reply(status=404), "before", "mmchat models"),
    Fault(
        "429-retry-after",
        _reply(status=429, retry_after=7),
        "before",
        "rate limited",
        retried=True,
        retry_delay=7.0,
    ),
    Fault("500", _reply(status=500), "before", "server error (500)", retried=True),
    Fault("503", _reply(status=503), "before", "server error (503)", retried=True),
    Fault(
        "529-overloaded",
        _reply(status=529),
        "before",
        "overloaded",
        retried=True,
        kind="anthropic",
    ),
    Fault(
        "read-timeout",
        _reply(delay=2.0),
        "mid",
        "raise read_timeout",
        read_timeout=0.3,
        chunks_before=1,
    ),
    Fault("slow-first-token", _reply(first_delay=0.3), "ok", read_timeout=3.0),
    Fault("cut-mid-stream", _reply(cut_after=2), "mid", "closed mid-answer", chunks_before=2),
    Fault(
        "error-event-in-200",
        _reply(error_after=2, error_event=True),
        "mid",
        "server error",
        chunks_before=2,
    ),
    Fault(
        "anthropic-error-in-200",
        _reply(error_after=2),
        "mid",
        "overloaded",
        kind="anthropic",
        chunks_before=2,
    ),
    Fault("malformed-sse", _reply(malformed_after=2), "mid", "malformed", chunks_before=2),
    Fault(
        "malformed-ndjson",
        _reply(malformed_after=2),
        "mid",
        "malformed",
        kind="ollama",
        chunks_before=2,
    ),
    Fault("keep-alive-comments", _reply(keepalive=True, delay=0.01), "ok"),
    # Gemini's own shapes: a bad key is a 400, the 429's wait is a RetryInfo detail.
    Fault(
        "gemini-bad-key",
        _reply(status=400, error_type="API_KEY_INVALID"),
        "before",
        "mmchat keys set x-key",
        kind="gemini",
    ),
    Fault(
        "gemini-429-retry-info",
        _reply(status=429, retry_after=7),
        "before",
        "rate limited",
        retried=True,
        retry_delay=7.0,
        kind="gemini",
    ),
    Fault(
        "gemini-503-overloaded",
        _reply(status=503),
        "before",
        "overloaded",
        retried=True,
        kind="gemini",
    ),
    Fault(
        "gemini-error-in-200",
        _reply(error_after=2, error_type="INTERNAL"),
        "mid",
        "server error (500)",
        kind="gemini",
        chunks_before=2,
    ),
    Fault(
        "gemini-cut-mid-stream",
        _reply(cut_after=2),
        "mid",
        "closed mid-answer",
        kind="gemini",
        chunks_before=2,
    ),
    Fault(
        "hang",
        _reply(hang=True),
        "before",
        "raise read_timeout",
        retried=True,
        read_timeout=0.3,
    ),
]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return discover([])


def explanations(events: list[Event]) -> str:
    """Everything the turn tells the user about what went wrong, as one string."""
    parts: list[str] = []
    for e in events:
        if isinstance(e, Note):
            parts.append(e.text)
        elif isinstance(e, Decision):
            # What a reader sees: the summary and the decision's own sentences.
            parts.append(" ".join([e.summary, *e.detail.lines()]))
        elif isinstance(e, PlanNode) and e.state == "failed":
            parts.append(f"plan node {e.node} failed lane={e.lane}")
        elif isinstance(e, TurnFinished) and e.error:
            parts.append(e.error)
    return "\n".join(parts)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
async def test_fault_cell(
    fault: Fault, strategy: str, fake_server: FakeServer, registry: Registry, tmp_path: Path
) -> None:
    script_healthy(fake_server)
    fake_server.script("model-x", fault.reply)
    config = config_for(
        fake_server,
        {"p": preset_for(strategy)},
        x_kind=fault.kind,
        x_read_timeout=fault.read_timeout,
        x_max_retries=1,
    )
    sleeps = SleepRecorder()
    engine = build_engine(config, registry, store_path=tmp_path / "h.sqlite3", sleep=sleeps)
    events: list[Event] = []
    try:
        outcome = await engine.run_turn(TurnRequest(prompt=PROMPT, preset="p"), events.append)
    finally:
        await engine.aclose()
        assert engine.store is not None
        engine.store.close()

    # -- no crash: the turn finished exactly once, last -------------------------------
    finishes = [e for e in events if isinstance(e, TurnFinished)]
    assert len(finishes) == 1 and events[-1] is finishes[0], events[-3:]
    finish = finishes[0]
    if finish.error:
        assert not plain_sentence_problems(finish.error), finish.error

    x_lanes = lanes_of(events, "x")
    assert x_lanes, "the faulty model was never asked"
    scripted = "".join(fault.reply.text_chunks())
    partial = "".join(fault.reply.text_chunks()[: fault.chunks_before])
    retries = [e for e in events if isinstance(e, LaneRetrying)]

    # -- the faulty lanes --------------------------------------------------------------
    for opened, closed in x_lanes:
        assert closed is not None, f"lane {opened.lane} never closed"
        if fault.outcome == "ok":
            assert closed.status == "done", closed.error
            assert closed.text == scripted
            continue
        assert closed.status == "failed", (closed.status, closed.error)
        problems = plain_sentence_problems(closed.error)
        assert not problems, (problems, closed.error)
        assert fault.hint in (closed.error or ""), closed.error
        if fault.outcome == "mid":
            assert closed.text == partial and partial, (closed.text, partial)
            assert scripted.startswith(closed.text)
        else:
            assert closed.text == ""

    # -- every other lane finished ---------------------------------------------------
    for e in events:
        if isinstance(e, LaneClosed) and e.lane not in {o.lane for o, _ in x_lanes}:
            assert e.status == "done", (e.lane, e.status, e.error)

    # -- retries: only where the policy allows, and visible ---------------------------
    x_ids = {o.lane for o, _ in x_lanes}
    assert all(r.lane in x_ids for r in retries), "a healthy lane retried"
    requests_x = [r for r in fake_server.requests if r.model == "model-x"]
    if fault.retried and fault.outcome == "before":
        assert len(retries) == len(x_lanes), retries  # max_retries = 1 per call
        assert len(requests_x) == 2 * len(x_lanes)
        for r in retries:
            assert not plain_sentence_problems(r.reason), r.reason
        if fault.retry_delay is not None:
            assert sleeps.delays == [fault.retry_delay] * len(x_lanes)
        else:
            assert len(sleeps.delays) == len(x_lanes)
            assert all(0 <= d <= 0.5 for d in sleeps.delays), sleeps.delays
    else:
        assert retries == [] and sleeps.delays == []
        assert len(requests_x) == len(x_lanes)

    # -- the turn says what was missing -------------------------------------------------
    told = explanations(events)
    if fault.outcome == "ok":
        assert finish.status == "complete", finish.error
        assert not [e for e in events if isinstance(e, Note) and e.level == "error"]
    elif strategy == "single":
        assert finish.status == "failed"
        assert finish.error == x_lanes[0][1].error  # type: ignore[union-attr]
        assert outcome.text == partial  # the partial answer is kept as the message text
    else:
        assert finish.status == "complete", finish.error
        failed_lane = x_lanes[0][0].lane
        said = (
            "x" in {w.strip("():;,'\"") for w in told.split()}
            or f'"{failed_lane}"' in told
            or f"lane={failed_lane}" in told
        )
        assert said, f"nothing tells the user that x failed:\n{told}"
        final = [e for e in events if isinstance(e, FinalAnswer)]
        assert final and final[-1].text.strip()
        assert X_TEXT not in final[-1].text  # a failed lane's text is not the answer
    assert not leaks("\n".join(map(repr, events)))

    # -- persistence: partial text kept and the lane marked ----------------------------
    with Store.open(tmp_path / "h.sqlite3") as store:
        assert store.interrupted_at_open == 0
        message = store.get_message(outcome.message_id or -1)
        assert message is not None and message.status == finish.status
        rows = {row.lane: row for row in store.lanes(message.id)}
        for opened, closed in x_lanes:
            assert closed is not None
            row = rows[opened.lane]
            assert (row.status, row.text, row.error) == (closed.status, closed.text, closed.error)
        assert store.integrity_check() == "ok"


ALL_BAD_FAULTS = [f for f in FAULTS if f.name in ("401", "500", "cut-mid-stream", "hang")]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("fault", ALL_BAD_FAULTS, ids=lambda f: f.name)
async def test_every_member_faulty(
    fault: Fault, strategy: str, fake_server: FakeServer, registry: Registry
) -> None:
    """When no model can answer, the turn fails with one plain error that says why."""
    for alias in ("a", "b", "c", "x"):
        fake_server.script(f"model-{alias}", fault.reply)
    config = config_for(
        fake_server,
        {"p": preset_for(strategy)},
        x_kind="openai",
        x_read_timeout=fault.read_timeout,
        x_max_retries=0,
        all_bad=True,
    )
    engine = build_engine(config, registry, sleep=SleepRecorder())
    events: list[Event] = []
    try:
        outcome = await engine.run_turn(TurnRequest(prompt=PROMPT, preset="p"), events.append)
    finally:
        await engine.aclose()
    finish = events[-1]
    assert isinstance(finish, TurnFinished)
    assert finish.status == "failed" and outcome.status == "failed"
    assert not plain_sentence_problems(finish.error, limit=1000), finish.error
    closed = [e for e in events if isinstance(e, LaneClosed)]
    assert closed and all(e.status == "failed" for e in closed)
    assert all(not plain_sentence_problems(e.error) for e in closed)
    notes = [e for e in events if isinstance(e, Note) and e.level == "error"]
    assert [n.text for n in notes] == [finish.error]
    # The turn error carries the reason, not only "it failed".
    assert fault.hint in (finish.error or ""), finish.error
