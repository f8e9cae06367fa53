"""The statistics of an eval: a 95 % Wilson interval for accuracy, and percentiles.

Percentiles come from the standard library (``statistics.quantiles``, "inclusive":
linear interpolation between the closest ranks, as numpy's default). The Wilson score
interval is four lines of algebra, so it is written out rather than pulling in scipy
or statsmodels; unlike the normal approximation it stays inside [0, 1] and is honest
at small n and at 0 % or 100 % (Brown, Cai & DasGupta 2001 recommend it).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["Z95", "percentile", "wilson_interval"]

Z95 = statistics.NormalDist().inv_cdf(0.975)  # 1.959964…


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``successes`` out of ``trials`` (default 95 %).

    With no trials nothing is known: (0, 1)."""
    if trials <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    # At the ends the bound is exactly 0 or 1; the formula leaves a rounding error.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0 < q < 100) of ``values``; None when there are none."""
    if not 0 < q < 100:
        raise ValueError(f"percentile {q} is not between 0 and 100")
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    return cuts[round(q * 10) - 1]
