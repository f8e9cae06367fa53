"""Completing a typed file path, as a shell does: the entries of the folder typed so far
whose names start with the last part, folders ending in ``/``.

Used by the attach dialog twice: Textual's :class:`~textual.suggester.Suggester` API
shows the first completion greyed out in the Input (→ or tab takes it), and the list
under the Input shows every match. Textual has no file-path suggester of its own and
a file-picker package would bring a second file browser's look and keys into the app
for what is a folder listing and a prefix match.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester

__all__ = ["MAX_MATCHES", "PathSuggester", "common_completion", "path_matches"]

MAX_MATCHES = 200  # a folder of thousands of files is listed no further


def _split(value: str) -> tuple[str, str]:
    """(the folder part as typed, the name being typed)."""
    head, sep, tail = value.rpartition("/")
    return (head + sep, tail) if sep else ("", value)


def path_matches(value: str, cwd: Path | None = None, limit: int | None = None) -> list[str]:
    """The completions of ``value`` (as typed, relative to ``cwd``), folders first, at
    most ``limit`` of them; a hidden entry only when the name typed starts with a dot."""
    folder_typed, prefix = _split(value)
    folder = Path(os.path.expanduser(folder_typed or "."))
    if not folder.is_absolute():
        folder = (cwd or Path.cwd()) / folder
    try:
        with os.scandir(folder) as entries:
            found: list[tuple[bool, str]] = []
            for entry in entries:
                name = entry.name
                if not name.startswith(prefix) or (name.startswith(".") and prefix[:1] != "."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                found.append((not is_dir, name + "/" if is_dir else name))
                if limit is not None and len(found) >= limit:
                    break
    except OSError:  # no such folder, not a folder, no permission: nothing to offer
        return []
    return [folder_typed + name for _, name in sorted(found, key=lambda f: (f[0], f[1].lower()))]


def common_completion(value: str, cwd: Path | None = None) -> str:
    """``value`` completed as far as every match agrees (tab in a shell)."""
    matches = path_matches(value, cwd)  # all of them: a part may agree where all do not
    if not matches:
        return value
    # By characters on purpose: "no" completes to "notes" when notes.md and notes.txt match.
    return max(value, os.path.commonprefix(matches), key=len)  # noqa: RUF071


class PathSuggester(Suggester):
    """The first completion of what is typed, shown greyed out after it."""

    def __init__(self, cwd: Path | None = None) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # the folder may change
        self.cwd = cwd
        self._last: tuple[str, list[str]] | None = None

    def matches(self, value: str) -> list[str]:
        """The entries matching ``value``: the folder is read once per value typed, for
        the suggestion and for the dialog's list alike."""
        if self._last is None or self._last[0] != value:
            self._last = (value, path_matches(value, self.cwd, limit=MAX_MATCHES))
        return self._last[1]

    async def get_suggestion(self, value: str) -> str | None:
        matches = self.matches(value)
        return matches[0] if matches else None
