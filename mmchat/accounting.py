"""Adding up and showing costs. Unknown prices stay unknown (None), never 0.

Where a price comes from (your config, the local machine, the genai-prices table) is
:mod:`mmchat.prices`; this module only sums costs and writes them for people.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["cost_label", "format_cost", "total_cost"]


def total_cost(costs: Iterable[float | None]) -> float | None:
    """Sum of known costs; None when any part is unknown."""
    total = 0.0
    for cost in costs:
        if cost is None:
            return None
        total += cost
    return total


# A model without max_tokens is assumed to answer at most this much (for estimates).
DEFAULT_MAX_TOKENS = 1024


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "cost unknown"
    if cost == 0:
        return "$0"
    if cost < 0.0001:
        return "<$0.0001"
    if cost < 0.01:
        return f"${cost:.4f}"
    return f"${cost:.2f}"


def cost_label(cost: float | None, source: str) -> str:
    """A cost and where its price came from: "$0.0031 (genai-prices 0.2.3)", "$0 (local)",
    "$0.02 (your price)"; "cost unknown" without a price."""
    shown = format_cost(cost)
    return f"{shown} ({source})" if cost is not None and source else shown
