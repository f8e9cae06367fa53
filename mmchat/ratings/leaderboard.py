"""The leaderboard: models ranked by their rating, as rows, text lines and JSON.

Model names come from the history database and are shown as data: the CLI makes
control characters visible (``mmchat.sanitize``), the TUI escapes markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mmchat.api import Rating

__all__ = ["FORMAT", "Row", "leaderboard", "table_lines", "to_json"]

FORMAT = 1  # the --json format's version


@dataclass(frozen=True, slots=True)
class Row:
    rank: int
    model: str
    rating: float
    interval: float  # ± half-width of the 95 % interval
    comparisons: int
    wins: int


def leaderboard(ratings: Mapping[str, Rating]) -> list[Row]:
    """Best first; equal ratings by name."""
    ordered = sorted(ratings.values(), key=lambda r: (-r.rating, r.model))
    return [
        Row(n, r.model, r.rating, r.interval, r.comparisons, r.wins)
        for n, r in enumerate(ordered, start=1)
    ]


def table_lines(rows: list[Row]) -> list[str]:
    """A plain-text table (names as they are: the caller makes them safe to print)."""
    width = max([len("model"), *(len(r.model) for r in rows)])
    out = [f"{'rank':>4}  {'model':<{width}}  {'rating':>6}  {'95 %':>6}  {'compared':>8}  wins"]
    for r in rows:
        out.append(
            f"{r.rank:>4}  {r.model:<{width}}  {r.rating:>6.0f}  ±{r.interval:>5.0f}"
            f"  {r.comparisons:>8}  {r.wins:>4}"
        )
    return out


def to_json(rows: list[Row], *, sources: list[str]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "model": "bradley-terry",
        "scale": "elo: 1000 + 400·log10(strength); interval: 95 %",
        "sources": sources,
        "rows": [asdict(r) for r in rows],
    }
