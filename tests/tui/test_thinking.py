"""A reasoning model's thinking: counted while it streams, kept apart from the answer,
shown on request, and there again when the conversation is reopened."""

from __future__ import annotations

import pytest
from textual.widgets import Markdown

from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.thinking_view import ThinkingView
from tests.fakeserver import FakeServer, Reply
from tests.reliability.test_tui_faults import screen_text
from tests.tui.conftest import build_app, idle, send, wait_for

pytestmark = pytest.mark.usefixtures("markdown_mode")  # lean and stock Markdown

THOUGHT = "The user asks for the sum of two and two. Adding them gives four."


async def test_thinking_is_counted_live_then_folded_away_from_the_answer(
    fake_server: FakeServer,
) -> None:
    slow = Reply(text="It is **4**.", reasoning=THOUGHT, chunk_chars=4, delay=0.03)
    fake_server.script("model-a", slow)
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "2+2?")
        # While the model thinks, the message says so (and how much) before any answer.
        await wait_for(pilot, lambda: "thinking… a ·" in screen_text(app)[0])
        reply = app.screen.query_one(AssistantMessage)
        assert reply.text == ""
        await wait_for(pilot, idle(app))
        await pilot.pause()
        view = reply.query_one(ThinkingView)
        assert view.collapsed and view.text == THOUGHT
        assert view.title.startswith("thought for ")
        assert f"~{len(THOUGHT) / 4:.0f} tok" in view.title
        assert reply.text == "It is **4**."  # the answer carries none of the thinking
        assert "Adding them" not in screen_text(app)[0]
        # Expanding it shows the thinking, rendered.
        await pilot.click(view.query_one("CollapsibleTitle"))
        await wait_for(pilot, lambda: "Adding them gives four." in screen_text(app)[0])
        assert view.query_one(Markdown).source == THOUGHT


async def test_reopened_conversation_keeps_the_thinking(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text="Four.", reasoning=THOUGHT))
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "2+2?")
        await wait_for(pilot, idle(app))
        first = chat.controller.conversation_id
        assert first is not None
        await pilot.press("ctrl+o")  # a new chat
        await pilot.pause()
        chat.post_message(Sidebar.Opened(first))
        await wait_for(pilot, lambda: bool(list(app.screen.query(ThinkingView))))
        view = app.screen.query_one(ThinkingView)
        assert view.text == THOUGHT and view.collapsed and view.title.startswith("thought")
        assert app.screen.query_one(AssistantMessage).text == "Four."


async def test_a_fanout_pane_says_its_model_is_thinking(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text="from a", reasoning=THOUGHT * 3, delay=0.05))
    fake_server.script("model-b", "from b")
    fake_server.script("model-c", "from c")
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(140, 44)) as pilot:
        await send(pilot, "2+2?")
        await wait_for(pilot, lambda: len(list(app.screen.query(LanePane))) == 3)
        pane = {p.info.model: p for p in app.screen.query(LanePane)}["a"]
        await wait_for(pilot, lambda: pane.info.status == "thinking")
        await wait_for(pilot, lambda: "◔ a · thinking · ~" in screen_text(app)[0])
        await wait_for(pilot, idle(app))
        assert pane.info.status == "done" and pane.text == "from a"
        assert "Adding them" not in screen_text(app)[0]
