"""fanout over the fake server: concurrency, failed panes, cancellation, decisions."""

from __future__ import annotations

from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import assert_cancelled, decisions, lanes, make_engine, run, run_and_cancel

PRESETS = {"fan": {"strategy": "fanout", "options": {"models": ["a", "b", "c"]}}}


async def test_all_panes_stream_at_once(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(text=f"answer {alias} " * 5, delay=0.02))
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "fan")
    await engine.aclose()
    seen = lanes(events)
    assert [(lane.model, lane.label, lane.role) for lane in seen] == [
        ("a", "a", "answer"),
        ("b", "b", "answer"),
        ("c", "c", "answer"),
    ]
    assert outcome.text.startswith("answer a") and outcome.sources == (seen[0].lane,)
    # Concurrent: every lane opened before the first one closed.
    kinds = [type(e).__name__ for e in events if type(e).__name__ in ("LaneOpened", "LaneClosed")]
    assert kinds == ["LaneOpened"] * 3 + ["LaneClosed"] * 3
    (decision,) = decisions(events, "fanout")
    assert [row.status for row in decision.detail.lanes] == ["done"] * 3
    assert decision.detail.chosen == seen[0].lane


async def test_failed_pane_shows_why_and_others_finish(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(status=500, error_message="exploded"))
    fake_server.script("model-b", Reply(text="b is fine", cut_after=1))
    fake_server.script("model-c", "c answers")
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "fan")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "c answers"
    (decision,) = decisions(events, "fanout")
    failed = {row.model: row.error for row in decision.detail.lanes if row.status != "done"}
    assert set(failed) == {"a", "b"} and "exploded" in failed["a"]
    assert decision.summary.startswith("1 of 3 answered")


async def test_every_pane_failing_fails_the_turn(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(status=500))
    engine = make_engine(fake_server, PRESETS)
    outcome, _ = await run(engine, "fan")
    await engine.aclose()
    assert outcome.status == "failed" and "no model answered" in (outcome.error or "")


async def test_repeated_alias_gets_numbered_labels(fake_server: FakeServer) -> None:
    engine = make_engine(
        fake_server, {"fan": {"strategy": "fanout", "options": {"models": ["a", "a"]}}}
    )
    _, events = await run(engine, "fan")
    await engine.aclose()
    assert [lane.label for lane in lanes(events)] == ["a", "a #2"]


async def test_cancel_closes_every_pane_with_partial_text(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(text="word " * 200, chunk_chars=5, delay=0.02))
    engine = make_engine(fake_server, PRESETS)
    events = await run_and_cancel(engine, "fan")
    await engine.aclose()
    assert_cancelled(events)
    assert all(lane.closed and lane.closed.status == "cancelled" for lane in lanes(events))
