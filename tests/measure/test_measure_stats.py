from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from measure import stats


def test_golden_values() -> None:
    xs = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert stats.mean(xs) == 4.0
    assert stats.median(xs) == 3.0
    assert stats.percentile(xs, 95) == pytest.approx(8.8)  # numpy.percentile(xs, 95)
    assert stats.stdev([2.0, 4.0, 6.0]) == 2.0
    lo, hi = stats.ci95([2.0, 4.0, 6.0])  # type: ignore[misc]
    assert (lo, hi) == (pytest.approx(4.0 - 4.303 * 2.0 / 3**0.5), pytest.approx(4.0 + 4.303 * 2.0 / 3**0.5))
    assert stats.ci95([5.0]) is None


def test_t_quantiles() -> None:
    assert stats.t_975(1) == 12.706
    assert stats.t_975(30) == 2.042
    assert stats.t_975(60) == pytest.approx(2.000, abs=0.001)  # tables: 2.000
    with pytest.raises(ValueError, match=r"^degrees of freedom must be at least 1, got 0$"):
        stats.t_975(0)


@given(st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=2, max_size=30))
def test_ci_contains_mean_and_percentiles_are_ordered(xs: list[float]) -> None:
    lo, hi = stats.ci95(xs)  # type: ignore[misc]
    m = stats.mean(xs)
    assert lo <= m * (1 + 1e-12) + 1e-9 and m <= hi * (1 + 1e-12) + 1e-9
    assert min(xs) <= stats.median(xs) <= stats.percentile(xs, 95) <= max(xs)
