"""`mmchat keys set|list|delete`: API keys in the OS keyring."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from mmchat import paths, secrets
from mmchat.cli._common import out, warn
from mmchat.config import ConfigError, load_config
from mmchat.config_schema import Config


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "keys", help="store, list or delete API keys (OS keyring)"
    )
    sub = parser.add_subparsers(dest="keys_command", metavar="COMMAND")
    set_ = sub.add_parser("set", help="store a key (prompted without echo, or read from stdin)")
    set_.add_argument("name", help='key name, as in a provider\'s `key = "NAME"`')
    set_.add_argument("--stdin", action="store_true", help="read the key from standard input")
    sub.add_parser("list", help="each configured key: where it comes from, masked")
    delete = sub.add_parser("delete", help="remove a key from the keyring")
    delete.add_argument("name")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "keys_command", None) or "list"
    try:
        if command == "set":
            return _set(args.name, bool(args.stdin))
        if command == "delete":
            return _delete(args.name)
        return _list(args)
    except secrets.SecretStoreUnavailable as exc:
        warn(str(exc))
        return 1
    except ValueError as exc:  # bad key name or empty key
        warn(f"error: {exc}")
        return 1


def _set(name: str, from_stdin: bool) -> int:
    secrets.check_key_name(name)  # before asking for the key: a pasted key is refused here
    if from_stdin or not sys.stdin.isatty():
        value = sys.stdin.read().strip()
    else:
        try:
            value = getpass.getpass(f"API key for {name} (input hidden): ").strip()
        except (EOFError, KeyboardInterrupt):
            warn("\nCancelled.")
            return 1
    if not value:
        warn("error: no key given; nothing stored")
        return 1
    secrets.set_key(name, value)
    _, backend, _ = secrets.keyring_status()
    out(f"Stored key {name!r} ({secrets.mask(value)}) in the OS keyring ({backend}).")
    return 0


def _delete(name: str) -> int:
    if secrets.delete_key(name):
        out(f"Deleted key {secrets.shown_name(name)!r} from the OS keyring.")
        return 0
    warn(f"No key named {secrets.shown_name(name)!r} in the OS keyring.")
    return 1


def configured_keys(config: Config) -> dict[str, tuple[str | None, list[str]]]:
    """Key name -> (env var, providers using it), for providers that take a key."""
    from mmchat.provider_kinds import key_source

    found: dict[str, tuple[str | None, list[str]]] = {}
    for provider_name, provider in config.providers.items():
        source = key_source(provider_name, provider)  # the engine's own rule
        if source is None:
            continue
        previous_env, users = found.get(source.name, (None, []))
        found[source.name] = (previous_env or source.env, [*users, provider_name])
    return found


def _list(args: argparse.Namespace) -> int:
    override = getattr(args, "config", None)
    config_path = Path(override).expanduser() if override else paths.config_file()
    wanted: dict[str, tuple[str | None, list[str]]] = {}
    try:
        wanted = configured_keys(load_config(config_path).config)
    except ConfigError as exc:
        warn(f"warning: config not read, listing stored keys only.\n{exc}")
    usable, _backend, message = secrets.keyring_status()
    rows = secrets.list_keys({name: env for name, (env, _) in wanted.items()})
    if not rows:
        out('No API keys configured. Add `key = "NAME"` to a provider, then')
        out("run `mmchat keys set NAME`.")
    else:
        names = {row.name: secrets.shown_name(row.name) for row in rows}
        width = max(len(shown) for shown in names.values())
        source_width = max(len(row.source) for row in rows)
        for row in rows:
            users = ", ".join(wanted.get(row.name, (None, []))[1]) or "(not used by config)"
            out(
                f"{names[row.name]:<{width}}  {row.source:<{source_width}}  "
                f"{row.masked or '-':<10}  {users}"
            )
    if not usable:
        warn(f"\n{message}")
    return 0
