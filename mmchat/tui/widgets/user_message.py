"""The user's message in the transcript, with the files sent with it as chips."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from mmchat.api import Attachment

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

    def __init__(
        self,
        text: str,
        *,
        message_id: int | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        super().__init__(_content(text, attachments), markup=False)
        self.text = text
        self.message_id = message_id
        self.attachments = tuple(attachments)


def _content(text: str, attachments: Sequence[Attachment]) -> Content | str:
    if not attachments:
        return text
    from mmchat.tui.widgets.attachment_chip import chip_label

    chips = Content("   ").join(
        Content.styled(f" {chip_label(a)} ", "on $accent 30%") for a in attachments
    )
    return Content.assemble(text, "\n", chips)
