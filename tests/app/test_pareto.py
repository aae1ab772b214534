"""tco.analysis.pareto: the non-dominated set when lower x and higher y are better."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tco.analysis.pareto import pareto_front


def test_dominated_points_are_off_the_front() -> None:
    #          cheap+good  dear+better  dear+worse  cheap+worse
    x = [1.0, 3.0, 4.0, 2.0]
    y = [0.8, 0.9, 0.7, 0.6]
    assert pareto_front(x, y) == [True, True, False, False]


def test_ties_are_all_kept_and_nan_never_on_front() -> None:
    assert pareto_front([1.0, 1.0, math.nan], [0.5, 0.5, 0.99]) == [True, True, False]


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match=r"x and y differ in length \(2 vs 1\)"):
        pareto_front([1.0, 2.0], [0.5])


finite = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=12))
def test_front_is_nonempty_and_mutually_non_dominated(points: list[tuple[float, float]]) -> None:
    x, y = [p[0] for p in points], [p[1] for p in points]
    front = pareto_front(x, y)
    on = [p for p, f in zip(points, front, strict=True) if f]
    assert on
    for a in on:
        for b in on:
            assert not (b[0] <= a[0] and b[1] >= a[1] and (b[0] < a[0] or b[1] > a[1]))
    for p, f in zip(points, front, strict=True):  # every point off the front is dominated by one on it
        if not f:
            assert any(q[0] <= p[0] and q[1] >= p[1] for q in on)
