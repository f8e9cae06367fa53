"""The examples decider's learned model: TF-IDF character n-grams, nearest centroid.

Each route's examples become one centroid: the mean of their TF-IDF vectors over
character 2-4-grams and whole words (digits folded to 0, so "17 % of 240" and "35 %
of 120" look alike). A request takes the route whose centroid is closest by cosine,
when it is clearly closer than to the next one (``margin``); otherwise the decider
defers. This is the nearest-centroid ("Rocchio") text classifier, the same shape as
semantic-router's routes of utterances, but with sparse n-grams instead of a model's
embeddings: it needs no model, works in every script (no tokenizer: n-grams of
characters), and learns from a few dozen examples a route.

Why hand-written and not scikit-learn's TfidfVectorizer + NearestCentroid: the whole
model is ~50 lines of dict arithmetic over a few hundred short texts, builds in tens
of milliseconds and decides in well under a millisecond, while scikit-learn (and
numpy, scipy) would add a large dependency and about a second of import for it.
Why a centroid and not the nearest single example (``lexical``) or naive Bayes:
measured alone on tests/data/routing/dev+heldout, which the examples were not written
from, it was as accurate as naive Bayes and more accurate than nearest-example
matching, and its cosine margin makes a usable "how sure" (see bench/bench_router.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

NGRAMS = (2, 3, 4)
# How much closer than the runner-up a request must be to one route's centroid; chosen
# by 10-fold cross-validation on the shipped examples (requests no rule catches).
CENTROID_MARGIN = 0.02

_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")

Vector = dict[str, float]


def features(text: str) -> Counter[str]:
    """Character 2-4-grams (spaces kept: word starts and ends count) and words."""
    folded = _SPACE.sub(" ", _DIGIT.sub("0", text.casefold())).strip()
    padded = f" {folded} "
    found: Counter[str] = Counter()
    for n in NGRAMS:
        for i in range(len(padded) - n + 1):
            gram = padded[i : i + n]
            if gram.strip():
                found[gram] += 1
    found.update(f"w:{word}" for word in _WORD.findall(folded))
    return found


def _unit(vector: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm else {}


@dataclass(frozen=True, slots=True)
class Centroids:
    idf: dict[str, float]
    centroids: dict[str, Vector]  # route → unit-length mean of its examples' vectors
    examples: dict[str, list[tuple[str, Vector]]]  # route → (text, vector) of each example

    def vector(self, text: str) -> Vector:
        """Sublinear TF × IDF, unit length; n-grams never seen in training are dropped."""
        weights = {
            gram: (1 + math.log(count)) * self.idf[gram]
            for gram, count in features(text).items()
            if gram in self.idf
        }
        return _unit(weights)

    def scores(self, text: str) -> dict[str, float]:
        """Route → cosine between the request and the route's centroid."""
        query = self.vector(text)
        return {
            route: sum(weight * centroid.get(gram, 0.0) for gram, weight in query.items())
            for route, centroid in self.centroids.items()
        }

    def closest(self, text: str, route: str) -> str:
        """The route's example nearest to ``text``: what a decision shows as its reason."""
        query = self.vector(text)
        return max(
            self.examples.get(route, []),
            key=lambda example: sum(w * example[1].get(g, 0.0) for g, w in query.items()),
            default=("", {}),
        )[0]


def train(examples: Mapping[str, Sequence[str]]) -> Centroids:
    texts = [text for group in examples.values() for text in group]
    documents = [(route, features(text)) for route, group in examples.items() for text in group]
    frequency: Counter[str] = Counter()
    for _, grams in documents:
        frequency.update(grams.keys())
    total = len(documents)
    idf = {gram: math.log((1 + total) / (1 + df)) + 1 for gram, df in frequency.items()}
    model = Centroids(idf, {}, defaultdict(list))
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    for (route, grams), text in zip(documents, texts, strict=True):
        vector = _unit({g: (1 + math.log(c)) * idf[g] for g, c in grams.items()})
        sums[route].update(vector)
        model.examples[route].append((text, vector))
    model.centroids.update({route: _unit(summed) for route, summed in sums.items()})
    return model


@lru_cache(maxsize=8)
def _trained(frozen: tuple[tuple[str, tuple[str, ...]], ...]) -> Centroids:
    return train(dict(frozen))


def trained(examples: Mapping[str, Sequence[str]]) -> Centroids:
    """The model for these examples, built once (a re-routed request adds an example,
    and with it a new model)."""
    return _trained(tuple((route, tuple(texts)) for route, texts in examples.items()))
