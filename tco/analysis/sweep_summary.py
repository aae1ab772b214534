"""What a finished sweep says: the best point per objective, which inputs moved each objective most, and the
cost-emissions Pareto front. Pure functions of the sweep's table (a pandas frame) and its metadata.

How much an input moved an objective is its **correlation ratio** eta^2: the share of the objective's
variance across the points that the input's value alone explains, sum_g n_g (mean_g - mean)^2 /
sum_i (y_i - mean)^2, grouping the points by the input's value (a numeric input with more than
`BINS` distinct values is cut into `BINS` groups of equal count). On a full grid it is the input's main
effect; 0 means the objective's mean is the same at every value of the input, 1 that the input alone
decides it. Points whose row holds an error, or whose objective is not a number, are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

BINS = 10


def ok_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of points that ran (no error)."""
    return df[df["error"].isna()] if "error" in df.columns else df


def best_points(df: pd.DataFrame, objectives: Mapping[str, str], inputs: Sequence[str]) -> pd.DataFrame:
    """One row per objective: its best value (min or max), the point and its inputs; ties: the lowest point."""
    rows = []
    good = ok_rows(df)
    for col, sense in objectives.items():
        if col not in good.columns:
            continue
        y = pd.to_numeric(good[col], errors="coerce")
        y = y[np.isfinite(y)]
        if y.empty:
            continue
        best = y.min() if sense == "min" else y.max()
        i = y.index[y == best][0]
        r = good.loc[i]
        rows.append(
            {
                "objective": col,
                "sense": sense,
                "value": float(best),
                "point": int(r["point"]),
                "inputs": {c: _plain(r[c]) for c in inputs},
            }
        )
    return pd.DataFrame(rows, columns=["objective", "sense", "value", "point", "inputs"])


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def eta_squared(x: pd.Series, y: pd.Series, bins: int = BINS) -> float:
    """Share of the variance of `y` explained by the groups of `x` (see the module docstring)."""
    y = pd.to_numeric(y, errors="coerce").astype(float)
    keep = np.isfinite(y.to_numpy()) & x.notna().to_numpy()
    x, y = x[keep], y[keep]
    if len(y) < 2:
        return float("nan")
    total = float(((y - y.mean()) ** 2).sum())
    if total <= 0.0:
        return 0.0
    groups = x
    if pd.api.types.is_numeric_dtype(x) and x.nunique() > bins:
        groups = pd.qcut(x.rank(method="first"), bins, labels=False)
    g = y.groupby(groups.to_numpy())
    between = float((g.count() * (g.mean() - y.mean()) ** 2).sum())
    return min(1.0, max(0.0, between / total))


def importance(df: pd.DataFrame, objectives: Sequence[str], inputs: Sequence[str]) -> pd.DataFrame:
    """eta^2 of every input for every objective: one row per input, one column per objective, the inputs
    ordered by their largest share (the input that moved an answer most first)."""
    good = ok_rows(df)
    table = pd.DataFrame(
        {o: [eta_squared(good[i], good[o]) for i in inputs] for o in objectives if o in good.columns},
        index=list(inputs),
    )
    if table.empty:
        return table
    order = table.max(axis=1).fillna(-1).sort_values(ascending=False, kind="stable").index
    return table.loc[order]


def pareto_min(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points on the front when lower `x` AND lower `y` are better (none dominated: no other point is at
    least as good on both and better on one); NaN is never on it. Ties (identical points) all stay."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    on = np.zeros(len(x), dtype=bool)
    valid = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if valid.size == 0:
        return on
    order = valid[np.lexsort((y[valid], x[valid]))]  # by x, then y
    best_y = np.inf
    prev: tuple[float, float] | None = None
    on_prev = False
    for i in order:
        pt = (float(x[i]), float(y[i]))
        if pt == prev:  # the same point as one on the front
            on[i] = on_prev
            continue
        on_prev = bool(y[i] < best_y)
        on[i] = on_prev
        best_y = min(best_y, float(y[i]))
        prev = pt
    return on


def scatter_frame(df: pd.DataFrame, cost: str, emissions: str) -> pd.DataFrame:
    """The points that ran, with `x` (cost), `y` (emissions) and `on_front` (the Pareto front of lower cost
    and lower emissions), in point order."""
    good = ok_rows(df).copy()
    good["x"] = pd.to_numeric(good[cost], errors="coerce")
    good["y"] = pd.to_numeric(good[emissions], errors="coerce")
    good = good[good["x"].notna() & good["y"].notna()].reset_index(drop=True)
    good["on_front"] = pareto_min(good["x"].to_numpy(), good["y"].to_numpy())
    good.attrs["failed"] = len(df) - len(ok_rows(df))
    return good
