"""Cost from the price table. Unknown prices stay unknown (None), never 0."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing this module stays cheap (no pydantic)
    from mmchat.api import Usage
    from mmchat.config_schema import ModelConfig


def lane_cost(model: ModelConfig, usage: Usage) -> float | None:
    if model.price_in is None or model.price_out is None:
        return None
    return (usage.prompt_tokens * model.price_in + usage.completion_tokens * model.price_out) / 1e6


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


def estimate_call_cost(
    model: ModelConfig, prompt_tokens: int, default_max: int = DEFAULT_MAX_TOKENS
) -> float:
    """Worst-case cost of one call, used to refuse a turn before sending it."""
    out_tokens = model.max_tokens or default_max
    return (prompt_tokens * (model.price_in or 0.0) + out_tokens * (model.price_out or 0.0)) / 1e6


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
