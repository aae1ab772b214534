"""Evaluate a loaded scenario: run the engine on its resolved inputs and shape the results as pandas frames.

The first step of every analysis: compare, tornado, Monte Carlo and break-even all call `run_engine` or
`evaluate`; the reports and the app present what `Results` holds and compute nothing of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tco.engine.components import accounting_view
from tco.engine.core import simulate
from tco.engine.impacts import IMPACT_UNITS, IMPACTS
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.engine.summary import break_even_month, totals
from tco.errors import ComputationError
from tco.scenario.load import LoadedScenario, load_scenario
from tco.scenario.resolve import Resolved

ENERGY_UNITS = {
    c: "kWh"
    for c in (
        "energy_accelerator_kwh",
        "energy_idle_kwh",
        "energy_host_kwh",
        "energy_it_kwh",
        "energy_facility_kwh",
        "energy_fine_tuning_kwh",
        "energy_kwh",
    )
}
EMISSION_UNITS = {
    c: "kgCO2e"
    for c in (
        "emissions_operational_location_kg",
        "emissions_operational_kg",
        "emissions_embodied_kg",
        "emissions_fine_tuning_kg",
        "emissions_kg",
    )
}


# Monthly quantities that add up over time (the yearly view and the summary totals are their sums).
ADDITIVE = (
    "queries",
    "queries_demand",
    "queries_unserved",
    "accelerator_hours",
    "busy_accelerator_hours",
    *ENERGY_UNITS,
    *EMISSION_UNITS,
    *(i.column for i in IMPACTS),
)


@dataclass
class Results:
    """What `evaluate` returns: tidy frames plus the raw arrays behind them."""

    scenario: LoadedScenario | None
    resolved: Resolved
    series: dict[str, dict[str, np.ndarray]]
    per_period: pd.DataFrame
    summary: pd.DataFrame
    assumptions: pd.DataFrame
    baseline: str
    units: dict[str, str] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.resolved.finance.currency

    def yearly(self) -> pd.DataFrame:
        """Costs per option per year, accounting view (depreciation instead of capex and residual value,
        interest or lease payments for financing, the loss against book value for the end-of-horizon
        credit), beside the cash total, the cash end-of-horizon credit and the after-tax total, with every
        additive quantity of the monthly table (queries, accelerator-hours, energy, emissions) summed."""
        df = self.per_period
        accounting = [line.column for line in accounting_view()]
        cols = [
            *accounting,
            "end_value_cost",
            "total_cost",
            "tax_saving",
            "total_cost_after_tax",
            *ADDITIVE,
        ]
        out = df.groupby(["option", "year"], sort=False, observed=True)[cols].sum().reset_index()
        out["accounting_total_cost"] = out[accounting].sum(axis=1)  # total_cost stays the cash view
        out.attrs = {
            **df.attrs,
            "units": {**df.attrs.get("units", {}), "accounting_total_cost": self.currency},
        }
        return out


def _dates(start: str, months: int) -> list[str]:
    y, m = (int(x) for x in start.split("-"))
    out = []
    for k in range(months):
        mm = m - 1 + k
        out.append(f"{y + mm // 12:04d}-{mm % 12 + 1:02d}")
    return out


def run_engine(
    options: list[OptionInputs], workload: WorkloadInputs, finance: FinanceInputs
) -> dict[str, dict[str, np.ndarray]]:
    """Monthly arrays for every option, checked for non-finite numbers."""
    out: dict[str, dict[str, np.ndarray]] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for o in options:
            s = simulate(o, workload, finance)
            if not np.isfinite(s["total_cost"]).all() or not np.isfinite(s["emissions_kg"]).all():
                raise ComputationError(
                    f"option {o.id!r}: results are not finite; some input is too large to compute with"
                )
            out[o.id] = s
    return out


def evaluate_resolved(resolved: Resolved, scenario: LoadedScenario | None = None) -> Results:
    """Evaluate already-resolved inputs (fast path for analysis code)."""
    series = run_engine(resolved.options, resolved.workload, resolved.finance)
    return _frames(resolved, series, scenario)


def evaluate(scenario: LoadedScenario | str | Path | None = None) -> Results:
    """Evaluate a scenario (a loaded one, a path, a shipped name, or the default) into frames."""
    if not isinstance(scenario, LoadedScenario):
        scenario = load_scenario(scenario)
    return evaluate_resolved(scenario.resolved, scenario)


def _frames(
    resolved: Resolved, series: dict[str, dict[str, np.ndarray]], scenario: LoadedScenario | None
) -> Results:
    fin = resolved.finance
    months = fin.months
    dates = _dates(fin.start, months)
    base_id = resolved.baseline or resolved.options[0].id
    rows = []
    cum_base = np.cumsum(series[base_id]["total_cost"], axis=1)
    cum_base_d = np.cumsum(series[base_id]["total_cost_discounted"], axis=1)
    floor = resolved.workload.quality_floor
    ids = [o.id for o in resolved.options]
    keys = list(series[ids[0]])
    n = len(ids)
    columns: dict[str, Any] = {
        "option": pd.Categorical.from_codes(np.repeat(np.arange(n), months), categories=pd.Index(ids)),
        "month": np.tile(np.arange(months), n),
        "date": np.tile(np.asarray(dates, dtype=object), n),
        "year": np.tile(np.arange(months) // 12 + 1, n),
    }
    for k in keys:
        columns[k] = np.concatenate([series[i][k][0] for i in ids])
    columns["cumulative_cost"] = np.concatenate([np.cumsum(series[i]["total_cost"][0]) for i in ids])
    columns["cumulative_emissions_kg"] = np.concatenate(
        [np.cumsum(series[i]["emissions_kg"][0]) for i in ids]
    )
    for o in resolved.options:
        s = series[o.id]
        t = {k: float(v[0]) for k, v in totals(s, o, resolved.workload).items()}
        be = break_even_month(np.cumsum(s["total_cost"], axis=1), cum_base)[0]
        pb = break_even_month(np.cumsum(s["total_cost_discounted"], axis=1), cum_base_d)[0]
        row: dict[str, Any] = {
            "option": o.id,
            "name": o.name,
            "deployment": o.deployment,
            "model": o.extra.get("model"),
            "hardware": o.extra.get("hardware"),
            "region": o.extra.get("region"),
            "profile_method": o.extra.get("method"),
            "batch_size": o.batch_size,
            "accelerators_per_replica": o.accelerators_per_replica,
            **t,
            "tokens_out": o.answer_tokens(resolved.workload.tokens_out),  # this option's answer length
            "quality": o.quality,
            "quality_metric": o.quality_metric,
            "meets_quality_floor": bool(np.isnan(floor) or (not np.isnan(o.quality) and o.quality >= floor)),
            "slo_met": _slo_met(t["latency_p95_s"], o, resolved.workload),
            "capacity_shortfall": bool(s["capacity_shortfall"].any()),
            "price_tier": o.extra.get("price_tier", "api" if o.deployment == "api" else None),
            "power_budget_kw": float(o.extra.get("power_budget_kw", np.nan)),
            "within_power_budget": _within_budget(t["provisioned_kw"], o.extra.get("power_budget_kw")),
            "break_even_month": be,
            "payback_month": pb,
            "is_baseline": o.id == base_id,
        }
        rows.append(row)
    per_period = pd.DataFrame(columns)
    summary = pd.DataFrame(rows).set_index("option", drop=False)
    base = next(r for r in rows if r["option"] == base_id)
    for col, ratio in (
        ("tco_cost", "cost_ratio_to_baseline"),
        ("emissions_kg", "emissions_ratio_to_baseline"),
        ("g_per_query", "g_per_query_ratio_to_baseline"),
        ("levelised_cost_per_1k_queries", "levelised_cost_ratio_to_baseline"),
    ):
        # a ratio to a baseline of zero (or below) has no meaning: not a number, shown as "n/a"
        summary[ratio] = summary[col] / base[col] if base[col] > 0 else np.nan
    cur = fin.currency
    units: dict[str, str] = {**ENERGY_UNITS, **EMISSION_UNITS, **IMPACT_UNITS}
    for c in list(per_period.columns) + list(summary.columns):
        if c.endswith("_cost") or c.startswith("cumulative_cost"):
            units[c] = cur
    units.update(
        {
            "cost_per_1k_queries": f"{cur}/1k queries",
            "levelised_cost_per_1k_queries": f"{cur}/1k queries",
            "cost_per_correct_1k": f"{cur}/1k correct answers",
            "g_per_query": "gCO2e/query",
            "g_per_correct": "gCO2e/correct answer",
            "wh_per_query": "Wh/query",
            "tokens_out": "token/query",
            "cumulative_emissions_kg": "kgCO2e",
            "grid_intensity_kg_per_kwh": "kgCO2e/kWh",
            "electricity_price": f"{cur}/kWh",
            "latency_p95_s": "s",
            "provisioned_kw": "kW",
            "average_draw_kw": "kW",
            "power_budget_kw": "kW",
            "tokens_per_s_per_provisioned_mw": "token/s/MW",
            "break_even_month": "month",
            "payback_month": "month",
            "busy_accelerator_hours": "h",
            "accelerator_hours": "h",
            "latency_p95_peak_s": "s",
            "peak_replica_load": "fraction of capacity",
            "queries": "query",
            "queries_demand": "query",
            "queries_unserved": "query",
            "accelerators": "accelerator",
            "accelerators_peak": "accelerator",
            "accelerators_initial": "accelerator",
            "accelerators_purchased": "accelerator",
            "replicas": "replica",
            "tax_saving": cur,
            "total_cost_after_tax": cur,
            "total_cost_after_tax_discounted": cur,
        }
    )
    per_period.attrs = {"units": units, "currency": cur}
    summary.attrs = {"units": units, "currency": cur, "baseline": base_id}
    assumptions = pd.DataFrame(
        [{**row, "value": _fmt_value(row["value"])} for row in resolved.assumptions],
        columns=["option", "parameter", "value", "unit", "source", "year"],
    )
    return Results(scenario, resolved, series, per_period, summary, assumptions, base_id, units)


def _within_budget(provisioned_kw: float, budget_kw: Any) -> bool:
    """Whether the fleet's provisioned power fits the site's power budget (no budget: it fits)."""
    if budget_kw is None or np.isnan(budget_kw):
        return True
    return bool(provisioned_kw <= float(budget_kw) * (1 + 1e-12))


def _slo_met(latency_p95_s: float, option: OptionInputs, workload: WorkloadInputs) -> bool:
    """The latency SLO is met when the p95 latency at the busiest hour's concurrency is within it, and the
    time-to-first-token and per-output-token targets at the capacity point (tco.scenario.resolve)."""
    if any(name != "latency_slo_p95" for name in option.extra.get("targets_missed", ())):
        return False
    slo = workload.latency_slo_p95_s
    if np.isnan(slo):
        return True
    if np.isnan(latency_p95_s):
        return bool(option.slo_met)
    return bool(latency_p95_s <= slo * (1 + 1e-12))


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
