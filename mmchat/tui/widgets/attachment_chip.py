"""One attached file as a chip: ``📎 notes.md · 2.1 KB``.

Above the prompt a chip is removable (click it, or focus it and press delete,
backspace or enter); on a message in the transcript it only shows what was sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static

if TYPE_CHECKING:  # mmchat.api loads pydantic: not before the first frame
    from textual import events

    from mmchat.api import Attachment

__all__ = ["AttachmentChip", "chip_label"]


def chip_label(attachment: Attachment) -> str:
    from mmchat.attachments.files import human_size

    kind = "image" if attachment.is_image else "text"
    return f"📎 {attachment.name} · {kind} · {human_size(attachment.size)}"


class AttachmentChip(Static, can_focus=True):
    DEFAULT_CSS = """
    AttachmentChip {
        width: auto;
        height: 1;
        margin: 0 1 0 0;
        padding: 0 1;
        background: $accent 30%;
    }
    AttachmentChip:hover { background: $accent 50%; }
    AttachmentChip:focus { background: $accent; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace,enter", "remove_file", "Remove file", id="remove_file"),
    ]

    class Removed(Message):
        """The user asked to take this file off the message."""

        def __init__(self, chip: AttachmentChip) -> None:
            super().__init__()
            self.chip = chip

    def __init__(self, attachment: Attachment) -> None:
        super().__init__(f"{chip_label(attachment)} ✕", markup=False)
        self.attachment = attachment
        self.tooltip = "remove (click, or delete)"

    def action_remove_file(self) -> None:
        self.post_message(self.Removed(self))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_remove_file()
