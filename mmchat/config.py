"""Load, validate and save config.toml.

The schema lives in ``config_schema.py``; this module turns tomllib and pydantic
errors into one readable :class:`ConfigError` that names the file, the line, the key
path and what was wrong, for every problem at once: the schema's, the dangling
names (``config_refs.py``) and, when the file is refused anyway, the presets' (which
need the strategy plugins: ``preset_check.py``). The file itself is read by
``config_file.py``, which refuses links to nowhere, FIFOs, huge or deeply nested
files before tomllib sees them. On first run a commented default file is written
from ``default_config.toml``.
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
from mmchat.config_error import ConfigError, ConfigProblem
from mmchat.config_file import MAX_DEPTH, check_text, read_config_text
from mmchat.config_refs import reference_problems
from mmchat.config_schema import REFERENCES_CHECKED_BY_CALLER, Config
from mmchat.key_names import looks_like_secret
from mmchat.toml_scan import open_bracket_at

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
class LoadedConfig:
    path: Path
    config: Config
    created: bool  # True when this run wrote the default file
    text: str = ""  # the file as read (for line numbers); "" when built in code


def default_config_text() -> str:
    return importlib.resources.files("mmchat").joinpath("default_config.toml").read_text("utf-8")


def load_config(path: Path | None = None) -> LoadedConfig:
    """Read and validate ``path`` (default: the user's config.toml), creating it if absent.

    Raises ConfigError listing every problem of the file, the presets' included.
    """
    path = path or paths.config_file()
    created = False
    text = read_config_text(path)
    if text is None:  # nothing there, not even a link: a first run
        text = default_config_text()
        try:
            paths.ensure_dir(path.parent)
            atomic_write(path, text)
        except OSError as exc:
            raise ConfigError(
                path, [ConfigProblem("", f"cannot create it: {exc.strerror or exc}")]
            ) from None
        created = True
    config, data, problems = _validate(text, path)
    if problems:
        problems += _preset_problems(data, text)
        raise ConfigError(path, _in_file_order(problems))
    assert config is not None
    return LoadedConfig(path, config, created, text)


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML ``text``; ``path`` is only used in error messages."""
    config, _data, problems = _validate(text, path)
    if problems:
        raise ConfigError(path, _in_file_order(problems))
    assert config is not None
    return config


def _validate(text: str, path: Path) -> tuple[Config | None, dict[str, Any], list[ConfigProblem]]:
    """(config or None, the TOML data, every schema and reference problem).

    Raises ConfigError when the text cannot be parsed at all (nothing else to check).
    """
    check_text(text, path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, text, path) from None
    except RecursionError:  # check_text caps nesting; this is only a safety net
        raise ConfigError(path, [ConfigProblem("", "nested too deeply to read")]) from None
    deep = _too_deep(data)
    if deep is not None:
        raise ConfigError(
            path,
            [
                ConfigProblem(
                    ".".join(map(str, deep[:3])) + ".…",
                    f"tables nested more than {MAX_DEPTH} levels deep; a config needs only a few",
                    _find_line(deep, _key_lines(text)),
                )
            ],
        )
    errors: list[Any] = []
    config: Config | None = None
    try:
        config = Config.model_validate(data, context={REFERENCES_CHECKED_BY_CALLER: True})
    except ValidationError as exc:
        errors = exc.errors()
    references = reference_problems(data)
    if not errors and not references:
        return config, data, []
    lines = _key_lines(text)  # only needed to locate problems
    problems = [_problem(err, lines) for err in errors]
    for loc, message in references:
        problems.append(ConfigProblem(".".join(loc), message, _find_line(loc, lines)))
    return None, data, problems


def _too_deep(data: Any) -> tuple[str | int, ...] | None:
    """The key path of the first value nested deeper than MAX_DEPTH (dotted keys and
    table headers nest without brackets; everything after tomllib recurses on it)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > MAX_DEPTH:
            return loc
        if isinstance(value, dict):
            stack.extend((v, (*loc, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*loc, i)) for i, v in enumerate(value))
    return None


def _preset_problems(data: dict[str, Any], text: str) -> list[ConfigProblem]:
    """The presets' problems in a file refused anyway, so they come out in one pass."""
    from mmchat.preset_check import problems_in_data

    try:
        return problems_in_data(data, _key_lines(text))
    except Exception:  # a broken plugin must not hide the file's problems
        return []


def _in_file_order(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: p.line if p.line is not None else 1 << 30)


def config_to_dict(config: Config, *, include_defaults: bool = False) -> dict[str, Any]:
    """A plain dict for tomli-w: no None (TOML has none); defaults left out unless asked."""
    defaults = config.defaults.model_dump(mode="json", exclude_none=True)
    if config.models and defaults.get("model") not in config.models:
        # The default "local" naming no alias: written out, it would make the file invalid.
        defaults.pop("model", None)
    if include_defaults:
        result = _drop_none(
            {**config.model_dump(mode="json", exclude_none=True), "defaults": defaults}
        )
        assert isinstance(result, dict)
        return result
    data = config.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    # Always spell out the choices users look for first, even when they are defaults.
    ui = config.ui.model_dump(mode="json", exclude_none=True)
    if not ui.get("keymap"):
        ui.pop("keymap", None)
    ordered: dict[str, Any] = {"defaults": defaults, "ui": ui}
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
    """Replace ``path`` with ``text`` so readers see the old or new file, never half.

    A symbolic link is kept (dotfile managers link config.toml into a repository):
    the file it points to is replaced.
    """
    if os.path.islink(path):
        path = Path(os.path.realpath(path))
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
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")
_UNCLOSED = {"Unclosed array": "[", "Unclosed inline table": "{"}


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str, path: Path) -> ConfigError:
    header = f"Invalid TOML in {path}"
    message = str(exc)
    line: int | None = None
    col = 0
    match = _AT_LINE.search(message)
    if match:
        line, col = int(match.group(1)), int(match.group(2))
        message = message[: match.start()]
    at_end = _AT_END.search(message) if match is None else None
    if at_end:
        message = message[: at_end.start()]
    if message in _UNCLOSED:
        # tomllib notices an unclosed array where it gives up (the next table, the end
        # of the file): point at the bracket that opens it.
        bracket = open_bracket_at(text, line, col, _UNCLOSED[message])
        if bracket is not None and bracket.line != line:
            noticed = f"line {line}" if line is not None else "the end of the file"
            message += f" opened here and never closed (noticed at {noticed})"
            line, col = bracket.line, bracket.column
    if line is None:
        return ConfigError(path, [ConfigProblem("", str(exc))], header=header)
    source = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    detail = f"column {col}: {message}"
    if looks_like_secret(source):
        detail += f"\n    {line} | (not shown: it looks like it holds an API key)"
    elif source.strip():
        shown = source if len(source) <= 160 else source[:160] + " …"
        detail += f"\n    {line} | {shown}"
    return ConfigError(path, [ConfigProblem("", detail, line)], header=header)


def _problem(err: Any, lines: dict[tuple[str | int, ...], int]) -> ConfigProblem:
    loc = _clean_loc(tuple(err["loc"]))
    kind = err["type"]
    message = str(err["msg"])
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    if kind == "value_error" and not loc:
        # Cross-reference checks in Config put the key path at the start of the message.
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
        if looks_like_secret(value):
            return "a string that looks like an API key (not shown)"
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _find_line(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int | None:
    # The longest prefix of the key path that appears in the file (a key or a header).
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


_KEY_PART = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_\-]+))\s*')


def _unescape(basic: str) -> str:
    """A quoted key's text as tomllib reads it (``"\\u001b"`` is one character)."""
    if "\\" not in basic:
        return basic
    try:
        return str(tomllib.loads(f'k = "{basic}"')["k"])
    except tomllib.TOMLDecodeError:
        return basic


def _split_key(text: str) -> tuple[str, ...] | None:
    """Split a dotted TOML key (bare or quoted parts); None if it is not one."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _KEY_PART.match(text, pos)
        if not match:
            return None
        basic, literal, bare = match.groups()
        parts.append(_unescape(basic) if basic is not None else literal or bare or "")
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
