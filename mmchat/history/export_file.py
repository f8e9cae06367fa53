"""Where an export goes: a file named after the conversation's title.

A title is whatever the user (or the first line of a question) said, so it is made a
safe file name with **pathvalidate** (a maintained library that knows every platform's
rules: path separators, control characters, reserved names such as ``CON`` or
``nul``, trailing dots and spaces, the length limit in bytes) rather than by hand;
leading dots are dropped too, so an export is never a hidden file. The file is created
exclusively: an export never replaces another one ("Title (2).md" follows "Title.md").
"""

from __future__ import annotations

import re
from pathlib import Path

from pathvalidate import sanitize_filename

__all__ = ["export_name", "write_export"]

NAME_BYTES = 80  # of the title part: room for " (NNN)" and the suffix in any file system
_SPACES = re.compile(r"\s+")


def export_name(title: str, fallback: str) -> str:
    """``title`` as a file name (without suffix); ``fallback`` when nothing is left."""
    flat = _SPACES.sub(" ", title).strip()  # newlines and tabs: one space
    name = sanitize_filename(flat, platform="universal", max_len=NAME_BYTES)
    name = name.strip().lstrip(".").strip()
    return name or fallback


def write_export(folder: Path, title: str, suffix: str, text: str, fallback: str) -> Path:
    """Write ``text`` to a new file in ``folder`` named after ``title``; its path."""
    name = export_name(title, fallback)
    for number in range(1, 1000):
        path = folder / (f"{name}{suffix}" if number == 1 else f"{name} ({number}){suffix}")
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{folder / name}{suffix}: 999 exports of this title already")
