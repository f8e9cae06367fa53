"""Branches in the chat: "◀ 2/3 ▶" on a message with alternatives (a regenerated
answer, an edited question), switched with alt+←/→ (the prompt focused) or a click; the
transcript, the next turn, a reopened conversation and the export follow the branch
shown."""

from __future__ import annotations

from typing import Any

from mmchat.tui.app import MMChatApp
from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.branch_switcher import BranchSwitcher
from mmchat.tui.widgets.user_message import UserMessage
from tests.fakeserver import FakeServer
from tests.reliability.test_tui_faults import screen_text
from tests.tui.conftest import build_app, idle, send, wait_for


def shown(app: MMChatApp) -> list[str]:
    """The transcript, message by message: questions as "> text", answers as text."""
    return [
        f"> {w.text}" if isinstance(w, UserMessage) else w.text
        for w in app.screen.query("UserMessage, AssistantMessage")
        if isinstance(w, (UserMessage, AssistantMessage))
    ]


def switchers(app: MMChatApp) -> list[str]:
    return [str(s.render()) for s in app.screen.query(BranchSwitcher)]


async def settle(pilot: Any, app: MMChatApp, turns: int) -> None:
    chat = app.chat_screen
    assert chat is not None
    await wait_for(pilot, lambda: idle(app)() and len(chat.controller.records) == turns)
    await wait_for(pilot, lambda: len(list(app.screen.query(AssistantMessage))) == turns)
    await pilot.pause()


async def test_switch_regenerated_answer_with_keys_and_click(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "A1", "A2", "F2", "G1")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        await send(pilot, "question")
        await settle(pilot, app, 1)
        assert switchers(app) == []  # nothing to switch to yet
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: shown(app) == ["> question", "A2"] and idle(app)())
        await wait_for(pilot, lambda: switchers(app) == ["◀ 2/2 ▶"])
        await send(pilot, "follow")
        await settle(pilot, app, 2)
        assert shown(app) == ["> question", "A2", "> follow", "F2"]

        # alt+← with the prompt focused: the first answer, and its branch (no follow-up)
        chat.prompt.focus()
        await pilot.press("alt+left")
        await wait_for(pilot, lambda: shown(app) == ["> question", "A1"])
        assert switchers(app) == ["◀ 1/2 ▶"]
        assert chat.prompt.has_focus
        assert "1/2" in screen_text(app)[0]

        # the next turn continues from the branch shown
        await send(pilot, "other follow")
        await settle(pilot, app, 2)
        assert shown(app) == ["> question", "A1", "> other follow", "G1"]
        sent = [m["content"] for m in fake_server.last.json["messages"] if m["role"] != "system"]
        assert sent == ["question", "A1", "other follow"]  # what the model was asked

        await pilot.press("alt+right")
        await wait_for(pilot, lambda: shown(app) == ["> question", "A2", "> follow", "F2"])
        assert switchers(app) == ["◀ 2/2 ▶"]

        # a click on ◀ (the switcher's first cell)
        switcher = app.screen.query_one(BranchSwitcher)
        assert await pilot.click(switcher, offset=(0, 0))
        await wait_for(pilot, lambda: shown(app) == ["> question", "A1", "> other follow", "G1"])
        conv = chat.controller.conversation_id
        assert conv is not None
        exported = chat.controller.export("md")
        assert exported is not None
        text = exported.read_text("utf-8")
        assert "G1" in text and "A1" in text and "F2" not in text and "A2" not in text

    # reopened (another run of the app on the same history): the chosen branch
    fake_server.script("model-a", "H1")
    again = build_app(fake_server)
    async with again.run_test(size=(120, 40)) as pilot:
        chat = again.chat_screen
        assert chat is not None
        await wait_for(pilot, lambda: chat.controller is not None and again.store is not None)
        await chat.controller.open_conversation(conv)
        await wait_for(pilot, lambda: shown(again) == ["> question", "A1", "> other follow", "G1"])
        await wait_for(pilot, lambda: switchers(again) == ["◀ 1/2 ▶"])


async def test_edited_question_shows_its_switcher_and_answer(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "about cats", "about dogs")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "tell me about cats")
        await settle(pilot, app, 1)
        await pilot.press("ctrl+g")
        await pilot.pause()
        chat.prompt.text = "tell me about dogs"
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown(app) == ["> tell me about dogs", "about dogs"])
        await wait_for(pilot, idle(app))
        # an edit: the switcher is on the question (the answers differ because it did)
        user = app.screen.query_one(UserMessage)
        await wait_for(pilot, lambda: len(list(user.query(BranchSwitcher))) == 1)
        assert switchers(app) == ["◀ 2/2 ▶"]
        await pilot.press("alt+left")
        await wait_for(pilot, lambda: shown(app) == ["> tell me about cats", "about cats"])
        assert switchers(app) == ["◀ 1/2 ▶"]
        await pilot.press("alt+left")  # the first already: nothing changes
        await pilot.pause()
        assert shown(app) == ["> tell me about cats", "about cats"]


async def test_focused_switcher_steps_with_arrows(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "one", "two", "three")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "count")
        await settle(pilot, app, 1)
        for answer in ("two", "three"):
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda a=answer: shown(app) == ["> count", a] and idle(app)())
        await wait_for(pilot, lambda: switchers(app) == ["◀ 3/3 ▶"])
        app.screen.query_one(BranchSwitcher).focus()
        await pilot.press("left")
        await wait_for(pilot, lambda: shown(app) == ["> count", "two"])
        # the rebuilt switcher keeps the focus, so ← goes on
        await wait_for(pilot, lambda: isinstance(app.focused, BranchSwitcher))
        await pilot.press("left")
        await wait_for(pilot, lambda: shown(app) == ["> count", "one"])
        assert switchers(app) == ["◀ 1/3 ▶"]


async def test_switch_at_the_top_of_a_long_conversation(fake_server: FakeServer) -> None:
    """A branch point far above the newest messages: the other branch (one turn)
    replaces the whole transcript; switching back shows the long branch's newest turns
    again, paged as when it was opened."""
    from mmchat.api import Usage

    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        store = app.store
        conv = store.create_conversation("long", "single")

        def turn(question: str, answer: str, parent: int | None) -> int:
            user = store.add_user_message(conv, question, parent)
            reply = store.start_assistant(conv, user, "single", "single")
            store.finish_assistant(
                reply, text=answer, status="complete", models=["a"], usage=Usage(1, 1),
                cost=None, duration=0.1,
            )  # fmt: skip
            return reply

        leaf = None
        for i in range(30):
            leaf = turn(f"question {i}", f"answer {i}\n\n" + "more text\n\n" * 6, leaf)
        turn("question 0", "the regenerated answer", None)  # a sibling of question 0
        assert leaf is not None
        store.set_current_leaf(conv, leaf)
        await chat.controller.open_conversation(conv)
        transcript = chat.transcript
        await wait_for(pilot, lambda: "answer 29" in screen_text(app)[0])
        assert len(chat.controller.records) == 30 and transcript.has_older
        while transcript.has_older:  # scroll up to the first turn
            transcript.scroll_to(y=0, animate=False, immediate=True)
            await pilot.pause(0.05)
        transcript.scroll_to(y=0, animate=False, immediate=True)
        await wait_for(pilot, lambda: "◀ 1/2 ▶" in screen_text(app)[0])
        await pilot.press("alt+right")
        await wait_for(pilot, lambda: shown(app) == ["> question 0", "the regenerated answer"])
        assert len(chat.controller.records) == 1
        await pilot.press("alt+left")
        await wait_for(pilot, lambda: "answer 29" in screen_text(app)[0])
        assert len(chat.controller.records) == 30
        assert [r.prompt for r in chat.controller.records][-1] == "question 29"
        assert store.current_leaf(conv) == leaf
