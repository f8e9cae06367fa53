"""Agreement between answers: which models said the same thing, and how many.

Voting and consensus need "the same answer" to mean more than identical strings
(the seed's ``Counter(responses)``): "42", "The answer is 42." and "42\n" agree. Short
answers are compared exactly after normalizing; prose is clustered by fuzzy
similarity, because two correct paragraphs are never byte-identical.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# Answers of at most this many words are compared exactly (after normalizing).
SHORT_ANSWER_WORDS = 6
# Prose answers at least this similar (0-100) land in the same cluster.
DEFAULT_SIMILARITY = 75.0

_PREAMBLE = re.compile(
    r"^(?:(?:so|thus|therefore|hence),?\s+)?(?:the\s+)?(?:final\s+)?"
    r"(?:answer|result)\s*(?:is|=|:)\s*:?\s*",
)
# Punctuation, except a decimal point/comma between digits ("3.5") and a leading minus.
_PUNCTUATION = re.compile(r"(?!(?<=\d)[.,](?=\d))(?!(?<!\w)-(?=\d))[^\w\s]|_")
_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, drop a leading "the answer is", punctuation and extra spaces."""
    previous, cleaned = None, text
    while cleaned != previous:  # repeat until stable, so normalize(normalize(x)) == normalize(x)
        previous = cleaned
        cleaned = _WHITESPACE.sub(" ", cleaned.lower()).strip()
        cleaned = _PREAMBLE.sub("", cleaned)
        cleaned = _WHITESPACE.sub(" ", _PUNCTUATION.sub(" ", cleaned)).strip()
    return cleaned


def is_short(text: str, max_words: int = SHORT_ANSWER_WORDS) -> bool:
    return len(normalize(text).split()) <= max_words


def similarity(a: str, b: str) -> float:
    """0-100, word order ignored: the mean of token_set_ratio and token_sort_ratio.

    token_set_ratio alone scores a short answer contained in a long one as 100;
    averaging with token_sort_ratio keeps "yes" and "yes, but mostly no..." apart,
    while two sentences saying the same thing in another order stay close.
    """
    na, nb = normalize(a), normalize(b)
    if na == nb:
        return 100.0
    from rapidfuzz import fuzz  # imported on first use: plugin discovery stays fast

    return (fuzz.token_set_ratio(na, nb) + fuzz.token_sort_ratio(na, nb)) / 2


@dataclass(frozen=True, slots=True)
class Cluster:
    """Answers judged to be the same. ``lanes``/``texts`` keep the input order."""

    lanes: tuple[str, ...]
    texts: tuple[str, ...]
    fraction: float  # share of all counted answers in this cluster

    @property
    def votes(self) -> int:
        return len(self.lanes)

    @property
    def representative(self) -> str:
        """The most complete wording: the longest member (first on ties)."""
        return max(self.texts, key=len)

    @property
    def representative_lane(self) -> str:
        return self.lanes[self.texts.index(self.representative)]


@dataclass(frozen=True, slots=True)
class Agreement:
    clusters: tuple[Cluster, ...]  # largest first; ties keep input order
    method: Literal["exact", "fuzzy"]
    counted: int  # the denominator of every fraction

    @property
    def top(self) -> Cluster | None:
        return self.clusters[0] if self.clusters else None

    @property
    def fraction(self) -> float:
        """Share of counted answers in the largest cluster (0 when none)."""
        return self.clusters[0].fraction if self.clusters else 0.0

    @property
    def tied(self) -> bool:
        return len(self.clusters) > 1 and self.clusters[0].votes == self.clusters[1].votes


def cluster_answers(
    answers: Sequence[tuple[str, str]],
    *,
    threshold: float = DEFAULT_SIMILARITY,
    short_words: int = SHORT_ANSWER_WORDS,
    counted: int | None = None,
) -> Agreement:
    """Group ``(lane, text)`` answers by agreement.

    All short → exact match on the normalized text; otherwise fuzzy, each answer
    joining the first cluster whose first member is at least ``threshold`` similar.
    ``counted`` is the denominator of the fractions (e.g. every model asked, so a
    failed model counts against agreement); it defaults to ``len(answers)``.
    """
    total = max(counted if counted is not None else len(answers), len(answers))
    exact = all(is_short(text, short_words) for _, text in answers)
    groups: list[list[tuple[str, str]]] = []
    for lane, text in answers:
        for group in groups:
            anchor = group[0][1]
            same = (
                normalize(anchor) == normalize(text)
                if exact
                else similarity(anchor, text) >= threshold
            )
            if same:
                group.append((lane, text))
                break
        else:
            groups.append([(lane, text)])
    groups.sort(key=len, reverse=True)  # stable: ties keep first-seen order
    clusters = tuple(
        Cluster(
            lanes=tuple(lane for lane, _ in group),
            texts=tuple(text for _, text in group),
            fraction=len(group) / total if total else 0.0,
        )
        for group in groups
    )
    return Agreement(clusters, "exact" if exact else "fuzzy", total)
