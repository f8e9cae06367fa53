"""`mmchat models`: the configured aliases, what each provider offers, and the GGUF
files on this machine ("local files"); `mmchat models use NAME` runs one of them."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from mmchat.cli._common import err, open_session_or_report, out


def add_parser(sub: Any) -> None:
    p = sub.add_parser("models", help="list model aliases and each provider's models")
    p.add_argument("--provider", help="only this provider")
    p.add_argument("--offline", action="store_true", help="do not ask the providers")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    use = actions.add_parser(
        "use", help="run a GGUF file listed under 'local files' (adds a provider and alias)"
    )
    use.add_argument("name", help="its name in the listing (or a unique part of it)")
    use.add_argument("--default", action="store_true", help="make it the default model")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "use":
        return _use(args.name, make_default=args.default)
    return asyncio.run(_models(args))


def _local_files(model_dirs: list[str]) -> list[Any]:
    from mmchat.local_models.discovery import discover_models

    return discover_models(model_dirs)


def _use(name: str, *, make_default: bool) -> int:
    from mmchat.config import ConfigError, load_config, save_config
    from mmchat.local_models.use import match_model, use_model

    try:
        loaded = load_config()
    except ConfigError as exc:
        err(str(exc))
        return 2
    found = _local_files(loaded.config.local.model_dirs)
    entry = match_model(found, name)
    if isinstance(entry, list):
        if not entry:
            err(f"no GGUF file named {name!r} (`mmchat models --offline` lists them)")
        else:
            err(f"{name!r} matches {len(entry)} files; give one of these names:")
            for candidate in entry:
                err(f"  {candidate.name}")
        return 2
    try:
        config, alias = use_model(loaded.config, entry, make_default=make_default)
    except ValueError as exc:
        err(str(exc))
        return 2
    save_config(config, loaded.path)
    out(f"alias {alias} → {entry.path} (provider {config.models[alias].provider})")
    if make_default:
        out(f"default model is now {alias}")
    else:
        out(f'try it: mmchat ask --model {alias} "…" (or Ctrl+L in the app); --default')
        out("makes it the default model")
    return 0


async def _models(args: argparse.Namespace) -> int:
    session = open_session_or_report(save=False)
    if session is None:
        return 2
    config = session.loaded.config
    names = [args.provider] if args.provider else list(config.providers)
    unknown = [n for n in names if n not in config.providers]
    if unknown:
        err(f"no provider named {unknown[0]!r}")
        await session.aclose()
        return 2

    async def offered(name: str) -> tuple[str, list[str] | str]:
        try:
            provider = await session.engine.provider(name)
            return name, await asyncio.wait_for(provider.list_models(), 15)
        except TimeoutError:
            return name, "no answer within 15 s"
        except Exception as exc:  # shown per provider; one down provider must not hide others
            return name, str(exc)

    try:
        results = [] if args.offline else await asyncio.gather(*(offered(n) for n in names))
    finally:
        await session.aclose()
    listing = dict(results)
    status = 0
    for name in names:
        cfg = config.providers[name]
        out(f"{name} ({cfg.kind})")
        for alias, model in config.models.items():
            if model.provider == name:
                out(f"  alias {alias:<16} → {model.model}")
        found = listing.get(name)
        if isinstance(found, str):
            out(f"  ✗ {found}")
            status = 1
        elif found is not None:
            shown = found[:50]
            out(
                f"  offers {len(found)} model(s): {', '.join(shown)}"
                + (" …" if len(found) > len(shown) else "")
            )
    if not args.provider:
        files = _local_files(config.local.model_dirs)
        out("local files (GGUF)")
        if not files:
            out("  none found (Ollama, LM Studio, the Hugging Face cache, [local] model_dirs)")
        for entry in files:
            out(f"  {entry.line()}")
    return status
