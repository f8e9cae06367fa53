"""Lenient parsing of model replies: categories, JSON, numbered lists, scores (public API).

Models asked for "one word" or "JSON only" still add preambles, code fences, trailing
commas and explanations. Every parser here takes the first usable reading and returns
None (never raises) when there is none, so the strategy can fall back visibly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

# --------------------------------------------------------------------- categories


@dataclass(frozen=True, slots=True)
class CategoryPick:
    category: str
    how: Literal["exact", "prefix", "fuzzy"]
    runner_up: str | None = None  # the next distinct category the reply mentioned


FUZZY_CUTOFF = 75.0


def pick_category(reply: str, categories: Sequence[str]) -> CategoryPick | None:
    """The category a reply names: first whole-word match (case-insensitive) wins.

    Falls back to a word that starts with a category ("mathematics" → math), then to
    the closest fuzzy match (rapidfuzz), else None.
    """
    if not categories:
        return None
    lowered = reply.lower()
    found: list[tuple[int, str]] = []
    for category in categories:
        match = re.search(rf"(?<![\w-]){re.escape(category.lower())}(?![\w-])", lowered)
        if match:
            found.append((match.start(), category))
    found.sort()
    if found:
        runner_up = found[1][1] if len(found) > 1 else None
        return CategoryPick(found[0][1], "exact", runner_up)
    words = re.findall(r"[\w-]+", lowered)
    for word in words:
        for category in categories:
            if len(category) >= 3 and word.startswith(category.lower()):
                return CategoryPick(category, "prefix")
    from rapidfuzz import fuzz, process  # imported on first use: discovery stays fast

    best: tuple[str, float] | None = None
    lowered_categories = [c.lower() for c in categories]
    for word in words:
        if len(word) < 4:
            continue  # "a", "is", "the" would match anything fuzzily
        hit = process.extractOne(word, lowered_categories, scorer=fuzz.ratio)
        if hit is not None and hit[1] >= FUZZY_CUTOFF and (best is None or hit[1] > best[1]):
            best = (categories[hit[2]], hit[1])
    return CategoryPick(best[0], "fuzzy") if best else None


# --------------------------------------------------------------------------- JSON

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _loads_tolerant(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", text))
    except ValueError:
        return None


def _balanced_spans(text: str) -> list[str]:
    """Every top-level {...} or [...] span, skipping brackets inside strings."""
    spans: list[str] = []
    start, depth, in_string, escaped = -1, 0, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"' and depth > 0:
            in_string = True
        elif char in "{[":
            if depth == 0:
                start = index
            depth += 1
        elif char in "}]" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : index + 1])
    return spans


def extract_json(reply: str) -> Any | None:
    """The first JSON object or array in a reply: fenced block, whole text, or a span."""
    candidates = [block.strip() for block in _FENCE.findall(reply)]
    candidates.append(reply.strip())
    for candidate in candidates:
        value = _loads_tolerant(candidate)
        if isinstance(value, (dict, list)):
            return value
        for span in _balanced_spans(candidate):
            value = _loads_tolerant(span)
            if isinstance(value, (dict, list)):
                return value
    return None


# ------------------------------------------------------------------ numbered lists

_LIST_ITEM = re.compile(
    r"^\s*(?:(?:step\s*)?\d+\s*[.):\-]|[-*•])\s+(.+?)\s*$", re.IGNORECASE | re.MULTILINE
)


def numbered_items(reply: str) -> list[str]:
    """Items of a numbered or bulleted list ("1. x", "2) y", "Step 3: z", "- w")."""
    return [item.strip() for item in _LIST_ITEM.findall(reply) if item.strip()]


# ------------------------------------------------------------------------- scores

_SCORE_PATTERNS = (
    re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:/|out\s+of)\s*10\b", re.IGNORECASE),
    re.compile(r"score\s*[:=]?\s*(?:is\s*)?(-?\d+(?:\.\d+)?)", re.IGNORECASE),
    re.compile(r"(-?\d+(?:\.\d+)?)"),
)


def parse_score(reply: str, low: float = 0.0, high: float = 10.0) -> float | None:
    """A score in [low, high]: "7/10", "Score: 7.5", or the first number in range."""
    for pattern in _SCORE_PATTERNS:
        for match in pattern.finditer(reply):
            value = float(match.group(1))
            if low <= value <= high:
                return value
    return None
