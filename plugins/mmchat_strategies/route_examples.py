"""The router's default examples: requests each route is for, in many languages, from
which the examples decider learns (``route_tfidf.py``: TF-IDF character n-grams).

Written for the project from the routes' descriptions (code: programming, tooling,
servers, sites and apps, spreadsheets' formulas; math: sums, word problems, units,
odds; creative: poems, stories, toasts, names, make-believe, rewriting; general:
facts, advice, health, travel, cooking, small talk), half of them without the obvious
keyword, in 15 languages. None is taken from the labelled sets in tests/data/routing/:
tests/test_router_accuracy.py checks that none is a near-copy of a prompt there.
The examples are data: they live in route_examples.json beside this module.
"""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_EXAMPLES: dict[str, list[str]] = json.loads(
    (Path(__file__).with_name("route_examples.json")).read_text(encoding="utf-8")
)
