"""Names in config.toml that must name something: every dangling one, at once.

A model's ``provider``, ``defaults.preset``, ``defaults.model``, ``defaults.persona``
and ``ui.theme``.
The checks read the parsed TOML as plain data and tolerate wrong types (the schema
reports those), so they run even when other parts of the file are invalid and a
file's problems all come out in one pass. The schema's ``Config`` runs the same
checks on configs built in code (settings, onboarding).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmchat.theme_names import is_known_theme, theme_names, user_themes_dir

__all__ = ["reference_problems"]

Problem = tuple[tuple[str, ...], str]  # (key path, message)


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    return value if isinstance(value, Mapping) else {}


def _known(names: Mapping[str, Any]) -> str:
    return ", ".join(sorted(names)) or "none"


def reference_problems(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    providers, models, presets = (_table(data, n) for n in ("providers", "models", "presets"))
    for alias, model in models.items():
        provider = model.get("provider") if isinstance(model, Mapping) else None
        if isinstance(provider, str) and provider not in providers:
            problems.append(
                (
                    ("models", alias, "provider"),
                    f"no provider named {provider!r} (known: {_known(providers)})",
                )
            )
    defaults = data.get("defaults", {})
    if isinstance(defaults, Mapping):  # else the schema says it is not a table
        preset = defaults.get("preset", "single")
        if presets and isinstance(preset, str) and preset not in presets:
            problems.append(
                (("defaults", "preset"), f"no preset named {preset!r} (known: {_known(presets)})")
            )
        persona = defaults.get("persona", "")
        personas = _table(data, "personas")
        if isinstance(persona, str) and persona and persona not in personas:
            problems.append(
                (
                    ("defaults", "persona"),
                    f"no persona named {persona!r} (known: {_known(personas)})",
                )
            )
        model = defaults.get("model")  # only where set: see Config._references_resolve
        if models and isinstance(model, str) and model not in models:
            problems.append(
                (("defaults", "model"), f"no model alias {model!r} (known: {_known(models)})")
            )
    theme = _table(data, "ui").get("theme")
    if isinstance(theme, str) and not is_known_theme(theme):
        problems.append(
            (
                ("ui", "theme"),
                f"no theme named {theme!r} (known: {', '.join(theme_names())}; "
                f"add your own as a TOML file in {user_themes_dir()})",
            )
        )
    return problems
