"""Two what-ifs side by side: which inputs differ and how the results move (`tco diff`, the app's compare view).

Computed here, shown by `tco.presentation.diff`. The inputs are compared as written in the two scenarios' raw
mappings (a value keeps the unit its file gives it: `8 %`, `0.12 USD/kWh`), by field path: `discount_rate`,
`workload.queries_per_day`, `options[slm-1b-l4].region` (a list of mappings is matched by each entry's `id`,
`task` or `name`, so reordering a list is no change). The results are compared per option (total cost of
ownership, net present cost, emissions) for the options both what-ifs have, and for a task portfolio the
optimised plan's headline (net present cost without and with the carbon price, emissions) and its routing.
Every change is B - A, and its percentage is of A (NaN where A is 0).

    >>> from tco.api import compute_view, load_scenario
    >>> d = diff_views(compute_view(load_scenario("portfolio")), compute_view(load_scenario("procurement")))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from tco.errors import ScenarioError

if TYPE_CHECKING:
    from tco.analysis.plan import Plan
    from tco.analysis.view import View

# Per option, the measures compared (columns of Results.summary), in the order shown.
OPTION_MEASURES: tuple[str, ...] = (
    "tco_cost",
    "npv_cost",
    "emissions_kg",
    "cost_per_1k_queries",
    "g_per_query",
)
# Of the optimised plan: net present cost without the carbon price, with it, and emissions.
PLAN_MEASURES: tuple[str, ...] = ("npv_cost_without_carbon", "npv_cost_with_carbon", "emissions_kg")
LIST_KEYS: tuple[str, ...] = ("id", "task", "name")  # what identifies an entry of a list of mappings
MISSING = "(not set)"  # an input one what-if sets and the other leaves to its default
FRAME_COLUMNS = ["scope", "option", "measure", "unit", "a", "b", "change", "change_pct"]


@dataclass(frozen=True)
class InputChange:
    """One input that differs: its field path and its value in A and in B, as written (`MISSING` when unset)."""

    path: str
    a: Any
    b: Any


@dataclass(frozen=True)
class WhatIfDiff:
    """How B differs from A. `results`: one row per (scope, option, measure) with columns FRAME_COLUMNS,
    scope `option` (option = its id) or `plan` (option = "plan"); `change` = b - a, `change_pct` = 100 x change /
    a (NaN where a is 0). `routes`: task -> (A's route, B's route) for the tasks whose plan routing differs."""

    name_a: str
    name_b: str
    currency: str
    inputs: tuple[InputChange, ...]
    results: pd.DataFrame
    only_a: tuple[str, ...]  # options only A has
    only_b: tuple[str, ...]  # options only B has
    routes: dict[str, tuple[str, str]]
    plan_basis: str | None  # the objectives of the two optimised plans, in words, when there are plans
    names: dict[str, str]  # option (and cascade) id -> its name, B's where both have it

    @property
    def moved(self) -> pd.DataFrame:
        """The rows whose value changed."""
        return self.results[self.results["change"].abs() > 0]


def _list_key(items: list[Any]) -> str | None:
    """The key that names every entry of a list of mappings uniquely, or None (compared by position)."""
    if not items or not all(isinstance(i, Mapping) for i in items):
        return None
    for key in LIST_KEYS:
        values = [i.get(key) for i in items]
        if all(isinstance(v, str | int) for v in values) and len(set(values)) == len(values):
            return key
    return None


def _walk(a: Any, b: Any, path: str, out: list[InputChange]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in [*a, *(k for k in b if k not in a)]:
            sub = f"{path}.{k}" if path else str(k)
            _walk(a.get(k, MISSING), b.get(k, MISSING), sub, out)
        return
    if isinstance(a, list) and isinstance(b, list):
        key = _list_key(a) if _list_key(a) == _list_key(b) else None
        if key is not None:
            ma = {str(i[key]): i for i in a}
            mb = {str(i[key]): i for i in b}
            for k in [*ma, *(k for k in mb if k not in ma)]:
                _walk(ma.get(k, MISSING), mb.get(k, MISSING), f"{path}[{k}]", out)
            return
        if len(a) == len(b) and all(not isinstance(x, Mapping | list) for x in [*a, *b]):
            if a != b:
                out.append(InputChange(path, a, b))
            return
        if len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                _walk(x, y, f"{path}[{i}]", out)
            return
    if a != b:
        out.append(InputChange(path, a, b))


def diff_inputs(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[InputChange, ...]:
    """Every leaf field that differs between two scenarios' raw mappings, by path (see the module)."""
    out: list[InputChange] = []
    _walk(a, b, "", out)
    return tuple(out)


def _row(scope: str, option: str, measure: str, unit: str, a: float, b: float) -> dict[str, Any]:
    change = b - a
    pct = 100.0 * change / a if a != 0 and math.isfinite(a) else math.nan
    return {
        "scope": scope,
        "option": option,
        "measure": measure,
        "unit": unit,
        "a": a,
        "b": b,
        "change": change,
        "change_pct": pct,
    }


def _plan_values(p: Plan) -> dict[str, float]:
    return {
        "npv_cost_without_carbon": float(p.cost_without_carbon),
        "npv_cost_with_carbon": float(p.cost_with_carbon),
        "emissions_kg": float(p.kg),
    }


def _value(summary: pd.DataFrame, option: str, column: str) -> float:
    v: Any = summary.loc[option, column]
    return float(v)


def diff_views(a: View, b: View) -> WhatIfDiff:
    """How view `b` differs from view `a`: the inputs (both need their scenario) and the results."""
    la, lb = a.loaded, b.loaded
    if a.results.currency != b.results.currency:
        raise ScenarioError(
            f"cannot compare a what-if reported in {a.results.currency} with one in {b.results.currency}: "
            "give both the same currency.reporting"
        )
    inputs = diff_inputs(la.raw if la is not None else {}, lb.raw if lb is not None else {})
    sa, sb = a.results.summary, b.results.summary
    ids_a, ids_b = [str(o) for o in sa["option"]], [str(o) for o in sb["option"]]
    units = {**a.results.units, **b.results.units}
    rows: list[dict[str, Any]] = []  # the plan's headline first, then each option
    routes: dict[str, tuple[str, str]] = {}
    basis = None
    pa, pb = a.plans, b.plans
    if pa is not None and pb is not None:
        va, vb = _plan_values(pa.optimised), _plan_values(pb.optimised)
        for m in PLAN_MEASURES:
            unit = "kgCO2e" if m == "emissions_kg" else pb.currency
            rows.append(_row("plan", "plan", m, unit, va[m], vb[m]))
        ra, rb = pa.optimised.routes, pb.optimised.routes
        routes = {t: (ra.get(t, MISSING), rb.get(t, MISSING)) for t in [*ra, *rb] if ra.get(t) != rb.get(t)}
        oa, ob = pa.optimised.cost_basis, pb.optimised.cost_basis
        basis = oa if oa == ob else f"A: {oa}; B: {ob}"
    for opt in (o for o in ids_a if o in ids_b):
        for m in OPTION_MEASURES:
            rows.append(_row("option", opt, m, units.get(m, ""), _value(sa, opt, m), _value(sb, opt, m)))
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    names: dict[str, str] = {}
    for view in (a, b):
        if view.plans is not None:
            names.update(view.plans.names)
        names.update(
            {
                str(o): str(n)
                for o, n in zip(view.results.summary["option"], view.results.summary["name"], strict=True)
            }
        )
    return WhatIfDiff(
        name_a=la.name if la is not None else "A",
        name_b=lb.name if lb is not None else "B",
        currency=b.results.currency,
        inputs=inputs,
        results=frame,
        only_a=tuple(o for o in ids_a if o not in ids_b),
        only_b=tuple(o for o in ids_b if o not in ids_a),
        routes=routes,
        plan_basis=basis,
        names=names,
    )


__all__ = ["MISSING", "InputChange", "WhatIfDiff", "diff_inputs", "diff_views"]
