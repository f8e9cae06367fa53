"""The user's message in the transcript (and, under it, "◀ 2/3 ▶" when it was edited)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

__all__ = ["UserMessage"]


class UserMessage(Vertical):
    DEFAULT_CSS = """
    UserMessage {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        background: $boost;
        border-left: wide $primary;
    }
    UserMessage > .user-text { height: auto; }
    """

    def __init__(self, text: str, *, message_id: int | None = None) -> None:
        super().__init__()
        self.text = text
        self.message_id = message_id
        self._below: list[Widget] = []

    def compose(self) -> ComposeResult:
        yield Static(self.text, markup=False, classes="user-text")
        yield from self._below

    def show_below(self, widget: Widget) -> None:
        """Add ``widget`` under the text: composed with the message, or mounted now."""
        if self.is_attached:
            self.mount(widget)
        else:
            self._below.append(widget)
