"""Weights learned from the user's own picks, for ``ensemble`` (``weights = "learned"``).

Each member's Bradley–Terry strength (``ctx.ratings()``, see ``mmchat leaderboard``)
divided by the members' mean, so the weights average 1: a model the user prefers
3 : 1 to another weighs 3 times as much, which is what the strength means. Until every
member has ``min_comparisons`` the weights are equal and the caller says why: a rating
from two picks is mostly its prior.
"""

from __future__ import annotations

from collections.abc import Mapping

from mmchat.api import Rating

__all__ = ["learned_weights"]


def learned_weights(
    ratings: Mapping[str, Rating], members: list[str], min_comparisons: int
) -> tuple[dict[str, float], str]:
    """Weights from the ratings (Bradley–Terry strength ÷ the members' mean), and ""; or
    equal weights and why, when a member has too few comparisons."""
    short = [
        f"{m} ({ratings[m].comparisons if m in ratings else 0} of {min_comparisons})"
        for m in members
        if m not in ratings or ratings[m].comparisons < min_comparisons
    ]
    if short:
        why = f"too few comparisons for learned weights: {', '.join(short)}; equal weights"
        return dict.fromkeys(members, 1.0), why
    mean = sum(ratings[m].strength for m in members) / len(members)
    return {m: round(ratings[m].strength / mean, 3) for m in members}, ""
