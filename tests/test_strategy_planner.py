"""planner over the fake server: plans, parallel steps, failures, approval, the tree."""

from __future__ import annotations

import json
from typing import Any

from mmchat_strategies.plans import parse_plan, to_steps, validate

from mmchat.api import LaneClosed, LaneOpened, Note
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

PLAN = [
    {"id": "s1", "title": "Find facts", "type": "search", "prompt": "facts", "depends_on": []},
    {"id": "s2", "title": "Do sums", "type": "math", "prompt": "sums", "depends_on": []},
    {
        "id": "s3",
        "title": "Write up",
        "type": "writing",
        "prompt": "write",
        "depends_on": ["s1", "s2"],
    },
]
PRESETS = {
    "plan": {
        "strategy": "planner",
        "options": {"planner": "big", "executors": {"search": "a", "math": "b", "default": "c"}},
    }
}


def planner_script(plan_reply: str, final: str = "the synthesis") -> Any:
    def reply(body: dict[str, Any]) -> str:
        return plan_reply if "JSON array" in user_text(body) else final

    return reply


async def test_independent_steps_run_in_parallel_then_synthesis(fake_server: FakeServer) -> None:
    fake_server.script_fn(
        "model-big", planner_script("Here:\n```json\n" + json.dumps(PLAN) + "\n```")
    )
    fake_server.script("model-a", Reply(text="fact result", delay=0.05))
    fake_server.script("model-b", Reply(text="sum result", delay=0.05))
    fake_server.script("model-c", "written up")
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "plan", "report please")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "the synthesis"
    order = [(type(e).__name__, e.lane) for e in events if isinstance(e, (LaneOpened, LaneClosed))]
    roles = {lane.lane: (lane.model, lane.role) for lane in lanes(events)}
    step_events = [(kind, roles[lane][0]) for kind, lane in order if roles[lane][1] == "step"]
    assert step_events[:2] == [("LaneOpened", "a"), ("LaneOpened", "b")]  # both before a close
    assert step_events[-2:] == [("LaneOpened", "c"), ("LaneClosed", "c")]  # s3 waits for both
    s3 = next(user_text(r.json) for r in fake_server.requests if r.model == "model-c")
    assert "fact result" in s3 and "sum result" in s3
    nodes = plan_nodes(events)
    assert nodes["plan"].state == "done" and nodes["plan"].kind == "plan"
    assert {nodes[f"step:s{i}"].state for i in (1, 2, 3)} == {"done"}
    assert nodes["step:s2"].kind == "math" and nodes["step:s2"].parent == "plan"
    assert nodes["step:s1"].lane == next(lane.lane for lane in lanes(events) if lane.model == "a")
    assert nodes["synthesis"].state == "done"
    step_lanes = [lane for lane in lanes(events) if lane.role == "step"]
    assert {lane.parent for lane in step_lanes} == {"step:s1", "step:s2", "step:s3"}
    (plan,) = decisions(events, "plan")
    assert plan.detail.source == "json" and len(plan.detail.steps) == 3


async def test_failed_step_skips_its_dependents_and_synthesis_is_told(
    fake_server: FakeServer,
) -> None:
    fake_server.script_fn("model-big", planner_script(json.dumps(PLAN)))
    fake_server.script("model-a", Reply(status=500))
    fake_server.script("model-b", "sum result")
    presets = {"plan": {**PRESETS["plan"], "options": {**PRESETS["plan"]["options"],
                                                        "replan": False}}}  # fmt: skip
    engine = make_engine(fake_server, presets)
    outcome, events = await run(engine, "plan")
    await engine.aclose()
    assert outcome.status == "complete"
    nodes = plan_nodes(events)
    assert nodes["step:s1"].state == "failed" and nodes["step:s3"].state == "skipped"
    assert not any(r.model == "model-c" for r in fake_server.requests)
    synthesis = user_text([r.json for r in fake_server.requests if r.model == "model-big"][-1])
    assert "s1 (Find facts): failed" in synthesis and "s3 (Write up): skipped" in synthesis
    assert "sum result" in synthesis
    assert any(isinstance(e, Note) and "without s1 (failed), s3 (skipped)" in e.text
               for e in events)  # fmt: skip


async def test_a_failed_step_is_replanned_once(fake_server: FakeServer) -> None:
    replan = [{"id": "r1", "title": "Find facts elsewhere", "type": "general",
               "prompt": "look in the almanac", "depends_on": []},
              {"id": "r2", "title": "Write up again", "type": "writing",
               "prompt": "write with the facts", "depends_on": ["r1", "s2"]}]  # fmt: skip

    def big(body: dict[str, Any]) -> str:
        prompt = user_text(body)
        if "some steps failed" in prompt:
            return json.dumps(replan)
        return json.dumps(PLAN) if "JSON array" in prompt else "the synthesis"

    fake_server.script_fn("model-big", big)
    fake_server.script("model-a", Reply(status=500))
    fake_server.script("model-b", "sum result")
    fake_server.script("model-c", "almanac facts", "final write-up")
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "plan")
    await engine.aclose()
    assert outcome.text == "the synthesis"
    replanned = next(user_text(r.json) for r in fake_server.requests
                     if "some steps failed" in user_text(r.json))  # fmt: skip
    assert "s1 (failed)" in replanned and "sum result" in replanned
    nodes = plan_nodes(events)
    assert nodes["replan"].state == "done"
    assert nodes["step:r1"].state == nodes["step:r2"].state == "done"
    r2 = [user_text(r.json) for r in fake_server.requests if r.model == "model-c"][-1]
    assert "almanac facts" in r2 and "sum result" in r2  # a new step builds on an old one
    plans = decisions(events, "plan")
    assert [p.detail.source for p in plans] == ["json", "replan"]
    assert sum("some steps failed" in user_text(r.json) for r in fake_server.requests) == 1


async def test_placeholder_titles_repeats_and_bad_dependencies_are_fixed(
    fake_server: FakeServer,
) -> None:
    copied = [
        {"id": "s1", "title": "short title", "type": "search",
         "prompt": "collect the dates of every moon landing", "depends_on": ["s9"]},
        {"id": "s2", "title": "short title", "type": "general",
         "prompt": "complete instructions for whoever does this step", "depends_on": []},
        {"id": "s3", "title": "short title", "type": "search",
         "prompt": "collect the dates of every moon landing", "depends_on": []},
        {"id": "s4", "title": "Sum the crews", "type": "math", "prompt": "add up the crews",
         "depends_on": ["s3", "s4"]},
    ]  # fmt: skip
    fake_server.script_fn("model-big", planner_script(json.dumps(copied)))
    engine = make_engine(fake_server, PRESETS)
    _, events = await run(engine, "plan", "moon landings")
    await engine.aclose()
    (plan,) = decisions(events, "plan")
    assert [(s.id, s.title, s.depends_on) for s in plan.detail.steps] == [
        ("s1", "collect the dates of every moon landing", ()),
        ("s4", "Sum the crews", ("s1",)),  # s3 was s1 again: the dependency follows it
    ]
    fixes = " | ".join(plan.detail.problems)
    assert "s1's title 'short title' was a placeholder" in fixes
    assert "s2 said nothing of its own" in fixes and "s3 repeated s1" in fixes
    assert "s1 depended on s9" in fixes
    assert all(n.label != "short title" for n in plan_nodes(events).values())


async def test_unparseable_plan_runs_as_one_step(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", planner_script("I would just answer it."))
    fake_server.script("model-c", "direct answer")
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "plan")
    await engine.aclose()
    assert outcome.text == "direct answer"
    assert any(isinstance(e, Note) and "one step" in e.text for e in events)
    assert decisions(events, "plan")[0].detail.source == "fallback"
    assert plan_nodes(events)["synthesis"].state == "skipped"  # no extra call for one step


async def test_plan_review_edits_and_rejects(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", planner_script(json.dumps(PLAN)))
    seen: list[Any] = []

    async def keep_first_two(kind: str, payload: Any) -> Any:
        seen.append((kind, payload))
        return payload[:2]

    presets = {
        "plan": {**PRESETS["plan"], "options": {**PRESETS["plan"]["options"], "approve": True}}
    }
    engine = make_engine(fake_server, presets)
    outcome, events = await run(engine, "plan", review=keep_first_two)
    assert outcome.status == "complete"
    assert seen[0][0] == "plan" and [s["id"] for s in seen[0][1]] == ["s1", "s2", "s3"]
    assert "step:s3" not in plan_nodes(events)

    async def reject(kind: str, payload: Any) -> Any:
        return None

    outcome, _ = await run(engine, "plan", review=reject)
    await engine.aclose()
    assert outcome.status == "failed" and outcome.error == "plan rejected"


def test_parse_plan_is_lenient() -> None:
    steps, how = parse_plan(
        '{"steps": [{"title": "look up", "type": "CODE", "depends_on": ["zz"]},]}', "q"
    )
    steps, _ = validate(steps, 6)
    assert how == "json" and steps[0].type == "code" and steps[0].depends_on == []
    steps, how = parse_plan("1. Look it up\n2) Add numbers\n3. Write it", "q")
    assert how == "list" and [s.title for s in steps] == ["Look it up", "Add numbers", "Write it"]
    steps, how = parse_plan("nothing", "the request")
    assert how == "fallback" and steps[0].prompt == "the request"
    steps, fixed = validate(to_steps([{"title": f"step {i}", "prompt": f"p{i}"} for i in
                                      range(9)], "q"), 3)  # fmt: skip
    assert len(steps) == 3 and "6 step(s) over the limit of 3 dropped" in fixed


async def test_cancel_while_steps_run(fake_server: FakeServer) -> None:
    fake_server.script_fn("model-big", planner_script(json.dumps(PLAN)))
    for alias in "ab":
        fake_server.script(f"model-{alias}", Reply(text="step " * 100, chunk_chars=5, delay=0.02))
    engine = make_engine(fake_server, PRESETS)
    events = await run_and_cancel(engine, "plan", when=text_from("a", 2))
    await engine.aclose()
    assert_cancelled(events)
    assert plan_nodes(events)["step:s1"].state == "cancelled"
