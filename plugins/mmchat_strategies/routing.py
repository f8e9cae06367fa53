"""How the router decides, without a model: rules, and routes described by examples.

Rules (``route_rules.py``) are counted per route; the most hits wins, a tie goes to
the route listed first. Examples are semantic-router style: each route lists a few
example requests and a request takes the route whose examples it is closest to,
when it is close enough and clearly closer than to any other route. Closeness is, by
default, TF-IDF character n-grams learnt from the examples (``route_tfidf.py``: the
route's centroid and its nearest examples; works in every language, no model); or
the single nearest example, by character trigrams or by a model's embeddings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from mmchat.api import Context, Note, StrategyError
from mmchat.api.answers import normalize_text

NGRAM = 3
# Character n-grams also match on function words ("what's the … of the …"): a request
# must be clearly closer to one route's examples than to any other's (tuned on dev).
LEXICAL_MARGIN = 0.1
# Scripts written without spaces between words: a rule word matches anywhere.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@lru_cache(maxsize=2048)
def compile_rule(pattern: str) -> re.Pattern[str]:
    """A word or phrase matches whole words (``stem*``: words that start with it; in
    Chinese or Japanese, anywhere); anything else is a regular expression."""
    if _UNSPACED.search(pattern) and re.fullmatch(r"\w+", pattern):
        return re.compile(re.escape(pattern))
    if re.fullmatch(r"[\w' -]+\*", pattern):
        return re.compile(rf"(?<!\w){re.escape(pattern[:-1])}", re.IGNORECASE)
    if is_word(pattern):
        return re.compile(rf"(?<!\w){re.escape(pattern)}(?!\w)", re.IGNORECASE)
    return re.compile(pattern, re.IGNORECASE | re.MULTILINE)


def is_word(pattern: str) -> bool:
    return bool(re.fullmatch(r"[\w' -]+", pattern))


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    category: str | None  # None: no rule fired
    scores: dict[str, int] = field(default_factory=dict)  # category → patterns that hit
    hits: dict[str, list[str]] = field(default_factory=dict)
    tied: bool = False  # the winner shared the top score (listed first wins)

    @property
    def runner_up(self) -> str | None:
        ranked = sorted(self.scores, key=lambda c: -self.scores[c])
        others = [c for c in ranked if c != self.category]
        return others[0] if others else None


def classify_by_rules(prompt: str, rules: Mapping[str, Sequence[str]]) -> RuleVerdict:
    """Count matching patterns per category; the most hits wins; a tie goes to the
    category listed first."""
    hits: dict[str, list[str]] = {}
    for category, patterns in rules.items():
        matched = [p for p in patterns if compile_rule(p).search(prompt)]
        if matched:
            hits[category] = matched
    scores = {category: len(found) for category, found in hits.items()}
    if not scores:
        return RuleVerdict(None)
    best = max(scores.values())
    leaders = [c for c in rules if scores.get(c) == best]
    return RuleVerdict(leaders[0], scores, hits, tied=len(leaders) > 1)


def describe_hits(verdict: RuleVerdict) -> str:
    """'the keyword "python" and 2 more' for the decision's reason."""
    assert verdict.category is not None
    found = verdict.hits[verdict.category]
    first = found[0]
    what = f"the keyword {first!r}" if is_word(first) else f"the pattern {first!r}"
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    tie = " (a tie, broken by rule order)" if verdict.tied else ""
    return f"{what}{more}{tie}"


# ---------------------------------------------------------------- examples


def ngrams(text: str) -> Counter[str]:
    padded = f" {normalize_text(text)} "
    return Counter(padded[i : i + NGRAM] for i in range(max(0, len(padded) - NGRAM + 1)))


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    dot = sum(value * b.get(key, 0.0) for key, value in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def vector_cosine(u: Sequence[float], v: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(u, v, strict=False))
    norm = math.sqrt(sum(x * x for x in u)) * math.sqrt(sum(y * y for y in v))
    return dot / norm if norm else 0.0


@dataclass(frozen=True, slots=True)
class ExampleMatch:
    route: str | None  # None: not close enough, or not clearly closer than the next
    scores: dict[str, float]  # route → similarity to its closest example
    closest: str = ""  # the example that decided


def best_route(
    scores: dict[str, float], closest: dict[str, str], threshold: float, margin: float
) -> ExampleMatch:
    ranked = sorted(scores, key=lambda r: -scores[r])
    if not ranked:
        return ExampleMatch(None, {})
    top = ranked[0]
    second = scores[ranked[1]] if len(ranked) > 1 else 0.0
    rounded = {r: round(s, 3) for r, s in scores.items()}
    if scores[top] >= threshold and scores[top] - second >= margin:
        return ExampleMatch(top, rounded, closest[top])
    return ExampleMatch(None, rounded)


def match_lexically(
    prompt: str, examples: Mapping[str, Sequence[str]], threshold: float, margin: float
) -> ExampleMatch:
    """The route whose examples share the most character n-grams with ``prompt``."""
    query = ngrams(prompt)
    scores: dict[str, float] = {}
    closest: dict[str, str] = {}
    for route, texts in examples.items():
        for text in texts:
            score = cosine(query, ngrams(text))
            if score > scores.get(route, -1.0):
                scores[route], closest[route] = score, text
    return best_route(scores, closest, threshold, margin)


def merge_learned(
    examples: dict[str, list[str]], learned: list[tuple[str, str]], categories: list[str]
) -> dict[str, list[str]]:
    """The configured examples plus the requests the user re-routed by hand."""
    merged = {c: list(texts) for c, texts in examples.items()}
    for text, route in learned:
        if route in categories:
            merged.setdefault(route, []).append(text)
    return merged


def match_tfidf(
    prompt: str, examples: Mapping[str, Sequence[str]], threshold: float, margin: float
) -> ExampleMatch:
    """The route whose examples (their centroid and the nearest few) are closest to
    ``prompt`` in TF-IDF character n-grams (``route_tfidf.py``)."""
    from mmchat_strategies.route_tfidf import trained  # not at start-up: when routing

    scored = trained(examples).score(prompt)
    return best_route(scored.scores, scored.closest, threshold, margin)


async def match_by_embeddings(
    ctx: Context, model: str, examples: dict[str, list[str]], threshold: float
) -> ExampleMatch:
    """The route whose examples' embeddings (from ``model``) are closest to the
    request's; word n-grams, with a note, when the model gives no embeddings."""
    texts = [ctx.prompt, *(t for group in examples.values() for t in group)]
    try:
        vectors = await ctx.embed(model, texts)
    except StrategyError as exc:
        ctx.emit(Note(text=f"{exc}; routing by words instead", level="warning"))
        return match_lexically(ctx.prompt, examples, 0.3, margin=LEXICAL_MARGIN)
    query, rest = vectors[0], iter(vectors[1:])
    scores: dict[str, float] = {}
    closest: dict[str, str] = {}
    for route, group in examples.items():
        for text in group:
            score = vector_cosine(query, next(rest))
            if score > scores.get(route, -1.0):
                scores[route], closest[route] = score, text
    return best_route(scores, closest, threshold, margin=0.02)
