"""Lenient parsing of model replies: categories, JSON, numbered lists, scores."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from mmchat.api.parsing import extract_json, numbered_items, parse_score, pick_category

CATEGORIES = ["code", "math", "creative", "general"]


def test_pick_category_first_whole_word_wins() -> None:
    pick = pick_category("Category: **Math** (maybe code)", CATEGORIES)
    assert pick is not None and pick.category == "math" and pick.how == "exact"
    assert pick.runner_up == "code"
    assert pick_category("GENERAL.", CATEGORIES).category == "general"  # type: ignore[union-attr]
    # "codes" is not the word "code", but starts with it.
    assert pick_category("codes", CATEGORIES).how == "prefix"  # type: ignore[union-attr]


def test_pick_category_fuzzy_fallback_and_none() -> None:
    pick = pick_category("creativity", CATEGORIES)
    assert pick is not None and pick.category == "creative"
    assert pick_category("mathematics", CATEGORIES).category == "math"  # type: ignore[union-attr]
    pick = pick_category("genral", CATEGORIES)
    assert pick is not None and pick.category == "general" and pick.how == "fuzzy"
    assert pick_category("I cannot tell", CATEGORIES) is None
    assert pick_category("anything", []) is None


def test_extract_json_from_fences_prose_and_trailing_commas() -> None:
    assert extract_json('Sure!\n```json\n[{"a": 1},]\n```\nHope it helps') == [{"a": 1}]
    assert extract_json('Plan: {"steps": [1, 2,],} thanks') == {"steps": [1, 2]}
    assert extract_json('text {"s": "a } inside"} more') == {"s": "a } inside"}
    assert extract_json("[1, 2] and [3]") == [1, 2]
    assert extract_json("no json here {oops") is None
    assert extract_json("42") is None  # a bare number is not a plan


def test_numbered_items() -> None:
    reply = "Plan:\n1. Look up facts\n2) Do sums\nStep 3: Write\n- bullet too\nnot an item"
    assert numbered_items(reply) == ["Look up facts", "Do sums", "Write", "bullet too"]
    assert numbered_items("just prose") == []


def test_parse_score() -> None:
    assert parse_score("Score: 7") == 7
    assert parse_score("I'd give it 8.5/10") == 8.5
    assert parse_score("3 out of 10, because 42 reasons") == 3
    assert parse_score("answer 2 has 12 issues: 6") == 2
    assert parse_score("eleven") is None and parse_score("15") is None


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=10,
    ).filter(lambda v: isinstance(v, (list, dict))),
    st.text(alphabet="abc .:\n", max_size=20),
)
def test_any_embedded_json_round_trips(value: object, prose: str) -> None:
    reply = f"{prose}\n```json\n{json.dumps(value)}\n```\n{prose}"
    assert extract_json(reply) == value


@given(st.text(max_size=80))
def test_parsers_never_raise(reply: str) -> None:
    extract_json(reply)
    numbered_items(reply)
    pick_category(reply, CATEGORIES)
    score = parse_score(reply)
    assert score is None or 0 <= score <= 10
