"""debate over the fake server: rounds, revisions, agreement, the arbiter, failures."""

from __future__ import annotations

import re
from typing import Any

from mmchat.api import Note, RoundDetail
from mmchat.config_schema import Config
from mmchat.engine import Engine
from mmchat.plugins import discover
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import (
    assert_cancelled,
    decisions,
    lanes,
    make_config,
    make_engine,
    plan_nodes,
    run,
    run_and_cancel,
    user_text,
)

REVISING = "Your previous answer"
ARBITRATING = "'Confidence: X'"


def presets(**options: Any) -> dict[str, dict[str, Any]]:
    base = {"models": ["a", "b", "c"], "arbiter": "big", "max_rounds": 3, "seed": 4}
    return {
        "debate": {"strategy": "debate", "options": {**base, **options}},
        "inner": {"strategy": "single", "options": {"model": "d"}},
    }


def debater(*rounds: str) -> Any:
    """Says ``rounds[n]`` in round n+1 (the last one from then on)."""

    def reply(body: dict[str, Any]) -> str:
        prompt = user_text(body)
        said = re.search(r"Your previous answer:\n(.*?)\n\n---", prompt, re.DOTALL)
        number = 0 if said is None else rounds.index(said.group(1)) + 1
        return rounds[min(number, len(rounds) - 1)]

    return reply


def prompts_to(server: FakeServer, model: str) -> list[str]:
    return [user_text(r.json) for r in server.requests if r.model == model]


def rounds_of(events: list[Any]) -> list[RoundDetail]:
    details = [d.detail for d in decisions(events, "debate-round")]
    assert all(isinstance(d, RoundDetail) for d in details)
    return details  # type: ignore[return-value]


async def test_debaters_revise_seeing_the_others_until_they_agree(
    fake_server: FakeServer,
) -> None:
    fake_server.script_fn("model-a", debater("It is 40.\nAnswer: 40", "I agree, 42.\nAnswer: 42"))
    fake_server.script_fn("model-b", debater("It is 42.\nAnswer: 42"))
    fake_server.script_fn("model-c", debater("It is 44.\nAnswer: 44", "Yes, 42.\nAnswer: 42"))
    fake_server.script("model-big", "Unsure.\nConfidence: 0.3", "It is 42.\n\nConfidence: 0.95")
    engine = make_engine(fake_server, presets(confidence=None))
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "It is 42."  # confidence line off
    first, second = rounds_of(events)
    assert not first.stop and first.tally.agreement == round(1 / 3, 3)
    assert first.reason == "agreement 33% < 67%; the arbiter is 0.3 sure"
    assert first.lines()[0] == "Round 1 of at most 3: agreement 33% (stop at 67%); another round."
    assert second.stop and second.reason == "3 of 3 agree (100%)" and second.confidence == 0.95
    assert second.lines()[:2] == [
        "Round 2 of at most 3: agreement 100% (stop at 67%); the debate stops: "
        "3 of 3 agree (100%).",
        "The arbiter big says it is 0.95 sure.",
    ]
    round1, round2 = prompts_to(fake_server, "model-a")
    assert round1.startswith("What is 6 times 7?") and "Answer: <your final answer>" in round1
    assert "Your previous answer:\nIt is 40.\nAnswer: 40" in round2
    others = round2.split("Other assistants answered")[1]
    assert "It is 42." in others and "It is 44." in others and "It is 40." not in others
    assert "Response B" in others and "Response C" not in others
    assert "model-" not in round2 and not re.search(r"\b[abc]:", round2)
    assert len(prompts_to(fake_server, "model-b")) == 2  # every debater speaks each round
    arbiter1 = prompts_to(fake_server, "model-big")[0]
    assert all(f"It is {n}." in arbiter1 for n in (40, 42, 44))
    nodes = plan_nodes(events)
    assert nodes["debate"].state == "done" and "round:3" not in nodes
    assert nodes["round:2:arbiter"].label == "arbiter · big: confidence 0.95"
    assert [nodes[f"round:1:{i}"].parent for i in range(3)] == ["round:1"] * 3
    roles = [lane.role for lane in lanes(events)]
    assert roles == ["debater"] * 3 + ["arbiter"] + ["debater"] * 3 + ["arbiter"]


async def test_the_arbiter_being_sure_stops_the_debate(fake_server: FakeServer) -> None:
    for alias, n in zip("abc", (40, 42, 44), strict=True):
        fake_server.script(f"model-{alias}", f"Answer: {n}")
    fake_server.script("model-big", "It is 42.\n**Confidence:** 90%")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    await engine.aclose()
    (only,) = rounds_of(events)
    assert only.stop and only.reason == "the arbiter is 0.9 sure (≥ 0.8)"
    assert outcome.text == "It is 42."


async def test_no_agreement_after_the_last_round(fake_server: FakeServer) -> None:
    for alias, n in zip("abc", (40, 42, 44), strict=True):
        fake_server.script(f"model-{alias}", f"Answer: {n}")
    fake_server.script("model-big", "Maybe 42.\nConfidence: 0.4")
    engine = make_engine(fake_server, presets(max_rounds=2))
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    await engine.aclose()
    assert [r.stop for r in rounds_of(events)] == [False, True]
    assert rounds_of(events)[-1].reason == "no agreement after 2 round(s), the most allowed"
    assert outcome.text == "Maybe 42."


async def test_without_an_arbiter_the_most_agreed_answer_wins(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "It is 42.\nAnswer: 42")
    fake_server.script("model-b", "Forty-two, so\nAnswer: 42")
    fake_server.script("model-c", "Answer: 41")
    engine = make_engine(fake_server, presets(arbiter=""))
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    await engine.aclose()
    (only,) = rounds_of(events)
    assert only.stop and only.arbiter == "" and only.confidence is None
    assert outcome.text in ("It is 42.\nAnswer: 42", "Forty-two, so\nAnswer: 42")
    assert not any(lane.role == "arbiter" for lane in lanes(events))


async def test_a_failed_debater_drops_out_and_the_round_says_so(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-a", debater("Answer: 40", "Answer: 42"))
    fake_server.script_fn("model-b", debater("Answer: 42"))
    fake_server.script("model-c", Reply(status=500, error_message="c is down"))
    fake_server.script("model-big", "It is 42.\nConfidence: 0.5")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    await engine.aclose()
    first, second = rounds_of(events)
    assert [e.model for e in first.tally.excluded] == ["c"]
    assert first.lines()[-1].startswith("Not counted: c (") and "500" in first.lines()[-1]
    assert len(prompts_to(fake_server, "model-c")) == 1  # not asked again
    assert "Answer: 42" in prompts_to(fake_server, "model-a")[1]
    assert second.stop and second.reason == "2 of 3 agree (67%)"  # c still counts
    assert plan_nodes(events)["round:1:2"].state == "failed" and outcome.text == "It is 42."


async def test_a_failing_arbiter_keeps_the_most_agreed_answer(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "Answer: 42")
    fake_server.script("model-b", "So: Answer: 42")
    fake_server.script("model-c", "Answer: 41")
    fake_server.script("model-big", Reply(status=503))
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    await engine.aclose()
    (only,) = rounds_of(events)
    assert only.arbiter_status == "failed" and "gave no confidence (failed)" in only.lines()[1]
    assert outcome.text in ("Answer: 42", "So: Answer: 42")
    assert any(isinstance(e, Note) and "the arbiter big failed" in e.text for e in events)


async def test_a_debate_nobody_answers_fails_and_a_silent_round_keeps_the_last(
    fake_server: FakeServer,
) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(status=401))
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    assert outcome.status == "failed" and "no debater answered" in (outcome.error or "")
    assert plan_nodes(events)["debate"].state == "failed"
    for alias, n in zip("abc", (40, 42, 44), strict=True):
        fake_server.script(f"model-{alias}", f"Answer: {n}", Reply(status=500))
    fake_server.script("model-big", "Probably 42.\nConfidence: 0.2")
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "Probably 42."
    assert len(rounds_of(events)) == 1
    assert plan_nodes(events)["round:2"].state == "failed"
    assert any(isinstance(e, Note) and "round 1 stands" in e.text for e in events)


async def test_a_preset_debates(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "Answer: 42")
    fake_server.script("model-d", "Answer: 42")
    fake_server.script("model-big", "42.\nConfidence: 1")
    engine = make_engine(fake_server, presets(models=["a"], debater_presets=["inner"]))
    outcome, events = await run(engine, "debate", "What is 6 times 7?")
    await engine.aclose()
    (only,) = rounds_of(events)
    assert only.stop and only.tally.groups[0].models == ("a", "preset inner")
    inner = next(lane for lane in lanes(events) if lane.model == "d")
    assert inner.parent == "round:1:1" and outcome.text == "42."


async def test_cancel_mid_turn(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(text="slow answer " * 80, delay=0.02))
    engine = make_engine(fake_server, presets())
    events = await run_and_cancel(engine, "debate")
    await engine.aclose()
    assert_cancelled(events)
    assert not decisions(events, "debate-round")


def test_an_arbiter_that_also_debates_is_warned_about(fake_server: FakeServer) -> None:
    config: Config = make_config(fake_server, presets(arbiter="a"))
    warnings = Engine(config, discover([])).preset_warnings()
    assert any("arbiter 'a' is also a debater" in w for w in warnings), warnings
