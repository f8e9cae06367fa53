"""router over the fake server: rules, LLM classification, defaults, fallbacks."""

from __future__ import annotations

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


async def test_llm_classifier_when_no_rule_fires(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "Category: **Creative**.")
    fake_server.script("model-d", "Once upon a time")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "route", "Tell me about a dragon who hoards books")
    await engine.aclose()
    assert outcome.text == "Once upon a time"
    classifier = fake_server.requests[0].json
    prompt = classifier["messages"][-1]["content"]
    assert "code, math, creative, general" in prompt
    (route,) = decisions(events, "route")
    assert route.detail.route == "creative"
    assert route.detail.source == "classifier" and route.detail.reason == "it said 'creative'"
    assert [lane.role for lane in lanes(events)] == ["classifier", "answer"]


async def test_unparseable_or_failed_classifier_takes_the_default(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "I am not sure, sorry.")
    fake_server.script("model-e", "general answer")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "route", "Tell me about dragons")
    assert outcome.text == "general answer"
    route = decisions(events, "route")[0].detail
    assert route.source == "default" and route.reason.startswith("the classifier said")
    fake_server.script("model-a", Reply(status=500))
    outcome, events = await run(engine, "route", "Tell me about dragons")
    await engine.aclose()
    assert outcome.text == "general answer"
    route = decisions(events, "route")[0].detail
    assert route.source == "default" and route.reason.startswith("the classifier failed")


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
