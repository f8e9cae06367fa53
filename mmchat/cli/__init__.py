"""The `mmchat` command. With no subcommand it opens the TUI.

Subcommands import what they need lazily so `mmchat ask` and the TUI start fast.
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
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mmchat",
        description="Multi-model chat for the terminal. Run with no command to open the app.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        module = importlib.import_module(f"mmchat.cli.{module_name}")
        module.add_parser(sub)
    return parser


def _version() -> str:
    from mmchat import __version__

    return f"mmchat {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        from mmchat.tui.app import run

        return run()
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        from mmchat.tui.app import run

        return run()
    module = importlib.import_module(f"mmchat.cli.{SUBCOMMANDS[args.command]}")
    try:
        return int(module.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
