"""The files attached to the message being written, as a row of chips above the prompt
(hidden while there are none). The chat screen sends :attr:`files` with the message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.containers import HorizontalGroup

from mmchat.tui.widgets.attachment_chip import AttachmentChip

if TYPE_CHECKING:
    from mmchat.api import Attachment

__all__ = ["AttachmentChips"]


class AttachmentChips(HorizontalGroup):
    DEFAULT_CSS = """
    AttachmentChips { height: auto; margin: 0 1; display: none; }
    AttachmentChips.-has-files { display: block; }
    """

    @property
    def files(self) -> tuple[Attachment, ...]:
        return tuple(chip.attachment for chip in self.query_children(AttachmentChip))

    async def add(self, attachment: Attachment) -> None:
        await self.mount(AttachmentChip(attachment))
        self.set_class(True, "-has-files")

    async def set_files(self, files: Sequence[Attachment]) -> None:
        await self.remove_children()
        if files:
            await self.mount_all([AttachmentChip(a) for a in files])
        self.set_class(bool(files), "-has-files")

    async def clear(self) -> None:
        await self.set_files(())

    async def on_attachment_chip_removed(self, message: AttachmentChip.Removed) -> None:
        await message.chip.remove()
        self.set_class(bool(self.files), "-has-files")
        # (the message goes on to the chat screen, which gives the prompt its focus back)
        self.app.notify(f"{message.chip.attachment.name} removed from the message.", timeout=2)
