"""Summary statistics of measured samples: mean, median, percentiles, a t-based 95% confidence interval."""

from __future__ import annotations

import math
from collections.abc import Sequence

# two-sided 95% Student t quantiles t(0.975, df) for df = 1..30 (any statistics table)
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
Z_975 = 1.959964


def t_975(df: int) -> float:
    """t(0.975, df): table up to 30, beyond it the Cornish-Fisher expansion z + (z^3 + z) / (4 df)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if df <= len(T_975):
        return T_975[df - 1]
    return Z_975 + (Z_975**3 + Z_975) / (4 * df)


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between order statistics (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {q:g}")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50.0)


def stdev(values: Sequence[float]) -> float:
    """Sample standard deviation (n - 1 in the denominator)."""
    if len(values) < 2:
        raise ValueError("standard deviation needs at least 2 values")
    m = mean(values)
    return math.sqrt(math.fsum((x - m) ** 2 for x in values) / (len(values) - 1))


def ci95(values: Sequence[float]) -> tuple[float, float] | None:
    """95% confidence interval of the mean (Student t); None for fewer than 2 values."""
    if len(values) < 2:
        return None
    m = mean(values)
    half = t_975(len(values) - 1) * stdev(values) / math.sqrt(len(values))
    return (m - half, m + half)
