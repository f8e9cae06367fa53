"""The files one lane sends: the user's files reach every lane, and a model that takes no
images is never sent one.

Strategies build prompts of their own from the user's words (a judge's prompt, a
planner's step, a debater's revision): the engine adds the user's files to the last
user message of any lane whose messages do not carry them already, so a plugin needs
no code for attachments and cannot lose them by accident. A strategy that places them
itself (any message holding one of them) is left as it is.

Earlier messages may hold images sent when the conversation used a vision model; for
a model without ``vision`` they become a line saying an image was there, so switching
to such a model does not break the conversation. Images of the message being answered
are not dropped that way: they are refused (see :mod:`mmchat.attachments.vision`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from mmchat.api import Attachment, Message

__all__ = ["images_for_blind_model", "with_turn_files"]


def with_turn_files(
    messages: Sequence[Message], files: Sequence[Attachment]
) -> tuple[Message, ...]:
    """``messages`` with ``files`` on the last user message, unless one of them is
    already in some message (or there is no user message to carry them)."""
    chat = tuple(messages)
    if not files or any(f in m.attachments for m in chat for f in files):
        return chat
    for index in range(len(chat) - 1, -1, -1):
        message = chat[index]
        if message.role == "user":
            carried = dataclasses.replace(message, attachments=(*message.attachments, *files))
            return (*chat[:index], carried, *chat[index + 1 :])
    return chat


def images_for_blind_model(
    messages: Sequence[Message], files: Sequence[Attachment]
) -> tuple[tuple[Message, ...], int]:
    """For a model that takes no images: ``messages`` with earlier images replaced by a
    line naming them, and how many images of ``files`` (the user's new ones) remain."""
    current = 0
    out: list[Message] = []
    for message in messages:
        if not any(a.is_image for a in message.attachments):
            out.append(message)
            continue
        kept: list[Attachment] = []
        dropped: list[str] = []
        for attachment in message.attachments:
            if not attachment.is_image:
                kept.append(attachment)
            elif attachment in files:
                current += 1
                kept.append(attachment)
            else:
                dropped.append(attachment.name)
        note = "".join(
            f"\n\n[an image, {name}, was attached here; this model cannot see images]"
            for name in dropped
        )
        out.append(
            dataclasses.replace(message, content=message.content + note, attachments=tuple(kept))
        )
    return tuple(out), current
