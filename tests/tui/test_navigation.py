"""Keyboard navigation: PgUp/PgDn in the prompt scroll the transcript; f8 / shift+f8
go round the panes, alt+t focuses the transcript, ctrl+b the conversation list, with a
visible focus ring; the open conversation is the highlighted row; a narrow window
hides the sidebar (it still opens by key)."""

from __future__ import annotations

from typing import Any

from textual.widgets import ListView

from mmchat import paths
from mmchat.api import Usage
from mmchat.history.store import Store
from mmchat.tui.app import MMChatApp
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.transcript import Transcript
from tests.fakeserver import FakeServer
from tests.reliability.test_tui_faults import screen_text
from tests.tui.conftest import build_app, idle, send, wait_for


def fill(store: Store, title: str, turns: int) -> int:
    conv = store.create_conversation(title, "single")
    parent = None
    for i in range(turns):
        user = store.add_user_message(conv, f"{title} question {i}", parent)
        parent = store.start_assistant(conv, user, "single", "single")
        store.finish_assistant(
            parent, text="\n\n".join(f"{title} answer {i} line {n}" for n in range(12)),
            status="complete", models=["a"], usage=Usage(1, 1), cost=None, duration=0.1,
        )  # fmt: skip
    return conv


def focused_name(app: MMChatApp) -> str:
    chat = app.chat_screen
    assert chat is not None
    focused = app.focused
    if focused is chat.prompt:
        return "prompt"
    if focused is chat.transcript:
        return "transcript"
    if focused is chat.sidebar.list:
        return "sidebar"
    if isinstance(focused, LanePane):
        return f"pane {focused.info.model}"
    return type(focused).__name__


async def ready(pilot: Any, app: MMChatApp) -> None:
    await wait_for(pilot, lambda: app.chat_screen is not None and app.store is not None)
    await pilot.pause()


async def test_pageup_in_the_prompt_scrolls_the_transcript(fake_server: FakeServer) -> None:
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        await chat.controller.open_conversation(fill(app.store, "long", 6))
        transcript = chat.transcript
        last_line = "long answer 5 line 11"
        await wait_for(pilot, lambda: last_line in screen_text(app)[0])
        chat.prompt.focus()
        chat.prompt.text = "draft"
        await pilot.press("pageup")
        # a page up (older messages may load above: the end is further away still)
        await wait_for(pilot, lambda: transcript.scroll_y < transcript.max_scroll_y - 20)
        await wait_for(pilot, lambda: last_line not in screen_text(app)[0])
        assert chat.prompt.has_focus and chat.prompt.text == "draft"
        await pilot.press("pagedown", "pagedown")
        await wait_for(pilot, lambda: last_line in screen_text(app)[0])
        assert chat.prompt.has_focus and chat.prompt.text == "draft"


async def test_f8_goes_round_the_panes(fake_server: FakeServer) -> None:
    for model in ("a", "b", "c"):
        fake_server.script(f"model-{model}", f"answer from {model}")
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(150, 44)) as pilot:
        await ready(pilot, app)
        await send(pilot, "compare")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        order = []
        for _ in range(6):
            await pilot.press("f8")
            order.append(focused_name(app))
        assert order == [
            "sidebar", "transcript", "pane a", "pane b", "pane c", "prompt",
        ]  # fmt: skip
        await pilot.press("shift+f8")
        assert focused_name(app) == "pane c"


async def test_alt_t_ctrl_b_and_the_focus_ring(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "hello")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "hi")
        await wait_for(pilot, idle(app))
        transcript = app.screen.query_one(Transcript)
        assert transcript.styles.border_left[0] == ""  # no ring while not focused
        await pilot.press("alt+t")
        assert focused_name(app) == "transcript"
        assert transcript.styles.border_left[0] == "vkey"  # the ring
        await pilot.press("ctrl+b")
        assert focused_name(app) == "sidebar"
        sidebar = app.screen.query_one(Sidebar)
        assert sidebar.styles.border_right[0] == "vkey"
        assert transcript.styles.border_left[0] == ""
        await pilot.press("f2")  # hiding the list hands the keyboard to the prompt
        assert not sidebar.display and focused_name(app) == "prompt"
        await pilot.press("ctrl+b")  # shows it again, focused
        await wait_for(pilot, lambda: sidebar.display and focused_name(app) == "sidebar")


async def test_the_open_conversation_is_the_highlighted_row(fake_server: FakeServer) -> None:
    store = Store.open(paths.db_file())
    older = fill(store, "older", 1)
    newer = fill(store, "newer", 1)
    store.close()
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        chat = app.chat_screen
        assert chat is not None
        rows = app.screen.query_one(Sidebar).list
        await wait_for(pilot, lambda: len(rows) == 2)
        assert rows.index == 0  # a new chat: the newest row, ready for ↑/↓ and Enter
        await pilot.press("ctrl+b", "down", "enter")
        await wait_for(pilot, lambda: chat.controller.conversation_id == older)
        await chat.refresh_sidebar()
        assert isinstance(rows, ListView) and rows.index == 1
        assert rows.highlighted_child is not None
        assert "older" in str(rows.highlighted_child.query_one("Label").render())
        assert newer != older


async def test_narrow_window_hides_the_sidebar(fake_server: FakeServer) -> None:
    app = build_app(fake_server)
    async with app.run_test(size=(60, 24)) as pilot:
        await ready(pilot, app)
        sidebar = app.screen.query_one(Sidebar)
        assert not sidebar.display
        assert app.screen.query_one(Transcript).region.width >= 58  # the whole width
        await pilot.press("ctrl+b")  # still opens by key
        await wait_for(pilot, lambda: sidebar.display and focused_name(app) == "sidebar")
        await pilot.press("f2")
        assert not sidebar.display
        await pilot.resize_terminal(130, 30)  # wide again: back, as configured
        await wait_for(pilot, lambda: sidebar.display)
        await pilot.press("f2")  # hidden on a wide window: the user's choice, kept
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        await pilot.resize_terminal(130, 30)
        await pilot.pause()
        assert not sidebar.display
