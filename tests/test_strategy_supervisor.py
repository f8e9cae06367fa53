"""supervisor over the fake server: assignments, reassignment, review rounds, the tree."""

from __future__ import annotations

import json
from typing import Any

from mmchat_strategies.supervisor import parse_assignments, read_verdict

from mmchat.api import Note
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import (
    assert_cancelled,
    decisions,
    lanes,
    make_engine,
    plan_nodes,
    run,
    run_and_cancel,
    text_from,
    user_text,
)

ASSIGN = json.dumps([{"worker": "a", "task": "outline it"}, {"worker": "B", "task": "check it"}])


def presets(**options: Any) -> dict[str, dict[str, Any]]:
    base = {"supervisor": "big", "workers": ["a", "b", "c"], "max_rounds": 1}
    return {"sup": {"strategy": "supervisor", "options": {**base, **options}}}


def supervisor(assign: str = ASSIGN, reviews: list[str] | None = None) -> Any:
    pending = list(reviews or ["ACCEPT\nthe accepted final answer"])

    def reply(body: dict[str, Any]) -> str:
        prompt = user_text(body)
        if "Split the request" in prompt:
            return assign
        if "reply ACCEPT" in prompt:
            return pending.pop(0) if len(pending) > 1 else pending[0]
        return "the synthesized final answer"

    return reply


async def test_assign_work_review_accept(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", supervisor())
    fake_server.script("model-a", Reply(text="an outline", delay=0.03))
    fake_server.script("model-b", Reply(text="checked", delay=0.03))
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "sup", "write a report")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "the accepted final answer"
    (assign,) = decisions(events, "assignments")
    assert assign.detail.source == "json"
    assert [(a.worker, a.task) for a in assign.detail.tasks] == [
        ("a", "outline it"),
        ("b", "check it"),
    ]
    (review,) = decisions(events, "review")
    assert (review.detail.verdict, review.detail.feedback, review.detail.round) == ("accept", "", 1)
    assert review.detail.lane in {lane.lane for lane in lanes(events)}
    review_prompt = user_text([r.json for r in fake_server.requests if r.model == "model-big"][-1])
    assert "an outline" in review_prompt and "checked" in review_prompt
    workers = [lane for lane in lanes(events) if lane.role == "worker"]
    assert [lane.parent for lane in workers] == ["task:t1", "task:t2"]
    nodes = plan_nodes(events)
    assert nodes["task:t1"].state == "done" and nodes["task:t1"].lane == workers[0].lane
    assert nodes["review:1"].state == "done" and nodes["supervisor"].state == "done"


async def test_failed_worker_is_reassigned_once(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", supervisor())
    fake_server.script("model-a", Reply(status=500, error_message="down"))
    fake_server.script("model-b", "b did it")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "sup")
    await engine.aclose()
    assert outcome.status == "complete"
    assert any(isinstance(e, Note) and "reassigned to b" in e.text for e in events)
    outline_runs = [r.model for r in fake_server.requests if "outline it" in user_text(r.json)]
    assert outline_runs[:2] == ["model-a", "model-b"]
    assert plan_nodes(events)["task:t1"].state == "done"


async def test_revise_round_then_synthesis(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", supervisor(reviews=["REVISE: add numbers"]))
    fake_server.script("model-a", "outline v1", "outline v2")
    fake_server.script("model-b", "check v1", "check v2")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "sup")
    await engine.aclose()
    assert outcome.text == "the synthesized final answer"
    (review,) = decisions(events, "review")  # max_rounds=1: one review, then the answer
    assert review.detail.verdict == "revise" and review.detail.feedback == "add numbers"
    second = [user_text(r.json) for r in fake_server.requests if r.model == "model-a"][-1]
    assert "outline v1" in second and "add numbers" in second
    final = user_text([r.json for r in fake_server.requests if r.model == "model-big"][-1])
    assert "outline v2" in final and "check v2" in final
    assert lanes(events)[-1].role == "synthesis"


async def test_unreadable_assignments_give_everyone_the_request(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", supervisor(assign="Let's get going!"))
    engine = make_engine(fake_server, presets(workers=["a", "b"], max_rounds=0))
    outcome, events = await run(engine, "sup", "the whole job")
    await engine.aclose()
    assert outcome.text == "the synthesized final answer"
    (assign,) = decisions(events, "assignments")
    assert assign.detail.source == "fallback"
    assert [a.task for a in assign.detail.tasks] == ["the whole job"] * 2
    assert not decisions(events, "review")  # max_rounds=0: no review


def test_lenient_parsers() -> None:
    names = ["a", "b", "coder"]
    found = parse_assignments(
        '{"assignments": [{"worker": "Coder", "task": "x"}, {"worker": 2, "task": "y"}]}', names
    )
    assert [(f.worker, f.task) for f in found] == [(2, "x"), (1, "y")]
    assert read_verdict("**ACCEPT**\nFinal text") == ("accept", "Final text")
    assert read_verdict("REVISE: more detail") == ("revise", "more detail")
    assert read_verdict("Here is the answer") == ("accept", "Here is the answer")


async def test_cancel_while_workers_stream(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", supervisor())
    for alias in "ab":
        fake_server.script(f"model-{alias}", Reply(text="work " * 100, chunk_chars=5, delay=0.02))
    engine = make_engine(fake_server, presets())
    events = await run_and_cancel(engine, "sup", when=text_from("a", 2))
    await engine.aclose()
    assert_cancelled(events)
    assert plan_nodes(events)["task:t1"].state == "cancelled"
