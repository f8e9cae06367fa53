"""council over the fake server: answers, rankings of the others, the chair, failures."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from mmchat_strategies.council import CouncilOptions, aggregate, positions

from mmchat.api import CouncilDetail, LaneResult, Note, RankingRun
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
    run,
    run_and_cancel,
    user_text,
)

ANSWERS = {
    "a": "Alpha: Paris, the capital.",
    "b": "Beta: Paris, on the Seine, capital since 987.",
    "c": "Gamma: Lyon.",
    "d": "Delta: Marseille.",
}
BEST_FIRST = ["b", "a", "d", "c"]  # what every ranker thinks of the answers
RANKING_ASKED = "FINAL RANKING"


def presets(**options: Any) -> dict[str, dict[str, Any]]:
    base = {"models": ["a", "b", "c"], "chair": "big", "seed": 2}
    return {
        "council": {"strategy": "council", "options": {**base, **options}},
        "inner": {"strategy": "single", "options": {"model": "d"}},
    }


def labels_shown(prompt: str) -> dict[str, str]:
    """Label → the member whose answer the prompt shows under it."""
    found = {}
    for label, text in re.findall(r"Response ([A-Z]):\n(.+)", prompt):
        found[label] = next(alias for alias, answer in ANSWERS.items() if answer == text.strip())
    return found


def member(alias: str, ranking: Callable[[dict[str, str]], str] | None = None) -> Any:
    """Answers with its text; asked to rank, ranks by BEST_FIRST (or ``ranking``)."""

    def reply(body: dict[str, Any]) -> str:
        prompt = user_text(body)
        if RANKING_ASKED not in prompt:
            return ANSWERS[alias]
        shown = labels_shown(prompt)
        if ranking is not None:
            return ranking(shown)
        order = sorted(shown, key=lambda label: BEST_FIRST.index(shown[label]))
        listed = "\n".join(f"{n}. Response {label}" for n, label in enumerate(order, 1))
        return f"Each has merits.\n\nFINAL RANKING:\n{listed}"

    return reply


def prompts_to(server: FakeServer, model: str) -> list[str]:
    return [user_text(r.json) for r in server.requests if r.model == model]


async def test_members_rank_the_others_and_the_chair_answers(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script_fn(f"model-{alias}", member(alias))
    fake_server.script("model-big", "The council says: Paris.")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "The council says: Paris."
    for alias in "abc":
        answer, ranking = prompts_to(fake_server, f"model-{alias}")
        assert answer == "Capital of France?"
        shown = labels_shown(ranking)
        assert alias not in shown.values() and len(shown) == 2  # never its own answer
        assert "model-" not in ranking
    (council,) = decisions(events, "council")
    detail = council.detail
    assert isinstance(detail, CouncilDetail)
    assert [row.model for row in detail.rows] == ["b", "a", "c"]
    assert [(row.mean_rank, row.borda, row.rankings) for row in detail.rows] == [
        (1.0, 2.0, 2),  # a and c put b first
        (1.5, 1.0, 2),  # b puts a first; c puts it second
        (2.0, 0.0, 2),
    ]
    assert council.summary == "b ranked best (mean rank 1); 3 of 3 rankings counted"
    assert [run.status for run in detail.rankings] == ["done"] * 3
    assert detail.lines()[0] == "b: mean rank 1 from 2 ranking(s), Borda 2."
    assert "a ranked b > c." in detail.lines()
    (chair,) = prompts_to(fake_server, "model-big")
    assert all(text in chair for text in list(ANSWERS.values())[:3])
    assert "mean rank 1 (2 ranking(s))" in chair and "Reviewer 1" in chair
    assert "model-" not in chair
    assert [lane.role for lane in lanes(events)] == ["answer"] * 3 + ["ranker"] * 3 + ["chair"]
    assert outcome.sources[0] == lanes(events)[-1].lane


async def test_labels_are_the_same_for_every_reader_but_the_order_is_not(
    fake_server: FakeServer,
) -> None:
    for alias in "abcd":
        fake_server.script_fn(f"model-{alias}", member(alias))
    fake_server.script("model-big", "Paris.")
    engine = make_engine(fake_server, presets(models=["a", "b", "c", "d"], seed=7))
    await run(engine, "council", "Capital of France?")
    await engine.aclose()
    label_of: dict[str, str] = {}
    sequences = []
    for alias in "abcd":
        ranking = prompts_to(fake_server, f"model-{alias}")[1]
        for label, whose in labels_shown(ranking).items():
            assert label_of.setdefault(whose, label) == label  # one label per answer
        sequences.append(re.findall(r"Response ([A-Z]):\n", ranking))
    assert sorted(label_of.values()) == ["A", "B", "C", "D"]
    assert any(seq != sorted(seq) for seq in sequences)  # shown in a shuffled order


async def test_an_unreadable_ranking_is_not_counted_and_said_so(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-a", member("a", ranking=lambda shown: "They are all fine."))
    fake_server.script_fn("model-b", member("b"))
    fake_server.script_fn("model-c", member("c"))
    fake_server.script("model-big", "Paris.")
    engine = make_engine(fake_server, presets())
    _, events = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    detail = decisions(events, "council")[0].detail
    assert isinstance(detail, CouncilDetail)
    assert [(r.ranker, r.status) for r in detail.rankings] == [
        ("a", "unparseable"),
        ("b", "done"),
        ("c", "done"),
    ]
    assert "Rankings not counted: a (unparseable)." in detail.lines()
    # a ranked b and c, unreadably: each of them is placed by one ranking only
    assert {row.model: row.rankings for row in detail.rows} == {"a": 2, "b": 1, "c": 1}


async def test_a_failed_member_is_left_out_of_answers_and_rankings(
    fake_server: FakeServer,
) -> None:
    for alias in "ab":
        fake_server.script_fn(f"model-{alias}", member(alias))
    fake_server.script("model-c", Reply(status=500, error_message="c is down"))
    fake_server.script_fn("model-d", member("d"))
    fake_server.script("model-big", "Paris.")
    engine = make_engine(fake_server, presets(models=["a", "b", "c", "d"]))
    outcome, events = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "complete"
    assert len(prompts_to(fake_server, "model-c")) == 1  # asked to answer, never to rank
    assert "Gamma" not in prompts_to(fake_server, "model-a")[1]
    detail = decisions(events, "council")[0].detail
    assert isinstance(detail, CouncilDetail)
    assert [r.ranker for r in detail.rankings] == ["a", "b", "d"]
    assert [e.model for e in detail.excluded] == ["c"]
    assert detail.lines()[-1].startswith("Not counted: c (") and "500" in detail.lines()[-1]


async def test_a_partial_ranking_puts_the_rest_last(fake_server: FakeServer) -> None:
    def first_only(shown: dict[str, str]) -> str:
        best = min(shown, key=lambda label: BEST_FIRST.index(shown[label]))
        return f"FINAL RANKING:\n1. Response {best}"

    fake_server.script_fn("model-a", member("a"))
    fake_server.script_fn("model-b", member("b"))
    fake_server.script_fn("model-c", member("c"))
    fake_server.script_fn("model-d", member("d", ranking=first_only))
    fake_server.script("model-big", "Paris.")
    engine = make_engine(fake_server, presets(models=["a", "b", "c", "d"]))
    _, events = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    detail = decisions(events, "council")[0].detail
    assert isinstance(detail, CouncilDetail)
    by_ranker = {r.ranker: r for r in detail.rankings}
    assert by_ranker["d"].complete is False and by_ranker["d"].ranked_models == ("b",)
    assert "d ranked b (the rest ranked last)." in detail.lines()


async def test_one_answer_is_kept_as_it_is_and_none_fails_the_turn(
    fake_server: FakeServer,
) -> None:
    fake_server.script_fn("model-a", member("a"))
    for alias in "bc":
        fake_server.script(f"model-{alias}", Reply(status=404))
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "council", "Capital of France?")
    assert outcome.status == "complete" and outcome.text == ANSWERS["a"]
    assert any(isinstance(e, Note) and "nothing to rank" in e.text for e in events)
    assert not decisions(events, "council")
    fake_server.script("model-a", Reply(status=404))
    outcome, _ = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "failed" and "no member answered" in (outcome.error or "")


async def test_two_answers_go_to_the_chair_unranked(fake_server: FakeServer) -> None:
    for alias in "ab":
        fake_server.script_fn(f"model-{alias}", member(alias))
    fake_server.script("model-c", Reply(status=500))
    fake_server.script("model-big", "Paris.")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    assert outcome.text == "Paris."
    assert [len(prompts_to(fake_server, f"model-{alias}")) for alias in "ab"] == [1, 1]
    (council,) = decisions(events, "council")
    assert council.summary == "two answers, nothing to rank: the chair weighs them alone"
    assert isinstance(council.detail, CouncilDetail) and council.detail.rankings == ()
    assert council.detail.lines()[:2] == ["a: not ranked.", "b: not ranked."]
    (chair,) = prompts_to(fake_server, "model-big")
    assert ANSWERS["a"] in chair and ANSWERS["b"] in chair and "(no usable rankings)" in chair


async def test_without_the_chair_the_answer_ranked_best_is_kept(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script_fn(f"model-{alias}", member(alias))
    fake_server.script("model-big", Reply(status=500))
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == ANSWERS["b"]
    assert any(isinstance(e, Note) and "keeping the answer ranked best, b's" in e.text
               for e in events)  # fmt: skip


async def test_a_preset_sits_on_the_council(fake_server: FakeServer) -> None:
    for alias in "abd":
        fake_server.script_fn(f"model-{alias}", member(alias))
    fake_server.script("model-big", "Paris.")
    engine = make_engine(fake_server, presets(models=["a", "b"], member_presets=["inner"]))
    outcome, events = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "complete"
    d_prompts = prompts_to(fake_server, "model-d")
    assert len(d_prompts) == 2 and "Delta" not in d_prompts[1]  # it ranks the others only
    detail = decisions(events, "council")[0].detail
    assert isinstance(detail, CouncilDetail)
    assert {row.model for row in detail.rows} == {"a", "b", "preset inner"}
    assert [r.status for r in detail.rankings] == ["done"] * 3


async def test_cancel_mid_turn(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(text="slow answer " * 80, delay=0.02))
    engine = make_engine(fake_server, presets())
    events = await run_and_cancel(engine, "council")
    await engine.aclose()
    assert_cancelled(events)
    assert not decisions(events, "council")


def test_a_council_needs_two_members() -> None:
    with pytest.raises(ValueError, match="at least two members"):
        CouncilOptions.model_validate({"models": ["a"]})
    CouncilOptions.model_validate({"models": ["a"], "member_presets": ["inner"]})


def test_positions_and_the_aggregate() -> None:
    assert positions(["x"], ["x", "y", "z"]) == {"x": 1.0, "y": 2.5, "z": 2.5}
    answers = [LaneResult(lane, lane.upper(), "t", "done") for lane in ("l1", "l2", "l3")]
    runs = [
        RankingRun("A", "r1", "done", order=("l2", "l3"), ranking=("l3", "l2")),
        RankingRun("B", "r2", "done", order=("l1", "l3"), ranking=("l1", "l3")),
        RankingRun("C", "r3", "failed", order=("l1", "l2")),
    ]
    rows = aggregate(answers, runs)
    # l1: first in B's ranking; l3: first in A's, second in B's; C's failed ranking is
    # not counted. Borda: the answers ranked below it.
    assert [(r.lane, r.mean_rank, r.borda, r.rankings) for r in rows] == [
        ("l1", 1.0, 1.0, 1),
        ("l3", 1.5, 1.0, 2),
        ("l2", 2.0, 0.0, 1),
    ]


def test_a_chair_that_also_sits_on_the_council_is_warned_about(fake_server: FakeServer) -> None:
    config = make_config(fake_server, presets(chair="a"))
    warnings = Engine(config, discover([])).preset_warnings()
    assert any("chair 'a' is also a member" in w for w in warnings), warnings
    assert Engine(make_config(fake_server, presets()), discover([])).preset_warnings() == []


async def test_a_council_stops_at_its_budget(fake_server: FakeServer) -> None:
    """Answers and rankings are paid lanes like any other: once they spend the budget
    the turn stops, before the chair is asked."""
    for alias in "abc":
        fake_server.script_fn(f"model-{alias}", member(alias))
    fake_server.script("model-big", "Paris.")
    priced = {
        alias: {"provider": "fake", "model": f"model-{alias}", "price_in": 0.0,
                "price_out": 1000.0, "max_tokens": 5 if alias != "big" else 10}
        for alias in ("a", "b", "c", "big")
    }  # fmt: skip
    # The estimate fits: 3 answers and 3 rankings of 5 tokens, the chair's 10 ($0.04);
    # the fake server ignores max_tokens, and the rankings alone spend more.
    council = {**presets()["council"], "budget": 0.05}
    engine = make_engine(fake_server, {"council": council}, models=priced)
    outcome, events = await run(engine, "council", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "failed" and "budget of $0.0500" in (outcome.error or "")
    assert not prompts_to(fake_server, "model-big")
    roles = [lane.role for lane in lanes(events)]
    assert "chair" not in roles and roles[:3] == ["answer"] * 3
