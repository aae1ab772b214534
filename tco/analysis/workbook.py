"""The values the xlsx workbook caches beside its live formulas, computed once from the engine's results.

The workbook (`tco.presentation.reports.xlsx`) writes every projection and load cell as an Excel formula of
the Assumptions sheet; readers that do not recalculate (pandas, previews) read the value cached with it.
Those values are the engine's: its monthly series (`Results.per_period`) wherever the engine reports the
column, and otherwise the engine's own functions on the engine's numbers (the representative day,
`hourly_shape`; the fleet hour by hour, `hour_by_hour`; the sweep's power points, `point_power_kw` and
`segment_slopes`; the price trend, book and resale fractions of `tco.engine.finance`), never a second model:
the growth factor and peak load of each month (`growth_factor`, `peak_queries_per_second`), the
accelerators needed and retired (units bought a lifetime ago), the on-prem price path and the value bought,
in service and credited at the end, and the break-even helpers (cumulative cost at or below the baseline's
from a month on). Units still in service are the engine's fleet less its purchases of the month.

Pure numbers out: `WorkbookValues` holds arrays and lists, the workbook decides where they go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tco.engine.finance import book_fraction, life_months, resale_fraction, trend_factor
from tco.engine.formulas import (
    SECONDS_PER_DAY,
    growth_factor,
    hourly_shape,
    peak_queries_per_second,
    point_power_kw,
    segment_slopes,
)
from tco.engine.inputs import DAYS_PER_MONTH, HOURS_PER_DAY, HOURS_PER_MONTH, OptionInputs, WorkloadInputs
from tco.engine.operations import hour_by_hour, sweep_grid

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results


@dataclass(frozen=True)
class OptionValues:
    """One option's cached values.

    `projection`: per projection column, one value a month (numbers; booleans for the break-even tests; NaN
    for a break-even or payback candidate month that never comes). `load_points` (hosted options): the sweep's
    power points with idle first, `relative_load` (fraction of capacity), `power_kw` (per replica) and
    `kw_per_unit_load` (slope to the next point; 0 after the last). `load_months` (hosted options): per
    column of the load model (`mean load`, `fleet`, `nHH`, `loadHH`, `kwHH` for each hour HH, and the day's
    sums `sum_n`, `sum_nw`, `sum_np`, `sum_nl`, `standby`, `peak`, `fleet_peak`), one value a month.
    `end_value_fraction`: the resale curve's fraction of the purchase price for a unit bought in each month
    (on-prem options credited at resale value; empty otherwise).
    """

    projection: dict[str, list[Any]]
    load_points: dict[str, np.ndarray] = field(default_factory=dict)
    load_months: dict[str, np.ndarray] = field(default_factory=dict)
    end_value_fraction: tuple[float, ...] = ()


@dataclass(frozen=True)
class WorkbookValues:
    """The workbook's cached values: the representative day's 24 hourly loads (mean 1) and each option's."""

    day_shape: np.ndarray
    options: dict[str, OptionValues]


def _scalar(x: Any) -> float:
    return float(np.asarray(x, dtype=float).mean())


def day_shape(workload: WorkloadInputs) -> np.ndarray:
    """The representative day's 24 hourly loads (mean 1), as the engine uses them."""
    return hourly_shape(workload.peak_to_average, workload.daily_profile)[0]


def _window_sums(x: np.ndarray, life: int, *, this_month: bool) -> np.ndarray:
    """Per month t: the sum of x over months t-life+1 .. t (or .. t-1), added in month order as SUMIFS does."""
    xs = [float(v) for v in x]
    return np.array([sum(xs[max(t - life + 1, 0) : t + this_month]) for t in range(len(xs))])


def _fleet_values(
    o: OptionInputs, mine: pd.DataFrame, w: WorkloadInputs, growth: np.ndarray
) -> dict[str, np.ndarray]:
    """The projection's fleet and asset columns the engine does not report: peak load, accelerators needed, in
    service and retired, provisioned hours, and the on-prem price path, value bought and in service and
    end-of-horizon values (from the engine's fleet and `tco.engine.finance`'s price and book functions)."""
    months = len(mine)
    m = np.arange(months, dtype=float)
    qpd, peak = np.asarray(_scalar(w.queries_per_day)), np.asarray(float(day_shape(w).max()))
    out = {"peak_qps": peak_queries_per_second(qpd, growth, peak)}
    if o.deployment == "api":
        return out
    replicas = mine["replicas"].to_numpy(dtype=float)
    fixed = not np.isnan(o.fixed_fleet)
    needed = np.full(months, float(o.fixed_fleet)) if fixed else replicas * float(o.accelerators_per_replica)
    out["accelerators_needed"] = needed
    out["provisioned_hours"] = mine["accelerators"].to_numpy(dtype=float) * HOURS_PER_MONTH
    if o.deployment != "on-prem":
        return out
    life = int(life_months(np.asarray(_scalar(o.lifetime_months))))
    bought = mine["accelerators_purchased"].to_numpy(dtype=float)
    # owned before this month's purchases: the engine's fleet less what it bought this month
    out["accelerators_in_service"] = mine["accelerators"].to_numpy(dtype=float) - bought
    out["accelerators_retired"] = np.array([bought[t - life] if t >= life else 0.0 for t in range(months)])
    price = _scalar(o.unit_price) * trend_factor(np.asarray(_scalar(o.hardware_price_trend)), m)
    value = bought * price
    out["unit_price"], out["value_purchased"] = price, value
    out["value_in_service"] = _window_sums(value, life, this_month=True)
    book = book_fraction(months - m, np.asarray(float(life)), np.asarray(_scalar(o.residual_value)))
    kept = m + life >= months
    out["book_value_at_end"] = np.where(kept, value * book, 0.0)
    if o.end_value == "book":
        out["end_value_fraction"] = book
        out["end_value_at_end"] = np.where(kept, value * book, 0.0)
    elif o.end_value == "resale":
        out["end_value_at_end"] = np.where(kept, value * resale_fraction(months - m, o.resale_curve), 0.0)
    else:
        out["end_value_at_end"] = np.zeros(months)
    return out


def _load_values(
    o: OptionInputs, mine: pd.DataFrame, w: WorkloadInputs
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """An option's load model, from the engine's hour-by-hour fleet (`hour_by_hour`) and sweep power points
    (`point_power_kw`, `segment_slopes`): the power points, and per month each column of the load model."""
    apr = float(o.accelerators_per_replica)
    x = _scalar(o.throughput_qps)
    idle = _scalar(o.idle_power_kw) * apr
    grid = sweep_grid(o)
    points = np.concatenate(
        [
            [idle],
            point_power_kw(
                _scalar(o.energy_per_query_kwh) * np.asarray(o.sweep_energy),
                x * np.asarray(o.sweep_throughput),
                np.asarray(idle),
            ),
        ]
    )
    slopes = np.append(segment_slopes(points[1:], np.asarray(idle), grid), 0.0)
    scaling = o.fleet_scaling() if np.isnan(o.fixed_fleet) or o.fleet_scaling() != "hourly" else "reserved"
    shape = day_shape(w)
    mean = mine["queries_demand"].to_numpy(dtype=float) / (DAYS_PER_MONTH * SECONDS_PER_DAY) / x
    fleet = mine["replicas"].to_numpy(dtype=float)
    util = np.asarray([[_scalar(o.utilisation)]])
    n, per, standby, fleet_peak = hour_by_hour(
        o, scaling, mean[None, :], fleet[None, :], shape[None, :], util
    )
    n, lam_per, standby, fleet_peak = n[0], per[0], standby[0], fleet_peak[0]
    fleet = fleet_peak if scaling == "hourly" else fleet
    load = np.minimum(lam_per, 1.0)
    j = np.searchsorted(grid, load, side="right") - 1
    kw = points[j] + (load - grid[j]) * slopes[j]
    g1 = grid[1]
    rows: dict[str, np.ndarray] = {"mean load": mean, "fleet": fleet}
    for h in range(HOURS_PER_DAY):
        rows[f"n{h:02d}"], rows[f"load{h:02d}"], rows[f"kw{h:02d}"] = n[:, h], load[:, h], kw[:, h]
    rows["sum_n"] = n.sum(axis=1)
    rows["sum_nw"] = (n * np.where(load < g1, load / g1, 1.0)).sum(axis=1)
    rows["sum_np"] = (n * kw).sum(axis=1)
    rows["sum_nl"] = (n * load).sum(axis=1)
    rows["standby"] = standby.sum(axis=1)
    lam = mean[:, None] * shape[None, :]
    rows["peak"] = np.where(n > 0, lam / np.where(n > 0, n, 1.0), 0.0).max(axis=1)
    rows["fleet_peak"] = n.max(axis=1)
    return {"relative_load": grid, "power_kw": points, "kw_per_unit_load": slopes}, rows


def _projection_values(o: OptionInputs, results: Results) -> dict[str, list[Any]]:
    """Every projection column month by month: the engine's reported series, the fleet and asset columns
    (`_fleet_values`), the growth factor, cumulative discounted cost and the break-even helpers."""
    per = results.per_period
    mine = per[per["option"] == o.id].reset_index(drop=True)
    base = per[per["option"] == results.baseline].reset_index(drop=True)
    months = len(mine)
    m = np.arange(months, dtype=float)
    w = results.resolved.workload
    growth = growth_factor(np.asarray(_scalar(w.annual_growth)), m)
    out: dict[str, list[Any]] = {str(k): mine[k].tolist() for k in mine.columns}
    out["growth_factor"] = list(growth)
    out.update({k: list(v) for k, v in _fleet_values(o, mine, w, growth).items()})
    out["cumulative_cost_discounted"] = list(np.cumsum(mine["total_cost_discounted"].to_numpy(dtype=float)))
    for prefix, col, cand in (
        ("", "total_cost", "break_even_candidate"),
        ("discounted_", "total_cost_discounted", "payback_candidate"),
    ):
        below = (
            np.cumsum(mine[col].to_numpy(dtype=float)) <= np.cumsum(base[col].to_numpy(dtype=float)) + 1e-9
        )
        stays = np.flip(np.logical_and.accumulate(np.flip(below)))
        out[f"{prefix}at_or_below_baseline"] = [bool(x) for x in below]
        out[f"{prefix}stays_at_or_below_baseline"] = [bool(x) for x in stays]
        out[cand] = [float(t) if s else float("nan") for t, s in zip(m, stays, strict=True)]
    return out


def workbook_values(results: Results) -> WorkbookValues:
    """The cached values of every option's projection and load model (see the module docstring)."""
    per = results.per_period
    months = int(results.resolved.finance.months)
    options: dict[str, OptionValues] = {}
    for o in results.resolved.options:
        points: dict[str, np.ndarray] = {}
        load: dict[str, np.ndarray] = {}
        if o.deployment != "api":
            mine = per[per["option"] == o.id].reset_index(drop=True)
            points, load = _load_values(o, mine, results.resolved.workload)
        resale: tuple[float, ...] = ()
        if o.deployment == "on-prem" and o.end_value == "resale":
            ages = months - np.arange(months, dtype=float)
            resale = tuple(float(resale_fraction(np.asarray(a), o.resale_curve)) for a in ages)
        options[o.id] = OptionValues(_projection_values(o, results), points, load, resale)
    return WorkbookValues(day_shape(results.resolved.workload), options)
