"""The conversation list (toggle with f2). Selecting an entry opens it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, ListItem, ListView, Static

if TYPE_CHECKING:
    from mmchat.history.store import ConversationRow

__all__ = ["Sidebar"]


class _Entry(ListItem):
    def __init__(self, row: ConversationRow) -> None:
        super().__init__(Label(row.title or "(untitled)", markup=False))
        self.row = row


class Sidebar(Vertical):
    DEFAULT_CSS = """
    Sidebar { width: 30; height: 1fr; background: $panel; border-right: vkey $panel-lighten-2; }
    Sidebar > .sidebar-title { text-style: bold; padding: 0 1; height: 1; }
    Sidebar > ListView { height: 1fr; background: $panel; }
    Sidebar ListItem { padding: 0 1; }
    """

    class Opened(Message):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._list = ListView()
        self.current: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("Conversations", classes="sidebar-title")
        yield self._list

    async def set_rows(self, rows: Sequence[ConversationRow], current: int | None) -> None:
        self.current = current
        await self._list.clear()
        entries = [_Entry(row) for row in rows]
        if entries:
            await self._list.extend(entries)
        for index, entry in enumerate(entries):
            if entry.row.id == current:
                self._list.index = index

    def on_list_view_selected(self, message: ListView.Selected) -> None:
        message.stop()
        if isinstance(message.item, _Entry) and message.item.row.id != self.current:
            self.post_message(self.Opened(message.item.row.id))
