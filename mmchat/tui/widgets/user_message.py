"""The user's message in the transcript: its text, the files sent with it as chips,
and under it "◀ 2/3 ▶" when it was edited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

if TYPE_CHECKING:
    from mmchat.api import Attachment

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

    def __init__(
        self,
        text: str,
        *,
        message_id: int | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        super().__init__()
        self.text = text
        self.message_id = message_id
        self.attachments = tuple(attachments)
        self._below: list[Widget] = []

    def compose(self) -> ComposeResult:
        yield Static(_content(self.text, self.attachments), markup=False, classes="user-text")
        yield from self._below

    def show_below(self, widget: Widget) -> None:
        """Add ``widget`` under the text: composed with the message, or mounted now."""
        if self.is_attached:
            self.mount(widget)
        else:
            self._below.append(widget)


def _content(text: str, attachments: Sequence[Attachment]) -> Content | str:
    if not attachments:
        return text
    from mmchat.tui.widgets.attachment_chip import chip_label

    chips = Content("   ").join(
        Content.styled(f" {chip_label(a)} ", "on $accent 30%") for a in attachments
    )
    return Content.assemble(text, "\n", chips)
