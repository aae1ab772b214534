"""The plan over time: what the optimised plan and its baseline cost and emit month by month and year by year.

A plan's headline (`Plan.cost`, `Plan.kg`) is the engine's price of its fleets: one engine run per shared
fleet (`tco.analysis.portfolio._fleet_runs`, as `EnginePricer.price` runs them). The timeline reads the same
runs month by month, so that its sums are the plan's own totals:

    cost in month m     = sum over the plan's fleet runs of (total_cost[m] - carbon_cost[m]) x discount[m]
                          (+ carbon_cost[m] x discount[m] where the objective prices carbon: `COST_BASIS`)
    component c, year y = sum over the runs and the months m of year y of {c}_cost[m] x discount[m]
                          (the carbon component only where the plan's cost includes it)
    emissions in year y = sum over the runs and the months of year y of the operational, embodied and
                          fine-tuning kgCO2e (undiscounted)

Costs are on the plan's cost basis (present value, discounted like the NPV; the undiscounted sum is beside it).
Year y is months 12 (y - 1) to 12 y - 1 of the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tco.analysis.evaluate import _dates
from tco.analysis.plan import COST_BASIS, Plan, carbon_in_cost
from tco.analysis.portfolio import PortfolioPlans, StageInputs, _build, _fleet_runs
from tco.analysis.runs import EngineRuns
from tco.engine.components import COMPONENTS
from tco.errors import TcoError
from tco.scenario.load import LoadedScenario

EMISSION_PARTS = (
    "operational",
    "embodied",
    "fine_tuning",
)  # emissions_{part}_kg columns, summing to the total


@dataclass(frozen=True)
class PlanTimeline:
    """The optimised plan and its baseline over time (frames in long form, one row per plan and period).

    `monthly`: plan, role ("optimised" | "baseline"), month (0-based), date, year, cost, cost_undiscounted,
    cumulative_cost (running sum of `cost`), emissions_kg, cumulative_emissions_kg.
    `monthly_components`: plan, role, month, component, cost, cost_undiscounted (the components that move).
    `yearly_cost`: plan, role, year, component (name in `COMPONENTS`), label, cost, cost_undiscounted.
    `yearly_emissions`: plan, role, year, operational_kg, embodied_kg, fine_tuning_kg, emissions_kg.
    `basis`: what `cost` is, in words (the optimised plan's `cost_basis`). `currency`: of every cost.
    """

    monthly: pd.DataFrame
    yearly_cost: pd.DataFrame
    yearly_emissions: pd.DataFrame
    basis: str
    currency: str
    totals: dict[str, tuple[float, float]]  # plan name -> (its headline cost, its kgCO2e), to check against
    monthly_components: pd.DataFrame = field(default_factory=pd.DataFrame)

    def plans(self) -> list[str]:
        """Plan names in order (optimised first)."""
        return list(dict.fromkeys(self.monthly["plan"]))

    def yearly_totals(self) -> pd.DataFrame:
        """plan, role, year, cost (sum of components), emissions_kg: one row per plan and year."""
        cost = self.yearly_cost.groupby(["plan", "role", "year"], sort=False)["cost"].sum().reset_index()
        kg = self.yearly_emissions[["plan", "year", "emissions_kg"]]
        return cost.merge(kg, on=["plan", "year"])


def _plan_series(
    plan: Plan,
    stages: dict[tuple[str, str], tuple[StageInputs, ...]],
    loaded: LoadedScenario,
    runs: EngineRuns,
) -> dict[str, np.ndarray]:
    """The plan's monthly series summed over its fleet runs (the runs `EnginePricer.price` prices it with):
    each cost component discounted and not, the discount factor, and the emissions parts."""
    finance = loaded.resolved.finance
    by_dep: dict[str, list[tuple[str, StageInputs]]] = {}
    for task, route in plan.routes.items():
        if (task, route) not in stages:
            raise TcoError(f"plan {plan.name!r}: no engine inputs for task {task!r} on route {route!r}")
        for st in stages[(task, route)]:
            by_dep.setdefault(st.deployment, []).append((task, st))
    months = finance.months
    out: dict[str, np.ndarray] = {}

    def add(key: str, value: np.ndarray) -> None:
        out[key] = out.get(key, np.zeros(months)) + value

    for parts in by_dep.values():
        for opt, workload, _ in _fleet_runs(parts):
            s = runs(opt, workload, finance)
            disc = np.asarray(s["discount_factor"], dtype=float)
            for c in COMPONENTS:
                v = np.asarray(s[c.column], dtype=float)
                add(c.name, np.sum(v * disc, axis=0))
                add(c.name + "@cash", np.sum(v, axis=0))
            for part in EMISSION_PARTS:
                add(f"kg@{part}", np.sum(np.asarray(s[f"emissions_{part}_kg"], dtype=float), axis=0))
            add("emissions", np.sum(np.asarray(s["emissions_kg"], dtype=float), axis=0))
    return out


def _components(plan: Plan) -> list[str]:
    """The components in the plan's cost: every one, the carbon price only where the objective prices it."""
    return [c.name for c in COMPONENTS if c.name != "carbon" or carbon_in_cost(plan.objective)]


def plan_timeline(
    loaded: LoadedScenario, plans: PortfolioPlans, runs: EngineRuns | None = None
) -> PlanTimeline:
    """The optimised plan and its baseline (where there is one) month by month and year by year, from the
    engine runs that price them (`runs`: the runs the plans were priced with, so nothing is run twice)."""
    runs = runs if runs is not None else EngineRuns()
    _, _, stages = _build(loaded, plans.optimised.objective, runs)
    finance = loaded.resolved.finance
    dates = _dates(finance.start, finance.months)
    month = np.arange(finance.months)
    year = month // 12 + 1
    chosen: list[tuple[str, Plan]] = [("optimised", plans.optimised)]
    if plans.baseline is not None and plans.baseline.name != plans.optimised.name:
        chosen.append(("baseline", plans.baseline))
    monthly: list[pd.DataFrame] = []
    yearly_cost: list[pd.DataFrame] = []
    monthly_cost: list[pd.DataFrame] = []
    yearly_kg: list[pd.DataFrame] = []
    labels = {c.name: c.label for c in COMPONENTS}
    for role, plan in chosen:
        s = _plan_series(plan, stages, loaded, runs)
        comps = _components(plan)
        cost = np.sum([s[c] for c in comps], axis=0)
        cash = np.sum([s[c + "@cash"] for c in comps], axis=0)
        monthly.append(
            pd.DataFrame(
                {
                    "plan": plan.name,
                    "role": role,
                    "month": month,
                    "date": dates,
                    "year": year,
                    "cost": cost,
                    "cost_undiscounted": cash,
                    "cumulative_cost": np.cumsum(cost),
                    "emissions_kg": s["emissions"],
                    "cumulative_emissions_kg": np.cumsum(s["emissions"]),
                }
            )
        )
        years = sorted(set(year.tolist()))
        for c in comps:
            monthly_cost.append(
                pd.DataFrame(
                    {
                        "plan": plan.name,
                        "role": role,
                        "month": month,
                        "component": c,
                        "cost": s[c],
                        "cost_undiscounted": s[c + "@cash"],
                    }
                )
            )
            yearly_cost.append(
                pd.DataFrame(
                    {
                        "plan": plan.name,
                        "role": role,
                        "year": years,
                        "component": c,
                        "label": labels[c],
                        "cost": [float(s[c][year == y].sum()) for y in years],
                        "cost_undiscounted": [float(s[c + "@cash"][year == y].sum()) for y in years],
                    }
                )
            )
        kg = {f"{p}_kg": [float(s[f"kg@{p}"][year == y].sum()) for y in years] for p in EMISSION_PARTS}
        yearly_kg.append(
            pd.DataFrame(
                {
                    "plan": plan.name,
                    "role": role,
                    "year": years,
                    **kg,
                    "emissions_kg": [float(s["emissions"][year == y].sum()) for y in years],
                }
            )
        )
    ycost = pd.concat(yearly_cost, ignore_index=True)
    # a component that is zero in every year of every plan is left out (a cloud plan has no capex)
    moving = ycost.groupby("component", sort=False)["cost_undiscounted"].apply(lambda v: bool(np.any(v != 0)))
    ycost = ycost[ycost["component"].map(moving)].reset_index(drop=True)
    mcost = pd.concat(monthly_cost, ignore_index=True)
    mcost = mcost[mcost["component"].map(moving)].reset_index(drop=True)
    return PlanTimeline(
        monthly=pd.concat(monthly, ignore_index=True),
        yearly_cost=ycost,
        yearly_emissions=pd.concat(yearly_kg, ignore_index=True),
        basis=COST_BASIS[plans.optimised.objective],
        currency=plans.currency,
        totals={p.name: (p.cost, p.kg) for _, p in chosen},
        monthly_components=mcost,
    )


def check_totals(timeline: PlanTimeline, *, rel: float = 1e-9) -> Sequence[str]:
    """Where the timeline's sums differ from the plans' headline figures (empty: they agree)."""
    out = []
    for name, (cost, kg) in timeline.totals.items():
        m = timeline.monthly[timeline.monthly["plan"] == name]
        for what, got, want in (("cost", m["cost"].sum(), cost), ("kgCO2e", m["emissions_kg"].sum(), kg)):
            if abs(got - want) > rel * max(abs(want), 1.0):
                out.append(f"{name}: {what} over time {got:,.6g} vs the plan's {want:,.6g}")
    return out


__all__ = ["EMISSION_PARTS", "PlanTimeline", "check_totals", "plan_timeline"]
