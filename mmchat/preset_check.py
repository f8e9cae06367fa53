"""Presets checked against the strategy plugins, as config problems with lines.

The schema cannot see these: they need the plugins. Each preset must resolve (a known
strategy, valid options, known models and sub-presets: ``Engine.resolve_preset``),
and the presets it runs (options declared with ``preset_option``: ``escalate_preset``,
``route_presets``...) must not lead back to it, nor nest deeper than a turn allows
(``turn_state.MAX_DEPTH``): either would only fail at run time, after models were
paid for. A cycle is named (``agree → route → agree``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mmchat.config_error import ConfigProblem
from mmchat.config_schema import NAME_PATTERN, Config, PresetConfig
from mmchat.turn_state import MAX_DEPTH

if TYPE_CHECKING:
    from mmchat.engine import Engine

__all__ = ["preset_problems", "problems_in_data"]

Lines = Mapping[tuple[str | int, ...], int]


def _line(lines: Lines, name: str, field: str) -> int | None:
    return lines.get(("presets", name, field)) or lines.get(("presets", name))


def preset_problems(
    engine: Engine, lines: Lines, only: Iterable[str] | None = None
) -> list[ConfigProblem]:
    """Problems of the presets ``only`` names (default: all), in the engine's config."""
    from mmchat.engine import PresetError

    presets = engine.config.presets
    names = list(only) if only is not None else list(presets)
    problems: list[ConfigProblem] = []
    runs: dict[str, list[str]] = {}  # preset -> the presets it runs, for those that resolve
    pending = list(names)
    while pending:  # also resolve the presets reachable from ``names``
        name = pending.pop()
        if name in runs:
            continue
        try:
            strategy, options = engine.resolve_preset(name)
        except PresetError as exc:
            runs[name] = []
            if name in names:
                message = str(exc)
                field = "strategy" if "uses strategy" in message else "options"
                line = _line(lines, name, field)
                problems.append(ConfigProblem(f"presets.{name}", message, line))
            continue
        runs[name] = [p for p in type(strategy).preset_refs(options) if p in presets]
        pending += [p for p in runs[name] if p not in runs]
    problems += _composition_problems(runs, names, lines)
    return problems


def _composition_problems(
    runs: Mapping[str, list[str]], names: list[str], lines: Lines
) -> list[ConfigProblem]:
    cycles, chains = _walk(runs, names)
    problems: list[ConfigProblem] = []
    for cycle in cycles:
        members = [n for n in names if n in cycle]
        owner = (
            members[0] if members else next((n for n in names if _reaches(runs, n, cycle[0])), None)
        )
        if owner is None:
            continue
        what = "runs itself" if owner in cycle else "runs presets that run each other"
        problems.append(
            ConfigProblem(
                f"presets.{owner}",
                f"{what} in a cycle: {' → '.join([*cycle, cycle[0]])}; a preset may not run "
                "itself, directly or through others",
                _line(lines, owner, "options"),
            )
        )
    for name in names:
        chain = chains.get(name, [name])
        if len(chain) - 1 > MAX_DEPTH:
            problems.append(
                ConfigProblem(
                    f"presets.{name}",
                    f"runs presets more than {MAX_DEPTH} levels deep "
                    f"({' → '.join(chain)}); a turn allows {MAX_DEPTH}",
                    _line(lines, name, "options"),
                )
            )
    return problems


def _reaches(runs: Mapping[str, list[str]], start: str, target: str) -> bool:
    seen, pending = {start}, [start]
    while pending:
        node = pending.pop()
        if node == target:
            return True
        for child in runs.get(node, []):
            if child not in seen:
                seen.add(child)
                pending.append(child)
    return False


def _walk(
    runs: Mapping[str, list[str]], starts: list[str]
) -> tuple[list[tuple[str, ...]], dict[str, list[str]]]:
    """Every cycle (rotated to start at its smallest name) and, per preset, its longest
    chain of runs that avoids cycles (capped past MAX_DEPTH). Iterative: a file may
    hold thousands of presets."""
    cycles: dict[tuple[str, ...], None] = {}
    chains: dict[str, list[str]] = {}
    on_path: dict[str, int] = {}
    for start in starts:
        if start in chains:
            continue
        path: list[str] = [start]
        stack = [iter(runs.get(start, []))]
        on_path[start] = 0
        while stack:
            node = path[-1]
            child = next(stack[-1], None)
            if child is None:  # node done: its longest chain from its children's
                best = max(
                    (chains[c] for c in runs.get(node, []) if c in chains),
                    key=len,
                    default=[],
                )
                chains[node] = [node, *best[: MAX_DEPTH + 1]]
                stack.pop()
                path.pop()
                del on_path[node]
            elif child in on_path:
                cycle = path[on_path[child] :]
                first = cycle.index(min(cycle))
                cycles[tuple(cycle[first:] + cycle[:first])] = None
            elif child not in chains:
                on_path[child] = len(path)
                path.append(child)
                stack.append(iter(runs.get(child, [])))
    return list(cycles), chains


def problems_in_data(data: Mapping[str, Any], lines: Lines) -> list[ConfigProblem]:
    """The presets' problems in TOML data the schema refused: every preset that is
    itself valid is checked against the models and presets the file names."""
    from mmchat.engine import Engine
    from mmchat.plugins import discover, plugin_dirs

    raw = data.get("presets")
    raw_presets = raw if isinstance(raw, Mapping) else {}
    valid: dict[str, PresetConfig] = {}
    named: dict[str, PresetConfig] = {}
    for name, value in raw_presets.items():
        if not re.match(NAME_PATTERN, name):
            continue  # the schema reports the name
        named[name] = PresetConfig.model_construct(strategy="", options={})
        try:
            valid[name] = PresetConfig.model_validate(value)
        except ValidationError:
            continue  # the schema reports it
    models = data.get("models")
    plugins_dir = data.get("plugins_dir")
    config = Config.model_construct(
        presets={**named, **valid},
        models=dict.fromkeys(models) if isinstance(models, Mapping) else {},
        plugins_dir=plugins_dir if isinstance(plugins_dir, str) else None,
    )
    engine = Engine(config, discover(plugin_dirs(config.plugins_dir)), store=None)
    return preset_problems(engine, lines, list(valid))
