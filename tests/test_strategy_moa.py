"""moa (mixture of agents) over the fake server: layers, anonymity, failures, the tree."""

from __future__ import annotations

import re
from typing import Any

import pytest
from mmchat_strategies.moa import MoaOptions

from mmchat.api import LayerDetail, Note
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
    user_text,
)

DRAFTS = {"a": "Alpha says Paris.", "b": "Beta says Paris, on the Seine.", "c": "Gamma says Lyon."}
BETTER = {"a": "Alpha, improved: Paris.", "b": "Beta, improved: Paris.", "c": "Gamma, now: Paris."}
AGGREGATE = "Several assistants answered"


def presets(**options: Any) -> dict[str, dict[str, Any]]:
    base = {"proposers": ["a", "b", "c"], "layers": 1, "aggregator": "big", "seed": 5}
    return {
        "moa": {"strategy": "moa", "options": {**base, **options}},
        "inner": {"strategy": "single", "options": {"model": "f"}},
        "broken": {"strategy": "single", "options": {"model": "g"}},
    }


def member(alias: str) -> Any:
    """A proposer's draft when asked the request; its improvement when aggregating."""
    return lambda body: BETTER[alias] if AGGREGATE in user_text(body) else DRAFTS[alias]


def script_members(server: FakeServer, aliases: str = "abc") -> None:
    for alias in aliases:
        server.script_fn(f"model-{alias}", member(alias))


def prompts_to(server: FakeServer, model: str) -> list[str]:
    return [user_text(r.json) for r in server.requests if r.model == model]


def shown_order(prompt: str, texts: dict[str, str]) -> list[str]:
    """Which members' texts a prompt shows, in the order it shows them."""
    found = [(prompt.find(text), alias) for alias, text in texts.items() if text in prompt]
    return [alias for _, alias in sorted(found)]


async def test_each_layer_sees_every_answer_of_the_one_before_anonymised(
    fake_server: FakeServer,
) -> None:
    script_members(fake_server)
    fake_server.script("model-big", "The final answer: Paris.")
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "moa", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "The final answer: Paris."
    roles = [(lane.model, lane.role) for lane in lanes(events)]
    assert roles[:3] == [("a", "proposer"), ("b", "proposer"), ("c", "proposer")]
    assert sorted(roles[3:6]) == [("a", "aggregator"), ("b", "aggregator"), ("c", "aggregator")]
    assert roles[6] == ("big", "synthesis")
    orders = []
    for alias in "abc":
        first, second = prompts_to(fake_server, f"model-{alias}")
        assert first == "Capital of France?"
        assert "Capital of France?" in second and "Response A" in second
        assert "Response C" in second and "Response D" not in second
        orders.append(shown_order(second, DRAFTS))
        assert sorted(orders[-1]) == ["a", "b", "c"]  # every draft, its own included
        assert "model-" not in second and not re.search(r"\b[abc]:", second)
    assert len({tuple(order) for order in orders}) > 1  # each reader its own shuffle
    (final,) = prompts_to(fake_server, "model-big")
    assert sorted(shown_order(final, BETTER)) == ["a", "b", "c"]
    assert not shown_order(final, DRAFTS)  # the aggregator sees the last layer only
    details = [d.detail for d in decisions(events, "moa-layer")]
    assert [(d.number, d.of, d.shown, d.shown_from) for d in details] == [
        (1, 3, 0, 0),
        (2, 3, 3, 1),
        (3, 3, 3, 2),
    ]
    assert isinstance(details[1], LayerDetail)
    assert details[1].lines()[0] == (
        "Layer 2 of 3: 3 aggregator(s), each shown the 3 answer(s) of layer 1 "
        "(anonymised, shuffled); 3 of 3 gave an answer."
    )
    assert details[2].lines() == [
        "Layer 3 of 3: big, shown the 3 answer(s) of layer 2 (anonymised, shuffled), "
        "wrote the answer."
    ]
    nodes = plan_nodes(events)
    assert nodes["moa"].state == "done"
    assert nodes["layer:1"].label == "layer 1 · proposers" and nodes["layer:2"].state == "done"
    assert [nodes[f"layer:2:{i}"].parent for i in range(3)] == ["layer:2"] * 3
    by_lane = {lane.lane: lane for lane in lanes(events)}
    assert by_lane[nodes["layer:1:1"].lane or ""].model == "b"  # a node shows its lane
    assert by_lane[nodes["aggregate"].lane or ""].role == "synthesis"
    assert outcome.text not in {*DRAFTS.values(), *BETTER.values()}


async def test_a_failed_proposer_is_left_out_and_named(fake_server: FakeServer) -> None:
    script_members(fake_server, "ac")
    fake_server.script("model-b", Reply(status=500, error_message="b is down"))
    fake_server.script("model-d", "Delta, improved: Paris.")
    fake_server.script("model-big", "Paris.")
    engine = make_engine(fake_server, presets(layers=[["d"]]))
    outcome, events = await run(engine, "moa", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "Paris."
    (layer_d,) = prompts_to(fake_server, "model-d")
    assert shown_order(layer_d, DRAFTS) in (["a", "c"], ["c", "a"])
    first = decisions(events, "moa-layer")[0].detail
    assert isinstance(first, LayerDetail)
    assert [m.status for m in first.members] == ["done", "failed", "done"]
    assert first.lines()[0].endswith("2 of 3 gave an answer.")
    assert first.lines()[1].startswith("Failed, so left out: b (") and "500" in first.lines()[1]
    assert plan_nodes(events)["layer:1:1"].state == "failed"
    (big,) = prompts_to(fake_server, "model-big")
    assert "Delta, improved" in big and "Alpha says" not in big


async def test_a_layer_that_gives_nothing_passes_the_one_before_on(
    fake_server: FakeServer,
) -> None:
    script_members(fake_server)
    fake_server.script("model-d", Reply(status=500))
    fake_server.script("model-e", Reply(text="x", cut_after=0))
    fake_server.script("model-big", "Paris.")
    engine = make_engine(fake_server, presets(layers=[["d", "e"]]))
    outcome, events = await run(engine, "moa", "Capital of France?")
    await engine.aclose()
    assert outcome.text == "Paris."
    layer2, final = (d.detail for d in decisions(events, "moa-layer")[1:])
    assert isinstance(layer2, LayerDetail) and isinstance(final, LayerDetail)
    assert layer2.fallback == "Layer 2 gave no answer: the next layer sees layer 1's."
    assert final.shown_from == 1 and final.shown == 3
    assert plan_nodes(events)["layer:2"].state == "failed"
    (big,) = prompts_to(fake_server, "model-big")
    assert sorted(shown_order(big, DRAFTS)) == ["a", "b", "c"]


async def test_without_the_aggregator_the_most_agreed_answer_is_kept(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", "The answer is 42.")
    fake_server.script("model-b", "It is 42.")
    fake_server.script("model-c", "41, I think.")
    fake_server.script("model-big", Reply(status=503, error_message="overloaded"))
    engine = make_engine(fake_server, presets(layers=0))
    outcome, events = await run(engine, "moa", "What is 6 times 7?")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text in ("The answer is 42.", "It is 42.")
    final = decisions(events, "moa-layer")[-1]
    assert final.summary == "the aggregator failed"
    assert isinstance(final.detail, LayerDetail) and final.detail.of == 2
    assert "most of layer 1 agreed on" in final.detail.fallback
    assert final.detail.lines()[0].endswith("(anonymised, shuffled), gave no answer.")
    assert final.detail.lines()[1].startswith("Failed: big (") and "503" in final.detail.lines()[1]
    assert any(isinstance(e, Note) and e.level == "warning" and "keeping" in e.text
               for e in events)  # fmt: skip
    assert plan_nodes(events)["aggregate"].state == "failed"


async def test_no_proposer_answering_fails_the_turn_with_the_reasons(
    fake_server: FakeServer,
) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(status=401))
    engine = make_engine(fake_server, presets())
    outcome, events = await run(engine, "moa")
    await engine.aclose()
    assert outcome.status == "failed" and "no proposer answered" in (outcome.error or "")
    assert "a:" in (outcome.error or "")
    assert not any(lane.role == "aggregator" for lane in lanes(events))
    assert plan_nodes(events)["moa"].state == "failed"


async def test_a_preset_proposes_and_a_broken_one_is_a_failed_member(
    fake_server: FakeServer,
) -> None:
    script_members(fake_server, "a")
    fake_server.script("model-f", "Foxtrot says Paris.")
    fake_server.script("model-g", Reply(status=500))
    fake_server.script("model-big", "Paris.")
    options = {"proposers": ["a"], "proposer_presets": ["inner", "broken"], "layers": 0}
    engine = make_engine(fake_server, presets(**options))
    outcome, events = await run(engine, "moa", "Capital of France?")
    await engine.aclose()
    assert outcome.text == "Paris."
    (big,) = prompts_to(fake_server, "model-big")
    assert "Foxtrot says Paris." in big and "Alpha says Paris." in big
    first = decisions(events, "moa-layer")[0].detail
    assert isinstance(first, LayerDetail)
    assert [(m.model, m.status) for m in first.members] == [
        ("a", "done"),
        ("preset inner", "done"),
        ("preset broken", "failed"),
    ]
    inner = next(lane for lane in lanes(events) if lane.model == "f")
    assert inner.parent == "layer:1:1"  # the preset's lane hangs under its member node


async def test_cancel_mid_turn(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", Reply(text="slow draft " * 80, delay=0.02))
    engine = make_engine(fake_server, presets())
    events = await run_and_cancel(engine, "moa")
    await engine.aclose()
    assert_cancelled(events)
    assert not decisions(events, "moa-layer")
    assert all(r.model != "model-big" for r in fake_server.requests)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layers": 5}, "0 to 4 aggregation layers"),
        ({"layers": [[]]}, "each layer needs 1 to 8 models"),
        ({"proposers": [], "layers": 1}, "needs at least one proposer"),
        ({"proposers": [], "proposer_presets": ["inner"], "layers": 2}, "reuses the proposers"),
    ],
)
def test_options_say_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MoaOptions.model_validate(options)
