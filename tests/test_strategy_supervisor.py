"""supervisor over the fake server: assignments, reassignment, review rounds, the tree."""

from __future__ import annotations

import json
from typing import Any

from mmchat_strategies.supervision import parse_assignments, read_verdicts

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


ACCEPT_ALL = '{"t1": {"verdict": "accept"}, "t2": {"verdict": "accept"}}'


def supervisor(assign: str = ASSIGN, reviews: list[str] | None = None) -> Any:
    pending = list(reviews or [ACCEPT_ALL])

    def reply(body: dict[str, Any]) -> str:
        prompt = user_text(body)
        if "Split the request" in prompt:
            return assign
        if "Judge each task on its own" in prompt:
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
    assert outcome.status == "complete" and outcome.text == "the synthesized final answer"
    (assign,) = decisions(events, "assignments")
    assert assign.detail.source == "json"
    assert [(a.worker, a.task) for a in assign.detail.tasks] == [
        ("a", "outline it"),
        ("b", "check it"),
    ]
    (review,) = decisions(events, "review")
    assert (review.detail.verdict, review.detail.feedback, review.detail.round) == ("accept", "", 1)
    assert review.detail.lane in {lane.lane for lane in lanes(events)}
    review_prompt = next(
        user_text(r.json) for r in fake_server.requests if "Judge each task" in user_text(r.json)
    )
    assert "an outline" in review_prompt and "checked" in review_prompt
    assert [t.verdict for t in review.detail.tasks] == ["accept", "accept"]
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


async def test_each_task_gets_its_own_verdict_and_feedback(fake_server: FakeServer) -> None:
    review = (
        '{"t1": {"verdict": "revise", "feedback": "add numbers"},'
        ' "t2": {"verdict": "accept", "feedback": ""}}'
    )
    fake_server.script_fn("model-big", supervisor(reviews=[review]))
    fake_server.script("model-a", "outline v1", "outline v2")
    fake_server.script("model-b", "check v1", "check v2")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "sup")
    await engine.aclose()
    assert outcome.text == "the synthesized final answer"
    (verdict,) = decisions(events, "review")  # max_rounds=1: one review, then the answer
    assert verdict.detail.verdict == "revise"
    assert [(t.id, t.verdict, t.feedback) for t in verdict.detail.tasks] == [
        ("t1", "revise", "add numbers"),
        ("t2", "accept", ""),
    ]
    second = [user_text(r.json) for r in fake_server.requests if r.model == "model-a"][-1]
    assert "outline v1" in second and "add numbers" in second
    # only the revised task ran again; the accepted one kept its first result
    assert len([r for r in fake_server.requests if r.model == "model-b"]) == 1
    final = user_text([r.json for r in fake_server.requests if r.model == "model-big"][-1])
    assert "outline v2" in final and "check v1" in final
    assert lanes(events)[-1].role == "synthesis"


async def test_a_rejected_task_can_go_to_another_worker(fake_server: FakeServer) -> None:
    review = '{"t1": {"verdict": "reassign", "feedback": "a misread it"}, "t2": "accept"}'
    fake_server.script_fn("model-big", supervisor(reviews=[review]))
    fake_server.script("model-a", "a's outline")
    fake_server.script("model-b", "b's work")
    fake_server.script("model-c", "c's outline")
    engine = make_engine(fake_server, presets())
    _, events = await run(engine, "sup")
    await engine.aclose()
    outline_runs = [r.model for r in fake_server.requests if "outline it" in user_text(r.json)
                    and "Judge each task" not in user_text(r.json)
                    and "final answer" not in user_text(r.json)]  # fmt: skip
    assert outline_runs == ["model-a", "model-c"]  # c: the worker without a task
    (verdict,) = decisions(events, "review")
    assert verdict.detail.tasks[0].verdict == "reassign" and verdict.detail.tasks[0].worker == "c"


async def test_an_unreadable_review_fails_visibly_and_is_never_the_answer(
    fake_server: FakeServer,
) -> None:
    rambling = "### t1 (a): outline it\nLooks mostly fine I guess, maybe more detail."
    fake_server.script_fn("model-big", supervisor(reviews=[rambling]))
    fake_server.script("model-a", "an outline")
    fake_server.script("model-b", "checked")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "sup")
    await engine.aclose()
    assert outcome.text == "the synthesized final answer"
    assert "###" not in outcome.text and rambling not in outcome.text
    (verdict,) = decisions(events, "review")
    assert verdict.detail.verdict == "unreadable"
    assert plan_nodes(events)["review:1"].state == "failed"
    assert any(isinstance(e, Note) and "review 1" in e.text and e.level == "warning"
               for e in events)  # fmt: skip


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
    ids = ["t1", "t2"]
    assert read_verdicts('```json\n{"tasks": {"t1": "accept", "t2": {"verdict": "Revise",'
                         ' "feedback": "cite it"}}}\n```', ids) == {
        "t1": ("accept", ""), "t2": ("revise", "cite it")}  # fmt: skip
    assert read_verdicts("t1: ACCEPT\nt2 - reassign: wrong worker", ids) == {
        "t1": ("accept", ""), "t2": ("reassign", "wrong worker")}  # fmt: skip
    assert read_verdicts("Here is the answer", ids) is None
    assert read_verdicts('{"t1": "accept"}', ids) is None  # t2 has no verdict


async def test_cancel_while_workers_stream(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", supervisor())
    for alias in "ab":
        fake_server.script(f"model-{alias}", Reply(text="work " * 100, chunk_chars=5, delay=0.02))
    engine = make_engine(fake_server, presets())
    events = await run_and_cancel(engine, "sup", when=text_from("a", 2))
    await engine.aclose()
    assert_cancelled(events)
    assert plan_nodes(events)["task:t1"].state == "cancelled"
