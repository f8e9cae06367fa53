"""Agreement between answers: normalizing, exact vs fuzzy clustering, fractions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from mmchat_strategies._similarity import cluster_answers, is_short, normalize, similarity


def test_normalize_drops_case_punctuation_and_preamble() -> None:
    assert normalize("  The answer is: Paris.  ") == "paris"
    assert normalize("PARIS!") == "paris"
    assert normalize("So the final answer is 42.") == "42"
    assert normalize("3.5") == "3.5" and normalize("-7") == "-7"
    assert normalize("a,\n\n b") == "a b"


def test_short_answers_cluster_exactly() -> None:
    agreement = cluster_answers([("L1", "42"), ("L2", "The answer is 42."), ("L3", "43")])
    assert agreement.method == "exact"
    assert [c.lanes for c in agreement.clusters] == [("L1", "L2"), ("L3",)]
    assert agreement.fraction == 2 / 3
    assert agreement.top is not None and agreement.top.representative == "The answer is 42."
    assert agreement.top.representative_lane == "L2"


def test_prose_clusters_fuzzily_with_a_threshold() -> None:
    a = "Water boils at 100 degrees Celsius at sea level under normal pressure."
    b = "At sea level, under normal pressure, water boils at 100 degrees Celsius."
    c = "Bananas are berries in botany, while strawberries are not berries."
    agreement = cluster_answers([("L1", a), ("L2", b), ("L3", c)])
    assert agreement.method == "fuzzy"
    assert [c.votes for c in agreement.clusters] == [2, 1]
    reworded = "At sea level water boils at one hundred degrees Celsius."
    strict = cluster_answers([("L1", a), ("L2", reworded)], threshold=99.9)
    assert [c.votes for c in strict.clusters] == [1, 1] and strict.tied


def test_counted_puts_failed_models_in_the_denominator() -> None:
    agreement = cluster_answers([("L1", "yes"), ("L2", "yes")], counted=4)
    assert agreement.fraction == 0.5 and agreement.counted == 4


def test_containment_is_not_full_agreement() -> None:
    assert similarity("yes", "yes, but only on Tuesdays when the moon is full") < 75
    assert is_short("The answer is forty two") and not is_short("one two three four five six seven")


def test_empty_input() -> None:
    agreement = cluster_answers([])
    assert agreement.clusters == () and agreement.fraction == 0.0 and agreement.top is None


answers = st.lists(
    st.tuples(st.text(alphabet="abc ", min_size=1, max_size=3), st.text(max_size=40)),
    max_size=8,
    unique_by=lambda pair: pair[0],
)


@given(answers)
def test_clusters_partition_the_answers(pairs: list[tuple[str, str]]) -> None:
    agreement = cluster_answers(pairs)
    lanes = [lane for cluster in agreement.clusters for lane in cluster.lanes]
    assert sorted(lanes) == sorted(lane for lane, _ in pairs)
    votes = [cluster.votes for cluster in agreement.clusters]
    assert votes == sorted(votes, reverse=True)
    if pairs:
        assert abs(sum(c.fraction for c in agreement.clusters) - 1.0) < 1e-9


@given(st.text(max_size=60))
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@given(st.text(max_size=60))
def test_an_answer_agrees_with_itself(text: str) -> None:
    assert similarity(text, text) == 100.0
