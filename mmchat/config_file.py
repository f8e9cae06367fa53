"""Read config.toml without trusting what is at its path.

Before any parser sees the file: a dangling symbolic link or a link loop is named
(never replaced by a default file: the user's link is theirs), a FIFO, directory or
device is refused without blocking on it (opened with ``O_NONBLOCK``), the size is
capped, and the bytes must be UTF-8 (a UTF-8 byte-order mark, which Windows editors
write, is accepted; a UTF-16 one is named). :func:`check_text` then caps the nesting
of arrays and inline tables, which tomllib parses recursively, with the line where
it goes too deep. Standard library only: the TUI reads the file this way before its
first frame. Each refusal is a :class:`ConfigError` naming the file.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path

from mmchat.config_error import ConfigError, ConfigProblem
from mmchat.toml_scan import too_deep

__all__ = ["MAX_BYTES", "MAX_DEPTH", "check_path", "check_text", "read_config_text"]

# A real config is a few KB and nests about 6 levels (presets.x.options.stages[0]...).
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _refuse(path: Path, message: str, line: int | None = None) -> ConfigError:
    return ConfigError(path, [ConfigProblem("", message, line)])


def _not_regular(path: Path, mode: int) -> ConfigError:
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return _refuse(path, f"it is {kind}, not a regular file; put a TOML file there")


def check_path(path: Path) -> bool:
    """False when nothing is at ``path`` (not even a link); True for a regular file.

    Raises ConfigError for a dangling link, a link loop, or anything but a file.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _refuse(path, f"cannot read it: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError as exc:
            target = _link_target(path)
            if exc.errno == errno.ELOOP:
                why = f"it is a symbolic link to {target} in a loop of links"
            elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
                why = f"it is a symbolic link to {target}, which does not exist"
            else:
                why = f"it is a symbolic link to {target}, which cannot be read ({exc.strerror})"
            raise _refuse(path, f"{why}; fix or remove the link (it is left as it is)") from None
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode)
    return True


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def read_config_text(path: Path) -> str | None:
    """The file's text, or None when nothing is at ``path`` (the caller may create it)."""
    if not check_path(path):
        return None
    try:
        # O_NONBLOCK: if a FIFO replaced the file since check_path, open must not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _refuse(path, f"cannot read it: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        if info.st_size > MAX_BYTES:
            raise _too_big(path, info.st_size)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _refuse(path, f"cannot read it: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:  # it grew while we read
        raise _too_big(path, len(data))
    return _decode(path, data)


def _too_big(path: Path, size: int) -> ConfigError:
    return _refuse(path, f"it is {size / 1024 / 1024:.1f} MB; a config file may be at most 1 MB")


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]  # what Windows editors write: harmless
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse(
            path,
            "it is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8",
            1,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _refuse(
            path,
            f"not UTF-8 text (byte 0x{data[exc.start]:02X} at column {column}: {exc.reason}); "
            "save it as UTF-8",
            line,
        ) from None


def check_text(text: str, path: Path) -> None:
    """Refuse text too large or too deeply nested to hand to tomllib."""
    if len(text) > MAX_BYTES:
        raise _too_big(path, len(text.encode("utf-8", "replace")))
    deep = too_deep(text, MAX_DEPTH)
    if deep is not None:
        raise _refuse(
            path,
            f"column {deep.column}: arrays and inline tables nested more than {MAX_DEPTH} "
            "levels deep; a config needs only a few",
            deep.line,
        )
