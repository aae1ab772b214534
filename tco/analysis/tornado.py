"""One-at-a-time sensitivity (tornado): each input at its low and its high value, the others at base.

All perturbations of one option run as samples of a single engine call: sample 0 is the base case, samples
2k+1 and 2k+2 put input k at its low and high value. The swing of an input is |result(high) - result(low)|;
inputs are ranked per option by their swing on TCO and, separately, on emissions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tco.analysis.evaluate import run_engine
from tco.analysis.settings import Setting, apply_option, apply_shared, base_value
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.engine.summary import totals
from tco.scenario.analysis_inputs import Bounds
from tco.scenario.variables import VARIABLES

METRICS = ("tco_cost", "npv_cost", "emissions_kg")


def _settings(bounds: Mapping[str, Bounds], base: Mapping[str, float]) -> dict[str, Setting]:
    n = 1 + 2 * len(bounds)
    out: dict[str, Setting] = {}
    for k, (name, b) in enumerate(bounds.items()):
        values = np.ones(n) if b.kind == "factor" else np.full(n, base[name])
        values[2 * k + 1] = b.low
        values[2 * k + 2] = b.high
        out[name] = Setting(b.variable, b.kind, values)
    return out


def _input_text(b: Bounds, value: float, base: float, currency: str) -> str:
    if b.kind == "factor":
        shown = b.variable.display(base * value, currency)
        return f"x{value:.4g} ({shown})"
    return b.variable.display(value, currency)


def tornado(
    options: list[OptionInputs],
    workload: WorkloadInputs,
    finance: FinanceInputs,
    bounds: Mapping[str, Bounds],
    per_option: Mapping[str, Mapping[str, Bounds]] | None = None,
    *,
    keep_unaffected: bool = False,
) -> pd.DataFrame:
    """One row per (option, input): results at low and high, swings, and the input's rank per option.

    Inputs that move none of the option's results (the cloud price of an on-prem option) are left out
    unless `keep_unaffected`.
    """
    rows = []
    per_option = per_option or {}
    for opt in options:
        table = {**bounds, **per_option.get(opt.id, {})}
        table = {n: table[n] for n in VARIABLES if n in table}
        if not table:
            continue
        base = {n: base_value(b.variable, opt, workload, finance) for n, b in table.items()}
        settings = _settings(table, base)
        o2 = apply_option(opt, settings)
        w2, f2 = apply_shared(workload, finance, settings)
        t = totals(run_engine([o2], w2, f2)[opt.id], o2, w2)
        for k, (name, b) in enumerate(table.items()):
            lo, hi = 2 * k + 1, 2 * k + 2
            row: dict[str, Any] = {
                "option": opt.id,
                "input": name,
                "label": b.variable.label,
                "kind": b.kind,
                "low_input": _input_text(b, b.low, base[name], finance.currency),
                "high_input": _input_text(b, b.high, base[name], finance.currency),
                "source": b.source,
            }
            for m in METRICS:
                row[f"{m}_base"] = float(t[m][0])
                row[f"{m}_low"] = float(t[m][lo])
                row[f"{m}_high"] = float(t[m][hi])
                row[f"{m}_swing"] = abs(float(t[m][hi]) - float(t[m][lo]))
            if keep_unaffected or any(row[f"{m}_swing"] > 0 for m in METRICS):
                rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df["rank_tco"] = df.groupby("option", sort=False)["tco_cost_swing"].rank(ascending=False, method="min")
    df["rank_emissions"] = df.groupby("option", sort=False)["emissions_kg_swing"].rank(
        ascending=False, method="min"
    )
    order = {o.id: i for i, o in enumerate(options)}
    df = df.sort_values(
        ["option", "tco_cost_swing"], key=lambda s: s.map(order) if s.name == "option" else -s, kind="stable"
    ).reset_index(drop=True)
    df[["rank_tco", "rank_emissions"]] = df[["rank_tco", "rank_emissions"]].astype(int)
    cur = finance.currency
    df.attrs = {
        "units": {
            **{f"{m}_{s}": cur for m in ("tco_cost", "npv_cost") for s in ("base", "low", "high", "swing")},
            **{f"emissions_kg_{s}": "kgCO2e" for s in ("base", "low", "high", "swing")},
        },
        "currency": cur,
    }
    return df


LEFT_OUT = "left out, they move neither TCO, net present cost nor emissions here: "
SWINGS = ("tco_cost_swing", "npv_cost_swing", "emissions_kg_swing")


def moving_inputs(table: pd.DataFrame, name: str = "input") -> tuple[pd.DataFrame, list[str]]:
    """The tornado rows whose input moves TCO, net present cost or emissions, and `input (options)` for each
    input left out, named by its `name` column (`input`, or `label` for people). An API option's electricity
    price, say, moves none of them: a row of zero bars says nothing. (The discount rate moves only the net
    present cost, TCO being undiscounted: it stays.) Every tornado shown (terminal, reports) goes through
    here, with `left_out_note`."""
    swings = [c for c in SWINGS if c in table.columns]
    if table.empty or not {"tco_cost_swing", "emissions_kg_swing"} <= set(swings):
        return table, []
    still = np.logical_and.reduce([table[c].abs().to_numpy() <= 0 for c in swings])
    dropped: dict[str, list[str]] = {}
    for _, r in table[still].iterrows():
        dropped.setdefault(str(r[name]), []).append(str(r["option"]))
    out = table[~still].reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out, [f"{k} ({', '.join(v)})" for k, v in dropped.items()]


def left_out_note(dropped: list[str]) -> str:
    """The note naming the inputs `moving_inputs` left out: `left out, they move neither ...: a (x); b (y)`."""
    return LEFT_OUT + "; ".join(dropped)
