"""From a loaded scenario to the planner's problem (tco.analysis.plan), and the plans `tco plan` reports.

Each task is resolved as a single-task scenario of its own (its queries, tokens, SLO and floor; everything
else from the scenario), so every option's engine inputs for that task come from today's `resolve` with no
change. `route_coefficients` then reads, from the engine itself, what serving a task on an option costs and
emits: runs at a fixed fleet of one and two replicas and at two small demands give the cost per unit of
daily demand and the one-off set-up (fine-tuning); `fleet_coefficients` gives each month's cost of one
replica rented in it (cloud), or bought in it and kept to the end (on-prem: the engine over the remaining
months), all NPV with the scenario's discounting, growth, lifetimes and prices (the engine is linear in
fleet size and queries while the fleet carries its load). These two functions are where the hourly,
load-aware engine plugs in later.

Fleets are sized month by month, like the single-option engine: for the busiest hour of each month (demand
growth applied to a day at the start), from each task's daily profile (its own, else the workload's; else a
flat day at the peak-to-average ratio, i.e. all peaks coinciding, as the single-option engine sizes today),
at each option's target utilisation; a fixed fleet is held at its size.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tco.analysis.plan import Deployment, Plan, PlanProblem, Route, Stage, TaskDemand, evaluate_routing, solve
from tco.engine.core import simulate
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.errors import ScenarioError
from tco.scenario.load import LoadedScenario
from tco.scenario.portfolio import CascadeSpec, FixedPlan, PlanSpec, PortfolioTask

SECONDS_PER_DAY = 86_400.0
PROBE_QUERIES_PER_DAY = 100.0  # small enough that one replica carries it: the engine stays linear
CASCADE_LATENCY_SHARE = 0.05  # above this share escalated, a cascade's p95 is both stages' p95 added


@dataclass(frozen=True)
class Coefficients:
    """What an option costs and emits for one task, read from the engine (NPV currency, kgCO2e)."""

    cost_per_daily_query: float  # per query/day of initial demand, over the horizon (growth included)
    kg_per_daily_query: float
    queries_per_daily_query: float  # queries served over the horizon per query/day of initial demand
    replica_cost: float  # one replica kept over the horizon (0 for an API)
    replica_kg: float
    setup_cost: float  # one-off (fine-tuning)
    setup_kg: float
    kg_pv_per_daily_query: float  # present-value kgCO2e (each month's kg x its discount factor), for a carbon
    replica_kg_pv: float  # price discounted as the engine discounts it
    setup_kg_pv: float
    # the fleet month by month: "rent" (cloud): one replica in service in month m; "buy" (on-prem): one replica
    # bought in month m and kept to the end (replaced at end of life); "hold" (a fixed fleet): none
    fleet: str = "hold"
    month_cost: tuple[float, ...] = ()
    month_kg: tuple[float, ...] = ()
    month_kg_pv: tuple[float, ...] = ()


@dataclass(frozen=True)
class PortfolioPlans:
    """The optimised plan, the compared ones, the baseline and what the numbers are in."""

    problem: PlanProblem  # every option as a candidate for every task (for the compared plans)
    optimised: Plan
    compared: tuple[Plan, ...]
    baseline: Plan | None
    currency: str
    names: dict[str, str]  # option and cascade ids -> names
    tasks: tuple[PortfolioTask, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain data (schema `slm-tco.plan/1`): every plan with its totals, fleets and per-task figures."""

        def plan_dict(p: Plan) -> dict[str, Any]:
            return {
                "name": p.name,
                "npv_cost": p.cost,
                "emissions_kg": p.kg,
                "carbon_cost": p.carbon_cost,
                "objective_value": p.objective_value,
                "meets_limits": p.meets_limits,
                "replicas": dict(p.replicas),
                "replicas_per_month": {d: list(path) for d, path in p.in_service.items()},
                "unserved": list(p.unserved),
                "tasks": [
                    {
                        "task": t.task,
                        "route": t.route,
                        "route_name": self.names.get(t.route, t.route),
                        "deployments": list(t.deployments),
                        "queries": t.queries,
                        "cost": t.cost,
                        "emissions_kg": t.kg,
                        "cost_per_1k_queries": t.cost_per_query * 1000.0,
                        "g_per_query": t.g_per_query,
                        "quality": t.quality,
                        "quality_metric": t.metric,
                        "cost_per_1k_correct": t.cost_per_correct * 1000.0,
                        "g_per_correct": t.g_per_correct,
                        "latency_p95_s": t.latency_p95_s,
                        "meets_floor": t.meets_floor,
                        "meets_slo": t.meets_slo,
                    }
                    for t in p.tasks
                ],
            }

        return {
            "schema": "slm-tco.plan/1",
            "currency": self.currency,
            "objective": self.optimised.objective,
            "optimised": plan_dict(self.optimised),
            "compared": [plan_dict(p) for p in self.compared],
            "baseline": self.baseline.name if self.baseline is not None else None,
        }


def _totals(
    option: OptionInputs, qpd: float, fleet: float, w: WorkloadInputs, f: FinanceInputs
) -> np.ndarray:
    """NPV cost without carbon, kgCO2e, queries and present-value kgCO2e of `option` at `qpd`, fixed fleet."""
    hosted = option.deployment != "api"
    opt = option.with_values(fixed_fleet=fleet) if hosted else option
    s = simulate(opt, WorkloadInputs(qpd, w.annual_growth, w.peak_to_average, w.quality_floor, w.task), f)
    npv = float(np.sum(s["total_cost_discounted"]))
    carbon = float(np.sum(s["carbon_cost"] * s["discount_factor"]))
    kg_pv = float(np.sum(s["emissions_kg"] * s["discount_factor"]))
    return np.array([npv - carbon, float(np.sum(s["emissions_kg"])), float(np.sum(s["queries"])), kg_pv])


def _series(
    option: OptionInputs, fleet: float, w: WorkloadInputs, f: FinanceInputs
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per month: discounted cost without carbon, kgCO2e and present-value kgCO2e, at a tiny probe demand."""
    probe = WorkloadInputs(PROBE_QUERIES_PER_DAY, w.annual_growth, w.peak_to_average, w.quality_floor, w.task)
    s = simulate(option.with_values(fixed_fleet=fleet), probe, f)
    disc = s["discount_factor"][0]
    cost = (s["total_cost"][0] - s["carbon_cost"][0]) * disc
    kg = s["emissions_kg"][0]
    return cost, kg, kg * disc


def _bought_in(option: OptionInputs, month: int, w: WorkloadInputs, f: FinanceInputs) -> np.ndarray:
    """NPV cost, kgCO2e and present-value kgCO2e of one replica bought in `month` and kept to the end.

    The engine over the remaining months, with prices and grid intensity moved on to that month, discounted
    back to the start: its own rules for purchase, replacement at end of life and book value at the end.
    """
    years = month / 12.0
    moved = option.with_values(
        electricity_price=np.asarray(option.electricity_price)
        * (1.0 + np.asarray(option.electricity_escalation)) ** years,
        grid_intensity_kg_per_kwh=np.asarray(option.grid_intensity_kg_per_kwh)
        * (1.0 - np.asarray(option.grid_decarbonisation)) ** years,
    )
    rest = replace(f, months=f.months - month)
    one = float(option.accelerators_per_replica)
    diffs = [
        a.sum() - b.sum()
        for a, b in zip(_series(moved, 2 * one, w, rest), _series(moved, one, w, rest), strict=True)
    ]
    d = float((1.0 + float(np.mean(f.discount_rate))) ** (-years))
    return np.array([diffs[0] * d, diffs[1], diffs[2] * d])


def fleet_coefficients(
    option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs
) -> tuple[str, np.ndarray]:
    """How an option's fleet is priced month by month: ("rent" | "buy" | "hold", (3, months) array of NPV
    cost, kgCO2e and present-value kgCO2e per replica in service (rent) or bought (buy) in each month)."""
    if option.deployment == "api" or not math.isnan(option.fixed_fleet):
        return "hold", np.zeros((3, 0))
    one = float(option.accelerators_per_replica)
    if option.deployment == "cloud":
        two = _series(option, 2 * one, workload, finance)
        single = _series(option, one, workload, finance)
        return "rent", np.array([a - b for a, b in zip(two, single, strict=True)])
    return "buy", np.array([_bought_in(option, m, workload, finance) for m in range(finance.months)]).T


def route_coefficients(
    option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs
) -> Coefficients:
    """Cost and emissions of one option for one task, per replica, per unit of daily demand and one-off.

    Today's engine, run at a fixed fleet of one and two replicas and at two small demands: the differences
    are the per-replica and per-query coefficients (the engine is linear in both while the fleet carries the
    load), the rest is the one-off set-up. Replace this function to plan with the hourly engine.
    """
    q0 = PROBE_QUERIES_PER_DAY
    one = float(option.accelerators_per_replica)
    base = _totals(option, q0, one, workload, finance)
    more_q = _totals(option, 2 * q0, one, workload, finance)
    per_q = (more_q - base) / q0
    if option.deployment != "api":
        per_replica = _totals(option, q0, 2 * one, workload, finance) - base
    else:
        per_replica = np.zeros(4)
    setup = base - per_replica - q0 * per_q
    setup = np.where(np.abs(setup) < 1e-9 * np.maximum(np.abs(base), 1.0), 0.0, setup)
    fleet, months = fleet_coefficients(option, workload, finance)
    return Coefficients(
        fleet=fleet,
        month_cost=tuple(float(v) for v in months[0]) if months.size else (),
        month_kg=tuple(float(v) for v in months[1]) if months.size else (),
        month_kg_pv=tuple(float(v) for v in months[2]) if months.size else (),
        cost_per_daily_query=float(per_q[0]),
        kg_per_daily_query=float(per_q[1]),
        queries_per_daily_query=float(per_q[2]),
        replica_cost=float(per_replica[0]),
        replica_kg=float(per_replica[1]),
        setup_cost=float(setup[0]),
        setup_kg=float(setup[1]),
        kg_pv_per_daily_query=float(per_q[3]),
        replica_kg_pv=float(per_replica[3]),
        setup_kg_pv=float(setup[3]),
    )


def _tasks(loaded: LoadedScenario) -> tuple[PortfolioTask, ...]:
    w = loaded.spec.workload
    if w.tasks:
        return tuple(w.tasks)
    return (PortfolioTask(task=w.task, share=1.0),)


def _task_scenario(
    loaded: LoadedScenario, task: PortfolioTask, qpd: float, *, slo_s: float | None = None
) -> LoadedScenario:
    """The scenario as a single-task one for `task`: its traffic, lengths and limits, the rest unchanged
    (`slo_s` replaces the task's latency SLO, for the stages of a cascade)."""
    raw = copy.deepcopy(loaded.raw)
    raw.pop("plan", None)
    wl = dict(raw["workload"])
    wl.pop("tasks", None)
    wl["task"] = task.task
    wl["queries_per_day"] = f"{qpd!r} query/day"
    for key in ("tokens_in", "tokens_out", "quality_floor"):
        value = getattr(task, key)
        if value is not None:
            wl[key] = value
    slo = slo_s if slo_s is not None else task.latency_slo_p95
    if slo is not None:
        wl["latency_slo_p95"] = f"{slo!r} s"
    if task.daily_profile is not None:
        wl.pop("peak_to_average", None)
        wl["daily_profile"] = list(task.daily_profile)
    raw["workload"] = wl
    try:
        return loaded.with_changes(raw)
    except ScenarioError as e:
        raise ScenarioError(
            e.detail, file=loaded.file, field=f"workload.tasks ({task.task}): {e.field}"
        ) from e


def _hourly_qps(task: PortfolioTask, loaded: LoadedScenario, qpd: float) -> np.ndarray:
    """Queries per second in each hour of a day at the start of the horizon (growth is per month, later)."""
    w = loaded.spec.workload
    profile = task.daily_profile or w.daily_profile
    if profile is not None:
        shape = np.asarray(profile, dtype=float)
        shape = shape / shape.mean()
    else:
        shape = np.full(24, w.peak_factor())
    return qpd / SECONDS_PER_DAY * shape


def _deployment(opt: OptionInputs, co: Coefficients) -> Deployment:
    """The planner's view of an option's fleet: whole replicas, their cost and emissions, any fixed size."""
    hosted = opt.deployment != "api"
    fixed = None if math.isnan(opt.fixed_fleet) else int(opt.fixed_fleet // opt.accelerators_per_replica)
    return Deployment(
        opt.id,
        hosted=hosted,
        replica_cost=co.replica_cost,
        replica_kg=co.replica_kg,
        setup_cost=co.setup_cost,
        setup_kg=co.setup_kg,
        replica_kg_pv=co.replica_kg_pv,
        setup_kg_pv=co.setup_kg_pv,
        min_replicas=int(opt.min_replicas) if hosted else 0,
        fixed_replicas=fixed,
        accelerators_per_replica=opt.accelerators_per_replica,
        fleet=co.fleet,
        period_cost=co.month_cost,
        period_kg=co.month_kg,
        period_kg_pv=co.month_kg_pv,
    )


def _cascade_route(c: CascadeSpec, first: Route, then: Route) -> Route:
    e = c.escalate
    if c.quality is not None:
        quality, metric = c.quality, f"{first.metric or 'quality'} (cascade, given)"
    elif first.metric == then.metric and not (math.isnan(first.quality) or math.isnan(then.quality)):
        quality, metric = (1 - e) * first.quality + e * then.quality, first.metric
    else:  # different metrics are never averaged
        quality, metric = math.nan, None
    latency = first.latency_p95_s + then.latency_p95_s if e > CASCADE_LATENCY_SHARE else first.latency_p95_s
    stages = (first.stages[0], Stage(then.stages[0].deployment, e, then.stages[0].load * e))
    return Route(
        c.id,
        c.task,
        stages,
        cost=first.cost + e * then.cost,
        kg=first.kg + e * then.kg,
        quality=quality,
        metric=metric,
        latency_p95_s=latency,
        kg_pv=(first.kg_pv or 0.0) + e * (then.kg_pv or 0.0),
    )


def build_problem(loaded: LoadedScenario, *, objective: str | None = None) -> tuple[PlanProblem, PlanProblem]:
    """The planning problem (candidates only) and the same with every option for every task (to compare)."""
    spec = loaded.spec
    plan_spec = spec.plan or PlanSpec()
    resolved = loaded.resolved
    finance = resolved.finance
    growth = tuple((1.0 + spec.workload.annual_growth) ** (m / 12.0) for m in range(finance.months))
    options = [o.id for o in spec.options]
    carbon = float(np.mean(resolved.options[0].carbon_price_per_kg)) if resolved.options else 0.0

    tasks: list[TaskDemand] = []
    routes: list[Route] = []
    deployments: dict[str, Deployment] = {}

    def task_routes(
        task: PortfolioTask, qpd: float, slo_s: float | None = None
    ) -> tuple[dict[str, Route], float]:
        """One route per option for `task` (resolved at `slo_s` if given), and the task's queries."""
        r = _task_scenario(loaded, task, max(qpd, PROBE_QUERIES_PER_DAY), slo_s=slo_s).resolved
        qps = _hourly_qps(task, loaded, qpd)
        out: dict[str, Route] = {}
        total_queries = 0.0
        for opt in r.options:
            co = route_coefficients(opt, r.workload, r.finance)
            total_queries = co.queries_per_daily_query * qpd
            hosted = opt.deployment != "api"
            if opt.id not in deployments:
                deployments[opt.id] = _deployment(opt, co)
            load = (
                qps / (float(np.mean(opt.throughput_qps)) * float(np.mean(opt.utilisation)))
                if hosted
                else 0 * qps
            )
            out[opt.id] = Route(
                opt.id,
                task.task,
                (Stage(opt.id, 1.0, load),),
                cost=co.cost_per_daily_query * qpd,
                kg=co.kg_per_daily_query * qpd,
                quality=float(opt.quality),
                metric=opt.quality_metric,
                latency_p95_s=float(opt.latency_p95_s),
                kg_pv=co.kg_pv_per_daily_query * qpd,
            )
        return out, total_queries

    for task in _tasks(loaded):
        qpd = task.daily_queries(spec.workload.queries_per_day)
        mine, total_queries = task_routes(task, qpd)
        routes.extend(mine.values())
        floor = task.quality_floor if task.quality_floor is not None else spec.workload.quality_floor
        slo = task.latency_slo_p95 if task.latency_slo_p95 is not None else spec.workload.latency_slo_p95
        tasks.append(
            TaskDemand(
                task.task,
                total_queries,
                quality_floor=math.nan if floor is None else float(floor),
                latency_slo_s=math.nan if slo is None else float(slo),
            )
        )
        cascades = [c for c in plan_spec.cascades if c.task == task.task]
        if cascades:
            # each stage gets half the latency budget, so that both together stay within the SLO
            staged = task_routes(task, qpd, slo_s=slo / 2.0)[0] if slo is not None else mine
            routes.extend(_cascade_route(c, staged[c.first], staged[c.then]) for c in cascades)
    obj = objective or plan_spec.objective
    full = PlanProblem(tuple(tasks), tuple(deployments.values()), tuple(routes), obj, carbon, growth)
    cascade_ids = {c.id for c in plan_spec.cascades}
    candidates = [
        r for r in routes if r.id in cascade_ids or r.id in plan_spec.candidates.get(r.task, options)
    ]
    return PlanProblem(tuple(tasks), full.deployments, tuple(candidates), obj, carbon, growth), full


def plan_portfolio(loaded: LoadedScenario, *, objective: str | None = None) -> PortfolioPlans:
    """Solve the scenario's portfolio and evaluate the plans it compares (default: all on the baseline)."""
    spec = loaded.spec
    plan_spec = spec.plan or PlanSpec()
    problem, full = build_problem(loaded, objective=objective)
    optimised = solve(problem)
    task_names = [t.name for t in full.tasks]
    fixed = list(plan_spec.compare)
    if not fixed:
        base_option = spec.baseline or spec.options[0].id
        fixed = [FixedPlan(id=f"all-{base_option}", all=base_option)]
    compared = []
    for p in fixed:
        routing = {t: p.routes.get(t, p.all or "") for t in task_names}
        compared.append(evaluate_routing(full, routing, name=p.id))
    base_id = plan_spec.baseline or fixed[0].id
    baseline = next((p for p in compared if p.name == base_id), None)
    names = {o.id: o.name or o.id for o in spec.options}
    names.update(
        {
            c.id: f"{names[c.first]} -> {names[c.then]} ({c.escalate:.0%} escalated)"
            for c in plan_spec.cascades
        }
    )
    return PortfolioPlans(
        problem=full,
        optimised=optimised,
        compared=tuple(compared),
        baseline=baseline,
        currency=loaded.resolved.finance.currency,
        names=names,
        tasks=_tasks(loaded),
    )
