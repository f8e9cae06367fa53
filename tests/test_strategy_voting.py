"""voting over the fake server: clusters, excluded voters, cancellation, the tally."""

from __future__ import annotations

from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import assert_cancelled, decisions, make_engine, run, run_and_cancel

PRESETS = {"vote": {"strategy": "voting", "options": {"models": ["a", "b", "c", "d"]}}}


async def test_normalized_short_answers_vote_together(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "Paris")
    fake_server.script("model-b", "The answer is paris.")
    fake_server.script("model-c", "Lyon")
    fake_server.script("model-d", "PARIS!")
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "vote", "Capital of France?")
    await engine.aclose()
    assert outcome.text == "The answer is paris."  # the most complete wording
    (vote,) = decisions(events, "vote")
    assert vote.detail.tally.method == "answers"  # extracted, compared by value
    tally = vote.detail.tally
    assert [(group.votes, group.extracted) for group in tally.groups] == [(3, "paris"), (1, "lyon")]
    assert tally.groups[0].models == ("a", "b", "d") and tally.groups[1].answer == "Lyon"
    assert tally.agreement == 0.75 and tally.excluded == ()
    assert len(outcome.sources) == 3


async def test_prose_answers_group_by_word_overlap(fake_server: FakeServer) -> None:
    fake_server.script(
        "model-a", "Python is easy to read and has a huge standard library for beginners."
    )
    fake_server.script(
        "model-b", "For beginners, Python is easy to read and has a huge standard library."
    )
    fake_server.script("model-c", "Bananas are berries in botany, while strawberries are not.")
    fake_server.script("model-d", Reply(status=500, error_message="overloaded"))
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "vote")
    await engine.aclose()
    (vote,) = decisions(events, "vote")
    assert vote.detail.tally.method == "lexical"
    assert [group.votes for group in vote.detail.tally.groups] == [2, 1]
    assert "Python" in outcome.text
    (excluded,) = vote.detail.tally.excluded
    assert excluded.model == "d" and "overloaded" in excluded.why
    assert vote.detail.tally.counted == 3
    assert "1 excluded" in vote.summary


async def test_all_voters_failing_fails_the_turn(fake_server: FakeServer) -> None:
    for alias in "abcd":
        fake_server.script(f"model-{alias}", Reply(status=500))
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "vote")
    await engine.aclose()
    assert outcome.status == "failed"
    assert decisions(events, "vote")[0].detail.tally.groups == ()


async def test_cancel_mid_vote(fake_server: FakeServer) -> None:
    for alias in "abcd":
        fake_server.script(f"model-{alias}", Reply(text="word " * 100, chunk_chars=5, delay=0.02))
    engine = make_engine(fake_server, PRESETS)
    events = await run_and_cancel(engine, "vote")
    await engine.aclose()
    assert_cancelled(events)
