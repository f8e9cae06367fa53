"""Costs: unknown stays unknown, tiny costs are not shown as zero."""

from __future__ import annotations

from mmchat.accounting import format_cost, lane_cost, total_cost
from mmchat.api import Usage
from mmchat.config_schema import ModelConfig


def test_cost_from_the_price_table_and_unknown_without_one() -> None:
    priced = ModelConfig(provider="p", model="m", price_in=3.0, price_out=15.0)
    assert lane_cost(priced, Usage(1000, 2000)) == (3000 + 30000) / 1e6
    assert lane_cost(ModelConfig(provider="p", model="m"), Usage(10, 10)) is None
    assert total_cost([0.5, None]) is None
    assert total_cost([0.25, 0.5]) == 0.75


def test_format_cost_never_says_zero_for_unknown_or_tiny() -> None:
    assert format_cost(None) == "cost unknown"
    assert format_cost(0.0) == "$0"
    assert format_cost(0.00001) == "<$0.0001"
    assert format_cost(0.0042) == "$0.0042"
    assert format_cost(1.5) == "$1.50"
