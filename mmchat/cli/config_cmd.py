"""`mmchat config path|show|validate|edit`."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from mmchat import paths
from mmchat.config import (
    ConfigError,
    ConfigProblem,
    LoadedConfig,
    atomic_write,
    config_to_dict,
    default_config_text,
    load_config,
)

if TYPE_CHECKING:
    from mmchat.engine import Engine


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "config", help="show, check or edit the configuration file"
    )
    sub = parser.add_subparsers(dest="config_command", metavar="COMMAND")
    path = sub.add_parser("path", help="print where the config file (and other files) live")
    path.add_argument("--all", action="store_true", help="also print data, plugin, theme dirs")
    show = sub.add_parser("show", help="print the effective configuration (defaults filled in)")
    show.add_argument("--raw", action="store_true", help="print the file as written instead")
    sub.add_parser("validate", help="check the file; report every problem with its line")
    sub.add_parser("edit", help="open the file in $VISUAL / $EDITOR, then check it")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    path = _config_path(args)
    command = getattr(args, "config_command", None) or "path"
    if command == "path":
        return _path(path, bool(getattr(args, "all", False)))
    if command == "edit":
        return _edit(path)
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    if loaded.created:
        print(f"Created the default configuration at {path}", file=sys.stderr)
    if command == "show":
        if getattr(args, "raw", False):
            print(path.read_text("utf-8"), end="")
        else:
            data = config_to_dict(loaded.config, include_defaults=True)
            print(tomli_w.dumps(data), end="")
        return 0
    config = loaded.config
    problems = preset_problems(loaded)
    if problems:
        print(ConfigError(path, problems), file=sys.stderr)
        return 1
    print(
        f"{path}: OK ({len(config.providers)} providers, {len(config.models)} models, "
        f"{len(config.presets)} presets)"
    )
    from mmchat.wiring import build_engine, discover_strategies

    engine = build_engine(config, discover_strategies(config), None)
    for warning in engine.preset_warnings():
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def preset_problems(
    loaded: LoadedConfig, engine: Engine | None = None, only: list[str] | None = None
) -> list[ConfigProblem]:
    """Preset-level problems (unknown strategy, bad options, unknown model), with lines.

    The schema cannot see these: they need the strategy plugins, so they are checked
    by resolving each preset through an Engine (``Engine.validate_presets``).
    """
    from mmchat.config import _key_lines
    from mmchat.engine import PresetError

    if engine is None:
        from mmchat.wiring import build_engine, discover_strategies

        engine = build_engine(loaded.config, discover_strategies(loaded.config), None)
    try:
        lines = _key_lines(loaded.path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        lines = {}
    problems: list[ConfigProblem] = []
    for name in only if only is not None else list(loaded.config.presets):
        try:
            engine.resolve_preset(name)
        except PresetError as exc:
            message = str(exc)
            field = "strategy" if "uses strategy" in message else "options"
            line = lines.get(("presets", name, field)) or lines.get(("presets", name))
            problems.append(ConfigProblem(f"presets.{name}", message, line))
    return problems


def _config_path(args: argparse.Namespace) -> Path:
    # The lead's top-level parser may offer --config; honour it when present.
    override = getattr(args, "config", None)
    return Path(override).expanduser() if override else paths.config_file()


def _path(path: Path, everything: bool) -> int:
    print(path)
    if everything:
        print(f"data      {paths.data_dir()}")
        print(f"history   {paths.db_file()}")
        print(f"logs      {paths.log_dir()}")
        print(f"cache     {paths.cache_dir()}")
        print(f"plugins   {paths.user_plugins_dir()}")
        print(f"themes    {paths.user_themes_dir()}")
    return 0


def _editor() -> list[str] | None:
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            return shlex.split(value)
    for fallback in ("sensible-editor", "nano", "vi"):
        found = shutil.which(fallback)
        if found:
            return [found]
    return None


def _edit(path: Path) -> int:
    if not path.exists():
        try:
            paths.ensure_dir(path.parent)
            atomic_write(path, default_config_text())
        except OSError as exc:
            print(f"Cannot create {path}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    editor = _editor()
    if editor is None:
        print("No editor found: set $VISUAL or $EDITOR (e.g. EDITOR=nano).", file=sys.stderr)
        return 1
    while True:
        try:
            status = subprocess.call([*editor, str(path)])
        except OSError as exc:
            print(f"Cannot start the editor {editor[0]!r}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        if status != 0:
            print(f"The editor exited with status {status}; file not checked.", file=sys.stderr)
            return 1
        try:
            load_config(path)
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            if sys.stdin.isatty() and _ask("Edit again? [Y/n] "):
                continue
            return 1
        print(f"{path}: OK")
        return 0


def _ask(prompt: str) -> bool:
    try:
        answer = input(prompt)
    except EOFError:
        return False
    return answer.strip().lower() in ("", "y", "yes")
