"""Costs: unknown stays unknown, tiny costs are not shown as zero, the source is said."""

from __future__ import annotations

from mmchat.accounting import cost_label, format_cost, total_cost


def test_totals_are_unknown_when_any_part_is() -> None:
    assert total_cost([0.5, None]) is None
    assert total_cost([0.25, 0.5]) == 0.75


def test_format_cost_never_says_zero_for_unknown_or_tiny() -> None:
    assert format_cost(None) == "cost unknown"
    assert format_cost(0.0) == "$0"
    assert format_cost(0.00001) == "<$0.0001"
    assert format_cost(0.0042) == "$0.0042"
    assert format_cost(1.5) == "$1.50"


def test_cost_label_names_the_source_of_a_known_cost_only() -> None:
    assert cost_label(0.0031, "genai-prices 0.2.3") == "$0.0031 (genai-prices 0.2.3)"
    assert cost_label(0.0, "local") == "$0 (local)"
    assert cost_label(None, "") == "cost unknown"
    assert cost_label(0.02, "") == "$0.02"
