"""How well the router routes: accuracy on a labelled prompt set, by decision source.

The sets (tests/data/routing/, 120 prompts each, 30 per route, mostly 40 %+ not in
English, about half without the obvious keywords) were written apart from the rules.
The rules and examples were tuned on ``dev`` and then ``heldout``; ``test`` was written
last, by someone who saw neither the rules nor the other sets, and is the figure that
counts (its few near-copies of a tuning prompt are left out).

The configurations run on each set:

- rules only (no model);
- examples only: the examples decider alone (by default TF-IDF character n-grams
  learnt from the shipped examples, which were written apart from every set:
  on all three sets this is a fresh measure), the default route when it is unsure;
- rules + examples (no model): what the route preset does when no model answers;
- the classifier only: the embedded model, held to the route names, confident enough
  by its log-probabilities or the default route;
- the default config's ``route`` preset: rules → examples → classifier → default.

Run: .venv/bin/python bench/bench_router.py [test|heldout|dev] [--no-model]
(the classifier runs the embedded SmolLM2 through llama.cpp: a few minutes on 2 cores)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

from mmchat_strategies.router import Router, RouterOptions, route_categories

from mmchat.api import Message
from mmchat.config import default_config_text
from mmchat.config_schema import Config
from mmchat.plugins import discover
from mmchat.turn import TurnContext
from mmchat.turn_state import Turn
from mmchat.wiring import build_engine

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "routing"


NEAR_DUPLICATE = 80  # rapidfuzz ratio: a test prompt this close to a tuning one is left out


def rows(split: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text().splitlines()]


def fresh(split: str) -> tuple[list[dict[str, Any]], int]:
    """The set's prompts, without near-copies of the tuning sets' (for ``test``)."""
    data = rows(split)
    if split != "test":
        return data, 0
    from rapidfuzz import fuzz

    seen = [r["prompt"].lower() for tuning in ("dev", "heldout") for r in rows(tuning)]
    kept = [
        r for r in data
        if all(fuzz.ratio(r["prompt"].lower(), s) <= NEAR_DUPLICATE for s in seen)
    ]  # fmt: skip
    return kept, len(data) - len(kept)


async def decide(engine: Any, options: RouterOptions, prompt: str) -> tuple[str, str]:
    """(route, source) the router would take for ``prompt`` (no specialist call)."""
    turn = Turn(engine, "bench", lambda event: None, budget=None, review=None)
    ctx = TurnContext(turn, [Message("user", prompt)])
    route = await Router().choose(ctx, options, route_categories(options))
    return route.category, route.source


async def measure(name: str, options: RouterOptions, data: list[dict[str, Any]]) -> None:
    config = Config.model_validate(tomllib.loads(default_config_text()))
    engine = build_engine(config, discover([]), None)
    right = 0
    by_source: Counter[str] = Counter()
    right_by_source: Counter[str] = Counter()
    by_route: Counter[str] = Counter()
    started = time.perf_counter()
    try:
        for row in data:
            route, source = await decide(engine, options, row["prompt"])
            by_source[source] += 1
            if route == row["route"]:
                right += 1
                right_by_source[source] += 1
                by_route[row["route"]] += 1
    finally:
        await engine.aclose()
    seconds = time.perf_counter() - started
    each = seconds / len(data) * 1000
    print(f"{name:34s} {right / len(data):6.1%}  ({right}/{len(data)}, {each:.1f} ms a decision)")
    for source in ("rule", "examples", "classifier", "default"):
        if by_source[source]:
            share = right_by_source[source] / by_source[source]
            print(f"    decided by {source:10s} {by_source[source]:4d}  right {share:6.1%}")
    totals = Counter(row["route"] for row in data)
    routes = ", ".join(
        f"{r} {by_route[r]}/{totals[r]}" for r in ("code", "math", "creative", "general")
    )
    print(f"    right by route: {routes}")


def decider_times(options: RouterOptions, data: list[dict[str, Any]]) -> None:
    """The model-free deciders' own time a request (median, warm), and the examples
    model's one-off training on first use."""
    from statistics import median

    from mmchat_strategies.route_tfidf import MARGIN, train
    from mmchat_strategies.routing import classify_by_rules, match_tfidf

    started = time.perf_counter()
    train(options.examples)
    training = time.perf_counter() - started

    def each(decide: Any) -> float:
        times = []
        for row in data:
            started = time.perf_counter()
            decide(row["prompt"])
            times.append(time.perf_counter() - started)
        return median(times) * 1000

    rules = each(lambda prompt: classify_by_rules(prompt, options.rules))
    examples = each(lambda prompt: match_tfidf(prompt, options.examples, 0.0, MARGIN))
    print(f"decision time (median a request): rules {rules:.2f} ms, examples {examples:.2f} ms"
          f" (+ {training * 1000:.0f} ms once, to learn the examples)")  # fmt: skip


async def main(split: str, with_model: bool) -> None:
    config = Config.model_validate(tomllib.loads(default_config_text()))
    preset = RouterOptions.model_validate(config.presets["route"].options)
    data, dropped = fresh(split)
    left_out = f"; {dropped} near-copies of tuning prompts left out" if dropped else ""
    print(f"router accuracy on tests/data/routing/{split}.jsonl ({len(data)} prompts{left_out})")
    decider_times(preset, data)
    await measure("rules only", preset.model_copy(update={"deciders": ["rules"]}), data)
    await measure("examples only", preset.model_copy(update={"deciders": ["examples"]}), data)
    await measure(
        "rules + examples (no model)",
        preset.model_copy(update={"deciders": ["rules", "examples"]}),
        data,
    )
    if with_model:
        await measure(
            "classifier only (embedded model)",
            preset.model_copy(update={"deciders": ["classifier"]}),
            data,
        )
        await measure("default config (route preset)", preset, data)


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(next((a for a in args if not a.startswith("-")), "test"),
                     "--no-model" not in args))  # fmt: skip
