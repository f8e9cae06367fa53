"""A fan-out's default pane (the answer the conversation goes on with until the user
picks) is marked "default" live and reopened alike; only the user's pick is
"✓ chosen" (with the double border), so the two can be told apart."""

from __future__ import annotations

import pytest

from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.sidebar import Sidebar
from tests.fakeserver import FakeServer
from tests.tui.conftest import build_app, idle, send, wait_for

pytestmark = pytest.mark.usefixtures("markdown_mode")  # lean and stock Markdown


def marks(reply: AssistantMessage) -> dict[str, str]:
    """Model → what its pane's head says about being the answer."""
    out = {}
    for pane in reply.query(LanePane):
        head = str(pane._head.render())
        out[pane.info.model] = (
            "chosen" if "✓ chosen" in head else "default" if "default" in head else ""
        )
        assert (pane.styles.border_top[0] == "double") == (out[pane.info.model] == "chosen")
    return out


async def test_default_pane_is_marked_the_same_live_and_reopened(fake_server: FakeServer) -> None:
    for alias in "abc":
        fake_server.script(f"model-{alias}", f"from {alias}")
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(140, 44)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "compare")
        await wait_for(pilot, idle(app))
        live = app.screen.query_one(AssistantMessage)
        await wait_for(pilot, lambda: marks(live)["a"] == "default")
        assert marks(live) == {"a": "default", "b": "", "c": ""}
        assert live.chosen_lane is None  # nobody picked

        conversation = chat.controller.conversation_id
        assert conversation is not None

        async def reopen() -> AssistantMessage:
            await pilot.press("ctrl+o")
            await pilot.pause()
            chat.post_message(Sidebar.Opened(conversation))
            await wait_for(pilot, lambda: len(list(app.screen.query(LanePane))) == 3)
            reply = app.screen.query_one(AssistantMessage)
            await wait_for(pilot, lambda: reply.status == "complete")
            await pilot.pause()
            return reply

        reopened = await reopen()
        assert marks(reopened) == {"a": "default", "b": "", "c": ""}
        assert chat.controller.history()[-1].content == "from a"

        pane = next(p for p in reopened.query(LanePane) if p.info.model == "b")
        await pilot.click(pane)
        await wait_for(pilot, lambda: reopened.chosen_lane == pane.lane)
        assert marks(reopened) == {"a": "", "b": "chosen", "c": ""}

        reopened = await reopen()
        await wait_for(pilot, lambda: reopened.chosen_lane is not None)
        assert marks(reopened) == {"a": "", "b": "chosen", "c": ""}
