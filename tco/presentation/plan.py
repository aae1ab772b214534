"""A task portfolio's plan in words and tables, for the app and every report (read from `PortfolioPlans`).

`plan_sentence` states which plan the planner chose and what it saves against the baseline plan (net present
cost and tCO2e); `plans_table` sets the optimised plan beside the compared ones; `tasks_table` says, per
task, who serves it, what a query and a correct answer cost and emit, and the quality with its metric
(never averaged across metrics). Nothing here computes a number of its own beyond sums and ratios of the
plans' totals.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from tco.presentation.format import money

if TYPE_CHECKING:
    from tco.analysis.plan import Plan
    from tco.analysis.portfolio import PortfolioPlans
    from tco.scenario.load import LoadedScenario

KG_PER_T = 1000.0


def has_tasks(loaded: LoadedScenario | None) -> bool:
    """True when the scenario lists `workload.tasks` (a portfolio the planner routes)."""
    return loaded is not None and bool(loaded.spec.workload.tasks)


def plans_of(loaded: LoadedScenario) -> PortfolioPlans | None:
    """`tco.api.plan_portfolio` of a scenario with `workload.tasks`; None without tasks."""
    if not has_tasks(loaded):
        return None
    from tco.analysis.portfolio import plan_portfolio

    return plan_portfolio(loaded)


def _pct(part: float, whole: float) -> str:
    return f" ({part / whole:.0%})" if whole > 0 and math.isfinite(part) else ""


def _routing(res: PortfolioPlans, p: Plan) -> str:
    return "; ".join(f"{t.task} on {res.names.get(t.route, t.route)}" for t in p.tasks)


def plan_sentence(res: PortfolioPlans) -> str:
    """`Optimised plan: sentiment on …; it saves 1,234 USD (12%) net present cost and 56 tCO2e (7%) against
    all-large.` The saving is the baseline plan's total less the optimised plan's (negative: it costs more)."""
    best = res.optimised
    text = f"Optimised plan (objective: {best.objective}): {_routing(res, best)}."
    if not best.meets_limits:
        text += " It does not meet every quality floor and latency SLO."
    b = res.baseline
    if b is not None:
        saving = b.cost - best.cost
        t = (b.kg - best.kg) / KG_PER_T
        money_part = (
            f"saves {money(saving, res.currency)}{_pct(saving, b.cost)}"
            if saving >= 0
            else f"costs {money(-saving, res.currency)} more"
        )
        kg_part = f"{t:,.1f} tCO2e less{_pct(t, b.kg / KG_PER_T)}" if t >= 0 else f"{-t:,.1f} tCO2e more"
        text += (
            f" Against the baseline plan {b.name} it {money_part} of net present cost and emits {kg_part} "
            "over the horizon."
        )
    return text


def plan_role(res: PortfolioPlans, p: Plan) -> str:
    if p is res.optimised:
        return "optimised"
    return "baseline" if res.baseline is not None and p is res.baseline else "compared"


def plans_table(res: PortfolioPlans) -> pd.DataFrame:
    """One row per plan (optimised first): totals over the horizon, whether it meets every limit, its fleets."""
    rows = [
        {
            "plan": p.name,
            "plan_role": plan_role(res, p),
            "npv_cost": p.cost,
            "emissions_kg": p.kg,
            "meets_limits": p.meets_limits,
            "replicas_at_peak": ", ".join(f"{res.names.get(d, d)} x{k}" for d, k in p.replicas.items())
            or "none",
        }
        for p in (res.optimised, *res.compared)
    ]
    frame = pd.DataFrame(rows)
    frame.attrs["units"] = {"npv_cost": res.currency, "emissions_kg": "kgCO2e"}
    return frame


def tasks_table(res: PortfolioPlans, plans: tuple[Plan, ...] | None = None) -> pd.DataFrame:
    """Per task of each plan (default: the optimised and the baseline plan): route, per-query and
    per-correct-answer cost and emissions, quality with its metric and whether it meets its limits."""
    chosen = plans if plans is not None else tuple(p for p in (res.optimised, res.baseline) if p is not None)
    cur = res.currency
    rows = []
    for p in chosen:
        for t in p.tasks:
            rows.append(
                {
                    "plan": p.name,
                    "task": t.task,
                    "served_by": res.names.get(t.route, t.route),
                    "quality_metric": t.metric
                    or ("no quality score" if math.isnan(t.quality) else "quality"),
                    "quality": t.quality,
                    "cost_per_1k_queries": t.cost_per_query * 1000.0,
                    "g_per_query": t.g_per_query,
                    "cost_per_correct_1k": t.cost_per_correct * 1000.0,
                    "g_per_correct": t.g_per_correct,
                    "queries": t.queries,
                    "meets_quality_floor": t.meets_floor,
                    "slo_met": t.meets_slo,
                }
            )
    frame = pd.DataFrame(rows)
    frame.attrs["units"] = {
        "queries": "query",
        "cost_per_1k_queries": f"{cur}/1k queries",
        "g_per_query": "gCO2e/query",
        "cost_per_correct_1k": f"{cur}/1k correct answers",
        "g_per_correct": "gCO2e/correct answer",
    }
    return frame


def display(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """A plan table for people: headers in words with units (tco.presentation.labels), cells formatted."""
    from tco.presentation import labels
    from tco.presentation.reports import numbers

    units = frame.attrs.get("units", {})
    out = pd.DataFrame(
        {
            labels.header(str(col), units.get(str(col), "")): [
                numbers.value(v, units.get(str(col), ""), currency) for v in frame[col]
            ]
            for col in frame.columns
        }
    )
    return out


def plan_named(res: PortfolioPlans, name: str) -> Plan:
    """The optimised or a compared plan by name."""
    return next(p for p in (res.optimised, *res.compared) if p.name == name)


__all__ = [
    "display",
    "has_tasks",
    "plan_named",
    "plan_role",
    "plan_sentence",
    "plans_of",
    "plans_table",
    "tasks_table",
]
