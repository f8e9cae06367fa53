"""The conversation list (f2 shows or hides it, ctrl+b focuses it). Selecting an entry
opens it; the open conversation is the highlighted row.

On a narrow terminal (fewer than :data:`NARROW` columns) the list hides itself: its
30 columns took half of a 60-column window. It comes back when the window is wide
again, unless the user hid it; f2 or ctrl+b still open it while narrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, ListItem, ListView, Static

if TYPE_CHECKING:
    from mmchat.history.store import ConversationRow

__all__ = ["NARROW", "Sidebar"]

NARROW = 100  # columns: below this the sidebar hides itself


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
    Sidebar:focus-within { border-right: vkey $accent; }
    Sidebar:focus-within > .sidebar-title { color: $accent; }
    """

    class Opened(Message):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._list = ListView()
        self.current: int | None = None
        self.wanted = True  # the config's choice, then the user's (f2 on a wide window)
        self._narrow: bool | None = None  # unknown until the first width

    @property
    def list(self) -> ListView:
        """The list of conversations (what takes the focus)."""
        return self._list

    def compose(self) -> ComposeResult:
        yield Static("Conversations", classes="sidebar-title")
        yield self._list

    # -- shown or hidden -----------------------------------------------------------------
    def want(self, shown: bool) -> None:
        """Show the sidebar (unless the window is narrow) or hide it."""
        self.wanted = shown
        self.display = shown and not self._narrow

    def fit(self, width: int) -> bool:
        """The window is ``width`` columns wide: hide on becoming narrow, come back (if
        wanted) on becoming wide. True when that showed the list (its rows may be old)."""
        narrow = width < NARROW
        if narrow == self._narrow:
            return False
        self._narrow = narrow
        was_shown = self.display
        self.display = self.wanted and not narrow
        return self.display and not was_shown

    def toggle(self) -> bool:
        """f2: show or hide; on a wide window that is the user's choice from now on."""
        self.display = not self.display
        if not self._narrow:
            self.wanted = self.display
        return self.display

    # -- rows --------------------------------------------------------------------------
    async def set_rows(self, rows: Sequence[ConversationRow], current: int | None) -> None:
        self.current = current
        await self._list.clear()
        entries = [_Entry(row) for row in rows]
        if entries:
            await self._list.extend(entries)
        # The open conversation is highlighted; a new chat highlights the newest row,
        # so the list never has the focus without a row to move from.
        highlighted = next((i for i, e in enumerate(entries) if e.row.id == current), 0)
        self._list.index = highlighted if entries else None

    def on_list_view_selected(self, message: ListView.Selected) -> None:
        message.stop()
        if isinstance(message.item, _Entry) and message.item.row.id != self.current:
            self.post_message(self.Opened(message.item.row.id))
