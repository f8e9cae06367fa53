"""Conversations: reopening from the sidebar replays the stored views; long
transcripts mount lazily; the session panel and the command palette."""

from __future__ import annotations

import contextlib

import pytest

from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.transcript import Transcript
from mmchat.tui.widgets.user_message import UserMessage
from tests.fakeserver import FakeServer
from tests.tui.conftest import build_app, idle, send, wait_for

pytestmark = pytest.mark.usefixtures("markdown_mode")  # lean and stock Markdown


async def test_reopen_conversation_replays_lanes_and_choice(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "from a")
    fake_server.script("model-b", "from b")
    fake_server.script("model-c", "from c")
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(140, 44)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "first chat")
        await wait_for(pilot, idle(app))
        panes = {p.info.model: p for p in app.screen.query(LanePane)}
        await pilot.click(panes["c"])
        await pilot.pause()
        first = chat.controller.conversation_id
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert not list(app.screen.query(AssistantMessage))
        chat.controller.use_preset("single")
        await send(pilot, "second chat")
        await wait_for(pilot, idle(app))
        assert chat.controller.conversation_id != first
        assert first is not None
        chat.post_message(Sidebar.Opened(first))
        await wait_for(pilot, lambda: len(list(app.screen.query(LanePane))) == 3)
        await pilot.pause()
        reply = app.screen.query_one(AssistantMessage)
        await wait_for(pilot, lambda: reply.chosen_lane is not None)
        chosen = {p.info.model for p in app.screen.query(LanePane) if p.chosen}
        assert chosen == {"c"}
        assert chat.controller.history()[-1].content == "from c"
        # continuing the reopened conversation sends its history
        chat.controller.use_preset("single")
        await send(pilot, "and then?")
        await wait_for(pilot, lambda: idle(app)() and len(chat.controller.records) == 2)
        assert "from c" in str(fake_server.last.body)
        assert chat.controller.conversation_id == first


def _long_answer(i: int) -> str:
    paragraph = f"Part {i} of the answer, a paragraph long enough to wrap on the screen. " * 3
    return "\n\n".join([f"## Answer {i}", paragraph, paragraph, f"- a point\n- end of answer {i}"])


async def test_long_conversation_mounts_recent_and_pages_in_older(fake_server: FakeServer) -> None:
    from mmchat.api import Usage
    from tests.reliability.test_tui_faults import screen_text

    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        store = app.store
        conv = store.create_conversation("long", "single")
        parent = None
        for i in range(30):
            user = store.add_user_message(conv, f"question {i}", parent)
            parent = store.start_assistant(conv, user, "single", "single")
            store.finish_assistant(
                parent, text=_long_answer(i), status="complete", models=["a"],
                usage=Usage(1, 1), cost=None, duration=0.1,
            )  # fmt: skip
        await chat.controller.open_conversation(conv)
        await pilot.pause()
        transcript = app.screen.query_one(Transcript)
        assert len(chat.controller.records) == 30  # the history sent next is complete
        # Only the newest screenful is built; the newest answer is what the user sees
        # (once rendered: on a busy machine that can take more than one frame).
        await wait_for(pilot, lambda: "end of answer 29" in screen_text(app)[0])
        first_page = len(transcript.children)
        assert 2 <= first_page <= 6 and transcript.has_older
        assert "question 0" not in screen_text(app)[0]
        # Scrolling to the top brings older messages in, a page at a time, above what
        # is on screen, until the first question can be seen.
        seen_pages = 0
        while transcript.has_older:
            before = len(transcript.children)
            transcript.scroll_to(y=0, animate=False, immediate=True)
            await wait_for(pilot, lambda n=before: len(transcript.children) > n)
            # the page goes above: the view keeps its place (not thrown to the top)
            await wait_for(pilot, lambda: transcript.scroll_y > 0 or not transcript.has_older)
            assert len(transcript.children) - before <= 6  # a page, not everything
            seen_pages += 1
            assert seen_pages < 30
        assert seen_pages >= 3 and not transcript.has_older

        # Every message is there, and the first question can be scrolled to (a message
        # draws its text a frame after it mounts: wait for it, not for a page count).
        # (The last page's keep-the-view-in-place may land after a first scroll to the
        # top, as it would under a user's wheel: scroll again until it shows.)
        def at_top_shows_first_question() -> bool:
            transcript.scroll_to(y=0, animate=False, immediate=True)
            return "question 0" in screen_text(app)[0]

        await wait_for(pilot, at_top_shows_first_question)
        questions = [u.text for u in app.screen.query(UserMessage)]
        assert questions == [f"question {i}" for i in range(30)]
        replies = list(app.screen.query(AssistantMessage))
        assert len(replies) == 30

        def wrong() -> list[tuple[int, str, str]]:
            return [
                (i, r.status, r.text[:40]) for i, r in enumerate(replies)
                if not (r.status == "complete" and r.text == _long_answer(i))
            ]  # fmt: skip

        # A paged-in reply replays its stored turn once mounted: on a busy machine its
        # question can be on screen a frame before it is.
        with contextlib.suppress(AssertionError):
            await wait_for(pilot, lambda: not wrong(), within=5)
        assert not wrong(), wrong()


async def test_short_messages_fill_the_screen_so_older_stay_reachable(
    fake_server: FakeServer,
) -> None:
    """Pages are capped (transcript_batch); when they do not fill the view there is
    nothing to scroll, so more are loaded until there is."""
    app = build_app(fake_server, transcript_batch=4)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        store = app.store
        conv = store.create_conversation("long", "single")
        parent = None
        for i in range(40):
            user = store.add_user_message(conv, f"question {i}", parent)
            parent = store.start_assistant(conv, user, "single", "single")
            store.finish_assistant(
                parent, text=f"answer {i}", status="complete", models=["a"],
                usage=__import__("mmchat.api").api.Usage(1, 1), cost=None, duration=0.1,
            )  # fmt: skip
        await chat.controller.open_conversation(conv)
        transcript = app.screen.query_one(Transcript)
        await wait_for(pilot, lambda: transcript.max_scroll_y > 0)
        await pilot.pause()
        assert len(chat.controller.records) == 40
        assert 4 < len(transcript.children) < 80 and transcript.has_older
        texts = [u.text for u in app.screen.query(UserMessage)]
        assert texts[-1] == "question 39" and texts[0] != "question 0"


async def test_session_panel_totals_by_strategy(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "x")
    app = build_app(fake_server)
    async with app.run_test(size=(140, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "one")
        await wait_for(pilot, idle(app))
        await pilot.press("f3")
        await pilot.pause()
        assert chat.session.display
        totals = chat.session.totals["single"]
        assert totals.turns == 1 and totals.unknown_cost == 0
        assert "single" in str(chat.session.render())


async def test_palette_lists_actions_and_presets(fake_server: FakeServer) -> None:
    from mmchat.tui.commands import MMChatCommands

    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        provider = MMChatCommands(app.screen)
        names = [name for name, _, _ in provider._commands()]
        for expected in ("New chat", "Regenerate", "Export as JSON", "Preset: compare",
                         "Model: a", "Settings", "API keys", "Toggle session panel"):  # fmt: skip
            assert expected in names
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"preset: compare")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.chat_screen is not None
        assert app.chat_screen.controller.preset == "compare"


async def test_reopened_interrupted_answer_says_so_and_continues_from_it(
    fake_server: FakeServer,
) -> None:
    """kill -9 mid-answer: the reopened message says "interrupted" (not "cancelled"),
    shows the text that arrived, and the next turn sends both as history."""
    from mmchat.history.store import Store
    from tests.reliability.test_tui_faults import screen_text

    fake_server.script("model-a", "carry on")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and isinstance(app.store, Store)
        store = app.store
        conv = store.create_conversation("crashed", "single")
        user = store.add_user_message(conv, "Name three rivers", None)
        msg = store.start_assistant(conv, user, "single", "single")
        store.open_lane(msg, "L1", "a", "answer", "a", None)
        store.update_lane_text(msg, "L1", "The Nile, the Amaz", "")
        store.update_assistant_text(msg, "The Nile, the Amaz")
        store.mark_interrupted()  # what the next start does after a crash
        await chat.controller.open_conversation(conv)
        await wait_for(pilot, lambda: "interrupted" in screen_text(app)[0])
        text = screen_text(app)[0]
        assert "The Nile, the Amaz" in text and "cancelled" not in text
        await send(pilot, "go on")
        await wait_for(pilot, lambda: idle(app)() and len(chat.controller.records) == 2)
        sent = [m["content"] for m in fake_server.last.json["messages"]]
        assert sent[-3:] == ["Name three rivers", "The Nile, the Amaz", "go on"]
