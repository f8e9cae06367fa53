"""Agreement by meaning, through voting and consensus over the fake server: numbers by
value under every backend, paraphrases under embedding and judge, fallbacks said."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mmchat.api import ConsensusDetail, VoteDetail
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import decisions, make_engine, run, user_text

EMB = {"emb": {"provider": "fake", "model": "model-emb"}}
BOILING = {
    "model-a": "The boiling point of water at sea level is 100 degrees Celsius.",
    "model-b": "The boiling point of water at sea level is 90 degrees Celsius.",
    "model-c": "The boiling point of water at sea level is 80 degrees Celsius.",
}
# Two wordings of one piece of advice, and a different piece of advice.
WITH_A = "Use a with statement, so the file is closed even when an exception is raised."
WITH_B = "Open it in a context manager: Python then closes it for you, errors or not."
OTHER = "Call f.flush() after every write so nothing is lost if the program crashes."


def vote_presets(compare: str, **extra: Any) -> dict[str, dict[str, Any]]:
    options: dict[str, Any] = {"models": ["a", "b", "c"], "compare": compare, **extra}
    if compare != "lexical":
        options.setdefault("compare_with", "emb" if compare == "embedding" else "judge")
    consensus = {**options, "threshold": 0.67, "escalate_to": "big"}
    return {
        "vote": {"strategy": "voting", "options": options},
        "agree": {"strategy": "consensus", "options": consensus},
    }


def judge_groups_everything_together(body: dict[str, Any]) -> str:
    numbers = re.findall(r"^\[(\d+)\]$", user_text(body), re.MULTILINE)
    return '{"groups": [[' + ", ".join(numbers) + "]]}"


def judge_by_advice(body: dict[str, Any]) -> str:
    """A judge that reads the answers: context-manager advice together, the rest apart."""
    prompt = user_text(body)
    parts = re.split(r"^\[(\d+)\]$", prompt, flags=re.MULTILINE)[1:]
    answers = {int(n): text for n, text in zip(parts[::2], parts[1::2], strict=True)}
    closes = [n for n, t in answers.items() if "with statement" in t or "context manager" in t]
    others = [[n] for n in answers if n not in closes]
    return '{"groups": ' + str([closes, *others]) + "}"


@pytest.mark.parametrize("compare", ["lexical", "embedding", "judge"])
async def test_different_numbers_never_agree_under_any_backend(
    fake_server: FakeServer, compare: str
) -> None:
    for model, text in BOILING.items():
        fake_server.script(model, text)
    # The worst backends: every embedding identical, a judge that calls them all one.
    fake_server.embed_fn("model-emb", lambda text: [1.0, 0.0, 0.0])
    fake_server.script_fn("model-judge", judge_groups_everything_together)
    engine = make_engine(fake_server, vote_presets(compare), models=EMB)
    _, events = await run(engine, "vote", "What is the boiling point of water at sea level?")
    await engine.aclose()
    (vote,) = decisions(events, "vote")
    assert isinstance(vote.detail, VoteDetail)
    groups = vote.detail.tally.groups
    assert [g.votes for g in groups] == [1, 1, 1]
    assert [g.extracted for g in groups] == ["100 °C", "90 °C", "80 °C"]
    assert "1 of 3 agree" in vote.summary and vote.detail.tie


async def test_consensus_with_100_90_80_escalates_instead_of_accepting(
    fake_server: FakeServer,
) -> None:
    for model, text in BOILING.items():
        fake_server.script(model, Reply(text=text, delay=0.01))
    fake_server.script("model-big", "At sea level water boils at 100 °C.")
    engine = make_engine(fake_server, vote_presets("lexical"))
    outcome, events = await run(engine, "agree", "What is the boiling point of water at sea level?")
    await engine.aclose()
    (consensus,) = decisions(events, "consensus")
    assert isinstance(consensus.detail, ConsensusDetail)
    assert not consensus.detail.accepted and consensus.detail.cancelled == ()
    assert "3 different answers" in consensus.detail.reason
    assert outcome.text == "At sea level water boils at 100 °C."
    assert decisions(events, "escalation")[0].detail.target == "big"


async def test_paraphrases_disagree_by_words_but_agree_by_meaning(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", WITH_A)
    fake_server.script("model-b", OTHER)
    fake_server.script("model-c", WITH_B)
    same_advice = [0.9, 0.1, 0.0]

    def meaning(text: str) -> list[float]:
        return same_advice if "with" in text or "context manager" in text else [0.0, 0.2, 0.9]

    fake_server.embed_fn("model-emb", meaning)
    fake_server.script_fn("model-judge", judge_by_advice)
    question = "How do I make sure a file gets closed in Python?"
    seen = {}
    for compare in ("lexical", "embedding", "judge"):
        engine = make_engine(fake_server, vote_presets(compare, answer_line=False), models=EMB)
        _, events = await run(engine, "vote", question)
        await engine.aclose()
        (vote,) = decisions(events, "vote")
        assert isinstance(vote.detail, VoteDetail)
        seen[compare] = [sorted(g.models) for g in vote.detail.tally.groups]
        assert vote.detail.tally.method == compare
    assert seen["lexical"] == [["a"], ["b"], ["c"]]
    assert seen["embedding"] == seen["judge"] == [["a", "c"], ["b"]]


async def test_a_backend_that_fails_falls_back_to_words_and_says_so(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", WITH_A)
    fake_server.script("model-b", WITH_B)
    fake_server.script("model-c", OTHER)
    fake_server.script("model-judge", "They all look fine to me!")
    # model-emb serves no embeddings: the fake server answers 404 like OpenAI does.
    for compare, said in (("embedding", "embeddings from emb failed"), ("judge", "not readable")):
        engine = make_engine(fake_server, vote_presets(compare, answer_line=False), models=EMB)
        outcome, events = await run(engine, "vote", "How do I close files?")
        await engine.aclose()
        assert outcome.status == "complete"
        (vote,) = decisions(events, "vote")
        assert isinstance(vote.detail, VoteDetail)
        assert vote.detail.tally.method == "lexical"
        assert any(said in note for note in vote.detail.notes)
        assert any(said in line for line in vote.detail.lines())


async def test_voters_are_asked_for_an_answer_line_and_it_is_compared(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", "Let me think. 6 × 7 is 42.\nAnswer: 42")
    fake_server.script("model-b", "Six sevens: forty-two, I believe.\nAnswer: forty-two")
    fake_server.script("model-c", "Hmm, 6 × 7... 48?\nAnswer: 48")
    engine = make_engine(fake_server, vote_presets("lexical"))
    outcome, events = await run(engine, "vote", "What is 6 × 7?")
    await engine.aclose()
    asked = [user_text(r.json) for r in fake_server.requests if r.path.endswith("completions")]
    assert all("Answer: <your final answer>" in text for text in asked)
    (vote,) = decisions(events, "vote")
    assert isinstance(vote.detail, VoteDetail)
    assert [(g.votes, g.extracted) for g in vote.detail.tally.groups] == [(2, "42"), (1, "48")]
    assert outcome.text == "Six sevens: forty-two, I believe.\nAnswer: forty-two"  # fullest
