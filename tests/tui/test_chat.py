"""Pilot tests of the chat screen against the fake server."""

from __future__ import annotations

import pytest

from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.user_message import UserMessage
from tests.fakeserver import FakeServer, Reply
from tests.tui.conftest import build_app, idle, send, wait_for

pytestmark = pytest.mark.usefixtures("markdown_mode")  # lean and stock Markdown


async def test_send_shows_streamed_answer(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text="Hello **there**, streamed.", delay=0.01))
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hi")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        assert [u.text for u in app.screen.query(UserMessage)] == ["hi"]
        reply = app.screen.query_one(AssistantMessage)
        assert reply.status == "complete"
        assert reply.text == "Hello **there**, streamed."
        assert app.chat_screen is not None
        assert app.chat_screen.prompt.text == ""
        assert "$" in str(reply._footer.render())


async def test_escape_cancels_and_keeps_partial_text(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text="partial words " * 40, chunk_chars=6, delay=0.05))
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "tell me a long story")

        def reply_text() -> str:
            found = app.screen.query(AssistantMessage)
            return found.first().answer.text if found else ""

        await wait_for(pilot, lambda: len(reply_text() or "") > 20)
        await pilot.press("escape")
        await wait_for(pilot, idle(app))
        reply = app.screen.query_one(AssistantMessage)
        assert reply.status == "cancelled"
        assert reply.text.startswith("partial words")
        assert "cancelled" in str(reply._status.render())
        assert app.chat_screen is not None
        assert app.chat_screen.controller.records[-1].answer == reply.text


async def test_switching_preset_labels_each_message(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "from a")
    fake_server.script("model-b", "from b")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "one")
        await wait_for(pilot, idle(app))
        await pilot.press("ctrl+t")
        await pilot.pause()
        picker = app.screen
        from textual.widgets import OptionList

        options = picker.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = ids.index("other")
        await pilot.press("enter")
        await pilot.pause()
        assert chat.controller.preset == "other"
        assert "other" in str(chat.bar.render())
        await send(pilot, "two")
        await wait_for(pilot, lambda: idle(app)() and len(chat.controller.records) == 2)
        replies = list(app.screen.query(AssistantMessage))
        assert [r.preset for r in replies] == ["single", "other"]
        assert [r.text for r in replies] == ["from a", "from b"]
        assert "single" in str(replies[0]._head.render())
        assert "other" in str(replies[1]._head.render())
        # the second turn saw the first one as history
        assert "from a" in str(fake_server.last.body)


async def test_preset_picker_filters_as_you_type(fake_server: FakeServer) -> None:
    from textual.widgets import OptionList

    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await pilot.press("ctrl+t")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        everything = options.option_count
        await pilot.press(*"cmpar")  # fuzzy: finds "compare", not the others
        await pilot.pause()
        shown = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert shown == ["compare"] and everything > 1
        await pilot.press("enter")
        await pilot.pause()
        assert chat.controller.preset == "compare"
        # Nothing matches: Enter keeps the picker open, Esc closes it, nothing changes.
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press(*"zzzz", "enter")
        await pilot.pause()
        assert app.screen.query_one(OptionList).option_count == 0
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat and chat.controller.preset == "compare"


async def test_switch_to_a_single_model(fake_server: FakeServer) -> None:
    fake_server.script("model-c", "from c")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        chat.controller.use_model("c")
        chat.refresh_bar()
        await send(pilot, "hi")
        await wait_for(pilot, idle(app))
        reply = app.screen.query_one(AssistantMessage)
        assert reply.preset == "model:c" and reply.text == "from c"


async def test_failed_turn_says_why_and_keeps_the_prompt(fake_server: FakeServer) -> None:
    fake_server.script(
        "model-a", Reply(status=401, error_type="invalid_api_key", error_message="bad key")
    )
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello?")
        await wait_for(pilot, idle(app))
        reply = app.screen.query_one(AssistantMessage)
        assert reply.status == "failed"
        status = str(reply._status.render())
        assert "failed" in status and ("401" in status or "key" in status.lower())
        assert app.chat_screen is not None
        assert app.chat_screen.prompt.text == "hello?"


async def test_regenerate_and_edit_last_make_branches(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "first", "second", "third")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "question")
        await wait_for(pilot, idle(app))
        first = chat.controller.records[-1]
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: idle(app)() and chat.controller.records[-1] is not first)
        await wait_for(pilot, idle(app))
        again = chat.controller.records[-1]
        assert again.answer == "second" and len(chat.controller.records) == 1
        assert [r.text for r in app.screen.query(AssistantMessage)] == ["second"]
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert chat.prompt.text == "question"
        assert not list(app.screen.query(AssistantMessage))
        chat.prompt.text = "better question"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(list(app.screen.query(AssistantMessage))))
        await wait_for(pilot, idle(app))
        assert chat.controller.records[-1].answer == "third"
        store = app.store
        assert store is not None and chat.controller.conversation_id is not None
        users = [m for m in store.messages(chat.controller.conversation_id) if m.role == "user"]
        assert [u.text for u in users] == ["question", "question", "better question"]
        assert len({u.parent_id for u in users}) == 1  # three siblings: branches
        path = store.conversation_path(chat.controller.conversation_id)
        assert [m.text for m in path] == ["better question", "third"]


async def test_export_writes_markdown_and_json(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "exported answer")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "export me")
        await wait_for(pilot, idle(app))
        md = chat.controller.export("md")
        js = chat.controller.export("json")
        assert md is not None and js is not None
        assert "exported answer" in md.read_text()
        assert "exported answer" in js.read_text()
        from mmchat import paths

        assert md.is_relative_to(paths.data_dir())
