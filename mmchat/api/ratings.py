"""A model's rating, learned from the user's own comparisons (see ``Context.ratings``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Rating"]


@dataclass(frozen=True, slots=True)
class Rating:
    """One model's Bradley–Terry rating from the user's picks.

    ``rating`` is on the Elo scale (1000 + 400·log10 of the strength: 400 points more
    means 10 : 1 odds of being preferred); ``interval`` is the half-width of its 95 %
    interval on the same scale; ``strength`` is the Bradley–Terry strength itself (the
    chance that this model is preferred to another is s / (s + s_other)).
    """

    model: str
    rating: float
    interval: float
    strength: float
    comparisons: int  # how many comparisons it took part in
    wins: int
