"""Attaching files in the app (Pilot, against the fake server): alt+a with the prompt
focused, the dialog's completion and refusals, chips above the prompt (removable),
chips on the sent message and on a reopened one, files re-sent on regenerate."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Label

from mmchat.tui.screens.attach_file import AttachFileScreen
from mmchat.tui.widgets.attachment_chip import AttachmentChip
from mmchat.tui.widgets.user_message import UserMessage
from tests.fakeserver import FakeServer
from tests.reliability.test_tui_faults import screen_text
from tests.sample_images import png
from tests.tui.conftest import build_app, idle, send, wait_for

VISION = {"a": {"provider": "fake", "model": "model-a", "vision": True}}
NOTES_SENT = "File: notes.md\n```\nShip on Tuesday.\n```\n\nWhen do we ship?"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    (files / "notes.md").write_text("Ship on Tuesday.\n")
    (files / "photo.png").write_bytes(png(3, 3))
    (files / "blob.bin").write_bytes(b"\x00\x01binary\x00" * 8)
    (files / "sub").mkdir()
    return files


async def _attach(pilot: object, path: str) -> None:
    """alt+a, type the path, enter (as a user does, with the prompt focused)."""
    app = pilot.app  # type: ignore[attr-defined]
    app.chat_screen.prompt.focus()
    await pilot.press("alt+a")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, AttachFileScreen))
    app.screen.query_one(Input).value = path
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_attach_a_text_file_and_send_it(fake_server: FakeServer, folder: Path) -> None:
    fake_server.script("model-a", "On Tuesday.")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        chat.prompt.focus()
        await pilot.press("alt+a")
        await wait_for(pilot, lambda: isinstance(app.screen, AttachFileScreen))
        dialog = app.screen
        await pilot.press(*f"{folder}/no", "tab")  # tab completes the only match
        assert dialog.query_one(Input).value == f"{folder}/notes.md"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is chat)
        chips = list(chat.attachments.query(AttachmentChip))
        assert [c.attachment.name for c in chips] == ["notes.md"]
        assert "📎 notes.md · text · 17 B ✕" in screen_text(app)[0]
        assert chat.prompt.has_focus
        await send(pilot, "When do we ship?")
        await wait_for(pilot, idle(app))
        assert fake_server.last.json["messages"] == [{"role": "user", "content": NOTES_SENT}]
        assert not list(chat.attachments.query(AttachmentChip))  # sent: the row is empty
        [user] = app.screen.query(UserMessage)
        assert [a.name for a in user.attachments] == ["notes.md"]
        assert "📎 notes.md · text · 17 B" in screen_text(app)[0]


async def test_tab_right_after_typing_completes_what_was_typed(
    fake_server: FakeServer, folder: Path
) -> None:
    """A terminal hands a fast typist's keys over in one burst: Tab must complete the
    path with every character before it (as a screen's priority binding, it ran before
    the input had taken them, on the path as it was a few keys earlier)."""
    from textual import events

    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("alt+a")
        await wait_for(pilot, lambda: isinstance(app.screen, AttachFileScreen))
        field = app.screen.query_one(Input)
        for char in f"{folder}/no":  # posted at once, as the driver does, no waiting
            app.post_message(events.Key(char, char))
        app.post_message(events.Key("tab", "\t"))
        await wait_for(pilot, lambda: field.value == f"{folder}/notes.md")


async def test_the_dialog_says_why_a_file_cannot_go_and_stays_open(
    fake_server: FakeServer, folder: Path
) -> None:
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        for path, said in [
            (f"{folder}/missing.txt", "no such file"),
            (f"{folder}/blob.bin", "blob.bin is neither text nor a PNG, JPEG, GIF or WebP"),
        ]:
            await _attach(pilot, path)
            assert isinstance(app.screen, AttachFileScreen)
            error = app.screen.query_one("#attach-error", Label)
            assert said in str(error.render()) and error.display
            await pilot.press("escape")
            await pilot.pause()
        # enter on a folder opens it instead of attaching it
        await _attach(pilot, f"{folder}/sub")
        assert app.screen.query_one(Input).value == f"{folder}/sub/"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat and not chat.attachments.files


async def test_chips_are_removed_by_key_and_by_click(fake_server: FakeServer, folder: Path) -> None:
    fake_server.script("model-a", "ok")
    app = build_app(fake_server, models=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await _attach(pilot, f"{folder}/notes.md")
        await _attach(pilot, f"{folder}/photo.png")
        chips = list(chat.attachments.query(AttachmentChip))
        assert [c.attachment.name for c in chips] == ["notes.md", "photo.png"]
        chips[0].focus()
        await pilot.press("delete")
        await pilot.pause()
        assert [a.name for a in chat.attachments.files] == ["photo.png"]
        await pilot.click(chat.attachments.query_one(AttachmentChip))
        await pilot.pause()
        assert chat.attachments.files == () and not chat.attachments.display
        assert chat.prompt.has_focus
        await send(pilot, "anything?")
        await wait_for(pilot, idle(app))
        assert fake_server.last.json["messages"][0]["content"] == "anything?"


async def test_an_image_for_a_model_that_takes_none_is_not_sent_and_nothing_is_lost(
    fake_server: FakeServer, folder: Path
) -> None:
    app = build_app(fake_server)  # model a has no vision = true
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await _attach(pilot, f"{folder}/photo.png")
        await send(pilot, "What is this?")
        await pilot.pause()
        assert fake_server.requests == [] and not chat.controller.records
        assert chat.prompt.text == "What is this?"
        assert [a.name for a in chat.attachments.files] == ["photo.png"]
        notes = [n.message for n in app._notifications]
        assert any("model 'a' is not marked as taking images" in n for n in notes)


async def test_reopened_conversation_shows_chips_and_resends_the_files(
    fake_server: FakeServer, folder: Path
) -> None:
    fake_server.script("model-a", "A square.", "Still a square.", "Three pixels.", "Blue.")
    app = build_app(fake_server, models=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await _attach(pilot, f"{folder}/photo.png")
        await send(pilot, "What is this?")
        await wait_for(pilot, idle(app))
        first = chat.controller.records[-1]
        # regenerate sends the image again
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: idle(app)() and chat.controller.records[-1] is not first)
        await wait_for(pilot, idle(app))
        parts = fake_server.last.json["messages"][0]["content"]
        assert [p["type"] for p in parts] == ["text", "image_url"]
        conversation = chat.controller.conversation_id
        assert conversation is not None
        await pilot.press("ctrl+o")
        await pilot.pause()
        await chat.controller.open_conversation(conversation)
        await wait_for(pilot, lambda: bool(list(app.screen.query(UserMessage))))
        [user] = app.screen.query(UserMessage)
        assert [a.name for a in user.attachments] == ["photo.png"]
        # (a user message draws its text, chips included, a frame after it mounts)
        await wait_for(pilot, lambda: "📎 photo.png · image" in screen_text(app)[0])
        # the next turn's history carries the image of the reopened message
        await send(pilot, "How big?")
        await wait_for(pilot, lambda: idle(app)() and len(chat.controller.records) == 2)
        history = fake_server.last.json["messages"]
        assert [p["type"] for p in history[0]["content"]] == ["text", "image_url"]
        # edit-last puts the files back above the prompt with the text
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert chat.prompt.text == "How big?" and chat.attachments.files == ()
        await pilot.press("ctrl+g")  # once more: the first question, with its image
        await pilot.pause()
        assert chat.prompt.text == "What is this?"
        assert [a.name for a in chat.attachments.files] == ["photo.png"]


async def test_the_palette_attaches_and_removes_files(
    fake_server: FakeServer, folder: Path
) -> None:
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        commands = {title: run for title, _, run in chat.palette_commands()}
        commands["Attach a file…"]()
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, AttachFileScreen) and bool(app.screen.query(Input)),
        )
        app.screen.query_one(Input).value = f"{folder}/notes.md"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is chat and bool(chat.attachments.files))
        await commands["Remove attached files"]()
        await pilot.pause()
        assert chat.attachments.files == () and chat.prompt.has_focus
