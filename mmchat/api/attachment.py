"""A file the user attached to a message: its name, media type and bytes.

Strategies only pass attachments along: a :class:`~mmchat.api.events.Message` carries
them, and the engine gives the user's files to every lane of the turn (see
``Context.ask``). Turning them into what a model reads is the providers' business: text
files become fenced blocks with their names, images each protocol's image parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Attachment"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attached file. ``data`` is the image's bytes as read, or a text file's text
    as UTF-8 (whatever encoding it was read in)."""

    name: str
    media_type: str  # image/png, image/jpeg, image/gif, image/webp; text/... otherwise
    data: bytes = field(repr=False)

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def text(self) -> str:
        """A text file's content ("" for an image)."""
        return "" if self.is_image else self.data.decode("utf-8", errors="replace")
