"""Pareto front of a two-objective trade-off: lower cost (or emissions) and higher quality are better."""

from __future__ import annotations

import math
from collections.abc import Sequence


def pareto_front(x: Sequence[float], y: Sequence[float]) -> list[bool]:
    """Which points are not dominated when a lower `x` and a higher `y` are better.

    A point is dominated when another point is at least as good on both axes and strictly better on one.
    Points with a NaN on either axis are never on the front (and dominate nothing). Ties (identical points)
    are all kept. Units are whatever the caller's are; only the order matters.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length ({len(x)} vs {len(y)})")
    valid = [not (math.isnan(a) or math.isnan(b)) for a, b in zip(x, y, strict=True)]
    out = []
    for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
        if not valid[i]:
            out.append(False)
            continue
        dominated = any(
            valid[j] and x[j] <= xi and y[j] >= yi and (x[j] < xi or y[j] > yi)
            for j in range(len(x))
            if j != i
        )
        out.append(not dominated)
    return out
