"""The TUI under faults (Pilot): fan-out, consensus and planner with a failing member,
and model output full of escape sequences and markup rendered as inert text.

Each fault test drives the real app (``make_app`` over the fake server, as the TUI
suite does) through one turn and checks what a user sees: the failing lane's pane or
plan node says why in plain words, the other lanes finish, partial text stays visible
and the answer is still produced. The inert-output test reads the strips the app
would write to the terminal (the compositor's output): no control character from the
model reaches them, markup shows literally, and nothing lands on the clipboard.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.plan_tree import PlanTree
from mmchat.tui.widgets.tally_view import TallyView
from tests.fakeserver import FakeServer, Reply
from tests.harness import user_text
from tests.reliability.common import plain_sentence_problems
from tests.reliability.test_inert_output import HOSTILE
from tests.tui.conftest import build_app, idle, send, wait_for

pytestmark = pytest.mark.usefixtures("markdown_mode")  # lean and stock Markdown

PARTIAL = "partial words from c that stop"
FAULTS: dict[str, tuple[Reply, str, bool]] = {
    # name: (reply for the faulty model, phrase its error must contain, text kept?)
    "401": (Reply(status=401), "mmchat keys set", False),
    "cut-mid-stream": (Reply(text=PARTIAL, chunk_chars=5, cut_after=3), "mid-answer", True),
    "malformed": (Reply(text=PARTIAL, chunk_chars=5, malformed_after=2), "malformed", True),
    "529": (Reply(status=529), "overloaded", False),
}


def screen_text(app: Any) -> tuple[str, list[tuple[str, Any]]]:
    """The text of every strip the compositor would write, and its segments."""
    segments: list[tuple[str, Any]] = []
    lines: list[str] = []
    for strip in app.screen._compositor.render_strips():
        line = []
        for segment in strip:
            segments.append((segment.text, segment.style))
            line.append(segment.text)
        lines.append("".join(line))
    return "\n".join(lines), segments


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_fanout_pane_of_a_failing_model(fault: str, fake_server: FakeServer) -> None:
    reply, phrase, kept = FAULTS[fault]
    fake_server.script("model-a", Reply(text="answer from a", delay=0.005))
    fake_server.script("model-b", Reply(text="answer from b", delay=0.005))
    fake_server.script("model-c", reply)
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(150, 45)) as pilot:
        await send(pilot, "compare please")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        panes = {p.info.model: p for p in app.screen.query(LanePane)}
        statuses = {model: (p.lane, p.info.status) for model, p in panes.items()}
        assert panes["a"].info.status == "done" and panes["b"].info.status == "done", statuses
        failed = panes["c"]
        assert failed.info.status == "failed"
        assert not plain_sentence_problems(failed.info.error), failed.info.error
        assert phrase in (failed.info.error or "")
        assert phrase in str(failed._error.render())  # shown in the pane, not only stored
        if kept:
            assert failed.text and PARTIAL.startswith(failed.text)
        reply_widget = app.screen.query_one(AssistantMessage)
        assert reply_widget.text == "answer from a"
        shown, _ = screen_text(app)
        assert "Traceback" not in shown


@pytest.mark.parametrize("fault", ["401", "cut-mid-stream"])
async def test_consensus_with_a_failing_voter(fault: str, fake_server: FakeServer) -> None:
    reply, phrase, _ = FAULTS[fault]
    fake_server.script("model-a", "42")
    fake_server.script("model-b", "42")
    fake_server.script("model-c", reply)
    app = build_app(fake_server, preset="agree")
    async with app.run_test(size=(130, 42)) as pilot:
        await send(pilot, "6 times 7?")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        answer = app.screen.query_one(AssistantMessage)
        assert answer.text == "42" and answer.status == "complete"
        tally = app.screen.query_one(TallyView)
        summary = str(tally._summary.render())
        assert "2 × 42" in summary or "42" in summary
        shown, _ = screen_text(app)
        assert "Traceback" not in shown
        chat = app.chat_screen
        assert chat is not None
        store = app.store
        assert store is not None and answer.message_id is not None
        lanes = {lane.model: lane for lane in store.lanes(answer.message_id)}
        assert lanes["a"].status == lanes["b"].status == "done"
        c = lanes["c"]
        # Early stop: once a and b agree, a still-streaming c is cancelled (text kept).
        if c.status == "cancelled":
            assert PARTIAL.startswith(c.text)
        else:
            assert c.status == "failed" and phrase in (c.error or "")
            assert not plain_sentence_problems(c.error)


async def test_planner_with_a_failing_step(fake_server: FakeServer) -> None:
    plan = json.dumps(
        [
            {"id": "s1", "title": "find the facts", "type": "search"},
            {"id": "s2", "title": "do the sums", "type": "math"},
        ]
    )
    fake_server.script("model-judge", plan, "final synthesis")

    def executor(body: dict[str, Any]) -> Reply:
        if "find the facts" in user_text(body):
            return Reply(text=PARTIAL, chunk_chars=5, cut_after=2)
        return Reply(text="the sums are done")

    fake_server.script_fn("model-a", executor)
    app = build_app(fake_server, preset="plan")
    async with app.run_test(size=(130, 45)) as pilot:
        await send(pilot, "plan this")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        tree = app.screen.query_one(PlanTree)
        labels = {node_id: str(node.label) for node_id, node in tree._tree_nodes.items()}
        assert "failed" in labels["step:s1"] or "✗" in labels["step:s1"], labels
        assert "failed" not in labels["step:s2"], labels
        tree.plan.select_node(tree._tree_nodes["step:s1"])
        await pilot.pause()
        assert PARTIAL[:10] in tree._output.source  # the partial text stays visible
        answer = app.screen.query_one(AssistantMessage)
        assert answer.text == "final synthesis"
        store = app.store
        assert store is not None and answer.message_id is not None
        rows = [lane for lane in store.lanes(answer.message_id) if lane.status == "failed"]
        assert len(rows) == 1 and "mid-answer" in (rows[0].error or "")
        assert rows[0].text and PARTIAL.startswith(rows[0].text)


async def test_hostile_model_output_is_inert_in_the_tui(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text=HOSTILE, chunk_chars=3))
    app = build_app(fake_server, preset="single")
    async with app.run_test(size=(160, 45)) as pilot:
        await send(pilot, "say something nasty")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        shown, segments = screen_text(app)
        controls = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} - {"\n"}
        bad = sorted({repr(ch) for text, _ in segments for ch in text if ch in controls})
        assert bad == [], f"control characters reach the terminal: {bad}"
        assert app.clipboard == ""  # OSC 52 did nothing
        # Markup is shown as the characters the model wrote.
        flat = " ".join(shown.split())  # lines wrap inside the message
        for literal in ("red]rich[/bold red]", "[@click=app.quit]quit[/]", "[link=http://x]"):
            assert literal in flat, shown
        assert "]52;c;cm0gLXJmIH4v" in flat  # the clipboard write, as inert text
        for text, style in segments:
            if "rich" in text and "bold red" not in text:
                assert not (style and style.bold and style.color and "red" in str(style.color))
        assert app.is_running  # [@click=app.quit] was not an action
