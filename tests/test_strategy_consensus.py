"""consensus over the fake server: acceptance, early stop, escalation, cancellation."""

from __future__ import annotations

from typing import Any

from mmchat.api import Note
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import assert_cancelled, decisions, lanes, make_engine, run, run_and_cancel

SLOW = Reply(text="slow answer " * 100, chunk_chars=6, delay=0.02)


def presets(**options: Any) -> dict[str, dict[str, Any]]:
    base = {"models": ["a", "b", "c"], "threshold": 0.67, "escalate_to": "big"}
    return {
        "agree": {"strategy": "consensus", "options": {**base, **options}},
        "inner": {"strategy": "single", "options": {"model": "f"}},
    }


async def test_agreement_accepts_and_stops_waiting(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "42")
    fake_server.script("model-b", "The answer is 42.")
    fake_server.script("model-c", SLOW)
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "agree")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "The answer is 42."
    (decision,) = decisions(events, "consensus")
    assert decision.detail.accepted is True
    assert decision.detail.tally.agreement == round(2 / 3, 3)
    assert decision.detail.threshold == 0.67
    assert decision.detail.cancelled == ("c",)
    assert decision.detail.tally.groups[0].votes == 2
    slow = next(lane for lane in lanes(events) if lane.model == "c")
    assert slow.closed is not None and slow.closed.status == "cancelled"
    assert not decisions(events, "escalation")
    assert all(r.model != "model-big" for r in fake_server.requests)


async def test_disagreement_escalates_with_anonymous_answers(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "red")
    fake_server.script("model-b", "blue")
    fake_server.script("model-c", "green")
    fake_server.script("model-big", "it is blue")
    engine = make_engine(fake_server, presets(seed=3))
    outcome, events = await run(engine, "agree", "Which colour?")
    await engine.aclose()
    assert outcome.text == "it is blue"
    (decision,) = decisions(events, "consensus")
    assert decision.detail.accepted is False and "33%" in decision.detail.reason
    (escalation,) = decisions(events, "escalation")
    assert escalation.detail.target == "big" and escalation.detail.answers_shown == 3
    sent = next(r.json for r in fake_server.requests if r.model == "model-big")
    prompt = sent["messages"][-1]["content"]
    assert "Which colour?" in prompt and "Answer A" in prompt and "Answer C" in prompt
    assert all(word in prompt for word in ("red", "blue", "green"))
    assert "model-a" not in prompt and " a:" not in prompt  # labels, not model names
    assert lanes(events)[-1].role == "escalation"


async def test_unreachable_threshold_stops_early_and_escalates(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "yes")
    fake_server.script("model-b", "no")
    fake_server.script("model-c", SLOW)
    fake_server.script("model-big", "maybe")
    engine = make_engine(fake_server, presets(threshold=1.0, include_answers=False))
    outcome, events = await run(engine, "agree")
    await engine.aclose()
    assert outcome.text == "maybe"
    (decision,) = decisions(events, "consensus")
    assert not decision.detail.accepted and decision.detail.cancelled == ("c",)
    sent = next(r.json for r in fake_server.requests if r.model == "model-big")
    assert "Answer A" not in str(sent["messages"])


async def test_too_few_answers_escalate_to_a_preset(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "42")
    fake_server.script("model-b", Reply(status=500))
    fake_server.script("model-c", Reply(text="4", cut_after=0))
    fake_server.script("model-f", "preset answer")
    engine = make_engine(fake_server, presets(escalate_to="", escalate_preset="inner"))
    outcome, events = await run(engine, "agree")
    await engine.aclose()
    assert outcome.text == "preset answer"
    (decision,) = decisions(events, "consensus")
    assert "too few" in decision.detail.reason
    assert {f.model for f in decision.detail.tally.excluded} == {"b", "c"}
    assert decisions(events, "escalation")[0].detail.target == "preset inner"


async def test_failed_escalation_keeps_the_most_agreed_answer(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "red")
    # blue arrives last: which two answers come first must not decide the tally.
    fake_server.script("model-b", Reply(text="blue", first_delay=0.3))
    fake_server.script("model-c", "red!")
    fake_server.script("model-big", Reply(status=500))
    engine = make_engine(fake_server, presets(threshold=0.9))
    outcome, events = await run(engine, "agree")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text in ("red", "red!")
    assert decisions(events, "escalation")[0].detail.status == "failed"
    assert any(isinstance(e, Note) and "most agreed" in e.text for e in events)


async def test_without_early_stop_every_lane_finishes(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "42")
    fake_server.script("model-b", "42")
    fake_server.script("model-c", Reply(text="41", delay=0.05))
    engine = make_engine(fake_server, presets(early_stop=False))
    _, events = await run(engine, "agree")
    await engine.aclose()
    assert all(lane.closed and lane.closed.status == "done" for lane in lanes(events))
    assert decisions(events, "consensus")[0].detail.cancelled == ()


async def test_cancel_mid_turn(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", SLOW)
    engine = make_engine(fake_server, presets())
    events = await run_and_cancel(engine, "agree")
    await engine.aclose()
    assert_cancelled(events)
    assert not decisions(events, "consensus")
