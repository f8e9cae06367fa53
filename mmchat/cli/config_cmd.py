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
from mmchat.cli._common import data_out, out, warn
from mmchat.config import (
    ConfigError,
    ConfigProblem,
    LoadedConfig,
    atomic_write,
    config_to_dict,
    default_config_text,
    load_config,
)
from mmchat.config_file import check_path

if TYPE_CHECKING:
    from mmchat.engine import Engine


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "config", help="show, check or edit the configuration file"
    )
    sub = parser.add_subparsers(dest="config_command", metavar="COMMAND")
    path = sub.add_parser(
        "path", help="print the config file's path (--all: every file and folder mmchat uses)"
    )
    path.add_argument(
        "--all", action="store_true", help="also the history, logs, cache, plugins and themes"
    )
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
        loaded = load_config(path) if command == "show" else _checked(path)
    except ConfigError as exc:
        warn(str(exc))
        return 1
    if loaded.created:
        warn(f"Created the default configuration at {path}")
    if command == "show":
        if getattr(args, "raw", False):
            data_out(loaded.text)
        else:
            data_out(tomli_w.dumps(config_to_dict(loaded.config, include_defaults=True)))
        return 0
    config = loaded.config
    out(
        f"{path}: OK ({len(config.providers)} providers, {len(config.models)} models, "
        f"{len(config.presets)} presets)"
    )
    from mmchat.wiring import build_engine, discover_strategies

    engine = build_engine(config, discover_strategies(config), None)
    for warning in engine.preset_warnings():
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _checked(path: Path) -> LoadedConfig:
    """The file loaded, its presets checked too; ConfigError lists every problem."""
    loaded = load_config(path)
    problems = preset_problems(loaded)
    if problems:
        raise ConfigError(path, problems)
    return loaded


def preset_problems(
    loaded: LoadedConfig, engine: Engine | None = None, only: list[str] | None = None
) -> list[ConfigProblem]:
    """Preset-level problems (unknown strategy, bad options, unknown model, cycles),
    with lines: see :mod:`mmchat.preset_check`."""
    from mmchat.config import _key_lines
    from mmchat.preset_check import preset_problems as check

    if engine is None:
        from mmchat.wiring import build_engine, discover_strategies

        engine = build_engine(loaded.config, discover_strategies(loaded.config), None)
    return check(engine, _key_lines(loaded.text), only)


def _config_path(args: argparse.Namespace) -> Path:
    # The lead's top-level parser may offer --config; honour it when present.
    override = getattr(args, "config", None)
    return Path(override).expanduser() if override else paths.config_file()


def _path(path: Path, everything: bool) -> int:
    if not everything:
        out(str(path))
        return 0
    out(f"config    {path}")
    out(f"data      {paths.data_dir()}")
    out(f"history   {paths.db_file()}")
    out(f"logs      {paths.log_dir()}")
    out(f"cache     {paths.cache_dir()}")
    out(f"plugins   {paths.user_plugins_dir()}")
    out(f"themes    {paths.user_themes_dir()}")
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
    try:
        # A dangling link or a FIFO is reported, never replaced or opened.
        exists = check_path(path)
    except ConfigError as exc:
        warn(str(exc))
        return 1
    if not exists:
        try:
            paths.ensure_dir(path.parent)
            atomic_write(path, default_config_text())
        except OSError as exc:
            warn(f"Cannot create {path}: {exc.strerror or exc}")
            return 1
    editor = _editor()
    if editor is None:
        warn("No editor found: set $VISUAL or $EDITOR (e.g. EDITOR=nano).")
        return 1
    while True:
        try:
            status = subprocess.call([*editor, str(path)])
        except OSError as exc:
            warn(f"Cannot start the editor {editor[0]!r}: {exc.strerror or exc}")
            return 1
        if status != 0:
            warn(f"The editor exited with status {status}; file not checked.")
            return 1
        try:
            _checked(path)
        except ConfigError as exc:
            warn(str(exc))
            if sys.stdin.isatty() and _ask("Edit again? [Y/n] "):
                continue
            return 1
        out(f"{path}: OK")
        return 0


def _ask(prompt: str) -> bool:
    try:
        answer = input(prompt)
    except EOFError:
        return False
    return answer.strip().lower() in ("", "y", "yes")
