"""The examples decider's TF-IDF model (route_tfidf.py): what it learns from examples,
when it defers, and that a new example makes a new model."""

from __future__ import annotations

from mmchat_strategies.route_examples import DEFAULT_EXAMPLES
from mmchat_strategies.route_tfidf import MARGIN, features, train, trained
from mmchat_strategies.routing import match_tfidf

EXAMPLES = {
    "code": ["my script crashes with a KeyError", "the build fails on the server"],
    "math": ["what is 15 % of 80", "a train goes 120 km in 2 hours, how fast is it"],
    "creative": ["write a poem about the sea", "a bedtime story about a fox"],
    "general": ["how do I keep basil fresh", "who painted the night watch"],
}


def test_numbers_look_alike_and_words_count_whole() -> None:
    assert features("17 % of 240") == features("35 % of 120")
    assert features("a poem")["w:poem"] == 1 and features("a poem")[" po"] == 1


def test_a_request_takes_the_route_whose_examples_it_shares_n_grams_with() -> None:
    match = match_tfidf("a short poem about the mountains", EXAMPLES, 0.0, MARGIN)
    assert match.route == "creative"
    assert match.closest == "write a poem about the sea"  # the reason the user sees
    assert max(match.scores, key=lambda r: match.scores[r]) == "creative"


def test_a_word_seen_only_inside_other_words_still_matches_by_its_pieces() -> None:
    # "crashing" and "servers" are in no example; their n-grams are
    assert match_tfidf("servers crashing after the build", EXAMPLES, 0.0, MARGIN).route == "code"


def test_it_defers_when_no_route_is_clearly_closer() -> None:
    match = match_tfidf("zzz qqq", EXAMPLES, 0.0, MARGIN)  # shares nothing with any example
    assert match.route is None
    assert set(match.scores) == set(EXAMPLES) and max(match.scores.values()) == 0.0


def test_a_threshold_makes_it_defer_on_weak_closeness() -> None:
    assert match_tfidf("a poem", EXAMPLES, 0.0, MARGIN).route == "creative"
    assert match_tfidf("a poem", EXAMPLES, 0.99, MARGIN).route is None


def test_a_route_with_a_single_example_competes_on_that_example() -> None:
    few = {"math": ["how many tiles for my kitchen floor"], "general": ["hi"]}
    match = match_tfidf("How many tiles do I need for the bathroom floor?", few, 0.0, MARGIN)
    assert match.route == "math" and match.closest == "how many tiles for my kitchen floor"


def test_the_model_is_built_once_and_again_when_an_example_is_added() -> None:
    assert trained(EXAMPLES) is trained({route: list(t) for route, t in EXAMPLES.items()})
    corrected = {**EXAMPLES, "math": [*EXAMPLES["math"], "how much paint for my bedroom walls"]}
    assert trained(corrected) is not trained(EXAMPLES)
    before = match_tfidf("how much paint for my kitchen walls", EXAMPLES, 0.0, MARGIN)
    after = match_tfidf("how much paint for my kitchen walls", corrected, 0.0, MARGIN)
    assert before.route != "math" and after.route == "math"


def test_the_shipped_examples_decide_across_languages() -> None:
    model = train(DEFAULT_EXAMPLES)
    # none of these is a shipped example; each shares words or n-grams with some
    for prompt, route in [
        ("Schreib mir ein Gedicht über den Herbst", "creative"),
        ("Wie viel ist 12 Prozent von 300?", "math"),
        ("mi servidor devuelve un error 500 después del despliegue", "code"),
        ("Quelle est la meilleure saison pour visiter Lisbonne ?", "general"),
    ]:
        scores = model.score(prompt).scores
        assert max(scores, key=lambda r: scores[r]) == route, (prompt, scores)
