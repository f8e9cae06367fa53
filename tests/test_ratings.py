"""Bradley–Terry ratings: the fit is the likelihood's maximum, its intervals are its
curvature, and it recovers known strengths; what counts as a comparison."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from mmchat.api import (
    AnswerGroup,
    ConsensusDetail,
    Decision,
    Rating,
    ScoreRow,
    ScoresDetail,
    Tally,
    VoteDetail,
)
from mmchat.history.schema import LaneRow
from mmchat.history.store import Store
from mmchat.ratings.bradley_terry import PRIOR_GAMES, Z95, elo, fit
from mmchat.ratings.comparisons import outcome_pairs, pick_pairs
from mmchat.ratings.history import ratings_from, record_pick
from tests.fakeserver.server import FakeServer
from tests.harness import make_engine, run

Pairs = list[tuple[str, str]]


def log_likelihood(pairs: Pairs, theta: dict[str, float]) -> float:
    """The penalised log-likelihood the fit maximises: the pairs, plus each model's
    virtual win and loss against the reference (log-strength 0)."""
    total = 0.0
    for winner, loser in pairs:
        total -= math.log1p(math.exp(theta[loser] - theta[winner]))
    for t in theta.values():
        total -= PRIOR_GAMES * (math.log1p(math.exp(-t)) + math.log1p(math.exp(t)))
    return total


def sample(strengths: dict[str, float], games: int, seed: int) -> Pairs:
    rng = random.Random(seed)
    models = list(strengths)
    pairs = []
    for _ in range(games):
        a, b = rng.sample(models, 2)
        p_a = strengths[a] / (strengths[a] + strengths[b])
        pairs.append((a, b) if rng.random() < p_a else (b, a))
    return pairs


def fitted_log_strengths(ratings: dict[str, Rating]) -> dict[str, float]:
    """The fit's log-strengths against the prior's reference: the ratings are centred
    (their mean is 0), so find the shift that maximises the penalised likelihood."""
    centred = {m: math.log(r.strength) for m, r in ratings.items()}
    assert sum(centred.values()) == pytest.approx(0.0, abs=1e-9)
    # the prior's score equation in the shift c: Σ_i (1 − 2·σ(θ_i + c)) = 0, monotone
    low, high = -50.0, 50.0
    for _ in range(200):
        c = (low + high) / 2
        slope = sum(1 - 2 / (1 + math.exp(-(t + c))) for t in centred.values())
        low, high = (c, high) if slope > 0 else (low, c)
    return {m: t + (low + high) / 2 for m, t in centred.items()}


def test_the_fit_is_the_maximum_of_the_likelihood() -> None:
    pairs = sample({"a": 4.0, "b": 2.0, "c": 1.0, "d": 0.5}, 120, seed=3)
    ratings = fit(pairs)
    theta = fitted_log_strengths(ratings)
    best = log_likelihood(pairs, theta)
    # the gradient is zero: moving any log-strength either way only lowers it
    for model in theta:
        for step in (1e-3, -1e-3):
            moved = {**theta, model: theta[model] + step}
            assert log_likelihood(pairs, moved) < best
    # the score equations: observed wins (+ the virtual one) = expected wins
    for model, t in theta.items():
        observed = sum(w == model for w, _ in pairs) + PRIOR_GAMES
        expected = sum(
            1 / (1 + math.exp(theta[lo if w == model else w] - t))
            for w, lo in pairs
            if model in (w, lo)
        ) + 2 * PRIOR_GAMES / (1 + math.exp(-t))
        assert observed == pytest.approx(expected, abs=1e-6)


def test_the_interval_is_the_curvature_of_the_likelihood() -> None:
    pairs = sample({"a": 3.0, "b": 1.0, "c": 0.7}, 60, seed=5)
    ratings = fit(pairs)
    models = sorted(ratings)
    theta = fitted_log_strengths(ratings)
    h = 1e-4
    # the observed information by finite differences, inverted, against the fit's
    n = len(models)
    info = [[0.0] * n for _ in range(n)]
    for i, mi in enumerate(models):
        for j, mj in enumerate(models):

            def at(di: float, dj: float, mi: str = mi, mj: str = mj) -> float:
                moved = dict(theta)
                moved[mi] += di
                moved[mj] += dj
                return log_likelihood(pairs, moved)

            info[i][j] = -(at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
    from mmchat.ratings.bradley_terry import _invert

    covariance = _invert(info)
    for i, model in enumerate(models):
        # the rating is θ_i minus the mean θ: its variance by the definition
        var = covariance[i][i] - 2 * sum(covariance[i]) / n
        var += sum(map(sum, covariance)) / n**2
        se = math.sqrt(var) * 400 / math.log(10)
        assert ratings[model].interval == pytest.approx(Z95 * se, rel=1e-3)


def test_known_strengths_are_recovered_within_their_intervals() -> None:
    truth = {"strong": 8.0, "good": 3.0, "fair": 1.0, "weak": 0.3}
    ratings = fit(sample(truth, 2000, seed=11))
    assert sorted(ratings, key=lambda m: -ratings[m].rating) == list(truth)
    # differences to the weakest model (the field's mean is not the truth's)
    for model, strength in truth.items():
        measured = ratings[model].rating - ratings["weak"].rating
        expected = elo(strength) - elo(truth["weak"])
        assert abs(measured - expected) <= ratings[model].interval + ratings["weak"].interval


def test_counts_and_an_unbeaten_model_stays_finite() -> None:
    ratings = fit([("a", "b")] * 5 + [("a", "c")] * 2 + [("b", "b")])
    assert ratings["a"].wins == 7 and ratings["a"].comparisons == 7
    assert ratings["b"].wins == 0 and ratings["b"].comparisons == 5
    assert "b" in ratings and math.isfinite(ratings["a"].rating)
    assert ratings["a"].rating > ratings["c"].rating > ratings["b"].rating
    assert sum(r.rating - 1000 for r in ratings.values()) == pytest.approx(0.0)  # the field
    assert fit([]) == {}
    # more of the same evidence narrows the interval
    few = fit([("a", "b")] * 3 + [("b", "a")] * 2)
    many = fit([("a", "b")] * 30 + [("b", "a")] * 20)
    assert many["a"].interval < few["a"].interval / 2


def lane(lane_id: str, model: str, *, status: str = "done", text: str = "x") -> LaneRow:
    from mmchat.api import Usage

    return LaneRow(
        message_id=1, lane=lane_id, model=model, role="answer", label=model, parent_lane=None,
        text=text, reasoning="", status=status, usage=Usage(), cost=None, ttft=None,
        duration=None, finish_reason=None, error=None,
    )  # fmt: skip


def test_a_pick_wins_against_every_other_answered_pane() -> None:
    lanes = [
        lane("L1", "a"),
        lane("L2", "b"),
        lane("L3", "c", status="failed", text=""),
        lane("L4", "a"),  # the same model twice: not a comparison with itself
        lane("L5", "d", text=""),
    ]
    assert pick_pairs(lanes, "L2") == [("b", "a"), ("b", "a")]
    assert pick_pairs(lanes, "L1") == [("a", "b")]
    assert pick_pairs(lanes, "L3") == []  # a failed pane cannot win


def group(models: tuple[str, ...], lanes: tuple[str, ...]) -> AnswerGroup:
    return AnswerGroup("x", "", len(models), len(models) / 4, lanes, models)


TALLY = Tally(
    groups=(group(("a", "b"), ("L1", "L2")), group(("c",), ("L3",)), group(("d",), ("L4",))),
    counted=4,
    method="exact",
)


def test_outcomes_count_their_winners_against_the_rest() -> None:
    vote = Decision(summary="", detail=VoteDetail(TALLY, winner="L2"))
    assert outcome_pairs([vote]) == [("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")]
    tie = Decision(summary="", detail=VoteDetail(TALLY, tie=True, winner="L1"))
    assert outcome_pairs([tie]) == []
    accepted = ConsensusDetail(TALLY, threshold=0.5, accepted=True, reason="")
    assert len(outcome_pairs([Decision(summary="", detail=accepted)])) == 4
    escalated = ConsensusDetail(TALLY, threshold=0.9, accepted=False, reason="")
    assert outcome_pairs([Decision(summary="", detail=escalated)]) == []
    rows = (
        ScoreRow("L1", "a", 9, 1, 9),
        ScoreRow("L2", "b", 5, 1, 5),
        ScoreRow("L3", "c", 1, 1, 1),
    )
    best = ScoresDetail(rows, winner="L1", scoring="judge")
    assert outcome_pairs([Decision(summary="", detail=best)]) == [("a", "b"), ("a", "c")]
    learned = ScoresDetail(rows, winner="L1", scoring="judge", weights="learned")
    assert outcome_pairs([Decision(summary="", detail=learned)]) == []  # no feedback loop
    step = Decision(summary="", detail=VoteDetail(TALLY, winner="L2"), scope="inner")
    assert outcome_pairs([step]) == []  # a sub-preset's step is not what the user kept


def test_a_second_pick_replaces_the_first(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "h.db")
    conversation = store.create_conversation()
    user = store.add_user_message(conversation, "q", None)
    message = store.start_assistant(conversation, user, "compare", "fanout")
    for lane_id, model in (("L1", "a"), ("L2", "b"), ("L3", "c")):
        store.open_lane(message, lane_id, model, "answer", model)
        store.close_lane(message, lane_id, status="done", text=f"from {model}")
    assert record_pick(store, message, "L1") == 2
    assert record_pick(store, message, "L3") == 2
    assert sorted(store.comparison_pairs()) == [("c", "a"), ("c", "b")]
    assert set(ratings_from(store)) == {"a", "b", "c"}
    assert ratings_from(store, ["kept"]) == {}
    store.close()


async def test_going_on_from_a_vote_records_its_outcome_once(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    presets = {
        "vote": {"strategy": "voting", "options": {"models": ["a", "b", "c"]}},
        "single": {"strategy": "single", "options": {"model": "a"}},
    }
    engine = make_engine(fake_server, presets, store_path=tmp_path / "h.db")
    assert engine.store is not None
    for alias, answer in (("a", "42"), ("b", "42"), ("c", "41")):
        fake_server.script(f"model-{alias}", answer)
    voted, _ = await run(engine, "vote", "6 × 7?")
    assert voted.status == "complete" and voted.text == "42"
    assert engine.store.comparison_pairs() == []  # not kept yet: the user may regenerate
    follow = {"conversation_id": voted.conversation_id, "parent_id": voted.message_id}
    fake_server.script("model-a", "fine")
    await run(engine, "single", "thanks", **follow)
    assert sorted(engine.store.comparison_pairs(["kept"])) == [("a", "c"), ("b", "c")]
    fake_server.script("model-a", "again")
    await run(engine, "single", "thanks again", **follow)  # a second branch from it
    await engine.aclose()
    assert len(engine.store.comparison_pairs()) == 2  # counted once
    assert engine.ratings()["a"].wins == 1
