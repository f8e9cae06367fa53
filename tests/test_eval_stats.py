"""The eval's statistics against published and hand-computed values."""

from __future__ import annotations

import pytest

from mmchat.eval.stats import Z95, percentile, wilson_interval


def test_z_for_95_percent() -> None:
    assert abs(Z95 - 1.959964) < 1e-6


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Wilson score intervals as given by standard tables (e.g. Newcombe 1998, and
        # statsmodels' proportion_confint(method="wilson")).
        (7, 20, 0.1812, 0.5671),
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (10, 10, 0.7225, 1.0),
        (0, 10, 0.0, 0.2775),
        (1, 2, 0.0945, 0.9055),
    ],
)
def test_wilson_interval_known_values(successes: int, trials: int, low: float, high: float) -> None:
    got = wilson_interval(successes, trials)
    assert got == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_interval_contains_the_proportion_and_narrows_with_n() -> None:
    small = wilson_interval(5, 10)
    large = wilson_interval(500, 1000)
    assert small[0] < 0.5 < small[1] and large[0] < 0.5 < large[1]
    assert large[1] - large[0] < small[1] - small[0]


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)  # nothing measured, nothing known
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 11)]  # numpy: p50 5.5, p95 9.55
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile(list(reversed(values)), 95) == pytest.approx(9.55)  # order-free
    assert percentile([2.0, 4.0], 50) == pytest.approx(3.0)


def test_percentiles_of_few_values() -> None:
    assert percentile([], 50) is None
    assert percentile([3.5], 95) == 3.5
    with pytest.raises(ValueError):
        percentile([1.0], 100)
