"""The user's message in the transcript."""

from __future__ import annotations

from textual.widgets import Static

__all__ = ["UserMessage"]


class UserMessage(Static):
    DEFAULT_CSS = """
    UserMessage {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        background: $boost;
        border-left: wide $primary;
    }
    """

    def __init__(self, text: str, *, message_id: int | None = None) -> None:
        super().__init__(text, markup=False)
        self.text = text
        self.message_id = message_id
