"""router over the fake server: rules, LLM classification, defaults, fallbacks."""

from __future__ import annotations

import math
from typing import Any

from mmchat.api import Note
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import (
    assert_cancelled,
    decisions,
    lanes,
    make_engine,
    run,
    run_and_cancel,
    text_from,
)

ROUTES = {"code": "b", "math": "c", "creative": "d", "general": "e"}


def presets(**options: Any) -> dict[str, dict[str, Any]]:
    return {
        "route": {
            "strategy": "router",
            "options": {"classifier": "a", "routes": ROUTES, **options},
        },
        "inner": {"strategy": "single", "options": {"model": "f"}},
    }


async def test_rule_picks_the_specialist_without_a_classifier(fake_server: FakeServer) -> None:
    fake_server.script("model-b", "def f(): pass")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "route", "Write a Python function to reverse a list")
    await engine.aclose()
    assert outcome.text == "def f(): pass"
    assert [lane.model for lane in lanes(events)] == ["b"]
    (route,) = decisions(events, "route")
    assert route.detail.route == "code" and route.detail.target == "b"
    assert route.detail.source == "rule" and route.detail.reason.startswith("the keyword")
    assert route.detail.scores["code"] >= 1


NO_EXAMPLES = {"deciders": ["rules", "classifier"]}


async def test_llm_classifier_when_no_rule_fires(fake_server: FakeServer) -> None:
    fake_server.script("model-a", '{"choice": "creative"}')
    fake_server.script("model-d", "Once upon a time")
    engine = make_engine(fake_server, presets(**NO_EXAMPLES))
    outcome, events = await run(engine, "route", "Tell me about a dragon who hoards books")
    await engine.aclose()
    assert outcome.text == "Once upon a time"
    classifier = fake_server.requests[0].json
    assert "code, math, creative, general" in classifier["messages"][-1]["content"]
    # held to the route names by a JSON schema, with log-probabilities asked for
    schema = classifier["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["choice"]["enum"] == ["code", "math", "creative", "general"]
    assert classifier["logprobs"] is True and classifier["top_logprobs"] >= 2
    (route,) = decisions(events, "route")
    assert route.detail.route == "creative" and route.detail.source == "classifier"
    assert route.detail.confidence is not None and route.detail.confidence > 0.99
    assert [lane.role for lane in lanes(events)] == ["classifier", "answer"]


async def test_an_unsure_classifier_takes_the_default_and_says_why(
    fake_server: FakeServer,
) -> None:
    # The token where the choice starts: "math" at 40 %, with creative and code close.
    rivals = {"creative": math.log(0.35), "code": math.log(0.25)}
    chunks = ['{"choice": "', "math", '"}']
    logprobs = [(0.0, {}), (math.log(0.4), rivals), (0.0, {})]
    fake_server.script("model-a", Reply(chunks=chunks, logprobs=logprobs))
    fake_server.script("model-e", "general answer")
    engine = make_engine(fake_server, presets(**NO_EXAMPLES))
    outcome, events = await run(engine, "route", "Tell me about dragons")
    await engine.aclose()
    assert outcome.text == "general answer"
    route = decisions(events, "route")[0].detail
    assert route.source == "default" and route.route == "general"
    assert "the classifier said 'math' but only 36% sure (needs 70%)" in route.reason


async def test_a_route_described_by_examples(fake_server: FakeServer) -> None:
    fake_server.script("model-c", "use a 30-60-90 rule")
    examples = {"math": ["how many tiles do I need for my kitchen floor"], "general": ["hi"]}
    engine = make_engine(fake_server, presets(examples=examples, deciders=["examples"]))
    _, events = await run(engine, "route", "How many tiles do I need for the bathroom floor?")
    await engine.aclose()
    route = decisions(events, "route")[0].detail
    assert route.route == "math" and route.source == "examples"
    assert "how many tiles do I need for my kitchen floor" in route.reason
    assert [lane.model for lane in lanes(events)] == ["c"]  # no classifier call


async def test_unparseable_or_failed_classifier_takes_the_default(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "I am not sure, sorry.")
    fake_server.script("model-e", "general answer")
    engine = make_engine(fake_server, presets(**NO_EXAMPLES))
    outcome, events = await run(engine, "route", "Tell me about dragons")
    assert outcome.text == "general answer"
    route = decisions(events, "route")[0].detail
    assert route.source == "default" and "the classifier said 'I am not sure" in route.reason
    fake_server.script("model-a", Reply(status=500))
    outcome, events = await run(engine, "route", "Tell me about dragons")
    await engine.aclose()
    assert outcome.text == "general answer"
    route = decisions(events, "route")[0].detail
    assert route.source == "default" and "the classifier failed" in route.reason


async def test_failed_specialist_falls_back(fake_server: FakeServer) -> None:
    fake_server.script("model-c", Reply(status=500, error_message="down"))
    fake_server.script("model-g", "fallback says 4")
    engine = make_engine(fake_server, presets(fallback="g"))
    outcome, events = await run(engine, "route", "What is 2 + 2?")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "fallback says 4"
    assert [(lane.model, lane.closed and lane.closed.status) for lane in lanes(events)] == [
        ("c", "failed"),
        ("g", "done"),
    ]
    assert any(isinstance(e, Note) and "falling back to g" in e.text for e in events)


async def test_route_to_a_preset_and_rules_only_mode(fake_server: FakeServer) -> None:
    fake_server.script("model-f", "from the inner preset")
    engine = make_engine(fake_server, presets(route_presets={"math": "inner"}, mode="rules"))
    outcome, events = await run(engine, "route", "Solve for x: 2x = 10")
    assert outcome.text == "from the inner preset"
    assert decisions(events, "route")[0].detail.target == "preset inner"
    outcome, events = await run(engine, "route", "Tell me about dragons")
    await engine.aclose()
    assert [lane.model for lane in lanes(events)] == ["e"]  # no classifier in rules mode
    route = decisions(events, "route")[0].detail
    assert route.source == "default" and route.reason == "no rule fired"


async def test_bad_options_are_reported_by_validation(fake_server: FakeServer) -> None:
    engine = make_engine(fake_server, presets(default="nowhere", rules={"code": ["(unclosed"]}))
    problems = engine.validate_presets()
    await engine.aclose()
    assert len(problems) == 1 and "default 'nowhere' is not a route" in problems[0]


async def test_cancel_while_the_specialist_streams(fake_server: FakeServer) -> None:
    fake_server.script("model-b", Reply(text="code " * 200, chunk_chars=5, delay=0.02))
    engine = make_engine(fake_server, presets())
    events = await run_and_cancel(engine, "route", "debug my python", when=text_from("b", 2))
    await engine.aclose()
    assert_cancelled(events)


async def test_a_user_re_route_is_kept_and_taught_back_as_an_example(
    fake_server: FakeServer, tmp_path: Any
) -> None:
    fake_server.script("model-c", "the maths answer")
    fake_server.script("model-e", "the general answer")
    only_examples = presets(examples={"general": ["hello there"]}, deciders=["examples"])
    engine = make_engine(fake_server, only_examples, store_path=tmp_path / "h.db")
    request = "How many tiles for a 3 by 4 metre floor?"
    outcome, events = await run(engine, "route", request, hints={"route": "math"})
    assert outcome.text == "the maths answer"
    route = decisions(events, "route")[0].detail
    assert route.source == "user" and route.route == "math"
    assert engine.learned("route") == [(request, "math")]  # stored with the turn
    # Next time a close request comes, the correction is an example of the math route.
    outcome, events = await run(engine, "route", "How many tiles for a 3 by 5 metre floor?")
    await engine.aclose()
    route = decisions(events, "route")[0].detail
    assert route.source == "examples" and route.route == "math"
    assert request in route.reason
    assert set(route.routes) >= {"math", "general"}  # what a user may re-route to


async def test_an_unknown_re_route_is_said_and_the_router_decides(fake_server: FakeServer) -> None:
    fake_server.script("model-c", "the maths answer")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "route", "solve 3x + 7 = 22", hints={"route": "maths"})
    assert outcome.status == "complete"
    await engine.aclose()
    notes = [e.text for e in events if isinstance(e, Note) and e.level == "warning"]
    assert notes and notes[0].startswith("there is no route 'maths' (routes: ")
    assert decisions(events, "route")[0].detail.source != "user"
