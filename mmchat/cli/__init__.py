"""The `mmchat` command. With no subcommand it opens the TUI.

Start-up cost matters here: ``--version`` is answered before anything is built, and
only the subcommand being run is imported (the others get a stub parser carrying
their one-line help, so ``mmchat --help`` lists them without importing them).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> module in mmchat.cli with add_parser(subparsers) and run(args) -> int
SUBCOMMANDS = {
    "ask": "ask",
    "models": "models_cmd",
    "plugins": "plugins_cmd",
    "config": "config_cmd",
    "keys": "keys_cmd",
    "eval": "eval_cmd",
    "history": "history_cmd",
    "leaderboard": "leaderboard_cmd",
}

# The one-line help each module's add_parser gives (tests check they stay equal).
SUBCOMMAND_HELP = {
    "ask": "ask once and print the answer",
    "models": "list model aliases and each provider's models",
    "plugins": "list strategies, their options and presets",
    "config": "show, check or edit the configuration file",
    "keys": "store, list or delete API keys (OS keyring)",
    "eval": "measure presets on a dataset of questions with known answers",
    "history": "list, show, search and export stored conversations",
    "leaderboard": "rank models by the answers you picked",
}


def build_parser(command: str | None = None, *, full: bool = False) -> argparse.ArgumentParser:
    """The parser; the real sub-parser only for ``command`` (all of them if ``full``)."""
    parser = argparse.ArgumentParser(
        prog="mmchat",
        description="Multi-model chat for the terminal. Run with no command to open the app.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        if full or name == command:
            module = importlib.import_module(f"mmchat.cli.{module_name}")
            module.add_parser(sub)
        else:
            sub.add_parser(name, help=SUBCOMMAND_HELP[name])
    return parser


def _command_in(args: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first non-option word), if any."""
    for arg in args:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg if arg in SUBCOMMANDS else None
    return None


def _version() -> str:
    from mmchat import __version__

    return f"mmchat {__version__}"


def _run_tui() -> int:
    import gc
    import os

    if sys.stdout.isatty():
        # Textual takes COLUMNS/LINES over the terminal's own size; left in the
        # environment (readline exports them, so do scripts) they describe another
        # terminal and the app would draw in a corner of this one.
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)

    # Importing Textual creates ~30k objects that all live on: with the collector
    # paused they are not walked again and again (the app turns it back on once it has
    # started, see MMChatApp.pause_gc).
    gc.disable()
    from mmchat.tui.app import run

    return run(gc_paused=True)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        return _run_tui()
    if args_list == ["--version"]:
        print(_version())
        return 0
    parser = build_parser(_command_in(args_list))
    args = parser.parse_args(args_list)
    if args.command is None:
        return _run_tui()
    module = importlib.import_module(f"mmchat.cli.{SUBCOMMANDS[args.command]}")
    try:
        return int(module.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
