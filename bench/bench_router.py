"""Accuracy of the router's default rules on tests/data/router_prompts.jsonl.

Run: .venv/bin/python bench/bench_router.py
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from mmchat_strategies.router import RouterOptions, classify_by_rules

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "router_prompts.jsonl"


def main() -> int:
    options = RouterOptions()
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses = []
    started = time.perf_counter()
    for row in rows:
        verdict = classify_by_rules(row["prompt"], options.rules)
        got = verdict.category or options.default
        total[row["category"]] += 1
        if got == row["category"]:
            right[row["category"]] += 1
        else:
            misses.append((row["category"], got, row["prompt"]))
    per_prompt_ms = (time.perf_counter() - started) / len(rows) * 1000
    accuracy = sum(right.values()) / len(rows)
    print(f"router rules accuracy: {accuracy:.1%} ({sum(right.values())}/{len(rows)})")
    for category in sorted(total):
        print(f"  {category:9s} {right[category]:3d}/{total[category]:<3d}")
    print(f"  {per_prompt_ms:.2f} ms per prompt (rules only, no model call)")
    for want, got, prompt in misses:
        print(f"  miss: want {want}, got {got}: {prompt}")
    return 0 if accuracy >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
