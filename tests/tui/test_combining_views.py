"""The views of the strategies that combine answers: moa's layer tree, the council's
ranking table, the debate's rounds."""

from __future__ import annotations

from typing import Any

from mmchat import paths
from mmchat.history.store import Store
from mmchat.plugins import discover
from mmchat.tui.app import MMChatApp, make_app
from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.decision_list import DecisionList
from mmchat.tui.widgets.plan_tree import PlanTree
from mmchat.tui.widgets.tally_view import TallyView
from tests.fakeserver import FakeServer, Reply
from tests.harness import make_config, user_text
from tests.tui.conftest import idle, send, wait_for

PRESETS: dict[str, dict[str, Any]] = {
    "moa": {
        "strategy": "moa",
        "options": {"proposers": ["a", "b"], "layers": 1, "aggregator": "big", "seed": 1},
    },
    "council": {"strategy": "council", "options": {"models": ["a", "b", "c"], "chair": "big"}},
    "debate": {
        "strategy": "debate",
        "options": {"models": ["a", "b", "c"], "arbiter": "big", "max_rounds": 3},
    },
}


def build(server: FakeServer, preset: str) -> MMChatApp:
    presets = {preset: PRESETS[preset], **{k: v for k, v in PRESETS.items() if k != preset}}
    return make_app(
        loaded=make_config(server, presets),
        store=Store.open(paths.db_file()),
        registry=discover([]),
        onboarding=False,
        hide_timings=True,
    )


def decision_text(message: AssistantMessage) -> str:
    return "\n".join(str(s.render()) for s in message.query_one(DecisionList).children)


def tree_labels(tree: PlanTree) -> dict[str, str]:
    return {node_id: str(node.label) for node_id, node in tree._tree_nodes.items()}


async def test_moa_shows_its_layers_as_a_tree(fake_server: FakeServer) -> None:
    for alias in "ab":
        fake_server.script_fn(
            f"model-{alias}",
            lambda body, alias=alias: (
                f"better from {alias}"
                if "Several assistants" in user_text(body)
                else f"draft from {alias}"
            ),
        )
    fake_server.script("model-b", Reply(status=500, error_message="b fell over"))
    fake_server.script("model-big", "The **final** answer.")
    app = build(fake_server, "moa")
    async with app.run_test(size=(120, 50)) as pilot:
        await send(pilot, "capital of France?")
        await wait_for(pilot, idle(app))
        message = app.screen.query_one(AssistantMessage)
        tree = message.query_one(PlanTree)
        labels = tree_labels(tree)
        assert "layer 1 · proposers" in labels["layer:1"] and "[layer]" in labels["layer:1"]
        assert "layer 2 · aggregators" in labels["layer:2"]
        assert labels["layer:1:0"].startswith("● a") and labels["layer:1:1"].startswith("✗ b")
        assert "aggregator · big" in labels["aggregate"]
        assert all("running" not in label for label in labels.values())
        assert tree._tree_nodes["layer:1:0"].parent is tree._tree_nodes["layer:1"]
        tree.plan.select_node(tree._tree_nodes["layer:2:0"])
        await pilot.pause()
        assert tree._output.source == "better from a"  # a node shows its member's text
        shown = decision_text(message)
        assert "moa-layer: layer 1: 1 of 2 proposers answered" in shown
        assert "Failed, so left out: b" in shown and "shown the 1 answer(s) of layer 1" in shown
        assert message.text == "The **final** answer."
        assert message.answer.markdown.display  # the aggregator's answer is the message


async def test_a_preset_proposer_stays_in_its_tree_node(fake_server: FakeServer) -> None:
    """A preset run as a member answers with an 'answer' lane under its node: that lane
    belongs to the node (select it to read it), not to the message's answer."""
    fake_server.script_fn(
        "model-a",
        lambda body: "better" if "Several assistants" in user_text(body) else "draft from a",
    )
    fake_server.script("model-c", "draft from the preset")
    fake_server.script("model-big", "The final answer.")
    moa = {
        "strategy": "moa",
        "options": {
            "proposers": ["a"],
            "proposer_presets": ["solo"],
            "layers": 0,
            "aggregator": "big",
            "seed": 1,
        },
    }
    solo = {"strategy": "single", "options": {"model": "c"}}  # fmt: skip
    app = make_app(
        loaded=make_config(fake_server, {"moa": moa, "solo": solo}),
        store=Store.open(paths.db_file()),
        registry=discover([]),
        onboarding=False,
        hide_timings=True,
    )
    async with app.run_test(size=(120, 50)) as pilot:
        await send(pilot, "capital of France?")
        await wait_for(pilot, idle(app))
        message = app.screen.query_one(AssistantMessage)
        assert message.text == "The final answer."
        assert not message._stages.display  # no proposer was taken for the answer
        tree = message.query_one(PlanTree)
        solo_node = next(n for n, label in tree_labels(tree).items() if "solo" in label)
        tree.plan.select_node(tree._tree_nodes[solo_node])
        await pilot.pause()
        assert tree._output.source == "draft from the preset"


async def test_council_shows_its_ranking_table(fake_server: FakeServer) -> None:
    answers = {"a": "Paris.", "b": "Paris, on the Seine.", "c": "Lyon."}

    def member(alias: str) -> Any:
        def reply(body: dict[str, Any]) -> str:
            prompt = user_text(body)
            if "FINAL RANKING" not in prompt:
                return answers[alias]
            # rank by length, longest first: b > a > c
            shown = {text: label for label, text in _shown(prompt)}
            order = sorted(shown, key=len, reverse=True)
            return "FINAL RANKING:\n" + "\n".join(
                f"{n}. Response {shown[text]}" for n, text in enumerate(order, 1)
            )

        return reply

    for alias in "abc":
        fake_server.script_fn(f"model-{alias}", member(alias))
    fake_server.script("model-big", "The council: Paris.")
    app = build(fake_server, "council")
    async with app.run_test(size=(120, 50)) as pilot:
        await send(pilot, "capital of France?")
        await wait_for(pilot, idle(app))
        message = app.screen.query_one(AssistantMessage)
        tally = message.query_one(TallyView)
        titles = [str(m.title) for m in tally.members.values()]
        assert len(titles) == 7 and sum("ranker · " in t for t in titles) == 3
        assert any("chair · big" in t for t in titles)
        table = str(tally._ranks.render())
        lines = table.splitlines()
        assert lines[0].startswith("council: b ranked best (mean rank 1)")
        assert lines[1].split() == ["answer", "mean", "rank", "Borda", "rankings"]
        assert lines[2].split() == ["★", "b", "1.00", "2", "2"]
        assert lines[3].split()[:2] == ["a", "1.50"] and lines[4].split()[:2] == ["c", "2.00"]
        assert "a ranked b > c" in table and "the chair, big, writes the answer" in table
        assert message.text == "The council: Paris."
        assert "council" not in decision_text(message)  # drawn by the tally, not the list


def _shown(prompt: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r"Response ([A-Z]):\n(.+)", prompt)


async def test_debate_shows_its_rounds(fake_server: FakeServer) -> None:
    def debater(first: str, then: str) -> Any:
        return lambda body: then if "Your previous answer" in user_text(body) else first

    fake_server.script_fn("model-a", debater("Answer: 40", "Answer: 42"))
    fake_server.script_fn("model-b", debater("Answer: 42", "Answer: 42"))
    fake_server.script("model-c", Reply(status=503, error_message="c is busy"))
    fake_server.script("model-big", "Not sure.\nConfidence: 0.4", "It is 42.\nConfidence: 0.9")
    app = build(fake_server, "debate")
    async with app.run_test(size=(120, 50)) as pilot:
        await send(pilot, "6 times 7?")
        await wait_for(pilot, idle(app))
        message = app.screen.query_one(AssistantMessage)
        labels = tree_labels(message.query_one(PlanTree))
        assert "round 1" in labels["round:1"] and "round 2" in labels["round:2"]
        assert labels["round:1:2"].startswith("✗ c")
        assert "arbiter · big: confidence 0.4" in labels["round:1:arbiter"]
        assert "arbiter · big: confidence 0.9" in labels["round:2:arbiter"]
        assert "round:3" not in labels
        shown = decision_text(message)
        assert "debate-round: round 1: another round — agreement 33% < 67%" in shown
        assert "debate-round: round 2: stop — 2 of 3 agree (67%)" in shown
        assert "The arbiter big says it is 0.4 sure (stop at 0.8)." in shown
        assert "Not counted: c (" in shown
        assert message.text == "It is 42."
