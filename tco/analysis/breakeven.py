"""Break-even: the value of one input at which two options swap rank.

The difference d(x) = metric_a(x) - metric_b(x) is evaluated on a grid of x over [low, high] (one engine call
per option, the grid as samples); the first sign change brackets the flip, and the bracket is refined by
further grids until it is narrower than a relative tolerance. Costs are step functions of demand (whole
accelerators), so the flip may be a jump rather than a root: the value reported is where the sign changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tco.analysis.evaluate import run_engine
from tco.analysis.settings import Setting, apply_option, apply_shared, base_value
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.engine.summary import totals
from tco.scenario.analysis_inputs import Bounds

GRID_POINTS = 65
REFINE_POINTS = 33
REL_TOL = 1e-9
MAX_ROUNDS = 12


@dataclass(frozen=True)
class BreakEven:
    """Where (if anywhere in [low, high]) option_a and option_b swap rank on `metric`."""

    input: str
    option_a: str
    option_b: str
    metric: str
    kind: str  # factor or absolute
    low: float
    high: float
    value: float | None  # factor, or engine units; None: no flip in [low, high]
    text: str
    a_better_below: bool | None  # whether option_a is better (lower) just below the flip
    source: str = ""


def _difference(
    a: OptionInputs,
    b: OptionInputs,
    workload: WorkloadInputs,
    finance: FinanceInputs,
    bounds: Bounds,
    x: np.ndarray,
    metric: str,
) -> np.ndarray:
    s = {bounds.variable.name: Setting(bounds.variable, bounds.kind, x)}
    a2, b2 = apply_option(a, s), apply_option(b, s)
    w2, f2 = apply_shared(workload, finance, s)
    series = run_engine([a2, b2], w2, f2)
    ta = totals(series[a2.id], a2, w2)[metric]
    tb = totals(series[b2.id], b2, w2)[metric]
    return np.broadcast_to(ta - tb, x.shape)


def _text(
    bounds: Bounds, value: float, a: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs
) -> str:
    var = bounds.variable
    cur = finance.currency
    if bounds.kind == "absolute":
        return var.display(value, cur)
    if var.target == "option":
        return f"x{value:.4g} of each option's {var.label}"
    return f"{var.display(value * base_value(var, a, workload, finance), cur)} (x{value:.4g})"


def break_even(
    a: OptionInputs,
    b: OptionInputs,
    workload: WorkloadInputs,
    finance: FinanceInputs,
    bounds: Bounds,
    metric: str = "tco_cost",
) -> BreakEven:
    """The first value of `bounds.variable` in [low, high] where the sign of metric_a - metric_b changes."""
    lo, hi = sorted((bounds.low, bounds.high))
    x = np.linspace(lo, hi, GRID_POINTS)
    d = _difference(a, b, workload, finance, bounds, x, metric)
    sign = np.sign(np.where(np.isfinite(d), d, 0.0))
    nz = np.flatnonzero(sign != 0)
    unit = bounds.variable.display_unit_for(finance.currency)
    span = (
        f"[{lo:.4g}, {hi:.4g}] (factor)"
        if bounds.kind == "factor"
        else f"[{lo * bounds.variable.display_scale:.4g}, {hi * bounds.variable.display_scale:.4g}] {unit}".strip()
    )
    flips = nz[1:][sign[nz[1:]] != sign[nz[:-1]]] if nz.size > 1 else np.array([], dtype=int)
    if flips.size == 0:
        return BreakEven(
            bounds.variable.name,
            a.id,
            b.id,
            metric,
            bounds.kind,
            lo,
            hi,
            None,
            f"no flip within {span}",
            None,
            bounds.source,
        )
    j = int(flips[0])
    prev = int(nz[nz < j][-1])
    left, right = float(x[prev]), float(x[j])
    a_below = bool(sign[prev] < 0)
    s_left = sign[prev]
    for _ in range(MAX_ROUNDS):
        if right - left <= REL_TOL * max(abs(left), abs(right), hi - lo):
            break
        xs = np.linspace(left, right, REFINE_POINTS)
        ds = np.sign(_difference(a, b, workload, finance, bounds, xs, metric))
        changed = np.flatnonzero(ds != s_left)
        k = int(changed[0]) if changed.size else REFINE_POINTS - 1
        if ds[k] == 0:
            left = right = float(xs[k])
            break
        left, right = float(xs[max(k - 1, 0)]), float(xs[k])
    value = (left + right) / 2.0
    return BreakEven(
        bounds.variable.name,
        a.id,
        b.id,
        metric,
        bounds.kind,
        lo,
        hi,
        value,
        _text(bounds, value, a, workload, finance),
        a_below,
        bounds.source,
    )


def break_evens(
    options: list[OptionInputs],
    workload: WorkloadInputs,
    finance: FinanceInputs,
    bounds: Mapping[str, Bounds],
    pair: tuple[str, str],
    metric: str = "tco_cost",
) -> pd.DataFrame:
    """One row per input: where the pair swaps rank on `metric`, or "no flip within ..."."""
    by_id = {o.id: o for o in options}
    a, b = by_id[pair[0]], by_id[pair[1]]
    rows = []
    for b_ in bounds.values():
        r = break_even(a, b, workload, finance, b_, metric)
        below, above = (a.id, b.id) if r.a_better_below else (b.id, a.id)
        rows.append(
            {
                "input": r.input,
                "label": b_.variable.label,
                "option_a": r.option_a,
                "option_b": r.option_b,
                "metric": r.metric,
                "kind": r.kind,
                "value": (r.value if r.kind == "factor" else r.value * b_.variable.display_scale)
                if r.value is not None
                else None,
                "unit": "factor" if r.kind == "factor" else b_.variable.display_unit_for(finance.currency),
                "break_even": r.text,
                "better_below": below if r.value is not None else None,
                "better_above": above if r.value is not None else None,
                "source": r.source,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "input",
            "label",
            "option_a",
            "option_b",
            "metric",
            "kind",
            "value",
            "unit",
            "break_even",
            "better_below",
            "better_above",
            "source",
        ],
    )
