"""Export and delete name the conversation: the export file is named after its title,
and the delete question says which conversation goes."""

from __future__ import annotations

from textual.widgets import Label

from mmchat.tui.screens.pickers import ConfirmScreen
from tests.fakeserver import FakeServer
from tests.tui.conftest import build_app, idle, send, wait_for


async def test_export_is_named_after_the_title(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "Pack light.", "Pack lighter.")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        await send(pilot, "Packing list for Rome/Paris [2 weeks]")
        await wait_for(pilot, idle(app))
        conv = chat.controller.conversation_id
        assert conv is not None
        title = app.store.get_conversation(conv).title  # type: ignore[union-attr]
        assert "Rome" in title
        first = chat.controller.export("md")
        again = chat.controller.export("md")
        data = chat.controller.export("json")
        assert first is not None and again is not None and data is not None
        assert first.name == "Packing list for RomeParis [2 weeks].md"
        assert again.name == "Packing list for RomeParis [2 weeks] (2).md"
        assert data.name == "Packing list for RomeParis [2 weeks].json"
        assert "Pack light." in first.read_text("utf-8")


async def test_delete_asks_by_name_and_keeps_it_on_cancel(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "Sure.")
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        await send(pilot, "Plan [b]a trip[/b] to Rome")  # markup-like text is shown as is
        await wait_for(pilot, idle(app))
        conv = chat.controller.conversation_id
        assert conv is not None
        chat.action_delete()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_for(pilot, lambda: bool(app.screen.query(".modal-title")))
        question = str(app.screen.query_one(".modal-title", Label).render())
        assert question == "Delete “Plan [b]a trip[/b] to Rome”?"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is chat)
        assert app.store.get_conversation(conv) is not None
        chat.action_delete()
        await wait_for(pilot, lambda: bool(app.screen.query("#no")))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.store.get_conversation(conv) is None)
        notes = [n.message for n in app._notifications]
        assert "Deleted “Plan [b]a trip[/b] to Rome”." in notes
