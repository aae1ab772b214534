"""A task portfolio's plan in words and tables: the one place `tco plan`, `tco report`, every report format
and the app render a plan from (read from `PortfolioPlans`, computed by `tco.analysis.view.compute_view`).

`plan_sentence` states which plan the planner chose and what it saves against the baseline plan (net present
cost and tCO2e); `plans_table` sets the optimised plan beside the compared ones (with the carbon price paid
where the scenario sets one); `tasks_table` says, per task, who serves it, what a query and a correct answer
cost and emit, the quality with its metric (never averaged across metrics) and the latency; `display` puts
either in words and units; `bom_table` and `search_lines` give the bill of materials a buyer orders, the
runner-up's cost and what the catalogue search left out. Nothing here computes a number of its own beyond sums and ratios of the plans'
totals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from tco.engine.constants import KG_PER_T
from tco.presentation.format import money, plain, ratio

if TYPE_CHECKING:
    from tco.analysis.plan import Plan
    from tco.analysis.plan_bom import BomRow
    from tco.analysis.portfolio import PortfolioPlans
    from tco.scenario.load import LoadedScenario


def has_tasks(loaded: LoadedScenario | None) -> bool:
    """True when the scenario lists `workload.tasks` (a portfolio the planner routes)."""
    return loaded is not None and bool(loaded.spec.workload.tasks)


def _pct(part: float, whole: float) -> str:
    return f" ({part / whole:.0%})" if whole > 0 and math.isfinite(part) else ""


# The planner's objectives (tco.scenario.portfolio.PlanSpec.objective) in words: what the plan minimises.
OBJECTIVES: dict[str, str] = {
    "cost": "lowest net present cost, without the carbon price",
    "cost-with-carbon": "lowest net present cost with the carbon price",
    "emissions": "lowest emissions",
}


def carbon_counted(objective: str) -> bool:
    """Whether the plan's cost, as the headline shows it, includes the carbon price (`cost-with-carbon`)."""
    return objective == "cost-with-carbon"


def plan_cost(p: Plan) -> float:
    """The plan's net present cost on its objective's basis (`Plan.cost_basis`): with the carbon price it pays
    for `cost-with-carbon`, without it otherwise; the planner's `Plan.cost` is on that basis already."""
    return float(p.cost)


def cost_words(objective: str) -> str:
    """`net present cost with the carbon price` or `net present cost without the carbon price`."""
    return f"net present cost {'with' if carbon_counted(objective) else 'without'} the carbon price"


def objective_line(res: PortfolioPlans) -> str:
    """What the plan was chosen on and whether the carbon price is in its cost, in one line."""
    obj = res.optimised.objective
    per_t = res.problem.carbon_price_per_kg * KG_PER_T
    price = f"{plain(per_t)} {res.currency}/tCO2e"
    text = f"Objective: {OBJECTIVES.get(obj, obj)}."
    if per_t <= 0:
        return text + " No carbon price is set."
    if carbon_counted(obj):
        return text + f" The carbon price ({price}) is in every plan's cost and chose the plan."
    return (
        text + f" The carbon price ({price}) is not in the plan's cost and did not choose it: pick the "
        "objective 'cost with carbon' to count it."
    )


def _routing(res: PortfolioPlans, p: Plan) -> str:
    return "; ".join(f"{t.task} on {res.names.get(t.route, t.route)}" for t in p.tasks)


def _saving_clause(res: PortfolioPlans, b: Plan) -> str:
    """`saves 1,234 USD (12%) of net present cost and emits 5.6 tCO2e less (7%) over the horizon than the
    baseline plan all-large` (or `costs … more`, `emits … more`)."""
    best = res.optimised
    saving = plan_cost(b) - plan_cost(best)
    t = (b.kg - best.kg) / KG_PER_T
    money_part = (
        f"saves {money(saving, res.currency)}{_pct(saving, plan_cost(b))}"
        if saving >= 0
        else f"costs {money(-saving, res.currency)} more"
    )
    kg_part = f"{t:,.1f} tCO2e less{_pct(t, b.kg / KG_PER_T)}" if t >= 0 else f"{-t:,.1f} tCO2e more"
    basis = "net present cost" if not carbon_counted(best.objective) else cost_words(best.objective)
    return f"{money_part} of {basis} and emits {kg_part} over the horizon than the baseline plan {b.name}"


def plan_sentence(res: PortfolioPlans) -> str:
    """The saving first, then who serves what: `The optimised plan saves 1,234 USD (12%) of net present cost
    and emits 5.6 tCO2e less (7%) over the horizon than the baseline plan all-large: sentiment on …; code on
    … (objective: lowest net present cost, without the carbon price).` The saving is the baseline plan's total less the optimised plan's (negative: it
    costs more)."""
    best = res.optimised
    b = res.baseline
    routing = f"{_routing(res, best)} (objective: {OBJECTIVES.get(best.objective, best.objective)})."
    if b is not None:
        text = f"The optimised plan {_saving_clause(res, b)}: {routing}"
    else:
        text = f"The optimised plan: {routing}"
    if not best.meets_limits:
        text += " It does not meet every quality floor and latency SLO."
    return text


@dataclass(frozen=True)
class PlanHeadline:
    """One headline figure of the optimised plan, formatted for the page (the app's plan cards)."""

    label: str
    value: str
    delta: str | None = None  # against the baseline plan
    direction: str | None = None  # "better", "worse" or "same" than the baseline plan (lower is better)
    help: str | None = None


def _direction(value: float, base: float) -> str:
    if math.isclose(value, base, rel_tol=5e-3):
        return "same"
    return "better" if value < base else "worse"


def plan_headlines(res: PortfolioPlans) -> list[PlanHeadline]:
    """The optimised plan's totals over the horizon, each against the baseline plan where there is one:
    net present cost, the saving, emissions, and whether every task meets its floor and SLO."""
    best, b, cur = res.optimised, res.baseline, res.currency
    vs = f" vs {b.name}" if b is not None else ""
    cost, carbon = plan_cost(best), carbon_counted(best.objective)
    base = plan_cost(b) if b is not None else math.nan
    out = [
        PlanHeadline(
            f"Net present cost, {'with' if carbon else 'no'} carbon price ({cur})",
            money(cost),
            None if b is None else f"{ratio(cost / base)}{vs}" if base > 0 else None,
            None if b is None else _direction(cost, base),
            f"Every task's cost over the horizon, discounted, as the engine prices the plan (shared fleets): "
            f"{cost_words(best.objective)}.",
        )
    ]
    if b is not None:
        saving = base - cost
        out.append(
            PlanHeadline(
                f"{'Saving' if saving >= 0 else 'Extra cost'} against {b.name} ({cur})",
                money(abs(saving)),
                f"{abs(saving) / base:.0%} of {money(base)} {cur}" if base > 0 else None,
                "better" if saving > 0 else "worse" if saving < 0 else "same",
                f"{cost_words(best.objective)[:1].upper()}{cost_words(best.objective)[1:]} of the baseline plan "
                f"{b.name} less the optimised plan's.",
            )
        )
    out.append(
        PlanHeadline(
            "Emissions of the plan (tCO2e)",
            f"{best.kg / KG_PER_T:,.1f}",
            None if b is None else f"{ratio(best.kg / b.kg)}{vs}" if b.kg > 0 else None,
            None if b is None else _direction(best.kg, b.kg),
            "Operational and embodied emissions of every task over the horizon.",
        )
    )
    below = [t.task for t in best.tasks if not t.meets_floor]
    slow = [t.task for t in best.tasks if not t.meets_slo]
    out.append(
        PlanHeadline(
            "Quality floors and latency SLOs",
            "all met" if not below and not slow else "not all met",
            None
            if not below and not slow
            else "; ".join(
                [*(f"{t} below its floor" for t in below), *(f"{t} misses its SLO" for t in slow)]
            ),
            "same" if not below and not slow else "worse",
            "Every task's quality (in its own metric) against its floor, and its p95 latency against its SLO.",
        )
    )
    return out


@dataclass(frozen=True)
class TaskCard:
    """One task of a plan in words, for the app's Plan view: who serves it, what a query and a correct answer
    cost and emit, and its quality against its floor (in the task's own metric)."""

    task: str
    served_by: str
    share: str  # of the plan's queries over the horizon: `50 % of queries`
    cost_per_1k: str  # per 1,000 queries
    cost_per_1k_correct: str
    g_per_query: str
    g_per_correct: str
    quality: str  # `0.913 SST-2 dev accuracy (floor 0.900)` or `no quality score (floor 0.165)`
    ok: bool  # meets its floor and its latency SLO
    why_not: str = ""  # `below its floor; misses its latency SLO`


def task_cards(res: PortfolioPlans, p: Plan) -> list[TaskCard]:
    """The tasks of plan `p` as cards (every number from the plan; per correct answer: per query / quality)."""
    floors = {t.task: t.quality_floor for t in res.tasks}
    total = sum(t.queries for t in p.tasks)
    cards = []
    for t in p.tasks:
        floor = floors.get(t.task)
        floor_text = "" if floor is None else f" (floor {floor:.3f})"
        quality = (
            f"no quality score{floor_text}"
            if math.isnan(t.quality)
            else f"{t.quality:.3f} {t.metric or 'quality'}{floor_text}"
        )
        why = []
        if not t.meets_floor:
            why.append(
                "no quality score to hold against its floor" if math.isnan(t.quality) else "below its floor"
            )
        if not t.meets_slo:
            why.append("misses its latency SLO")
        cards.append(
            TaskCard(
                task=t.task,
                served_by=res.names.get(t.route, t.route),
                share=f"{100 * t.queries / total:.0f} % of queries" if total > 0 else "no queries",
                cost_per_1k=plain(t.cost_per_query * 1000.0),
                cost_per_1k_correct=plain(t.cost_per_correct * 1000.0),
                g_per_query=plain(t.g_per_query),
                g_per_correct=plain(t.g_per_correct),
                quality=quality,
                ok=t.meets_floor and t.meets_slo,
                why_not="; ".join(why),
            )
        )
    return cards


def single_option_scope(loaded: LoadedScenario) -> str:
    """What a portfolio's per-option views are (not the plan): `Each option alone, serving all 2,000,000
    queries a day as sentiment (the largest task), 382 tokens in and 138 out (the tasks' mean, weighted by
    queries), not the plan`; empty without tasks."""
    if not has_tasks(loaded):
        return ""
    w = loaded.spec.workload
    tokens = {
        str(a["parameter"]): float(a["value"])
        for a in loaded.resolved.assumptions
        if a["option"] == "(all)" and str(a["parameter"]).startswith("tokens per query")
    }
    t_in, t_out = tokens.get("tokens per query in"), tokens.get("tokens per query out")
    length = f", {t_in:,.0f} tokens in and {t_out:,.0f} out" if t_in is not None and t_out is not None else ""
    raw_workload = loaded.raw.get("workload")
    # lengths the file does not give but the workload has: tco.scenario.portfolio.fill_task took the tasks' mean
    filled = isinstance(raw_workload, dict) and all(
        k not in raw_workload and getattr(w, k) is not None for k in ("tokens_in", "tokens_out")
    )
    if length and filled:
        length += " (the tasks' mean, weighted by queries)"
    return (
        f"Each option alone, serving all {w.queries_per_day:,.0f} queries a day as {w.task} "
        f"(the largest task){length}, not the plan"
    )


def plan_role(res: PortfolioPlans, p: Plan) -> str:
    if p is res.optimised:
        return "optimised"
    return "baseline" if res.baseline is not None and p is res.baseline else "compared"


def carbon_priced(res: PortfolioPlans) -> bool:
    """Whether the scenario sets a carbon price (the plans then pay it: a column of their own)."""
    return res.problem.carbon_price_per_kg > 0


def plans_table(res: PortfolioPlans) -> pd.DataFrame:
    """One row per plan (optimised first): totals over the horizon (and the carbon price paid, net present,
    where the scenario sets one), whether it meets every limit, its fleets."""
    priced = carbon_priced(res)
    rows = [
        {
            "plan": p.name,
            "plan_role": plan_role(res, p),
            "npv_cost": p.cost,
            **({"npv_carbon_cost": p.carbon_cost} if priced else {}),
            "emissions_kg": p.kg,
            "meets_limits": p.meets_limits,
            "replicas_at_peak": ", ".join(f"{res.names.get(d, d)} x{k}" for d, k in p.replicas.items())
            or "none",
        }
        for p in (res.optimised, *res.compared)
    ]
    frame = pd.DataFrame(rows)
    frame.attrs["units"] = {
        "npv_cost": res.currency,
        "npv_carbon_cost": res.currency,
        "emissions_kg": "kgCO2e",
    }
    return frame


def tasks_table(res: PortfolioPlans, plans: tuple[Plan, ...] | None = None) -> pd.DataFrame:
    """Per task of each plan (default: the optimised and the baseline plan), in the order a reader asks: who
    serves it, what a query and a correct answer cost and emit, the quality against its floor, whether it
    meets its floor and latency SLO, its p95 latency, the quality metric and the queries."""
    chosen = plans if plans is not None else tuple(p for p in (res.optimised, res.baseline) if p is not None)
    cur = res.currency
    floors = {t.task: t.quality_floor for t in res.tasks}
    rows = []
    for p in chosen:
        for t in p.tasks:
            rows.append(
                {
                    "plan": p.name,
                    "task": t.task,
                    "served_by": res.names.get(t.route, t.route),
                    "cost_per_1k_queries": t.cost_per_query * 1000.0,
                    "cost_per_correct_1k": t.cost_per_correct * 1000.0,
                    "g_per_query": t.g_per_query,
                    "g_per_correct": t.g_per_correct,
                    "quality": t.quality,
                    "quality_floor": math.nan if floors.get(t.task) is None else floors[t.task],
                    "meets_quality_floor": t.meets_floor,
                    "slo_met": t.meets_slo,
                    "latency_p95_s": t.latency_p95_s,
                    "quality_metric": t.metric
                    or ("no quality score" if math.isnan(t.quality) else "quality"),
                    "queries": t.queries,
                }
            )
    frame = pd.DataFrame(rows)
    frame.attrs["units"] = {
        "queries": "query",
        "cost_per_1k_queries": f"{cur}/1k queries",
        "g_per_query": "gCO2e/query",
        "cost_per_correct_1k": f"{cur}/1k correct answers",
        "g_per_correct": "gCO2e/correct answer",
        "latency_p95_s": "s",
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


def _commitment(r: BomRow) -> str:
    if r.pay == "buy":
        return ", ".join(f"month {m}: {n}" for m, n in r.purchases) or "none"
    if r.pay == "committed":
        above = f", plus {r.gpu_months:,.0f} GPU-months on demand above it" if r.gpu_months > 0 else ""
        return f"{r.committed_gpus} GPUs for {r.term_months:g}-month terms{above}"
    return f"{r.gpu_months:,.0f} GPU-months rented"


def bom_table(res: PortfolioPlans, rows: tuple[BomRow, ...] | None = None) -> pd.DataFrame:
    """The bill of materials of the optimised plan (default; or `rows`): one row per fleet with its GPU type,
    region, how it is paid, GPUs and whole servers at its largest, kW provisioned, and what is bought (GPUs
    per month of purchase) or rented (GPU-months, or GPUs committed for a term)."""
    chosen = res.bill_of_materials if rows is None else rows
    frame = pd.DataFrame(
        [
            {
                "gpu_type": r.gpu,
                "region": r.region,
                "fleet": res.names.get(r.deployment, r.deployment),
                "pay": r.pay,
                "price_tier": r.tier,
                "gpus": r.gpus,
                "servers": r.servers,
                "kw_provisioned": r.kw_provisioned,
                "bought_or_rented": _commitment(r),
            }
            for r in chosen
        ],
        columns=[
            "gpu_type",
            "region",
            "fleet",
            "pay",
            "price_tier",
            "gpus",
            "servers",
            "kw_provisioned",
            "bought_or_rented",
        ],
    )
    frame.attrs["units"] = {"kw_provisioned": "kW"}
    return frame


def search_lines(res: PortfolioPlans) -> list[str]:
    """What a buyer reads under the bill of materials: totals per GPU type and region, the runner-up's cost
    and fleets, and what `plan.search` generated, pruned and left out (with why)."""
    out = [
        f"bill of materials, {gpu} in {region or 'the default region'}: {t['gpus']:g} GPU{'s' if t['gpus'] != 1 else ''}, {t['servers']:g} "
        f"server{'s' if t['servers'] != 1 else ''}, {t['kw_provisioned']:,.1f} kW provisioned"
        for (gpu, region), t in res.bill_totals.items()
    ]
    if res.runner_up is not None:
        fleets = (
            "; ".join(f"{r.gpus} x {r.gpu} in {r.region} ({r.pay})" for r in res.runner_up_bill)
            or "no hosted fleet"
        )
        out.append(
            f"runner-up plan: {res.runner_up.cost:,.0f} {res.currency} "
            f"({res.runner_up.cost - res.optimised.cost:+,.0f}); its fleets: {fleets}"
        )
    if res.search_candidates or res.search_left_out:
        kept, pruned = len(res.search_candidates), len(res.search_pruned)
        out.append(
            f"plan.search: {kept + pruned} candidate deployments generated from the catalogue, {pruned} pruned "
            f"as dominated, {kept} kept; {len(res.search_left_out)} combinations left out"
        )
        out += [f"left out: {why}" for why in res.search_left_out]
        out += [f"pruned: {a} (dominated by {b})" for a, b in res.search_pruned]
    return out


def plan_named(res: PortfolioPlans, name: str) -> Plan:
    """The optimised or a compared plan by name."""
    return next(p for p in (res.optimised, *res.compared) if p.name == name)


__all__ = [
    "PlanHeadline",
    "TaskCard",
    "bom_table",
    "carbon_priced",
    "display",
    "has_tasks",
    "plan_headlines",
    "plan_named",
    "plan_role",
    "plan_sentence",
    "plans_table",
    "search_lines",
    "single_option_scope",
    "task_cards",
    "tasks_table",
]
