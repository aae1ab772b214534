"""From a loaded scenario to the planner's problem (tco.analysis.plan), and the plans `tco plan` reports.

Each task is resolved as a single-task scenario of its own (its queries, tokens, SLO and floor; everything
else from the scenario), so every option's engine inputs for that task come from today's `resolve` with no
change.

Two models of the same plans:

- the SEARCH model (`tco.analysis.plan`, a mixed-integer program) is linear, read from the hourly engine:
  `_deployment_coefficients` prices one replica per month rented (cloud) or bought and kept (on-prem: the
  engine over the remaining months) and the one-off set-up; `route_coefficients` gives each task on each
  option the variable rest: the engine's totals for the task alone on the fleet the engine sizes for it,
  less that fleet's replicas and the set-up. A task alone on an option is exact; what sharing a fleet
  changes (a busier operating point, fewer idle hours) the search sees only through the fleet's size.
- the ENGINE prices every plan reported (`EnginePricer`): one engine run per shared fleet with the tasks'
  combined hourly demand (`_fleet_runs`), attributed to the tasks by capacity-weighted queries, each task's
  latency read at its fleet's busiest-hour batch. The plan is the best of every routing so priced
  (`_exhaustive`, up to `ENUMERATE_LIMIT` routings), else the search's plan improved by one- and two-task
  moves (`_improve`).

Fleets are sized month by month for the busiest hour of each month (demand growth applied to a day at the
start), from each task's representative day (its own daily profile, else the workload's, else the engine's
default shape of the peak-to-average ratio), at each option's target utilisation; a fixed fleet is held.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from tco.analysis.plan import (
    COST_BASIS,
    SEARCH_TIME_LIMIT_S,
    Deployment,
    Plan,
    PlanProblem,
    Route,
    Stage,
    TaskDemand,
    TaskResult,
    carbon_in_cost,
    eligible_routes,
    evaluate_routing,
    meets_floor,
    solve,
    unit_coefficients,
)
from tco.analysis.plan_bom import BomRow, bill_of_materials, bom_totals
from tco.analysis.plan_bound import Bound, plan_bound
from tco.analysis.runs import EngineRuns, digest
from tco.engine.constants import SECONDS_PER_DAY
from tco.engine.finance import trend_factor
from tco.engine.formulas import hourly_shape, interpolate_on_grid, provisioned_power_kw
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs, as_column
from tco.engine.operations import sweep_grid
from tco.engine.serving import ServingPoint, point_at
from tco.errors import ScenarioError
from tco.scenario.cascade import CascadeTerms, MeasuredCascade, cascade_terms, describe_measurement
from tco.scenario.load import LoadedScenario
from tco.scenario.portfolio import CascadeSpec, FixedPlan, PlanSpec, PortfolioTask, SplitSpec
from tco.scenario.resolve import Resolved
from tco.scenario.search import search_catalogue
from tco.scenario.units import Parsed

# What a `tco plan` reader must know of how the plans were found and priced (printed under the plan).
PLAN_ASSUMPTIONS = (
    "Each task is served by one route: an option, a cascade whose first model passes a share on, or a split "
    "whose options each answer a share the planner picks; tasks on the same option share one fleet sized for "
    "the busiest hour of their combined hourly load.",
    "Every plan shown is priced by the engine itself: one run per shared fleet with the tasks' combined "
    "hourly demand (in capacity-weighted queries of its largest task); a task alone on an option costs "
    "exactly what `tco report` says. The plan is the best of every routing priced so (up to 3,000 routings; "
    "above, the linear search's plan improved by one- and two-task moves, said in a note with its distance "
    "above a lower bound on every routing's engine price: the search with each query's energy above idle at "
    "its option's most efficient load up to its utilisation target); of plans with the same "
    "objective value, the one emitting less.",
    "A task meets its latency SLO (and TTFT/TPOT targets) at its fleet's operating point at the busiest hour: "
    "the batch the fleet's engine run reaches, read on the task's own serving points.",
    "A fleet whose provisioned power at its peak (accelerators x (TDP + host) x PUE, its engine run) exceeds "
    "its site's power_budget puts its plan after every plan within every budget, said in a note.",
    "A shared fleet's cost, energy and emissions go to its tasks in proportion to their capacity-weighted "
    "queries (their share of queries where the tasks' answers are alike); costs include the carbon price only "
    "under the objective cost-with-carbon.",
    "Quality is per task and per metric, never averaged across metrics; a cascade without a measured quality "
    "gets (1 - escalated) x q(first) + escalated x q(then), a split the share-weighted mean, when the parts "
    "share a metric.",
)
# Added to the assumptions where they apply: the bill of materials (a plan with a hosted fleet) and plan.search.
BOM_ASSUMPTION = (
    "Bill of materials per fleet: GPUs = largest replicas x GPUs per replica; servers = ceil(GPUs / the GPU "
    "type's accelerators per server); kW provisioned = GPUs x (TDP + host) x PUE; bought GPUs per month the "
    "fleet grows, rented GPU-months (spot: x (1 + spot over-provisioning), as billed), or GPUs committed "
    "(the first month's fleet) for the tier's term."
)
SEARCH_ASSUMPTION = (
    "plan.search: every measured profile of each model on each GPU type, configuration, region and priced "
    "tier of each way to pay is a candidate (buy: purchase; on-demand: gpu-cloud, hyperscaler; committed: the "
    "1- and 3-year tiers; spot: spot); a tier costing no less in price, upfront and on-demand excess at the "
    "same term than another of the same candidate is pruned; a GPU type without a price in a tier is never "
    "proposed in it."
)
PROBE_QUERIES_PER_DAY = 100.0  # small enough that one replica carries it: the engine stays linear
CASCADE_LATENCY_SHARE = 0.05  # above this share escalated, a cascade's p95 is both stages' p95 added


@dataclass(frozen=True)
class Coefficients:
    """What an option costs and emits for one task, read from the hourly engine (NPV currency, kgCO2e).

    The route's figures are the engine's totals for the task alone on its own fleet (the fleet the engine
    sizes for the task's peak hour) less what that fleet's replicas cost as the planner prices them
    (`fleet` units below) and less the one-off set-up: what is left is the variable part, chiefly the energy
    above idle at the load the fleet runs at, plus whatever the per-replica units do not capture.
    """

    route_cost: float  # the task's whole demand over the horizon, fleet units and set-up excluded
    route_kg: float
    route_kg_pv: float  # present-value kgCO2e (each month's kg x its discount factor), for a carbon price
    queries: float  # queries served over the horizon
    replica_cost: float  # one replica kept over the horizon (0 for an API)
    replica_kg: float
    replica_kg_pv: float
    setup_cost: float  # one-off (fine-tuning)
    setup_kg: float
    setup_kg_pv: float
    # the fleet month by month: "rent" (cloud): one replica in service in month m; "buy" (on-prem): one replica
    # bought in month m and kept to the end (replaced at end of life); "hold" (a fixed fleet): none
    fleet: str = "hold"
    month_cost: tuple[float, ...] = ()
    month_kg: tuple[float, ...] = ()
    month_kg_pv: tuple[float, ...] = ()


@dataclass(frozen=True)
class StageInputs:
    """What the engine needs to re-price one stage of a route: the option resolved for the task (and the
    stage's SLO), the task's workload at its full demand, and the share of the task's queries it answers."""

    deployment: str
    option: OptionInputs
    workload: WorkloadInputs
    share: float = 1.0

    def daily_queries(self) -> float:
        return self.share * float(np.mean(self.workload.queries_per_day))


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
    search_value: float = math.nan  # the search (linear) model's objective value of its own plan
    search_routes: dict[str, str] = field(default_factory=dict)  # the plan the search found, before polishing
    proof: str = ""  # how the optimised plan was found: exhaustive (optimal) or search and moves
    # above ENUMERATE_LIMIT routings: the least engine price any routing can have (`tco.analysis.plan_bound`)
    # on the objective, and the optimised plan's distance above it as a share of its value (nan: no bound);
    # every routing priced (exhaustive): no bound is needed, the gap is 0
    bound: float = math.nan
    bound_gap: float = math.nan
    # per GPU type, the best plan on that type alone (where the candidates mix types and it serves every task)
    single_types: dict[str, Plan] = field(default_factory=dict)
    runner_up: Plan | None = None  # the best other plan meeting every limit (where every routing was priced)
    notes: tuple[str, ...] = ()  # what the engine's re-pricing found that the reader must know
    assumptions: tuple[str, ...] = PLAN_ASSUMPTIONS  # how plans are found and priced, for every report
    cascades: tuple[dict[str, Any], ...] = ()  # each cascade's share and quality, measured or given
    # what a buyer orders for the optimised plan's fleets, and for the runner-up's (tco.analysis.plan_bom)
    bill_of_materials: tuple[BomRow, ...] = ()
    runner_up_bill: tuple[BomRow, ...] = ()
    # the optimised plan's bill per (GPU type, region): GPUs, servers, kW provisioned (`bom_totals`)
    bill_totals: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    # plan.search: candidates generated, pruned as dominated (id, by id) and left out of the catalogue (why)
    search_candidates: tuple[str, ...] = ()
    search_pruned: tuple[tuple[str, str], ...] = ()
    search_left_out: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain data (schema `slm-tco.plan/1`): every plan with its totals, fleets and per-task figures."""

        def plan_dict(p: Plan) -> dict[str, Any]:
            return {
                "name": p.name,
                "npv_cost": p.cost,
                "cost_basis": p.cost_basis,
                "npv_cost_without_carbon": p.cost_without_carbon,
                "npv_cost_with_carbon": p.cost_with_carbon,
                "emissions_kg": p.kg,
                "carbon_cost": p.carbon_cost,
                "objective_value": p.objective_value,
                "meets_limits": p.meets_limits,
                "over_power_budget": [
                    {"deployment": d, "provisioned_kw": kw, "power_budget_kw": b}
                    for d, kw, b in p.over_budget
                ],
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
                        "ttft_p95_s": t.ttft_p95_s,
                        "tpot_p95_s": t.tpot_p95_s,
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
            "search": {
                "objective_value": self.search_value,
                "routes": dict(self.search_routes),
                "method": self.proof,
                "lower_bound": _finite(self.bound),
                "gap_to_bound": _finite(self.bound_gap),
            },
            "notes": list(self.notes),
            "assumptions": list(self.assumptions),
            "single_gpu_type": {g: plan_dict(p) for g, p in self.single_types.items()},
            "runner_up": plan_dict(self.runner_up) if self.runner_up is not None else None,
            "cascades": [dict(c) for c in self.cascades],
            "bill_of_materials": [r.as_dict() for r in self.bill_of_materials],
            "runner_up_bill_of_materials": [r.as_dict() for r in self.runner_up_bill],
            "catalogue_search": {
                "candidates": list(self.search_candidates),
                "pruned": [{"candidate": a, "dominated_by": b} for a, b in self.search_pruned],
                "left_out": list(self.search_left_out),
            },
        }


def _carbon_weight(s: dict[str, np.ndarray], finance: FinanceInputs) -> np.ndarray:
    """Per month: what one kgCO2e weighs in a carbon price's present value: the discount factor x the
    carbon price's trend (so carbon price x present-value kg is the engine's discounted carbon cost)."""
    months = s["discount_factor"].shape[-1]
    t = np.arange(months, dtype=float)[None, :]
    return s["discount_factor"] * trend_factor(as_column(finance.carbon_price_trend), t)


def _sums(s: dict[str, np.ndarray], finance: FinanceInputs) -> np.ndarray:
    """NPV cost without the carbon price, kgCO2e, queries and present-value kgCO2e (`_carbon_weight`) of an
    engine run."""
    disc = s["discount_factor"]
    npv = float(np.sum(s["total_cost_discounted"]))
    carbon = float(np.sum(s["carbon_cost"] * disc))
    kg_pv = float(np.sum(s["emissions_kg"] * _carbon_weight(s, finance)))
    return np.array([npv - carbon, float(np.sum(s["emissions_kg"])), float(np.sum(s["queries"])), kg_pv])


def _at(workload: WorkloadInputs, qpd: float) -> WorkloadInputs:
    return replace(workload, queries_per_day=qpd)


def _totals(
    option: OptionInputs, qpd: float, fleet: float, w: WorkloadInputs, f: FinanceInputs, runs: EngineRuns
) -> np.ndarray:
    """`_sums` of `option` at `qpd` queries/day on a fixed fleet of `fleet` accelerators (hosted)."""
    hosted = option.deployment != "api"
    opt = option.with_values(fixed_fleet=fleet) if hosted else option
    return _sums(runs(opt, _at(w, qpd), f), f)


def _series(
    option: OptionInputs, fleet: float, w: WorkloadInputs, f: FinanceInputs, runs: EngineRuns
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per month: discounted cost without carbon, kgCO2e and present-value kgCO2e, at a tiny probe demand."""
    s = runs(option.with_values(fixed_fleet=fleet), _at(w, PROBE_QUERIES_PER_DAY), f)
    disc = s["discount_factor"][0]
    cost = (s["total_cost"][0] - s["carbon_cost"][0]) * disc
    kg = s["emissions_kg"][0]
    return cost, kg, kg * _carbon_weight(s, f)[0]


def _bought_in(
    option: OptionInputs, month: int, w: WorkloadInputs, f: FinanceInputs, runs: EngineRuns
) -> np.ndarray:
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
        for a, b in zip(
            _series(moved, 2 * one, w, rest, runs), _series(moved, one, w, rest, runs), strict=True
        )
    ]
    d = float((1.0 + float(np.mean(f.discount_rate))) ** (-years))
    trend = float((1.0 + float(np.mean(f.carbon_price_trend))) ** years)
    return np.array([diffs[0] * d, diffs[1], diffs[2] * d * trend])


def fleet_coefficients(
    option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs, runs: EngineRuns | None = None
) -> tuple[str, np.ndarray]:
    """How an option's fleet is priced month by month: ("rent" | "buy" | "hold", (3, months) array of NPV
    cost, kgCO2e and present-value kgCO2e per replica in service (rent) or bought (buy) in each month)."""
    runs = runs if runs is not None else EngineRuns()
    if option.deployment == "api" or not math.isnan(option.fixed_fleet):
        return "hold", np.zeros((3, 0))
    one = float(option.accelerators_per_replica)
    if option.deployment == "cloud":
        two = _series(option, 2 * one, workload, finance, runs)
        single = _series(option, one, workload, finance, runs)
        return "rent", np.array([a - b for a, b in zip(two, single, strict=True)])
    months = range(finance.months)
    return "buy", np.array([_bought_in(option, m, workload, finance, runs) for m in months]).T


def _fleet_price(dep: Deployment, replicas: np.ndarray) -> np.ndarray:
    """Cost, kgCO2e and present-value kgCO2e of a fleet with `replicas` in service per month, priced in the
    planner's units (held: its largest size; rented: each month's; bought: each increase when it happens)."""
    if not dep.hosted:
        return np.zeros(3)
    cost, kg, kg_pv = unit_coefficients(dep)
    path = np.round(np.asarray(replicas, dtype=float))
    if dep.fleet == "hold":
        units = np.array([path.max(initial=0.0)])
    elif dep.fleet == "rent":
        units = path
    else:
        units = np.diff(np.maximum.accumulate(path), prepend=0.0)
    return np.array([units @ cost, units @ kg, units @ kg_pv])


def _deployment_coefficients(
    option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs, runs: EngineRuns
) -> tuple[Deployment, np.ndarray]:
    """The planner's view of an option's fleet (whole replicas priced per unit, from the engine at a fixed
    fleet of one and two replicas at a tiny probe demand) and its one-off set-up (cost, kg, present-value kg:
    the engine with and without the fine-tuning job)."""
    hosted = option.deployment != "api"
    one = float(option.accelerators_per_replica)
    q0 = PROBE_QUERIES_PER_DAY
    if hosted:
        base = _totals(option, q0, one, workload, finance, runs)
        per_replica = _totals(option, q0, 2 * one, workload, finance, runs) - base
    else:
        per_replica = np.zeros(4)
    no_job = option.with_values(fine_tuning_cost=0.0, fine_tuning_kwh=0.0, fine_tuning_kg=0.0)
    setup = _totals(option, q0, one, workload, finance, runs) - _totals(
        no_job, q0, one, workload, finance, runs
    )
    setup = np.where(np.abs(setup) < 1e-12, 0.0, setup)
    fleet, months = fleet_coefficients(option, workload, finance, runs)
    fixed = (
        None if math.isnan(option.fixed_fleet) else int(option.fixed_fleet // option.accelerators_per_replica)
    )
    dep = Deployment(
        option.id,
        hosted=hosted,
        replica_cost=float(per_replica[0]),
        replica_kg=float(per_replica[1]),
        setup_cost=float(setup[0]),
        setup_kg=float(setup[1]),
        replica_kg_pv=float(per_replica[3]),
        setup_kg_pv=float(setup[3]),
        min_replicas=int(option.min_replicas) if hosted else 0,
        fixed_replicas=fixed,
        accelerators_per_replica=option.accelerators_per_replica,
        fleet=fleet,
        period_cost=tuple(float(v) for v in months[0]) if months.size else (),
        period_kg=tuple(float(v) for v in months[1]) if months.size else (),
        period_kg_pv=tuple(float(v) for v in months[2]) if months.size else (),
    )
    return dep, setup[[0, 1, 3]]


def route_coefficients(
    option: OptionInputs,
    workload: WorkloadInputs,
    finance: FinanceInputs,
    deployment: Deployment | None = None,
    runs: EngineRuns | None = None,
) -> Coefficients:
    """Cost and emissions of one option for one task (at `workload.queries_per_day`), split for the planner
    into the fleet's replicas, the one-off set-up and the route's variable rest (see `Coefficients`).

    The rest is read from the hourly engine for the task alone on the fleet the engine sizes for it, so a
    plan of that task alone on that option costs exactly what the engine says; `deployment` gives the
    per-replica prices (default: this option's own, from `_deployment_coefficients`).
    """
    runs = runs if runs is not None else EngineRuns()
    dep = (
        deployment if deployment is not None else _deployment_coefficients(option, workload, finance, runs)[0]
    )
    setup = np.array([dep.setup_cost, dep.setup_kg, dep.setup_kg_pv or 0.0])
    s = runs(option, workload, finance)
    alone = _sums(s, finance)
    fleet = _fleet_price(dep, s["replicas"][0]) if dep.hosted else np.zeros(3)
    rest = alone[[0, 1, 3]] - fleet - setup
    return Coefficients(
        route_cost=float(rest[0]),
        route_kg=float(rest[1]),
        route_kg_pv=float(rest[2]),
        queries=float(alone[2]),
        replica_cost=dep.replica_cost,
        replica_kg=dep.replica_kg,
        replica_kg_pv=dep.replica_kg_pv if dep.replica_kg_pv is not None else dep.replica_kg,
        setup_cost=dep.setup_cost,
        setup_kg=dep.setup_kg,
        setup_kg_pv=float(setup[2]),
        fleet=dep.fleet,
        month_cost=dep.period_cost,
        month_kg=dep.period_kg,
        month_kg_pv=dep.period_kg_pv or (),
    )


def _tasks(loaded: LoadedScenario) -> tuple[PortfolioTask, ...]:
    w = loaded.spec.workload
    if w.tasks:
        return tuple(w.tasks)
    return (PortfolioTask(task=w.task, share=1.0),)


# the interactivity targets a task may state, and their units (tco.scenario.schema.Workload)
TARGET_UNITS = {"ttft_p95": "s", "tpot_p95": "s", "tokens_per_second_per_user": "1/s"}


def _task_scenario(
    loaded: LoadedScenario, task: PortfolioTask, qpd: float, *, slo_s: float | None = None
) -> LoadedScenario:
    """The scenario as a single-task one for `task`: its traffic, lengths and limits, the rest unchanged
    (`slo_s` replaces the task's latency SLO, for the stages of a cascade)."""
    wl, parsed = _task_workload(loaded, task, qpd, slo_s)
    try:
        return loaded.with_workload(wl, parsed)
    except ScenarioError as e:
        raise ScenarioError(
            e.detail, file=loaded.file, field=f"workload.tasks ({task.task}): {e.field}"
        ) from e


def _task_workload(
    loaded: LoadedScenario, task: PortfolioTask, qpd: float, slo_s: float | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The single-task scenario's workload section as written and as validated values (`_task_scenario`)."""
    w = loaded.spec.workload
    wl = dict(loaded.raw["workload"])  # as written, for `raw`
    parsed = {k: getattr(w, k) for k in wl}  # the same, as validated (no text parsed again)
    for d in (wl, parsed):
        d.pop("tasks", None)
        d["task"] = task.task
    wl["queries_per_day"] = f"{qpd!r} query/day"
    parsed["queries_per_day"] = Parsed(qpd, "1/day", wl["queries_per_day"])
    if task.tpot_p95 is not None or task.tokens_per_second_per_user is not None:
        for d in (wl, parsed):  # the task states its own decode-speed target, one way
            d.pop("tpot_p95", None)
            d.pop("tokens_per_second_per_user", None)
    for key in ("tokens_in", "tokens_out", "quality_floor"):
        value = getattr(task, key)
        if value is not None:
            wl[key] = parsed[key] = value
    for key, unit in TARGET_UNITS.items():  # validated values with a unit: passed on as parsed quantities
        value = getattr(task, key)
        if value is not None:
            wl[key] = f"{value!r} {unit}"
            parsed[key] = Parsed(value, unit, wl[key])
        elif parsed.get(key) is not None:
            parsed[key] = Parsed(float(parsed[key]), unit, str(wl[key]))
    slo = slo_s if slo_s is not None else task.latency_slo_p95
    if slo is not None:
        wl["latency_slo_p95"] = f"{slo!r} s"
        parsed["latency_slo_p95"] = Parsed(slo, "s", wl["latency_slo_p95"])
    elif w.latency_slo_p95 is not None:
        parsed["latency_slo_p95"] = Parsed(w.latency_slo_p95, "s", str(wl["latency_slo_p95"]))
    if task.daily_profile is not None:
        for d in (wl, parsed):
            d.pop("peak_to_average", None)
            d["daily_profile"] = list(task.daily_profile)
    return wl, parsed


def _task_resolved(
    loaded: LoadedScenario, task: PortfolioTask, qpd: float, slo_s: float | None, runs: EngineRuns
) -> Resolved:
    """The single-task scenario's engine inputs, kept in `runs` by all they are resolved from: the scenario
    as written but for its workload and plan, the task's workload section, and the reference data (the same
    object: `runs` holds it, so its id names no other)."""
    wl, _ = _task_workload(loaded, task, qpd, slo_s)
    rest = {k: v for k, v in loaded.raw.items() if k not in ("plan", "workload")}
    where = (loaded.file, str(loaded.base_dir), loaded.uploaded_profiles)
    key = ("task", id(loaded.repo), digest((rest, wl, where)))
    repo, resolved = runs.memo(
        key, lambda: (loaded.repo, _task_scenario(loaded, task, qpd, slo_s=slo_s).resolved)
    )
    assert repo is loaded.repo
    return resolved


def _hourly_qps(workload: WorkloadInputs, qpd: float) -> np.ndarray:
    """Queries per second in each hour of a day at the start of the horizon (growth is per month, later):
    the engine's representative day (the task's daily profile, else the workload's, else the default shape
    of its peak-to-average ratio)."""
    shape = hourly_shape(np.asarray(workload.peak_to_average, dtype=float), workload.daily_profile)[0]
    return qpd / SECONDS_PER_DAY * shape


def _cascade_route(c: CascadeSpec, terms: CascadeTerms, first: Route, then: Route) -> Route:
    e = terms.share
    metric: str | None
    if terms.measured is not None and terms.quality is not None:
        n = terms.measured.result.quality.n
        quality, metric = terms.quality, f"{terms.metric} (cascade, measured, n={n})"
    elif terms.quality is not None:
        quality, metric = terms.quality, f"{first.metric or 'quality'} (cascade, given)"
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
        kind="cascade",
    )


def _split_route(sp: SplitSpec, shares: tuple[float, ...], parts: list[Route]) -> Route:
    """The task answered side by side by `parts` (its single routes), each taking its share of the queries:
    cost, emissions and each fleet's load in proportion; quality the share-weighted mean where every part's
    score uses one metric (else unknown); p95 latency the largest part's (the mixture's p95 is at most it)."""
    metrics = {r.metric for r in parts}
    quals = [r.quality for r in parts]
    same = len(metrics) == 1 and not any(math.isnan(q) for q in quals)
    return Route(
        split_id(sp, shares),
        sp.task,
        tuple(
            Stage(r.stages[0].deployment, f, r.stages[0].load * f) for r, f in zip(parts, shares, strict=True)
        ),
        cost=sum(f * r.cost for r, f in zip(parts, shares, strict=True)),
        kg=sum(f * r.kg for r, f in zip(parts, shares, strict=True)),
        quality=sum(f * q for q, f in zip(quals, shares, strict=True)) if same else math.nan,
        metric=parts[0].metric if same else None,
        latency_p95_s=max(r.latency_p95_s for r in parts),
        kg_pv=sum(f * (r.kg_pv or 0.0) for r, f in zip(parts, shares, strict=True)),
        kind="split",
    )


def split_id(sp: SplitSpec, shares: tuple[float, ...]) -> str:
    """A split route's id: the split's id and its shares in percent, `chat-mix@30/70`."""
    return f"{sp.id}@{'/'.join(f'{100 * f:.0f}' for f in shares)}"


def _build(
    loaded: LoadedScenario, objective: str | None, runs: EngineRuns | None = None
) -> tuple[PlanProblem, PlanProblem, dict[tuple[str, str], tuple[StageInputs, ...]]]:
    """`build_problem`, plus the engine inputs of every route's stages (to re-price plans); `runs`: the
    engine runs to reuse."""
    runs = runs if runs is not None else EngineRuns()
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
    stages: dict[tuple[str, str], tuple[StageInputs, ...]] = {}

    def task_routes(
        task: PortfolioTask, qpd: float, slo_s: float | None = None
    ) -> tuple[dict[str, tuple[Route, StageInputs]], float]:
        """One route per option for `task` (resolved at `slo_s` if given), and the task's queries."""
        r = _task_resolved(loaded, task, max(qpd, PROBE_QUERIES_PER_DAY), slo_s, runs)
        workload = _at(r.workload, qpd)
        qps = _hourly_qps(workload, qpd)
        out: dict[str, tuple[Route, StageInputs]] = {}
        total_queries = 0.0
        for opt in r.options:
            hosted = opt.deployment != "api"
            if opt.id not in deployments:
                # the fleet and set-up are priced at the probe demand: the task's own demand is not read
                probe = _at(workload, PROBE_QUERIES_PER_DAY)
                key = ("deployment", opt.id, runs.key(opt, probe, r.finance))  # the run's key omits the id
                priced = partial(_deployment_coefficients, opt, probe, r.finance, runs)
                deployments[opt.id] = runs.memo(key, priced)[0]
            co = route_coefficients(opt, workload, r.finance, deployments[opt.id], runs)
            total_queries = co.queries
            load = (
                qps / (float(np.mean(opt.throughput_qps)) * float(np.mean(opt.utilisation)))
                if hosted
                else 0 * qps
            )
            route = Route(
                opt.id,
                task.task,
                (Stage(opt.id, 1.0, load),),
                cost=co.route_cost,
                kg=co.route_kg,
                quality=float(opt.quality),
                metric=opt.quality_metric,
                latency_p95_s=float(opt.latency_p95_s),
                kg_pv=co.route_kg_pv,
            )
            out[opt.id] = (route, StageInputs(opt.id, opt, workload))
        return out, total_queries

    for task in _tasks(loaded):
        qpd = task.daily_queries(spec.workload.queries_per_day)
        mine, total_queries = task_routes(task, qpd)
        for route, st in mine.values():
            routes.append(route)
            stages[(task.task, route.id)] = (st,)
        floor = task.quality_floor if task.quality_floor is not None else spec.workload.quality_floor
        slo = task.latency_slo_p95 if task.latency_slo_p95 is not None else spec.workload.latency_slo_p95
        ttft = task.ttft_p95 if task.ttft_p95 is not None else spec.workload.ttft_p95
        if task.tpot_p95 is not None or task.tokens_per_second_per_user is not None:
            tpot, per_user = task.tpot_p95, task.tokens_per_second_per_user
        else:
            tpot, per_user = spec.workload.tpot_p95, spec.workload.tokens_per_second_per_user
        tpot = tpot if tpot is not None else (1.0 / per_user if per_user else None)
        tasks.append(
            TaskDemand(
                task.task,
                total_queries,
                quality_floor=math.nan if floor is None else float(floor),
                latency_slo_s=math.nan if slo is None else float(slo),
                ttft_s=math.nan if ttft is None else float(ttft),
                tpot_s=math.nan if tpot is None else float(tpot),
            )
        )
        cascades = [c for c in plan_spec.cascades if c.task == task.task]
        if cascades:
            # each stage gets half the latency budget, so that both together stay within the SLO
            staged = task_routes(task, qpd, slo_s=slo / 2.0)[0] if slo is not None else mine
            for c in cascades:
                (first, a), (then, b) = staged[c.first], staged[c.then]
                terms = cascade_terms(c, loaded.cascades)
                routes.append(_cascade_route(c, terms, first, then))
                stages[(task.task, c.id)] = (a, replace(b, share=terms.share))
        for sp in (x for x in plan_spec.splits if x.task == task.task):
            for shares in sp.shares():
                parts = [mine[o] for o in sp.across]
                route = _split_route(sp, shares, [r for r, _ in parts])
                routes.append(route)
                stages[(task.task, route.id)] = tuple(
                    replace(st, share=f) for (_, st), f in zip(parts, shares, strict=True)
                )
    obj = objective or plan_spec.objective
    full = PlanProblem(tuple(tasks), tuple(deployments.values()), tuple(routes), obj, carbon, growth)
    cascade_ids = {c.id for c in plan_spec.cascades}
    candidates = [
        r
        for r in routes
        if r.id in cascade_ids or r.kind == "split" or r.id in plan_spec.candidates.get(r.task, options)
    ]
    problem = PlanProblem(tuple(tasks), full.deployments, tuple(candidates), obj, carbon, growth)
    return problem, full, stages


def build_problem(loaded: LoadedScenario, *, objective: str | None = None) -> tuple[PlanProblem, PlanProblem]:
    """The planning problem (candidates only) and the same with every option for every task (to compare)."""
    problem, full, _ = _build(loaded, objective)
    return problem, full


def _fleet_runs(
    parts: list[tuple[str, StageInputs]],
) -> list[tuple[OptionInputs, WorkloadInputs, list[tuple[str, float]]]]:
    """The engine runs that price one deployment's share of a plan, each with the tasks it serves and their
    shares of it.

    Hosted: ONE run for the shared fleet, with the combined hourly demand: each stage's queries counted in
    queries of the largest stage (its option and workload are the run's), weighted by capacity (x X_ref / X:
    a query that keeps a replica twice as long counts twice), its hour-by-hour shape kept; each task's share
    of the run is its share of those capacity-weighted queries (its share of queries where tasks use the
    same option inputs). A single stage answering a whole task is the task's own run, exactly `tco report`'s.
    An API has no fleet: one run per stage (linear in queries), the fine-tuning job counted once.
    """
    if parts[0][1].option.deployment == "api":
        runs = []
        for i, (task, st) in enumerate(parts):
            opt = st.option
            if i > 0:
                opt = opt.with_values(fine_tuning_cost=0.0, fine_tuning_kwh=0.0, fine_tuning_kg=0.0)
            runs.append((opt, _at(st.workload, st.daily_queries()), [(task, 1.0)]))
        return runs
    if len(parts) == 1 and parts[0][1].share == 1.0:
        task, st = parts[0]
        return [(st.option, st.workload, [(task, 1.0)])]
    x = [float(np.mean(st.option.throughput_qps)) for _, st in parts]
    cap = [st.daily_queries() / xi for (_, st), xi in zip(parts, x, strict=True)]
    ref = int(np.argmax(cap))
    weights = np.array(cap) * x[ref]
    total = float(weights.sum())
    profile = sum(
        (
            w
            * hourly_shape(np.asarray(st.workload.peak_to_average, dtype=float), st.workload.daily_profile)[0]
            for w, (_, st) in zip(weights, parts, strict=True)
        ),
        start=np.zeros(24),
    )
    ref_st = parts[ref][1]
    workload = replace(ref_st.workload, queries_per_day=total, daily_profile=tuple(float(v) for v in profile))
    shares = [(task, float(w) / total) for w, (task, _) in zip(weights, parts, strict=True)]
    return [(ref_st.option, workload, shares)]


@dataclass(frozen=True)
class Interactivity:
    """A stage's (or a route's) p95 request latency, TTFT and TPOT where the plan runs it, s (nan: unknown)."""

    latency_p95_s: float
    ttft_p95_s: float = math.nan
    tpot_p95_s: float = math.nan


def _extrapolated(points: tuple[ServingPoint, ...], concurrency: float) -> ServingPoint:
    """`point_at` of `points`, continued in a straight line past the last point from its last segment (a
    fleet run past the largest measured concurrency is not answered at that point's latency)."""
    if len(points) < 2 or concurrency <= points[-1].concurrency:
        return point_at(points, concurrency)
    a, b = points[-2], points[-1]
    w = (concurrency - a.concurrency) / (b.concurrency - a.concurrency)

    def line(x: float, y: float) -> float:
        return x + w * (y - x)

    return replace(
        b,
        concurrency=concurrency,
        latency_p95_s=line(a.latency_p95_s, b.latency_p95_s),
        ttft_p95_s=line(a.ttft_p95_s, b.ttft_p95_s),
        tpot_p95_s=line(a.tpot_p95_s, b.tpot_p95_s),
    )


def fleet_concurrency(option: OptionInputs, series: dict[str, np.ndarray]) -> float:
    """Requests in flight per replica at the fleet's busiest hour over the horizon: the batch of the run's
    option's sweep at the run's largest peak per-replica load (nan when the sweep names no batch)."""
    if option.deployment == "api" or not option.sweep_batch:
        return math.nan
    peak = float(np.max(series["peak_replica_load"][0]))
    return float(interpolate_on_grid(np.array(peak), sweep_grid(option), option.sweep_batch))


def stage_interactivity(option: OptionInputs, concurrency: float) -> Interactivity:
    """A stage's p95 latency, TTFT and TPOT on a fleet running at `concurrency` per replica at its busiest
    hour: each the larger of its capacity point's (the point the search checks) and its own serving points'
    at that concurrency, at its own lengths (linear between points, continued past the last). Without
    serving points (an API, a profile of one point): the capacity point's p95, TTFT and TPOT unknown."""
    points = option.serving_points
    cap_latency = float(option.latency_p95_s)
    if option.deployment == "api" or not points:
        return Interactivity(cap_latency)
    cap = point_at(points, float(option.batch_size)) if option.batch_size else points[-1]
    at = cap if math.isnan(concurrency) else _extrapolated(points, concurrency)

    def worse(x: float, y: float) -> float:
        return math.nan if math.isnan(x) or math.isnan(y) else max(x, y)

    latency = worse(cap_latency, at.latency_p95_s) if not math.isnan(at.latency_p95_s) else cap_latency
    return Interactivity(latency, worse(cap.ttft_p95_s, at.ttft_p95_s), worse(cap.tpot_p95_s, at.tpot_p95_s))


def route_interactivity(stages: list[tuple[float, Interactivity]], kind: str = "cascade") -> Interactivity:
    """A route's interactivity from its stages' (share answered, interactivity): one stage: its own; a split
    (stages side by side): each the worst stage's; a cascade escalating more than `CASCADE_LATENCY_SHARE`:
    p95 latency both stages' added, TTFT the first's whole answer and the second's TTFT, TPOT the larger; else
    the first stage's."""
    if kind == "split":
        return Interactivity(
            *(max(getattr(i, f) for _, i in stages) for f in ("latency_p95_s", "ttft_p95_s", "tpot_p95_s"))
        )
    first = stages[0][1]
    if len(stages) == 1 or stages[1][0] <= CASCADE_LATENCY_SHARE:
        return first
    then = stages[1][1]
    tpot = max(first.tpot_p95_s, then.tpot_p95_s)
    return Interactivity(
        first.latency_p95_s + then.latency_p95_s,
        first.latency_p95_s + then.ttft_p95_s,
        math.nan if math.isnan(first.tpot_p95_s) or math.isnan(then.tpot_p95_s) else tpot,
    )


def meets_targets(task: TaskDemand, i: Interactivity) -> bool:
    """The task's p95 latency SLO met at the plan's operating point (unknown latency: not met), and its TTFT
    and TPOT targets where the serving points know them (an unknown TTFT or TPOT is left to the resolution's
    own check of the capacity point, stated in its assumptions)."""
    if not math.isnan(task.latency_slo_s) and not (
        not math.isnan(i.latency_p95_s) and i.latency_p95_s <= task.latency_slo_s + 1e-12
    ):
        return False
    for target, value in ((task.ttft_s, i.ttft_p95_s), (task.tpot_s, i.tpot_p95_s)):
        if not math.isnan(target) and not math.isnan(value) and value > target * (1 + 1e-12):
            return False
    return True


@dataclass(frozen=True)
class FleetPrice:
    """What the engine's runs of one deployment's share of a plan give (`_fleet_runs`, then `simulate`)."""

    shares: tuple[tuple[tuple[str, float], ...], ...]  # per run: (task, share of the run)
    sums: tuple[np.ndarray, ...]  # per run: `_sums`
    carbons: tuple[float, ...]  # per run: its discounted carbon cost
    short: bool  # a run served less than its load
    in_service: tuple[int, ...] | None  # replicas month by month (hosted: the last run's)
    interactivity: tuple[Interactivity, ...] = ()  # per part served, at the fleet's busiest hour
    # the fleet's provisioned kW at its peak over its site's power budget: (kW, budget kW); None within it
    over_budget: tuple[float, float] | None = None


def _over_budget(opt: OptionInputs, s: Mapping[str, np.ndarray]) -> tuple[float, float] | None:
    """(provisioned kW at the fleet's peak, budget kW) when the fleet of this engine run needs more
    provisioned power than its site's `power_budget` (the option's `power_budget_kw`); None within it or
    without a budget. Provisioned power as the engine's summary: accelerators x (TDP + host) x PUE."""
    budget = opt.extra.get("power_budget_kw")
    if budget is None or not math.isfinite(float(budget)):
        return None
    peak = np.asarray(s["accelerators"], dtype=float).max(axis=1)[:1]
    kw = float(provisioned_power_kw(peak, opt.max_power_kw, opt.host_power_kw, opt.pue)[0])
    return (kw, float(budget)) if kw > float(budget) * (1 + 1e-12) else None


@dataclass(frozen=True)
class EnginePricer:
    """Re-prices a routing with the engine itself: one engine run per shared fleet (`_fleet_runs`).

    A fleet's price depends only on which task stages it serves, so each is computed once and kept: the
    polishing moves (`_improve`) change one task's route at a time, and re-run only the fleets it touches."""

    problem: PlanProblem  # every route of every task
    stages: dict[tuple[str, str], tuple[StageInputs, ...]]
    finance: FinanceInputs
    runs: EngineRuns = field(default_factory=EngineRuns)
    _fleets: dict[tuple[Any, ...], FleetPrice] = field(default_factory=dict, compare=False, repr=False)

    def _fleet(self, key: tuple[Any, ...], parts: list[tuple[str, StageInputs]]) -> FleetPrice:
        """The engine's price of one deployment serving `parts` (kept under `key`: the stages it serves)."""
        known = self._fleets.get(key)
        if known is not None:
            return known
        shares, sums_all, carbons = [], [], []
        short = False
        in_service = None
        over_budget = None
        concurrency = math.nan
        for opt, workload, run_shares in _fleet_runs(parts):
            s = self.runs(opt, workload, self.finance)
            if opt.deployment != "api":
                concurrency = fleet_concurrency(opt, s)
                over_budget = _over_budget(opt, s) or over_budget
            sums = _sums(s, self.finance)
            carbons.append(float(np.sum(s["carbon_cost"] * s["discount_factor"])))
            short = short or float(np.sum(s["queries_unserved"])) > 1e-9 * max(sums[2], 1.0)
            shares.append(tuple(run_shares))
            sums_all.append(sums)
            if opt.deployment != "api":
                in_service = tuple(round(float(v)) for v in s["replicas"][0])
        inter = tuple(stage_interactivity(st.option, concurrency) for _, st in parts)
        price = FleetPrice(
            tuple(shares), tuple(sums_all), tuple(carbons), short, in_service, inter, over_budget
        )
        self._fleets[key] = price
        return price

    def price(self, routing: Mapping[str, str], *, name: str = "plan") -> tuple[Plan, bool]:
        """The plan as the engine prices it, and whether some fleet falls short of its load (a fixed fleet
        too small: the engine serves only what it can) or needs more provisioned power than its site's
        `power_budget` (`Plan.over_budget` says which): either ranks the plan after every plan without."""
        p = self.problem
        served = [t for t in p.tasks if t.queries > 0]
        missing = [t.name for t in served if t.name not in routing]
        if missing:
            raise ScenarioError(f"plan {name!r} routes no deployment for task {missing[0]!r}")
        chosen = {t.name: p.route(t.name, routing[t.name]) for t in served}
        by_dep: dict[str, list[tuple[str, StageInputs]]] = {}
        keys: dict[str, list[tuple[str, str, int]]] = {}
        for t, r in chosen.items():
            for i, st in enumerate(self.stages[(t, r.id)]):
                by_dep.setdefault(st.deployment, []).append((t, st))
                keys.setdefault(st.deployment, []).append((t, r.id, i))
        staged: dict[tuple[str, int], tuple[float, Interactivity]] = {}
        cost = dict.fromkeys(chosen, 0.0)
        kg = dict.fromkeys(chosen, 0.0)
        carbon = 0.0
        short = False
        in_service: dict[str, tuple[int, ...]] = {}
        over: list[tuple[str, float, float]] = []
        paid = carbon_in_cost(p.objective)  # the carbon price is in the plan's cost (COST_BASIS)
        for d, parts in by_dep.items():
            fleet = self._fleet((d, *keys[d]), parts)
            carbon += sum(fleet.carbons)
            short = short or fleet.short
            for shares, sums, run_carbon in zip(fleet.shares, fleet.sums, fleet.carbons, strict=True):
                for t, share in shares:
                    cost[t] += share * (float(sums[0]) + (run_carbon if paid else 0.0))
                    kg[t] += share * float(sums[1])
            if fleet.in_service is not None:
                in_service[d] = fleet.in_service
            if fleet.over_budget is not None:
                over.append((d, *fleet.over_budget))
            for (t, _, i), (_, st), inter in zip(keys[d], parts, fleet.interactivity, strict=True):
                staged[(t, i)] = (st.share, inter)
        by_task = {t.name: t for t in p.tasks}
        inter_of = {
            t: route_interactivity([staged[(t, i)] for i in range(len(self.stages[(t, r.id)]))], r.kind)
            for t, r in chosen.items()
        }
        results = tuple(
            TaskResult(
                task=t,
                route=r.id,
                deployments=r.deployments(),
                queries=by_task[t].queries,
                cost=cost[t],
                kg=kg[t],
                quality=r.quality,
                metric=r.metric,
                latency_p95_s=inter_of[t].latency_p95_s,
                meets_floor=meets_floor(r, by_task[t]),
                meets_slo=meets_targets(by_task[t], inter_of[t]),
                ttft_p95_s=inter_of[t].ttft_p95_s,
                tpot_p95_s=inter_of[t].tpot_p95_s,
            )
            for t, r in chosen.items()
        )
        total_cost, total_kg = sum(cost.values()), sum(kg.values())
        value = total_kg if p.objective == "emissions" else total_cost
        plan = Plan(
            name=name,
            objective=p.objective,
            routes={t: r.id for t, r in chosen.items()},
            replicas={d: max(path, default=0) for d, path in in_service.items()},
            in_service=in_service,
            used=tuple(by_dep),
            tasks=results,
            unserved=tuple(t.name for t in p.tasks if t.queries <= 0),
            cost=total_cost,
            kg=total_kg,
            carbon_cost=carbon,
            objective_value=value,
            over_budget=tuple(over),
        )
        return plan, short or bool(over)


def _solve(problem: PlanProblem, runs: EngineRuns) -> Plan:
    """`solve(problem)`, the search's routing kept in `runs` by what the search reads: the eligible routes
    (those meeting their task's floor and SLO, found here first) with their weights and every fleet. Moving a
    floor or an SLO without changing which routes are eligible finds the same routing without a new search;
    the plan is then `evaluate_routing` of it, exactly as `solve` ends."""
    eligible = eligible_routes(problem)  # raises, naming the task, when a task has no eligible route
    blind = tuple(replace(t, quality_floor=math.nan, latency_slo_s=math.nan) for t in problem.tasks)
    kept = sorted((r.task, r.id) for routes in eligible.values() for r in routes)
    key = ("search", digest((replace(problem, tasks=blind), kept)))
    routing = runs.memo(key, lambda: dict(solve(problem).routes))
    return evaluate_routing(problem, routing, name="optimised")


# routings priced one by one by the engine to prove the plan optimal (above it: the search and moves)
ENUMERATE_LIMIT = 3000
# two-task moves tried per round above that limit (each may need an engine run of a new shared fleet)
PAIR_MOVES = 400


def _rank(plan: Plan, short: bool) -> tuple[bool, float, float]:
    """Lower is better: a plan meeting every limit at its fleets' operating points with no fleet short of
    its load first, then by the objective, then (a tie: the same objective value) by the emissions."""
    return (short or not plan.meets_limits, plan.objective_value, plan.kg)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-12


def _better(a: tuple[bool, float, float], b: tuple[bool, float, float]) -> bool:
    if a[0] != b[0]:
        return a[0] < b[0]
    if not _close(a[1], b[1]):
        return a[1] < b[1]
    return a[2] < b[2] and not _close(a[2], b[2])


def routing_count(problem: PlanProblem) -> int:
    """How many routings the eligible routes allow (the product of each task's count)."""
    return math.prod(len(rs) for rs in eligible_routes(problem).values())


def _exhaustive(
    pricer: EnginePricer, problem: PlanProblem, start: Plan, start_short: bool
) -> tuple[Plan, Plan | None]:
    """The best routing of all, each priced by the engine (its shared fleets' engine runs, each fleet's run
    kept once), `start` winning ties; and the runner-up: the best other routing meeting every limit with no
    fleet short (None when there is none). Exact for the plan model the engine prices."""
    eligible = eligible_routes(problem)
    names = list(eligible)
    best, best_rank = start, _rank(start, start_short)
    second: tuple[tuple[bool, float, float], Plan] | None = None
    for combo in itertools.product(*(eligible[t] for t in names)):
        routing = {t: r.id for t, r in zip(names, combo, strict=True)}
        if routing == start.routes:
            continue
        trial, short = pricer.price(routing, name=start.name)
        rank = _rank(trial, short)
        if _better(rank, best_rank):
            second, best, best_rank = (best_rank, best), trial, rank
        elif second is None or _better(rank, second[0]):
            second = (rank, trial)
    runner = second if second is not None and not second[0][0] else None
    return best, (replace(runner[1], name="runner-up") if runner is not None else None)


def _hardware_of(stages: Mapping[tuple[str, str], tuple[StageInputs, ...]]) -> dict[str, str]:
    """Each hosted option's GPU type, as the hardware data names it (APIs have none)."""
    out: dict[str, str] = {}
    for sts in stages.values():
        for st in sts:
            if st.option.deployment != "api":
                out[st.deployment] = str(
                    st.option.extra.get("hardware", st.option.extra.get("hardware_id", ""))
                )
    return out


def single_type_plans(
    pricer: EnginePricer, problem: PlanProblem, hardware: Mapping[str, str]
) -> dict[str, Plan]:
    """Per GPU type, the best plan whose every route runs on that type only (every routing priced by the
    engine; a type that cannot serve every task within its limits, or allows more than `ENUMERATE_LIMIT`
    routings, has none)."""
    eligible = eligible_routes(problem)
    out: dict[str, Plan] = {}
    for gpu in dict.fromkeys(hardware.values()):
        only = {
            t: [r for r in rs if all(hardware.get(d) == gpu for d in r.deployments())]
            for t, rs in eligible.items()
        }
        count = math.prod(len(rs) for rs in only.values())
        if count == 0 or count > ENUMERATE_LIMIT:
            continue
        names = list(only)
        best: tuple[tuple[bool, float, float], Plan] | None = None
        for combo in itertools.product(*(only[t] for t in names)):
            routing = {t: r.id for t, r in zip(names, combo, strict=True)}
            plan, short = pricer.price(routing, name=f"all-{gpu}")
            if best is None or _better(_rank(plan, short), best[0]):
                best = (_rank(plan, short), plan)
        if best is not None and not best[0][0]:
            out[gpu] = best[1]
    return out


def _gpu_note(
    optimised: Plan, singles: Mapping[str, Plan], hardware: Mapping[str, str], currency: str, proven: bool
) -> str:
    """What the plan's GPU-type mix saves against the best single type, or that one type is best."""
    used = list(dict.fromkeys(hardware[d] for d in optimised.used if d in hardware))
    best_gpu = min(singles, key=lambda g: singles[g].objective_value)
    best = singles[best_gpu]
    what = "kgCO2e" if optimised.objective == "emissions" else currency
    if len(used) > 1:
        per = "; ".join(
            f"{g}: "
            + ", ".join(t.task for t in optimised.tasks if any(hardware.get(d) == g for d in t.deployments))
            for g in used
        )
        saving = best.objective_value - optimised.objective_value
        return (
            f"GPU types: the plan mixes {' and '.join(used)} ({per}); it saves {saving:,.0f} {what} "
            f"({saving / best.objective_value:.1%}) against the best single type, {best_gpu} "
            f"({best.objective_value:,.0f} {what})"
        )
    others = ", ".join(f"{g} {singles[g].objective_value:,.0f} {what}" for g in singles if g not in used)
    alone = f" (the best plan on each other type alone: {others})" if others else ""
    one = used[0] if used else best_gpu
    if not proven:  # the plan was not proven optimal: no claim that no mix does better
        return f"GPU types: the plan uses one type, {one}{alone}"
    return f"GPU types: one type, {one}, is best; no mix of types does better{alone}"


def _pair_moves(
    eligible: Mapping[str, list[Route]], current: Mapping[str, str], limit: int
) -> list[tuple[str, Route, str, Route]]:
    """The first `limit` two-task moves (task pairs in order, each task's routes in order, neither route the
    current one), those putting both tasks on a shared deployment first: the same moves as sorting every
    pair by "shares no deployment" (stably) and taking `limit`, without building every pair (10 tasks x 200
    routes make 1.8 million)."""
    deps = {id(r): frozenset(r.deployments()) for routes in eligible.values() for r in routes}
    # per task: deployment -> positions of the task's routes using it
    where: dict[str, dict[str, list[int]]] = {}
    for task, routes in eligible.items():
        index: dict[str, list[int]] = {}
        for k, r in enumerate(routes):
            for d in deps[id(r)]:
                index.setdefault(d, []).append(k)
        where[task] = index
    tasks = list(eligible)
    shared: list[tuple[str, Route, str, Route]] = []
    for a, b in itertools.combinations(tasks, 2):
        for ra in eligible[a]:
            if ra.id == current.get(a):
                continue
            ks = sorted({k for d in deps[id(ra)] for k in where[b].get(d, ())})
            for k in ks:
                rb = eligible[b][k]
                if rb.id != current.get(b):
                    shared.append((a, ra, b, rb))
                    if len(shared) >= limit:
                        return shared
    out = shared
    for a, b in itertools.combinations(tasks, 2):
        for ra in eligible[a]:
            if ra.id == current.get(a):
                continue
            for rb in eligible[b]:
                if rb.id != current.get(b) and not deps[id(ra)] & deps[id(rb)]:
                    out.append((a, ra, b, rb))
                    if len(out) >= limit:
                        return out
    return out


def _improve(
    pricer: EnginePricer, problem: PlanProblem, plan: Plan, short: bool = False, rounds: int = 3
) -> Plan:
    """Move one task, then two tasks together (at most `PAIR_MOVES` pairs a round, those onto a shared fleet
    first), to other eligible routes while the engine prices the plan lower (a plan meeting every limit at its fleets' operating points, no fleet short of its load, first):
    the linear search model's plan, polished by the engine. Not a proof of optimality (`_exhaustive` is)."""
    eligible = eligible_routes(problem)
    best, rank = plan, _rank(plan, short)
    for _ in range(rounds):
        better = False
        for task, routes in eligible.items():
            for r in routes:
                if r.id == best.routes.get(task):
                    continue
                trial, fell_short = pricer.price({**best.routes, task: r.id}, name=best.name)
                if _better(_rank(trial, fell_short), rank):
                    best, rank, better = trial, _rank(trial, fell_short), True
        if not better:  # pairs: two tasks moved together (onto a shared fleet first), within a budget
            for a, ra, b, rb in _pair_moves(eligible, best.routes, PAIR_MOVES):
                routing = {**best.routes, a: ra.id, b: rb.id}
                trial, fell_short = pricer.price(routing, name=best.name)
                if _better(_rank(trial, fell_short), rank):
                    best, rank, better = trial, _rank(trial, fell_short), True
        if not better:
            break
    return best


def plan_portfolio(
    loaded: LoadedScenario, *, objective: str | None = None, runs: EngineRuns | None = None
) -> PortfolioPlans:
    """Solve the scenario's portfolio with the linear search model, re-price its plan and the compared ones
    with the engine (one run per shared fleet), polish the optimum by single-task moves priced by the engine,
    and say so when a compared plan still comes out better.

    `runs`: the engine runs to reuse (`tco.analysis.runs.EngineRuns`; the app keeps one per session, so a
    what-if re-runs only what it changed); the plan is the same with or without."""
    runs = runs if runs is not None else EngineRuns()
    spec = loaded.spec
    plan_spec = spec.plan or PlanSpec()
    problem, full, stages = _build(loaded, objective, runs)
    pricer = EnginePricer(full, stages, loaded.resolved.finance, runs)
    search = _solve(problem, runs)
    priced, short = pricer.price(search.routes, name="optimised")
    count = routing_count(problem)
    if count <= ENUMERATE_LIMIT:
        optimised, runner_up = _exhaustive(pricer, problem, priced, short)
        proof = f"exhaustive: every one of the {count:,} routings priced by the engine"
    else:
        optimised, runner_up = _improve(pricer, problem, priced, short), None
        bound = plan_bound(problem, stages, loaded.resolved.finance, runs, time_limit_s=BOUND_TIME_LIMIT_S)
        proof = (
            f"search and moves: {count:,} routings, above the {ENUMERATE_LIMIT:,} priced one by one; the "
            "search's plan improved by one- and two-task moves priced by the engine, not proven optimal"
            + _bound_clause(bound, optimised)
        )
    task_names = [t.name for t in full.tasks]
    fixed = list(plan_spec.compare)
    if not fixed:
        base_option = spec.baseline or spec.options[0].id
        fixed = [FixedPlan(id=f"all-{base_option}", all=base_option)]
    compared = []
    shortfalls = []
    for p in fixed:
        routing = {t: p.routes.get(t, p.all or "") for t in task_names}
        plan, fell_short = pricer.price(routing, name=p.id)
        compared.append(plan)
        if fell_short and not plan.over_budget:
            shortfalls.append(p.id)
    notes = []
    if search.search_gap > 0:
        gap = f"within {search.search_gap:.2%} of" if math.isfinite(search.search_gap) else "short of proving"
        notes.append(
            f"the search stopped at its {SEARCH_TIME_LIMIT_S:g} s limit with a plan {gap} its model's optimum "
            "(a long horizon has many monthly fleet sizes); the engine re-priced and polished that plan"
        )
    if full.carbon_price_per_kg > 0:
        notes.append(
            f"plan and task costs are {COST_BASIS[full.objective]}"
            + (
                "; the carbon price each plan pays is beside it"
                if not carbon_in_cost(full.objective)
                else "; of it, the carbon price each plan pays is beside it"
            )
        )
    if count > ENUMERATE_LIMIT:
        notes.append(f"the plan is not proven optimal ({proof})")
    else:
        bound = Bound(math.nan, "every routing priced: the plan is the optimum")

    hardware = _hardware_of(stages)
    singles = single_type_plans(pricer, problem, hardware) if len(set(hardware.values())) > 1 else {}
    if singles and any(d in hardware for d in optimised.used):
        currency = loaded.resolved.finance.currency
        notes.append(_gpu_note(optimised, singles, hardware, currency, count <= ENUMERATE_LIMIT))
    if not optimised.meets_limits:
        notes.append(
            "no routing meets every task's limits at its shared fleet's operating point: the plan shown misses "
            + ", ".join(t.task for t in optimised.tasks if not (t.meets_floor and t.meets_slo))
        )
    if short and optimised.routes == search.routes and not optimised.over_budget:
        notes.append("the optimised plan's fixed fleet falls short of its load in the engine")
    for d, kw, budget in optimised.over_budget:
        notes.append(
            f"no plan meets every limit with every fleet within its site's power budget: the optimised plan's {d} needs "
            f"{kw:,.1f} kW provisioned at its peak, over its budget of {budget:,.1f} kW"
        )
    over = [p for p in compared if p.over_budget]
    if over:
        notes.append(
            "over a site's power budget (ranked after every plan within it): "
            + "; ".join(
                f"{p.name} ({', '.join(f'{d} {kw:,.1f} kW > {b:,.1f} kW' for d, kw, b in p.over_budget)})"
                for p in over
            )
        )
    if shortfalls:
        notes.append(
            f"fleets too small for their load (the shortfall is not served): {', '.join(shortfalls)}"
        )
    beaten = [
        p
        for p in compared
        if p.meets_limits
        and p.name not in shortfalls
        and not p.over_budget
        and p.objective_value < optimised.objective_value
    ]
    if beaten:
        b = min(beaten, key=lambda p: p.objective_value)
        allowed = {(r.task, r.id) for r in problem.routes}
        outside = [t for t, r in b.routes.items() if (t, r) not in allowed]
        why = (
            f"it routes {', '.join(outside)} outside plan.candidates"
            if outside
            else "the search's linear model misjudged it; prefer it"
        )
        notes.append(
            f"compared plan {b.name} comes out better than the optimised plan when priced by the engine "
            f"({b.objective_value:,.6g} vs {optimised.objective_value:,.6g} {optimised.objective}): {why}"
        )
    base_id = plan_spec.baseline or fixed[0].id
    baseline = next((p for p in compared if p.name == base_id), None)
    names = {o.id: o.name for o in loaded.resolved.options}  # built from each option's current inputs
    cascades: list[dict[str, Any]] = []
    for r in full.routes:  # a split is named by its parts and their shares
        if r.kind == "split":
            names[r.id] = " + ".join(f"{names[s.deployment]} {s.share:.0%}" for s in r.stages)
    for c in plan_spec.cascades:
        terms = cascade_terms(c, loaded.cascades)
        how = ", measured" if terms.measured is not None else ""
        names[c.id] = f"{names[c.first]} -> {names[c.then]} ({terms.share:.0%} escalated{how})"
        cascades.append(_cascade_dict(c, terms))
        if terms.measured is not None:
            notes += _measured_on_other_models(loaded, c, terms.measured)
    if runner_up is not None and optimised.meets_limits:
        notes.append(_runner_up_note(optimised, runner_up, names, loaded.resolved.finance.currency))
    found = search_catalogue(plan_spec.search, loaded.repo, file=loaded.file) if plan_spec.search else None
    if found is not None and found.left_out:
        notes.append(
            f"plan.search left out {len(found.left_out)} combinations of the catalogue (listed with why)"
        )
    bill = _bill(loaded, stages, optimised)
    return PortfolioPlans(
        problem=full,
        optimised=optimised,
        compared=tuple(compared),
        baseline=baseline,
        currency=loaded.resolved.finance.currency,
        names=names,
        tasks=_tasks(loaded),
        search_value=search.objective_value,
        search_routes=dict(search.routes),
        proof=proof,
        bound=bound.value,
        bound_gap=bound.gap(optimised.objective_value) if count > ENUMERATE_LIMIT else 0.0,
        single_types=singles,
        runner_up=runner_up,
        notes=tuple(notes),
        cascades=tuple(cascades),
        bill_of_materials=bill,
        bill_totals=bom_totals(bill),
        runner_up_bill=_bill(loaded, stages, runner_up) if runner_up is not None else (),
        search_candidates=tuple(c.id for c in found.candidates) if found is not None else (),
        search_pruned=found.pruned if found is not None else (),
        search_left_out=found.left_out if found is not None else (),
        assumptions=PLAN_ASSUMPTIONS
        + ((BOM_ASSUMPTION,) if bill else ())
        + ((SEARCH_ASSUMPTION,) if found is not None else ()),
    )


BOUND_TIME_LIMIT_S = 1.0  # HiGHS's time for the bound's program; its proven dual bound holds at any stop


def _bound_clause(bound: Bound, plan: Plan) -> str:
    """How far the plan can be from the optimum, in words: its distance above the lower bound on every
    routing's engine price, or why there is none."""
    if not math.isfinite(bound.value):
        return f"; no bound on its gap ({bound.why_not})"
    return (
        f"; within {bound.gap(plan.objective_value):.2%} of a lower bound on every routing's engine price "
        f"({bound.value:,.6g} against {plan.objective_value:,.6g} {plan.objective})"
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _bill(
    loaded: LoadedScenario, stages: Mapping[tuple[str, str], tuple[StageInputs, ...]], plan: Plan
) -> tuple[BomRow, ...]:
    """The plan's bill of materials: each hosted fleet's GPU type, region, tier and engine inputs.

    GPU type, region and price tier are those the resolver priced the option with (its `extra`): a tier or
    region from the defaults or the tier fallback is the one billed, not re-derived from the written spec."""
    repo = loaded.repo
    resolved = {o.id: o for o in loaded.resolved.options}
    options: dict[str, OptionInputs] = {}
    for parts in stages.values():
        for st in parts:
            options.setdefault(st.deployment, st.option)
    where: dict[str, tuple[str, str, str, int]] = {}
    for d in plan.in_service:
        o = resolved.get(d)
        gpu = str(o.extra.get("hardware_id") or "") if o is not None else ""
        if o is None or gpu not in repo.hardware:
            continue
        region = str(o.extra.get("region") or "")
        tier = str(o.extra.get("price_tier") or ("purchase" if o.deployment == "on-prem" else ""))
        where[d] = (gpu, region, tier, repo.hardware[gpu].server.accelerators)
    return bill_of_materials(plan.in_service, options, where)


def _runner_up_note(best: Plan, runner: Plan, names: Mapping[str, str], currency: str) -> str:
    """`runner-up plan: code on <option>, 1,234 USD more (0.3%)`: what the next best plan changes and costs."""
    extra = runner.objective_value - best.objective_value
    unit = "kgCO2e" if best.objective == "emissions" else currency
    moved = ", ".join(
        f"{t} on {names.get(r, r)}" for t, r in runner.routes.items() if best.routes.get(t) != r
    )
    pct = f" ({extra / best.objective_value:.1%})" if best.objective_value > 0 else ""
    return f"runner-up plan: {moved}, {extra:,.0f} {unit} more{pct}"


def _model_of(loaded: LoadedScenario, option_id: str) -> str | None:
    """The model an option serves, as its profile names it (None for an API offering: no model id)."""
    opt = next((o for o in loaded.spec.options if o.id == option_id), None)
    profile = loaded.repo.models.get(opt.profile) if opt is not None and opt.profile else None
    return profile.model.name if profile is not None else None


def _same_model(measured: str, served: str) -> bool:
    """Whether a measured model (a hub id or a local path) names the served one: last path parts alike."""
    a, b = (x.rstrip("/").rsplit("/", 1)[-1].lower() for x in (measured, served))
    return a in b or b in a


def _measured_on_other_models(loaded: LoadedScenario, c: CascadeSpec, m: MeasuredCascade) -> list[str]:
    """A note when a measured cascade file names other models than the options it is applied to."""
    out = []
    for role, option_id, model in (
        ("first", c.first, m.result.first.model),
        ("then", c.then, m.result.then.model),
    ):
        served = _model_of(loaded, option_id)
        if served is not None and not _same_model(model, served):
            out.append(
                f"cascade {c.id}: its share and quality were measured with {model} as the {role} model "
                f"({m.file}), but option {option_id} serves {served}: check the file measures these models"
            )
    return out


def _cascade_dict(c: CascadeSpec, terms: CascadeTerms) -> dict[str, Any]:
    """What a report says of a cascade: its share and quality, and whether they were measured or given."""
    m = terms.measured
    return {
        "id": c.id,
        "task": c.task,
        "first": c.first,
        "then": c.then,
        "escalate": terms.share,
        "basis": "measured" if m is not None else "given",
        "source": describe_measurement(m)
        if m is not None
        else (c.source or "given in scenario plan.cascades"),
        "file": m.file if m is not None else None,
        "n": m.result.prompts.n if m is not None else None,
        "threshold": m.result.confidence.threshold if m is not None else None,
        "quality": terms.quality,
        "quality_metric": terms.metric,
    }
