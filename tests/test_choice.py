"""A constrained choice read back, and how sure the model was (mmchat.choice)."""

from __future__ import annotations

import math

from mmchat.choice import choice_confidence, read_choice
from mmchat.providers.base import TokenLogprob

ROUTES = ("code", "math", "creative", "general")


def tokens(*pieces: tuple[str, float, dict[str, float]]) -> list[TokenLogprob]:
    return [TokenLogprob(t, lp, tuple(top.items())) for t, lp, top in pieces]


def test_the_choice_is_read_from_the_schema_json_or_leniently() -> None:
    assert read_choice('{"choice": "math"}', ROUTES) == "math"
    assert read_choice("Category: **Creative**.", ROUTES) == "creative"
    assert read_choice("I am not sure", ROUTES) is None


def test_confidence_is_the_choice_against_the_other_choices_at_its_token() -> None:
    # '{"choice": "' then "math" with code and creative as rivals.
    seen = tokens(
        ('{"choice": "', 0.0, {}),
        ("math", math.log(0.6), {"math": math.log(0.6), "code": math.log(0.2),
                                  "cre": math.log(0.1), "gen": math.log(0.05)}),
        ('"}', 0.0, {}),
    )  # fmt: skip
    sure = choice_confidence(seen, '{"choice": "math"}', "math", ROUTES)
    assert sure is not None and abs(sure - 0.6 / 0.95) < 1e-6


def test_a_choice_a_grammar_forced_shows_up_as_unsure() -> None:
    """llama.cpp reports log-probabilities before the grammar masks tokens: SmolLM2 asked
    about "write a poem about rain" wanted other words, and "code" was forced."""
    seen = tokens(
        ('{\n  "route": "', 0.0, {}),
        ("code", -4.539, {"1": -3.12, "2": -3.69, "write": -3.74, "L": -3.84}),
    )
    sure = choice_confidence(seen, '{\n  "route": "code"\n}', "code", ROUTES)
    assert sure is not None and sure < 0.3


def test_no_logprobs_no_confidence() -> None:
    assert choice_confidence([], '{"choice": "math"}', "math", ROUTES) is None
