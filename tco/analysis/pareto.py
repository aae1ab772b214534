"""Pareto front of a two-objective trade-off: lower cost (or emissions) and higher quality are better."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results


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


# The trade-offs of quality a view offers: x axis -> the summary column plotted against quality (lower is better).
TRADEOFFS: dict[str, str] = {"cost": "levelised_cost_per_1k_queries", "emissions": "g_per_query"}


def tradeoff_frame(results: Results, x: str = "cost") -> pd.DataFrame:
    """Options with a quality score: option, name, x (the summary column `TRADEOFFS[x]`), quality,
    quality_metric, and on_front (not dominated: no other option both lower on x and higher in quality)."""
    if x not in TRADEOFFS:
        raise ValueError(f"x must be one of {', '.join(TRADEOFFS)}, got {x!r}")
    col = TRADEOFFS[x]
    s = results.summary
    df = pd.DataFrame(
        {
            "option": [str(o) for o in s["option"]],
            "name": list(s["name"]),
            "x": s[col].astype(float).to_numpy(),
            "quality": s["quality"].astype(float).to_numpy(),
            "quality_metric": list(s["quality_metric"]),
        }
    )
    df = df[df["quality"].notna() & df["x"].notna()].reset_index(drop=True)
    df["on_front"] = pareto_front(list(df["x"]), list(df["quality"]))
    return df
