"""Attachments as models get them: a text file as a fenced Markdown block under its
name, an image as base64 (each provider puts that in its protocol's image part).

The fence is one backtick longer than the longest run of backticks in the file (at
least three), so a file that itself holds ``` (a Markdown file, a README) cannot close
the block early and have the rest read as the user's words.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from mmchat.api import Attachment, Message

__all__ = ["base64_of", "data_url", "fence_for", "fenced", "images_of", "model_text"]

_BACKTICKS = re.compile(r"`+")


def fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def fenced(name: str, text: str) -> str:
    """``text`` as a fenced block headed by the file's name."""
    fence = fence_for(text)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"File: {name}\n{fence}\n{body}{fence}"


def text_blocks(attachments: Sequence[Attachment]) -> list[str]:
    return [fenced(a.name, a.text) for a in attachments if not a.is_image]


def model_text(message: Message) -> str:
    """What a model reads as the message's text: its text files as fenced blocks first
    (long documents before the question, as the providers advise), then the words."""
    blocks = text_blocks(message.attachments)
    if not blocks:
        return message.content
    return "\n\n".join([*blocks, message.content]) if message.content else "\n\n".join(blocks)


def images_of(message: Message) -> list[Attachment]:
    return [a for a in message.attachments if a.is_image]


def base64_of(attachment: Attachment) -> str:
    return base64.b64encode(attachment.data).decode("ascii")


def data_url(attachment: Attachment) -> str:
    """``data:image/png;base64,...`` (OpenAI's image_url, an exported image)."""
    return f"data:{attachment.media_type};base64,{base64_of(attachment)}"
