"""Strategy views: fan-out panes, tally, router badge, plan tree, plan review."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.widgets import TextArea

from mmchat.api import CustomDetail, Decision, DecisionDetail, Tally, VoteDetail
from mmchat.tui.screens.plan_review import PlanReviewScreen
from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.decision_list import DecisionList
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.plan_tree import PlanTree
from mmchat.tui.widgets.route_badge import RouteBadge
from mmchat.tui.widgets.tally_view import TallyView
from tests.fakeserver import FakeServer, Reply
from tests.tui.conftest import build_app, idle, send, wait_for

pytestmark = pytest.mark.usefixtures("markdown_mode")  # lean and stock Markdown

PLAN = json.dumps(
    [
        {"id": "s1", "title": "find the facts", "type": "search"},
        {"id": "s2", "title": "do the sums", "type": "math"},
    ]
)


async def test_fanout_panes_stream_fail_and_pick(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_server.script("model-a", Reply(text="answer from a", delay=0.01))
    fake_server.script("model-b", Reply(text="answer from b", delay=0.01))
    fake_server.script("model-c", Reply(status=500, error_message="backend exploded"))
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(150, 45)) as pilot:
        await send(pilot, "compare please")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        panes = {p.info.model: p for p in app.screen.query(LanePane)}
        assert set(panes) == {"a", "b", "c"}
        assert panes["a"].text == "answer from a" and panes["a"].info.status == "done"
        failed = panes["c"]
        assert failed.info.status == "failed"
        assert failed.info.error and "500" in failed.info.error
        assert "500" in str(failed._error.render())
        # a click on pane b picks its answer to continue with
        notes: list[str] = []
        monkeypatch.setattr(app, "notify", lambda message, **_: notes.append(message))
        await pilot.click(panes["b"])
        await pilot.pause()
        assert notes[-1] == "Continuing with b's answer."  # the pane's name, not a lane id
        reply = app.screen.query_one(AssistantMessage)
        assert reply.chosen_lane == panes["b"].lane and panes["b"].chosen
        borders = {model: pane.styles.border_top[0] for model, pane in panes.items()}
        assert borders["b"] == "double" and borders["a"] != "double"  # what marks it
        chat = app.chat_screen
        assert chat is not None
        assert chat.controller.records[-1].answer == "answer from b"
        assert app.store is not None and reply.message_id is not None
        stored = app.store.get_message(reply.message_id)
        assert stored is not None and stored.chosen_lane == panes["b"].lane
        # keyboard: tab moves from pane to pane
        panes["a"].focus()
        await pilot.press("tab")
        assert app.focused is panes["b"]
        # keyboard: focus pane a and press enter
        panes["a"].focus()
        await pilot.press("enter")
        await pilot.pause()
        assert reply.chosen_lane == panes["a"].lane
        assert panes["a"].styles.border_top[0] == "double"
        assert panes["b"].styles.border_top[0] != "double"  # the mark moved


async def test_voting_shows_tally(fake_server: FakeServer) -> None:
    for model in ("model-a", "model-b"):
        fake_server.script(model, "42")
    fake_server.script("model-c", "41")
    app = build_app(fake_server, preset="vote")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "6 times 7?")
        await wait_for(pilot, idle(app))
        tally = app.screen.query_one(TallyView)
        assert set(tally.members) and len(tally.members) == 3
        summary = str(tally._summary.render())
        assert "agreement" in summary and "2 × 42" in summary
        assert app.screen.query_one(AssistantMessage).text == "42"


async def test_consensus_escalation_is_visible(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "red")
    fake_server.script("model-b", "blue")
    fake_server.script("model-c", "green")
    fake_server.script("model-big", "the big model says purple")
    app = build_app(fake_server, preset="agree")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "favourite colour?")
        await wait_for(pilot, idle(app))
        tally = app.screen.query_one(TallyView)
        assert "threshold" in str(tally._summary.render())
        assert "escalated" in str(tally._escalation.render())
        assert app.screen.query_one(AssistantMessage).text == "the big model says purple"


async def test_router_badge(fake_server: FakeServer) -> None:
    fake_server.script("model-judge", "code")
    fake_server.script("model-a", "def f(): pass")
    app = build_app(fake_server, preset="route")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello there")
        await wait_for(pilot, idle(app))
        badge = app.screen.query_one(RouteBadge)
        assert "code" in badge.title and "a" in badge.title
        badge.collapsed = False
        await pilot.pause()
        detail = str(badge._detail_widget.render())
        assert "Routed to code (a): the classifier chose it" in detail
        reply = app.screen.query_one(AssistantMessage)
        assert reply.text == "def f(): pass"
        assert "classifier" in str(reply._stages.children[0].title)


async def test_re_route_sends_the_last_question_down_the_route_picked(
    fake_server: FakeServer,
) -> None:
    """alt+r on a routed answer: pick another route, the question goes there as a new
    branch (the old answer stays in the history), and the router learns the correction."""
    fake_server.script("model-judge", "code")
    fake_server.script("model-a", "def f(): pass")
    fake_server.script("model-b", "Hello! How can I help?")
    app = build_app(fake_server, preset="route")
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "hello there")
        await wait_for(pilot, idle(app))
        first_id = chat.controller.records[-1].message_id
        await pilot.press("alt+r")
        await pilot.pause()
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["code", "general"]
        options.highlighted = ids.index("general")
        await pilot.press("enter")
        await wait_for(pilot, lambda: idle(app)() and chat.controller.records[-1].message_id
                       not in (None, first_id))  # fmt: skip
        replies = list(app.screen.query(AssistantMessage))
        assert [r.text for r in replies] == ["Hello! How can I help?"]
        route = replies[0].route
        assert route is not None and (route.route, route.source) == ("general", "user")
        assert app.store is not None and app.engine is not None
        assert app.engine.learned("route") == [("hello there", "general")]
        conversation = chat.controller.conversation_id
        assert conversation is not None
        kept = [m.text for m in app.store.messages(conversation) if m.role == "assistant"]
        assert kept == ["def f(): pass", "Hello! How can I help?"]


async def test_re_route_says_why_when_the_last_answer_was_not_routed(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", "plain")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hi")
        await wait_for(pilot, idle(app))
        await pilot.press("alt+r")
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert any("not routed" in m for m in shown), shown


async def test_planner_tree_and_node_output(fake_server: FakeServer) -> None:
    fake_server.script("model-judge", PLAN, "final synthesis")
    fake_server.script("model-a", "step output")
    app = build_app(fake_server, preset="plan")
    async with app.run_test(size=(120, 45)) as pilot:
        await send(pilot, "plan this")
        await wait_for(pilot, idle(app))
        tree = app.screen.query_one(PlanTree)
        labels = [str(node.label) for node in tree._tree_nodes.values()]
        assert any("find the facts" in label for label in labels)
        assert any("do the sums" in label for label in labels)
        assert all("running" not in label for label in labels)
        node = tree._tree_nodes["step:s1"]
        tree.plan.select_node(node)
        await pilot.pause()
        assert "step output" in tree._output.source
        assert app.screen.query_one(AssistantMessage).text == "final synthesis"


async def test_plan_review_edits_the_plan(fake_server: FakeServer) -> None:
    fake_server.script("model-judge", PLAN, "final synthesis")
    fake_server.script("model-a", "step output")
    app = build_app(fake_server, preset="plan-review")
    async with app.run_test(size=(120, 45)) as pilot:
        await send(pilot, "plan this")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen))
        editor = app.screen.query_one(TextArea)
        assert editor.text.splitlines() == ["find the facts", "do the sums"]
        editor.text = "find the facts\ncheck the answer"
        await pilot.press("ctrl+s")
        await wait_for(pilot, idle(app))
        tree = app.screen.query_one(PlanTree)
        labels = " ".join(str(node.label) for node in tree._tree_nodes.values())
        assert "check the answer" in labels and "do the sums" not in labels


async def test_plan_review_reject_fails_the_turn(fake_server: FakeServer) -> None:
    fake_server.script("model-judge", PLAN)
    app = build_app(fake_server, preset="plan-review")
    async with app.run_test(size=(120, 45)) as pilot:
        await send(pilot, "plan this")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen))
        await pilot.press("escape")
        await wait_for(pilot, idle(app))
        reply = app.screen.query_one(AssistantMessage)
        assert reply.status == "failed" and "rejected" in (reply.error or "")


async def test_cancelled_plan_leaves_no_node_running(fake_server: FakeServer) -> None:
    fake_server.script("model-judge", PLAN, "final synthesis")
    fake_server.script("model-a", Reply(text="slow step output " * 40, delay=0.05))
    app = build_app(fake_server, preset="plan")
    async with app.run_test(size=(120, 45)) as pilot:
        await send(pilot, "plan this")
        await wait_for(pilot, lambda: bool(app.screen.query(PlanTree)))
        tree = app.screen.query_one(PlanTree)
        await wait_for(
            pilot, lambda: any("running" in str(n.label) for n in tree._tree_nodes.values())
        )
        await pilot.press("escape")
        await wait_for(pilot, idle(app))
        labels = [str(node.label) for node in tree._tree_nodes.values()]
        assert all("running" not in label and "queued" not in label for label in labels)
        assert any("cancelled" in label for label in labels)


@dataclass(frozen=True)
class ShortestDetail(DecisionDetail):
    """A plugin's own payload type, with no view registered for it."""

    kind: ClassVar[str] = "test-shortest"
    chars: int

    def lines(self) -> list[str]:
        return [f"The winner has {self.chars} characters."]


async def test_a_decision_no_view_knows_is_drawn_generically_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A plugin's own decision kind (no payload type, or one with no registered view)
    is shown as its summary and its sentences, and the debug log names it."""

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield AssistantMessage(view="single", strategy="shortest")

    caplog.set_level(logging.DEBUG, logger="mmchat")
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        message = app.query_one(AssistantMessage)
        await message.handle(Decision(summary="b wins", detail=ShortestDetail(chars=12)))
        await message.handle(Decision(kind="mystery", summary="it happened",
                                      detail=CustomDetail({"why": "because"})))  # fmt: skip
        await message.handle(Decision(summary="2 of 2", detail=VoteDetail(
            tally=Tally(groups=(), counted=2, method="exact"))))  # fmt: skip
        await pilot.pause()
        shown = "\n".join(str(s.render()) for s in message.query_one(DecisionList).children)
        assert "test-shortest: b wins" in shown and "The winner has 12 characters." in shown
        assert "mystery: it happened" in shown and "why: because" in shown
        assert "2 of 2" not in shown  # a vote goes to the tally view, not the list
    logged = [r.getMessage() for r in caplog.records if r.name == "mmchat"]
    assert any("'test-shortest'" in line for line in logged)
    assert any("'mystery'" in line for line in logged)
    assert not any("'vote'" in line for line in logged)
