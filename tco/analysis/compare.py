"""Procurement comparison: rank every option of a scenario for its workload.

Eligible options meet the latency SLO (at the busiest hour's concurrency) and the quality floor, and have
enough capacity in every hour when their fleet is fixed (an undersized fleet serves what it can and is never
eligible); they are ranked first, by the chosen key (lower is better), then the others. The frame says which
eligible option is cheapest and which emits least, how many accelerators each buys or rents, and by how
much each beats (negative %) or trails (positive %) the baseline.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from tco.errors import InputError

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results
    from tco.scenario.load import LoadedScenario

RANK_KEYS: dict[str, str] = {
    "tco": "tco_cost",
    "npv": "npv_cost",
    "levelised": "levelised_cost_per_1k_queries",
    "emissions": "emissions_kg",
    "g-per-query": "g_per_query",
    "cost-per-correct": "cost_per_correct_1k",
    "g-per-correct": "g_per_correct",
}
_COST_KEYS = {"tco", "npv", "levelised", "cost-per-correct"}


def rank_column(rank_by: str) -> str:
    """Summary column behind a `--rank-by` key."""
    try:
        return RANK_KEYS[rank_by]
    except KeyError:
        raise InputError(
            f"unknown rank key {rank_by!r}, expected one of {', '.join(RANK_KEYS)}", field="rank-by"
        ) from None


def _reasons(row: pd.Series, slo: float | None, floor: float | None) -> str:
    out = []
    if not row["slo_met"]:
        p95 = row["latency_p95_s"]
        shown = f"p95 {p95:.3g} s" if np.isfinite(p95) else "no p95 latency"
        out.append(
            f"misses the latency SLO ({shown} > {slo:g} s)"
            if slo is not None
            else f"misses the latency SLO ({shown})"
        )
    if not row["meets_quality_floor"]:
        q = row["quality"]
        shown = f"quality {q:.3g}" if np.isfinite(q) else "no quality figure for the task"
        out.append(
            f"below the quality floor ({shown} < {floor:g})"
            if floor is not None
            else f"below the quality floor ({shown})"
        )
    if row.get("capacity_shortfall", False):
        lost = float(row.get("queries_unserved", 0.0) or 0.0)
        asked = lost + float(row.get("queries", 0.0) or 0.0)
        share = f" ({lost / asked:.1%} of the demand)" if asked > 0 else ""
        out.append(f"fixed fleet too small for the peak hour: {lost:,.0f} queries unserved{share}")
    if not row.get("within_power_budget", True):
        out.append(
            f"needs {row['provisioned_kw']:,.1f} kW provisioned, over the site's power budget of "
            f"{row['power_budget_kw']:,.1f} kW"
        )
    return "; ".join(out)


def _procurement(row: pd.Series) -> str:
    dep = row["deployment"]
    if dep == "api":
        return "none (API)"
    first, peak, bought = row["accelerators_initial"], row["accelerators_peak"], row["accelerators_purchased"]
    if dep == "on-prem":
        more = f", {bought:g} bought over the horizon" if bought > first else ""
        return f"buy {first:g}{more}"
    more = f", up to {peak:g}" if peak > first else ""
    return f"rent {first:g}{more}"


def ranking(
    summary: pd.DataFrame,
    rank_by: str = "tco",
    *,
    baseline: str | None = None,
    slo: float | None = None,
    quality_floor: float | None = None,
) -> pd.DataFrame:
    """Options in rank order with eligibility, procurement and deltas to the baseline (see module doc)."""
    key = rank_column(rank_by)
    df = summary.copy()
    base_id = baseline or summary.attrs.get("baseline") or str(df.index[0])
    df["eligible"] = (
        df["slo_met"].astype(bool)
        & df["meets_quality_floor"].astype(bool)
        & ~df["capacity_shortfall"].astype(bool)
        & (df["within_power_budget"].astype(bool) if "within_power_budget" in df else True)
    )
    df["why_not"] = [_reasons(r, slo, quality_floor) for _, r in df.iterrows()]
    df["_missing"] = ~np.isfinite(df[key].astype(float))
    df = df.sort_values(["eligible", "_missing", key], ascending=[False, True, True], kind="stable")
    ranks = np.arange(1, len(df) + 1)
    df["rank"] = pd.array(np.where(df["eligible"] & ~df["_missing"], ranks, -1), dtype="Int64")
    df.loc[df["rank"] < 0, "rank"] = pd.NA
    ok = df[df["eligible"]]
    cheapest = str(ok["tco_cost"].idxmin()) if len(ok) else None
    greenest = str(ok["emissions_kg"].idxmin()) if len(ok) else None
    df["best"] = [
        ", ".join(t for t, hit in (("cheapest", i == cheapest), ("lowest-emission", i == greenest)) if hit)
        for i in df.index
    ]
    base = summary.loc[base_id]

    def delta(col: str) -> tuple[Any, Any]:
        b = float(cast(float, base[col]))
        if not np.isfinite(b) or b == 0:
            return np.full(len(df), np.nan), np.full(len(df), np.nan)
        x = df[col].astype(float).to_numpy()
        return (x - b) / abs(b) * 100.0, x / b

    df["vs_baseline_pct"], df["vs_baseline_x"] = delta(key)
    df["tco_vs_baseline_pct"], _ = delta("tco_cost")
    df["emissions_vs_baseline_pct"], _ = delta("emissions_kg")
    df["procurement"] = [_procurement(r) for _, r in df.iterrows()]
    cols = [
        "rank",
        "option",
        "name",
        "deployment",
        "model",
        "hardware",
        "region",
        "eligible",
        "why_not",
        "best",
        key,
        "vs_baseline_pct",
        "vs_baseline_x",
        "tco_cost",
        "npv_cost",
        "cost_per_1k_queries",
        "emissions_kg",
        "g_per_query",
        "cost_per_correct_1k",
        "quality",
        "latency_p95_s",
        "procurement",
        "accelerators_initial",
        "accelerators_peak",
        "accelerators_purchased",
        "tco_vs_baseline_pct",
        "emissions_vs_baseline_pct",
        "is_baseline",
    ]
    seen: set[str] = set()
    cols = [c for c in cols if not (c in seen or seen.add(c))]  # type: ignore[func-returns-value]
    out = df[cols].reset_index(drop=True)
    units = dict(summary.attrs.get("units", {}))
    units.update(
        {
            "vs_baseline_pct": "%",
            "vs_baseline_x": "x",
            "tco_vs_baseline_pct": "%",
            "emissions_vs_baseline_pct": "%",
        }
    )
    out.attrs = {
        "rank_by": rank_by,
        "key": key,
        "baseline": base_id,
        "cheapest": cheapest,
        "lowest_emission": greenest,
        "units": units,
        "currency": summary.attrs.get("currency"),
    }
    return out


def with_overrides(
    loaded: LoadedScenario, *, quality_floor: float | None = None, slo_p95: str | float | None = None
) -> LoadedScenario:
    """The scenario with the workload's quality floor and/or latency SLO replaced, validated again."""
    if quality_floor is None and slo_p95 is None:
        return loaded
    raw = copy.deepcopy(loaded.raw)
    workload = dict(raw.get("workload") or {})
    if quality_floor is not None:
        workload["quality_floor"] = quality_floor
    if slo_p95 is not None:
        workload["latency_slo_p95"] = slo_p95
    raw["workload"] = workload
    return loaded.with_changes(raw)


def compare(
    loaded: LoadedScenario,
    rank_by: str = "tco",
    *,
    quality_floor: float | None = None,
    slo_p95: str | float | None = None,
) -> tuple[pd.DataFrame, Results]:
    """Rank the options of a scenario (with optional overrides): the ranking frame and the results."""
    from tco.analysis.evaluate import evaluate

    rank_column(rank_by)
    scenario = with_overrides(loaded, quality_floor=quality_floor, slo_p95=slo_p95)
    results = evaluate(scenario)
    w = scenario.spec.workload
    return ranking(
        results.summary,
        rank_by,
        baseline=results.baseline,
        slo=w.latency_slo_p95,
        quality_floor=w.quality_floor,
    ), results


def top_pair(frame: pd.DataFrame) -> tuple[str, str] | None:
    """The two best-ranked eligible options of a ranking frame (or the two first options)."""
    ranked = frame[frame["rank"].notna()]
    ids = list(ranked["option"]) if len(ranked) >= 2 else list(frame["option"])
    return (str(ids[0]), str(ids[1])) if len(ids) >= 2 else None
