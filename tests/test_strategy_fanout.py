"""fanout over the fake server: concurrency, failed panes, cancellation, decisions."""

from __future__ import annotations

from pathlib import Path

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


BLIND = {"fan": {"strategy": "fanout", "options": {"models": ["a", "b", "c"], "blind": True}}}


async def test_blind_fanout_labels_panes_by_letter_and_names_no_model(
    fake_server: FakeServer,
) -> None:
    orders = set()
    for _ in range(12):
        fake_server.script("model-b", Reply(status=500, error_message="exploded"))
        for alias in "ac":
            fake_server.script(f"model-{alias}", f"answer {alias}")
        engine = make_engine(fake_server, BLIND)
        outcome, events = await run(engine, "fan")
        await engine.aclose()
        seen = lanes(events)
        assert [lane.label for lane in seen] == ["A", "B", "C"]
        orders.add(tuple(lane.model for lane in seen))
        # the blind decision comes before any pane opens: the view hides from the start
        kinds = [type(e).__name__ for e in events]
        assert kinds.index("Decision") < kinds.index("LaneOpened")
        (blind,) = decisions(events, "blind")
        assert blind.detail.labels == ("A", "B", "C")
        (fan,) = decisions(events, "fanout")
        # the decision (shown before the pick) names panes, not models
        letter_of = {lane.lane: lane.label for lane in seen}
        assert [row.model for row in fan.detail.lanes] == [letter_of[lane.lane] for lane in seen]
        assert not any(m in fan.summary.split() for m in "abc")
        assert outcome.status == "complete"
    assert len(orders) > 1  # shuffled: pane A is not always the preset's first model


async def test_default_best_rated_shows_the_favourite(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    from mmchat.ratings.history import record_pick

    options = {"models": ["a", "b", "c"], "default": "best-rated"}
    engine = make_engine(
        fake_server,
        {"fan": {"strategy": "fanout", "options": options}},
        store_path=tmp_path / "h.db",
    )
    assert engine.store is not None
    for turn in range(3):
        for alias in "abc":
            fake_server.script(f"model-{alias}", f"answer {alias}")
        outcome, events = await run(engine, "fan")
        if turn == 0:  # nobody rated yet: the first
            assert outcome.text == "answer a"
            assert "none of them rated yet" in decisions(events, "fanout")[0].summary
        # the user picks c's pane over a's and b's
        assert outcome.message_id is not None
        lane_c = next(lane.lane for lane in lanes(events) if lane.model == "c")
        assert record_pick(engine.store, outcome.message_id, lane_c) == 2
    for alias in "abc":
        fake_server.script(f"model-{alias}", f"answer {alias}")
    outcome, events = await run(engine, "fan")
    await engine.aclose()
    assert outcome.text == "answer c"
    (fan,) = decisions(events, "fanout")
    assert "c by default (best rated:" in fan.summary
