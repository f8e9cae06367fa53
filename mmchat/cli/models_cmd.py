"""`mmchat models`: the configured aliases and what each provider offers."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from mmchat.cli._common import err, open_session_or_report, out


def add_parser(sub: Any) -> None:
    p = sub.add_parser("models", help="list model aliases and each provider's models")
    p.add_argument("--provider", help="only this provider")
    p.add_argument("--offline", action="store_true", help="do not ask the providers")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_models(args))


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
    return status
