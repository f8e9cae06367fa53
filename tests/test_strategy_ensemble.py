"""ensemble over the fake server: judge scores × weights, self-judging, rule scoring."""

from __future__ import annotations

import re
from typing import Any

from mmchat_strategies.ensemble import read_scores

from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import assert_cancelled, decisions, make_engine, run, run_and_cancel, user_text

ANSWERS = {"a": "answer from a", "b": "answer from b", "c": "answer from c"}
SCORES = {"answer from a": 6, "answer from b": 9, "answer from c": 3}


def presets(**options: Any) -> dict[str, dict[str, Any]]:
    base: dict[str, Any] = {"models": {"a": 1.0, "b": 0.5, "c": 1.0}, "judges": ["judge"]}
    return {"ens": {"strategy": "ensemble", "options": {**base, **options}}}


def fair_judge(body: dict[str, Any]) -> str:
    """Scores each anonymous answer by its content, whatever label it got."""
    prompt = user_text(body)
    shown = re.findall(r"Answer ([A-Z]):\n(.+)", prompt)
    return "{" + ", ".join(f'"{label}": {SCORES[text]}' for label, text in shown) + "}"


def script_members(server: FakeServer) -> None:
    for alias, text in ANSWERS.items():
        server.script(f"model-{alias}", text)


async def test_judge_scores_times_weights(fake_server: FakeServer) -> None:
    script_members(fake_server)
    fake_server.script_fn("model-judge", fair_judge)
    engine = make_engine(fake_server, presets(seed=7))
    outcome, events = await run(engine, "ens")
    await engine.aclose()
    (scores,) = decisions(events, "scores")
    rows = {row.model: row for row in scores.detail.rows}
    assert rows["b"].score == 9 and rows["b"].total == 4.5  # 9 × 0.5
    assert rows["a"].total == 6 and rows["c"].total == 3
    assert outcome.text == "answer from a"  # 6 × 1.0 beats 9 × 0.5
    assert scores.detail.winner == rows["a"].lane
    assert [row.model for row in scores.detail.rows] == ["a", "b", "c"]
    (judge,) = scores.detail.judges
    assert judge.judge == "judge" and len(judge.order) == 3
    prompt = user_text(next(r.json for r in fake_server.requests if r.model == "model-judge"))
    assert "model-a" not in prompt and "Answer A" in prompt


async def test_no_model_judges_its_own_answer_when_another_can(fake_server: FakeServer) -> None:
    script_members(fake_server)
    fake_server.script_fn("model-judge", fair_judge)
    for alias in "abc":
        fake_server.script_fn(f"model-{alias}", _member_or_judge(alias))
    engine = make_engine(fake_server, presets(judges=["a", "judge"]))
    _, events = await run(engine, "ens")
    await engine.aclose()
    judge_a = next(
        user_text(r.json)
        for r in fake_server.requests
        if r.model == "model-a" and "Score" in user_text(r.json)
    )
    assert "answer from a" not in judge_a and "answer from b" in judge_a
    rows = {row.model: row for row in decisions(events, "scores")[0].detail.rows}
    assert rows["a"].scored_by == ("judge",)
    assert rows["b"].scored_by == ("a", "judge")


def _member_or_judge(alias: str) -> Any:
    def reply(body: dict[str, Any]) -> str:
        return fair_judge(body) if "Score each answer" in user_text(body) else ANSWERS[alias]

    return reply


async def test_rule_scoring_and_failed_members(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "The meeting is on Tuesday at noon.")
    fake_server.script("model-b", "The meeting is on Tuesday at noon, in room 4.")
    fake_server.script("model-c", Reply(status=500, error_message="gone"))
    engine = make_engine(fake_server, presets(scoring="rule", judges=[]))
    outcome, events = await run(engine, "ens")
    await engine.aclose()
    (scores,) = decisions(events, "scores")
    assert {row.model for row in scores.detail.rows} == {"a", "b"}
    assert all(row.scored_by == () for row in scores.detail.rows)
    assert scores.detail.excluded[0].model == "c"
    assert outcome.text == "The meeting is on Tuesday at noon."  # weight 1.0 beats 0.5
    assert not any(r.model == "model-judge" for r in fake_server.requests)


async def test_unparseable_judge_falls_back_to_the_rule(fake_server: FakeServer) -> None:
    script_members(fake_server)
    fake_server.script("model-judge", "They are all lovely.")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "ens")
    await engine.aclose()
    assert outcome.status == "complete"
    (scores,) = decisions(events, "scores")
    assert scores.detail.judges[0].status == "unparseable"
    assert all(row.scored_by == () for row in scores.detail.rows)


async def test_dict_keys_are_checked_as_models(fake_server: FakeServer) -> None:
    engine = make_engine(fake_server, presets(models={"a": 1.0, "nosuch": 1.0}))
    problems = engine.validate_presets()
    await engine.aclose()
    assert len(problems) == 1 and "nosuch" in problems[0]


def test_read_scores_is_lenient() -> None:
    assert read_scores('```json\n{"A": 7, "B": "8/10",}\n```', ["A", "B"]) == {"A": 7, "B": 8}
    assert read_scores("Answer A: 6/10\nAnswer B - score 4", ["A", "B"]) == {"A": 6, "B": 4}
    assert read_scores('{"Answer A": 3}', ["A"]) == {"A": 3}
    assert read_scores("no idea", ["A"]) == {}


async def test_cancel_mid_turn(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(text="word " * 100, chunk_chars=5, delay=0.02))
    engine = make_engine(fake_server, presets())
    events = await run_and_cancel(engine, "ens")
    await engine.aclose()
    assert_cancelled(events)
