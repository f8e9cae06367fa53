"""`mmchat plugins`: strategies, their options, presets, provider kinds, broken plugins."""

from __future__ import annotations

import argparse
from typing import Any

from mmchat import provider_kinds
from mmchat.cli._common import err, open_session_or_report, out


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plugins", help="list strategies, their options and presets")
    p.add_argument("name", nargs="?", help="show one strategy's options in detail")


def run(args: argparse.Namespace) -> int:
    session = open_session_or_report(save=False)
    if session is None:
        return 2
    registry = session.registry
    config = session.loaded.config
    names = [args.name] if args.name else registry.names()
    for name in names:
        cls = registry.get(name)
        if cls is None:
            err(f"no strategy named {name!r}")
            return 2
        out(f"{name:<11} {cls.summary}  [{registry.origins[name]}]")
        if args.name:
            for field, info in cls.Options.model_fields.items():
                default = info.get_default(call_default_factory=True)
                out(f"    {field} = {default!r}\n        {info.description or ''}")
    presets = [(n, p.strategy) for n, p in config.presets.items()]
    if presets and not args.name:
        out("\npresets: " + ", ".join(f"{n} ({s})" for n, s in presets))
    from mmchat.cli.config_cmd import preset_problems  # cycles too, with their lines

    problems = preset_problems(session.loaded, session.engine)
    for problem in problems:
        out(f"✗ {problem}")
    kinds = provider_kinds.registry()
    if not args.name:
        extra = [f"{n} ({o})" for n, o in kinds.origins.items() if o != "built-in"]
        built_in = [n for n, o in kinds.origins.items() if o == "built-in"]
        out("\nprovider kinds: " + ", ".join([*built_in, *extra]))
    for failure in registry.failures:
        out(f"✗ plugin {failure.name} failed to load ({failure.origin}): {failure.error}")
    for broken in kinds.failures:
        out(f"✗ provider kind {broken.name} failed to load ({broken.origin}): {broken.error}")
    return 1 if registry.failures or kinds.failures or problems else 0
