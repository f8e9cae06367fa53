"""The router's model-free layers (rules, then examples) on the labelled routing sets.

tests/data/routing/ holds sets written apart from the rules (see its README). The
figures that count are printed by bench/bench_router.py; these tests keep them from
sliding back. The rules were tuned on dev and heldout, so those are held to a high
bar; test.jsonl was never tuned on (bench_router.py leaves out its 4 near-copies of
tuning prompts; this test keeps them; its floor is the one run of 2026-12-04, 87.9 %
on the 116, at worst 85 % on all 120). The examples decider learns from examples
written apart from all three sets, so on dev and heldout it is measured fresh.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from mmchat_strategies.route_examples import DEFAULT_EXAMPLES
from mmchat_strategies.route_rules import DEFAULT_RULES
from mmchat_strategies.route_tfidf import MARGIN, trained
from mmchat_strategies.routing import classify_by_rules, match_tfidf
from rapidfuzz import fuzz

DATA = Path(__file__).parent / "data" / "routing"
ROUTES = ("code", "math", "creative", "general")


def rows(split: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text().splitlines()]


def route_without_a_model(prompt: str) -> str:
    verdict = classify_by_rules(prompt, DEFAULT_RULES)
    if verdict.category:
        return verdict.category
    match = match_tfidf(prompt, DEFAULT_EXAMPLES, 0.0, margin=MARGIN)
    return match.route or "general"


@pytest.mark.parametrize("split", ["dev", "heldout", "test"])
def test_the_sets_are_balanced_multilingual_and_hard(split: str) -> None:
    data = rows(split)
    assert Counter(r["route"] for r in data) == dict.fromkeys(ROUTES, 30)
    assert sum(r["lang"] != "en" for r in data) / len(data) >= 0.25
    assert sum(r["keywordless"] for r in data) / len(data) >= 1 / 3


@pytest.mark.parametrize(("split", "floor"), [("dev", 0.975), ("heldout", 0.96), ("test", 0.85)])
def test_rules_and_examples_route_well_enough(split: str, floor: float) -> None:
    data = rows(split)
    misses = [
        f"{r['route']} → {got}: {r['prompt'][:60]}"
        for r in data
        if (got := route_without_a_model(r["prompt"])) != r["route"]
    ]
    assert 1 - len(misses) / len(data) >= floor, misses


def test_the_examples_decider_alone_generalises_to_sets_it_never_saw() -> None:
    """The shipped examples were written apart from the sets, so dev and heldout are
    fresh data for the decider learnt from them (the rules were tuned on both)."""
    model = trained(DEFAULT_EXAMPLES)
    data = rows("dev") + rows("heldout")
    best = [(r["route"], model.score(r["prompt"]).scores) for r in data]
    right = sum(max(scores, key=lambda c: scores[c]) == route for route, scores in best)
    assert right / len(data) >= 0.8  # 0.838 on 2026-12-04
    decided = [
        (r["route"], match.route)
        for r in data
        if (match := match_tfidf(r["prompt"], DEFAULT_EXAMPLES, 0.0, MARGIN)).route
    ]
    assert len(decided) >= len(data) / 3  # it decides often enough to matter…
    assert sum(want == got for want, got in decided) / len(decided) >= 0.9  # …and is right (0.93)


def test_example_prompts_are_not_near_copies_of_any_set_prompt() -> None:
    written = [r["prompt"].casefold() for split in ("dev", "heldout", "test") for r in rows(split)]
    copies = [
        text
        for texts in DEFAULT_EXAMPLES.values()
        for text in texts
        if any(fuzz.ratio(text.casefold(), prompt) > 80 for prompt in written)
    ]
    assert not copies
