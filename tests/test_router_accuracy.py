"""The router's default rules on a labelled prompt set: at least 95% right."""

from __future__ import annotations

import json
from pathlib import Path

from mmchat_strategies.router import RouterOptions, classify_by_rules

DATA = Path(__file__).parent / "data" / "router_prompts.jsonl"


def rules_accuracy() -> tuple[float, list[str]]:
    options = RouterOptions()
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    misses = []
    for row in rows:
        got = classify_by_rules(row["prompt"], options.rules).category or options.default
        if got != row["category"]:
            misses.append(f"{row['category']} → {got}: {row['prompt']}")
    return 1 - len(misses) / len(rows), misses


def test_dataset_is_big_and_balanced_enough() -> None:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    categories = {row["category"] for row in rows}
    assert len(rows) >= 48
    assert {"code", "math", "creative", "general"} <= categories
    assert all(sum(r["category"] == c for r in rows) >= 10 for c in categories)


def test_default_rules_reach_95_percent() -> None:
    accuracy, misses = rules_accuracy()
    assert accuracy >= 0.95, misses
