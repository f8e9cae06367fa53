"""Load, validate and save config.toml.

The schema lives in ``config_schema.py``; this module turns tomllib and pydantic
errors into one readable :class:`ConfigError` that names the file, the line, the key
path and what was wrong, for every problem at once. On first run a commented default
file is written from ``default_config.toml``.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from mmchat import paths, provider_kinds
from mmchat.config_schema import Config

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "LoadedConfig",
    "atomic_write",
    "config_to_dict",
    "default_config_text",
    "load_config",
    "parse_config",
    "save_config",
]


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    key: str  # dotted key path, "" when the whole file is concerned
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class ConfigError(Exception):
    """A config file that cannot be used. ``str()`` is the whole user-facing message."""

    def __init__(self, path: Path, problems: list[ConfigProblem], header: str = "") -> None:
        self.path = path
        self.problems = problems
        self.header = header or f"Invalid config file {path}"
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1 and not self.problems[0].key and self.problems[0].line is None:
            return f"{self.header}: {self.problems[0].message}"
        lines = [f"{self.header}:"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    path: Path
    config: Config
    created: bool  # True when this run wrote the default file


def default_config_text() -> str:
    return importlib.resources.files("mmchat").joinpath("default_config.toml").read_text("utf-8")


def load_config(path: Path | None = None) -> LoadedConfig:
    """Read and validate ``path`` (default: the user's config.toml), creating it if absent."""
    path = path or paths.config_file()
    created = False
    if not path.exists():
        try:
            paths.ensure_dir(path.parent)
            atomic_write(path, default_config_text())
        except OSError as exc:
            raise ConfigError(
                path, [ConfigProblem("", f"cannot create it: {exc.strerror or exc}")]
            ) from None
        created = True
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [ConfigProblem("", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ConfigError(
            path, [ConfigProblem("", f"cannot read it: {exc.strerror or exc}")]
        ) from None
    return LoadedConfig(path, parse_config(text, path), created)


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML ``text``; ``path`` is only used in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, text, path) from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = _key_lines(text)
        problems = [_problem(err, lines) for err in exc.errors()]
        raise ConfigError(path, problems) from None


def config_to_dict(config: Config, *, include_defaults: bool = False) -> dict[str, Any]:
    """A plain dict for tomli-w: no None (TOML has none); defaults left out unless asked."""
    if include_defaults:
        result = _drop_none(config.model_dump(mode="json", exclude_none=True))
        assert isinstance(result, dict)
        return result
    data = config.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    # Always spell out the choices users look for first, even when they are defaults.
    ui = config.ui.model_dump(mode="json", exclude_none=True)
    if not ui.get("keymap"):
        ui.pop("keymap", None)
    ordered: dict[str, Any] = {
        "defaults": config.defaults.model_dump(mode="json", exclude_none=True),
        "ui": ui,
    }
    ordered.update((k, v) for k, v in data.items() if k not in ordered)
    result = _drop_none(ordered)
    assert isinstance(result, dict)
    return result


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write ``config`` atomically with mode 0600. Comments in the old file are lost."""
    path = path or paths.config_file()
    paths.ensure_dir(path.parent)
    atomic_write(path, tomli_w.dumps(config_to_dict(config)))
    return path


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` so readers see the old or new file, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp already uses 0600; be explicit for other modes
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # Make the rename itself durable.
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ------------------------------------------------------------------ error helpers


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value


_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str, path: Path) -> ConfigError:
    message = str(exc)
    match = _AT_LINE.search(message)
    if not match:
        return ConfigError(path, [ConfigProblem("", message)], header=f"Invalid TOML in {path}")
    line, col = int(match.group(1)), int(match.group(2))
    message = message[: match.start()]
    source = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    detail = f"column {col}: {message}"
    if source.strip():
        detail += f"\n    {line} | {source}"
    return ConfigError(path, [ConfigProblem("", detail, line)], header=f"Invalid TOML in {path}")


def _problem(err: Any, lines: dict[tuple[str | int, ...], int]) -> ConfigProblem:
    loc = _clean_loc(tuple(err["loc"]))
    kind = err["type"]
    message = str(err["msg"])
    if kind == "value_error" and not loc:
        # Cross-reference checks in Config put the key path at the start of the message.
        message = message.removeprefix("Value error, ")
        match = re.match(r"^([\w.\-]+): (.*)$", message, re.S)
        if match:
            loc = tuple(match.group(1).split("."))
            message = match.group(2)
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, "kind")
        tag = json.dumps(str(err.get("ctx", {}).get("tag", "")))
        found = "missing `kind`" if kind == "union_tag_not_found" else f"unknown kind {tag}"
        message = f"{found}; expected one of: {', '.join(provider_kinds.names())}"
        broken = provider_kinds.registry().failure(str(err.get("ctx", {}).get("tag", "")))
        if broken is not None:
            message += f" (kind {tag} is installed but failed to load: {broken.error})"
    line = _find_line(loc, lines)
    if kind == "extra_forbidden":
        table = ".".join(map(str, loc[:-1]))
        where = f"[{table}]" if table else "the top level"
        return ConfigProblem("", f"unknown key `{loc[-1]}` in {where}", line)
    if kind == "missing":
        table = ".".join(map(str, loc[:-1]))
        where = f" in [{table}]" if table else ""
        return ConfigProblem("", f"missing required key `{loc[-1]}`{where}", line)
    if loc and loc[-1] == "[key]":
        return ConfigProblem(
            ".".join(map(str, loc[:-1])),
            f"invalid name {_found(err)}: use letters, digits, _ . - (not starting with _ . -)",
            line,
        )
    if kind not in ("value_error", "union_tag_invalid", "union_tag_not_found"):
        message = f"{message}; found {_found(err)}"
    return ConfigProblem(".".join(map(str, loc)), message, line)


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    # Discriminated unions insert the tag ("openai"...) after the provider name.
    if len(loc) >= 3 and loc[0] == "providers" and loc[2] in provider_kinds.registry().kinds:
        loc = loc[:2] + loc[3:]
    return tuple(x if isinstance(x, int) else str(x) for x in loc)


def _found(err: Any) -> str:
    value = err.get("input")
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _find_line(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int | None:
    # The longest prefix of the key path that appears in the file (a key or a header).
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


_KEY_PART = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_\-]+))\s*')


def _split_key(text: str) -> tuple[str, ...] | None:
    """Split a dotted TOML key (bare or quoted parts); None if it is not one."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _KEY_PART.match(text, pos)
        if not match:
            return None
        parts.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map key paths to the 1-based line that defines them (best effort, no full parser)."""
    found: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    array_counts: dict[tuple[str | int, ...], int] = {}
    in_multiline = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            in_multiline = line.count('"""') % 2 == 0 and line.count("'''") % 2 == 0
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            parts = _split_key(line[2:].split("]]", 1)[0])
            if parts is not None:
                index = array_counts.get(parts, 0)
                array_counts[parts] = index + 1
                table = (*parts, index)
                found.setdefault(parts, number)
                found.setdefault(table, number)
            continue
        if line.startswith("["):
            parts = _split_key(line[1:].split("]", 1)[0])
            if parts is not None:
                table = parts
                found.setdefault(table, number)
            continue
        if "=" in line:
            key = _split_key(line.split("=", 1)[0])
            if key is not None:
                for end in range(1, len(key) + 1):
                    found.setdefault((*table, *key[:end]), number)
            value = line.split("=", 1)[1]
            if (value.count('"""') % 2) or (value.count("'''") % 2):
                in_multiline = True
    return found
