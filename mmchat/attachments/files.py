"""Reading a file (or stdin) into an :class:`~mmchat.api.Attachment`, and the size limits.

What a file is, is read from its bytes, never only from its name: PNG, JPEG, GIF and
WebP images (the formats every vision API takes) by their signatures; anything else
must decode as text (UTF-8, or UTF-16/32 with a byte-order mark) and hold no NUL byte
and few control characters, or it is refused with a message that says so. A text
file's content is kept as UTF-8 whatever it was read in.

The four image signatures are written out here (from the formats' specifications)
rather than taken from a file-type library: a library's database of hundreds of types
would be loaded to tell four of them apart, and everything else is refused anyway.

Limits (``[attachments]`` in the config) are per file and per message; the size of a
file on disk is checked before it is read, so a huge file is never loaded.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from mmchat.api import Attachment

if TYPE_CHECKING:
    from mmchat.config_schema import AttachmentsConfig

__all__ = [
    "IMAGE_TYPES",
    "MB",
    "AttachmentError",
    "Limits",
    "check_added",
    "from_bytes",
    "human_size",
    "read_all",
    "read_file",
    "read_stream",
    "sniff_image",
]

MB = 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
STDIN_NAME = "stdin"

# Text that is mostly control characters is binary data that happens to decode.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_CONTROL_SHARE = 0.01
_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Text-like types mimetypes names outside text/*: kept as the file's media type.
_TEXT_APPLICATION = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/x-sh",
        "application/toml",
        "application/yaml",
        "application/x-yaml",
        "application/sql",
    }
)


class AttachmentError(ValueError):
    """A file that cannot be attached; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Most bytes one file, and all the files of one message, may have."""

    max_file: int = 5 * MB
    max_message: int = 20 * MB

    @classmethod
    def from_config(cls, cfg: AttachmentsConfig | None) -> Limits:
        if cfg is None:
            return cls()
        return cls(int(cfg.max_file_mb * MB), int(cfg.max_message_mb * MB))


def human_size(size: int) -> str:
    """``532 B``, ``12.3 KB``, ``4.0 MB`` (powers of 1024, as the limits are)."""
    if size < 1024:
        return f"{size} B"
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"


def sniff_image(data: bytes) -> str | None:
    """The media type of a PNG, JPEG, GIF or WebP image, from its first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def decode_text(data: bytes) -> str | None:
    """The text of ``data``, or None when it is not text (undecodable, or binary)."""
    codec = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    if "\x00" in text or len(_CONTROL.findall(text)) > _CONTROL_SHARE * max(1, len(text)):
        return None
    return text


def _text_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed and (guessed.startswith("text/") or guessed in _TEXT_APPLICATION):
        return guessed
    return "text/plain"


def _clean_name(name: str) -> str:
    """A file name fit for a one-line header: control characters become spaces."""
    return "".join(" " if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in name).strip()


def _over_file_limit(name: str, size: int, limits: Limits) -> AttachmentError:
    return AttachmentError(
        f"{name} is {human_size(size)}, over the limit of {human_size(limits.max_file)} "
        "per file (max_file_mb in [attachments] of the config)"
    )


def from_bytes(name: str, data: bytes, limits: Limits | None = None) -> Attachment:
    """``data`` as an attachment named ``name``: an image, or text; else refused."""
    limits = limits or Limits()
    name = _clean_name(name) or STDIN_NAME
    if len(data) > limits.max_file:
        raise _over_file_limit(name, len(data), limits)
    image = sniff_image(data)
    if image is not None:
        return Attachment(name, image, data)
    text = decode_text(data)
    if text is None:
        raise AttachmentError(
            f"{name} is neither text nor a PNG, JPEG, GIF or WebP image (it holds binary "
            "data, or text in an encoding other than UTF-8): mmchat attaches text files "
            "and those images"
        )
    return Attachment(name, _text_type(name), text.encode("utf-8"))


def read_file(path: str | Path, limits: Limits | None = None) -> Attachment:
    """The file at ``path`` (``~`` expanded) as an attachment named after it."""
    limits = limits or Limits()
    shown = str(path)
    target = Path(path).expanduser()
    try:
        if target.is_dir():
            raise AttachmentError(f"{shown} is a folder: attach the files in it one by one")
        size = target.stat().st_size
        if size > limits.max_file and target.is_file():
            raise _over_file_limit(target.name, size, limits)
        with target.open("rb") as handle:  # a FIFO or device: read no more than allowed
            data = handle.read(limits.max_file + 1)
    except FileNotFoundError:
        raise AttachmentError(f"cannot attach {shown}: no such file") from None
    except PermissionError:
        raise AttachmentError(f"cannot attach {shown}: permission denied") from None
    except OSError as exc:
        raise AttachmentError(f"cannot attach {shown}: {exc.strerror or exc}") from None
    return from_bytes(target.name, data, limits)


def read_stream(stream: IO[bytes], limits: Limits | None = None) -> Attachment:
    """Standard input (``-a -``) as an attachment: ``stdin.png`` for an image,
    ``stdin.txt`` for text."""
    limits = limits or Limits()
    data = stream.read(limits.max_file + 1)
    image = sniff_image(data)
    suffix = image.split("/")[1].replace("jpeg", "jpg") if image else "txt"
    return from_bytes(f"{STDIN_NAME}.{suffix}", data, limits)


def check_added(
    existing: Sequence[Attachment], new: Attachment, limits: Limits | None = None
) -> None:
    """Refuse ``new`` when it would take the message over the per-message limit."""
    limits = limits or Limits()
    total = sum(a.size for a in existing) + new.size
    if total > limits.max_message:
        raise AttachmentError(
            f"{new.name} ({human_size(new.size)}) would bring this message's attachments "
            f"to {human_size(total)}, over the limit of {human_size(limits.max_message)} "
            "per message (max_message_mb in [attachments] of the config)"
        )


def read_all(
    paths: Sequence[str], limits: Limits | None = None, stdin: IO[bytes] | None = None
) -> tuple[Attachment, ...]:
    """Each of ``paths`` (``-``: ``stdin``) as an attachment, within the limits; the
    first that cannot be attached raises :class:`AttachmentError`."""
    limits = limits or Limits()
    found: list[Attachment] = []
    for path in paths:
        if path == "-":
            if stdin is None:
                raise AttachmentError("cannot attach - : there is no standard input to read")
            attachment = read_stream(stdin, limits)
        else:
            attachment = read_file(path, limits)
        check_added(found, attachment, limits)
        found.append(attachment)
    return tuple(found)
