"""Task portfolio planner: route each task to a deployment and size the shared fleets, as a mixed-integer program.

Pure numbers in, a plan out; no file I/O and nothing of the scenario format (the builder that turns a scenario
into a `PlanProblem` is `tco.analysis.portfolio`). Solved with `scipy.optimize.milp` (HiGHS).

The problem:

    tasks       t  with their queries over the horizon, a quality floor and a latency SLO (NaN: none)
    deployments d  a model on hardware at a site (hosted: a fleet of whole replicas) or an API (no fleet);
                   a fleet is held at one size for the horizon, rented per period, or bought per period and
                   kept (never sold), its cost per replica given per period
    periods     p  with a demand multiplier g_p (growth); loads are given at g = 1
    routes      r  one way to serve one task: a single deployment, a cascade whose first stage answers
                   every query and passes a share on to the next, or a split whose stages each answer a
                   share side by side (`Route.kind`); each stage puts a load on its deployment (replicas
                   busy in each hour slot, at the target utilisation)

    minimise    sum_r x_r w_r + sum_{d,p} k_{d,p} W_{d,p} + sum_d u_d S_d
    subject to  sum_{r of t} x_r = 1                      every task with queries takes exactly one route
                sum_r x_r L_{r,d,h} <= z_d                 z_d: the fleet's busiest hour at g = 1
                g_p z_d <= k_{d,p}                         replicas in service in every period (held: one k_d
                                                           for all; bought: k_{d,p} >= k_{d,p-1}, each
                                                           increase paid at the price of its period)
                x_r <= u_d  (r uses d),  k_d >= m_d u_d    a deployment in use has at least its minimum fleet
                k_d = f_d u_d                              a fixed fleet, where given
                x_r = 0 where route r misses its task's quality floor or latency SLO
                x, u binary; k integer (replicas)

with w_r the route's variable cost (or emissions), W_{d,p} a replica's cost (or emissions): held, over the
horizon; rented, in period p; bought, in period p and kept to the end; and
S_d a one-off cost (fine-tuning) paid when the deployment is used at all. Objectives: `cost` (NPV),
`emissions` (kgCO2e) or `cost-with-carbon` (NPV + carbon price x present-value kgCO2e: emissions weighted by the
discount factor of the month they occur in, as the engine discounts a carbon price; plain kgCO2e where no
present value is given).

A task with no queries is not routed. A route whose quality is unknown cannot meet a floor; a route whose
latency is unknown cannot meet an SLO. When some task has no route meeting its floor and SLO the planner says
which task, which limit, and the best any candidate reaches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from tco.errors import ScenarioError

OBJECTIVES = ("cost", "emissions", "cost-with-carbon")
# what a plan's `cost` (and each task's) is, per objective: the carbon price is in it only where the objective
# prices carbon, so the figure shown is the one minimised (and a one-task plan's equals `tco report`'s NPV)
COST_BASIS = {
    "cost": "net present cost without the carbon price",
    "emissions": "net present cost without the carbon price",
    "cost-with-carbon": "net present cost with the carbon price (discounted like a cost)",
}


def carbon_in_cost(objective: str) -> bool:
    """Whether a plan's cost includes the carbon price it pays (the objective `cost-with-carbon`)."""
    return objective == "cost-with-carbon"


LOAD_TOL = 1e-9  # replicas: a load this close to a whole number fits in it
# replicas: the least load a route puts on a deployment in the program. Any load above LOAD_TOL needs a
# replica when priced, but HiGHS satisfies rows to about 1e-6, so a smaller load would look free to it
LOAD_FLOOR = 1e-4


class PlanInfeasibleError(ScenarioError):
    """No plan meets every task's quality floor and latency SLO (or fits the fixed fleets)."""


@dataclass(frozen=True)
class TaskDemand:
    """One task of the portfolio. `queries` over the horizon (for per-query figures)."""

    name: str
    queries: float
    quality_floor: float = math.nan
    latency_slo_s: float = math.nan
    ttft_s: float = math.nan  # p95 time to first token target (checked where the engine prices the plan)
    tpot_s: float = math.nan  # p95 time per output token target (1 / tokens per second per user)


@dataclass(frozen=True)
class Deployment:
    """Where routes run. Hosted: a fleet of whole replicas; else (an API) only per-query figures count."""

    id: str
    hosted: bool = True
    replica_cost: float = 0.0  # one replica kept over the horizon, NPV (currency)
    replica_kg: float = 0.0  # one replica over the horizon: idle, host and embodied emissions (kgCO2e)
    setup_cost: float = 0.0  # one-off when the deployment is used at all (fine-tuning), NPV
    setup_kg: float = 0.0
    replica_kg_pv: float | None = None  # the same, each month's kg weighted by its discount factor
    setup_kg_pv: float | None = None
    min_replicas: int = 0  # when used
    fixed_replicas: int | None = None  # a fleet of this size when used, whatever the load (fleet "hold")
    accelerators_per_replica: int = 1  # for reporting
    # "hold": one size for the whole horizon, costing replica_cost/kg each; "rent": sized per period, each
    # replica in service in period p costing period_cost[p]; "buy": replicas bought in period p and kept to the
    # end (never sold) cost period_cost[p] each
    fleet: str = "hold"
    period_cost: tuple[float, ...] = ()
    period_kg: tuple[float, ...] = ()
    period_kg_pv: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Stage:
    """One step of a route: the deployment, the share of the task's queries it answers, and the load.

    `load[h]` is the replicas it keeps busy in hour slot h (already divided by the target utilisation);
    ignored on a deployment that is not hosted.
    """

    deployment: str
    share: float = 1.0
    load: np.ndarray = field(default_factory=lambda: np.zeros(1))


@dataclass(frozen=True)
class Route:
    """One way to serve one task, with its variable cost and emissions for the task's whole traffic."""

    id: str
    task: str
    stages: tuple[Stage, ...]
    cost: float  # NPV, currency
    kg: float  # kgCO2e
    quality: float = math.nan
    metric: str | None = None
    latency_p95_s: float = math.nan
    kg_pv: float | None = None  # kgCO2e weighted by each month's discount factor (for a carbon price)
    # "single": one deployment; "cascade": stages one after another; "split": stages side by side, each
    # answering its share of the task's queries
    kind: str = "single"

    def deployments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.deployment for s in self.stages))


@dataclass(frozen=True)
class PlanProblem:
    tasks: tuple[TaskDemand, ...]
    deployments: tuple[Deployment, ...]
    routes: tuple[Route, ...]
    objective: str = "cost"
    carbon_price_per_kg: float = 0.0  # currency per kgCO2e, for `cost-with-carbon`
    growth: tuple[float, ...] = (1.0,)  # demand multiplier per period; stage loads are at 1

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}, expected one of {', '.join(OBJECTIVES)}")
        if not self.growth or min(self.growth) < 0:
            raise ValueError("growth needs one non-negative multiplier per period")
        for d in self.deployments:
            if d.fleet not in ("hold", "rent", "buy"):
                raise ValueError(f"deployment {d.id!r}: fleet {d.fleet!r}, expected hold, rent or buy")
            if d.fixed_replicas is not None and d.fleet != "hold":
                raise ValueError(f"deployment {d.id!r}: a fixed fleet is held, not {d.fleet}")
            if d.fleet != "hold":
                sizes = {len(d.period_cost), len(d.period_kg), len(d.period_kg_pv or d.period_kg)}
                if sizes != {len(self.growth)}:
                    raise ValueError(f"deployment {d.id!r}: expected one cost and kg per period")
        tasks = {t.name for t in self.tasks}
        deps = {d.id for d in self.deployments}
        if len(tasks) != len(self.tasks) or len(deps) != len(self.deployments):
            raise ValueError("task names and deployment ids must be unique")
        ids = [(r.task, r.id) for r in self.routes]
        if len(set(ids)) != len(ids):
            raise ValueError("route ids must be unique per task")
        slots = {s.load.shape for r in self.routes for s in r.stages}
        if len(slots) > 1:
            raise ValueError(f"every stage load needs the same hour slots, got shapes {sorted(slots)}")
        for r in self.routes:
            if r.task not in tasks:
                raise ValueError(f"route {r.id!r} serves unknown task {r.task!r}")
            missing = [d for d in r.deployments() if d not in deps]
            if missing:
                raise ValueError(f"route {r.id!r} uses unknown deployment {missing[0]!r}")

    def deployment(self, ident: str) -> Deployment:
        return next(d for d in self.deployments if d.id == ident)

    @cached_property
    def _route_index(self) -> dict[tuple[str, str], Route]:
        return {(r.task, r.id): r for r in self.routes}

    def route(self, task: str, ident: str) -> Route:
        """The route `ident` of `task` (KeyError if none): looked up, not searched, as plans are priced often."""
        return self._route_index[(task, ident)]


@dataclass(frozen=True)
class TaskResult:
    """What one task costs and emits on its route: totals, per query and per correct answer."""

    task: str
    route: str
    deployments: tuple[str, ...]
    queries: float
    cost: float  # its route's variable cost plus its share of the fleets' and set-up costs (`COST_BASIS`)
    kg: float
    quality: float
    metric: str | None
    latency_p95_s: float
    meets_floor: bool
    meets_slo: bool
    # the interactivity at the fleet's busiest hour where the engine priced the plan (nan: not known)
    ttft_p95_s: float = math.nan
    tpot_p95_s: float = math.nan

    @property
    def cost_per_query(self) -> float:
        return self.cost / self.queries if self.queries > 0 else math.nan

    @property
    def g_per_query(self) -> float:
        return self.kg * 1000.0 / self.queries if self.queries > 0 else math.nan

    @property
    def cost_per_correct(self) -> float:
        return self.cost_per_query / self.quality if self.quality > 0 else math.nan

    @property
    def g_per_correct(self) -> float:
        return self.g_per_query / self.quality if self.quality > 0 else math.nan


@dataclass(frozen=True)
class Plan:
    """A routing of every task with queries, the replicas of each fleet in use, and what it all comes to."""

    name: str
    objective: str
    routes: dict[str, str]  # task -> route id
    replicas: dict[str, int]  # hosted deployment in use -> replicas at its largest
    in_service: dict[str, tuple[int, ...]]  # hosted deployment in use -> replicas in service per period
    used: tuple[str, ...]  # deployments in use
    tasks: tuple[TaskResult, ...]
    unserved: tuple[str, ...]  # tasks with no queries
    cost: float  # on the basis `COST_BASIS[objective]`: with the carbon price only for `cost-with-carbon`
    kg: float
    carbon_cost: float  # carbon price x present-value kgCO2e (0 without a carbon price)
    objective_value: float
    # the search's relative gap to its model's optimum when it stopped at its time limit (0: proven optimal)
    search_gap: float = 0.0
    # hosted deployments whose fleet in this plan needs more provisioned power than their site's
    # `power_budget`: (deployment, kW provisioned at its peak, budget kW)
    over_budget: tuple[tuple[str, float, float], ...] = ()

    @property
    def meets_limits(self) -> bool:
        return all(t.meets_floor and t.meets_slo for t in self.tasks)

    @property
    def cost_basis(self) -> str:
        """What `cost` is, in words (`COST_BASIS`)."""
        return COST_BASIS[self.objective]

    @property
    def cost_without_carbon(self) -> float:
        """Net present cost without the carbon price, whatever the objective."""
        return self.cost - self.carbon_cost if carbon_in_cost(self.objective) else self.cost

    @property
    def cost_with_carbon(self) -> float:
        """Net present cost with the carbon price paid (`tco report`'s NPV basis), whatever the objective."""
        return self.cost if carbon_in_cost(self.objective) else self.cost + self.carbon_cost

    def task(self, name: str) -> TaskResult:
        return next(t for t in self.tasks if t.task == name)


# --------------------------------------------------------------------------- checks


def meets_floor(route: Route, task: TaskDemand) -> bool:
    """A route reaches the task's quality floor (no floor: always; unknown quality: never)."""
    if math.isnan(task.quality_floor):
        return True
    return not math.isnan(route.quality) and route.quality >= task.quality_floor - 1e-12


def meets_slo(route: Route, task: TaskDemand) -> bool:
    """A route's p95 latency is within the task's SLO (no SLO: always; unknown latency: never)."""
    if math.isnan(task.latency_slo_s):
        return True
    return not math.isnan(route.latency_p95_s) and route.latency_p95_s <= task.latency_slo_s + 1e-12


def _why_not(task: TaskDemand, routes: Sequence[Route]) -> str:
    """One clause saying why no route serves `task`, with the best value available."""
    if not routes:
        return f"task {task.name!r} has no candidate deployment"
    floor_ok = [r for r in routes if meets_floor(r, task)]
    if not floor_ok:
        known = [r for r in routes if not math.isnan(r.quality)]
        if not known:
            return (
                f"task {task.name!r} cannot meet its quality floor {task.quality_floor:g}: no candidate has a "
                "quality score for it"
            )
        best = max(known, key=lambda r: r.quality)
        metric = f" ({best.metric})" if best.metric else ""
        return (
            f"task {task.name!r} cannot meet its quality floor {task.quality_floor:g}: the best candidate, "
            f"{best.id}, reaches {best.quality:g}{metric}"
        )
    timed = [r for r in floor_ok if not math.isnan(r.latency_p95_s)]
    if not timed:
        return (
            f"task {task.name!r} cannot meet its latency SLO {task.latency_slo_s:g} s: no candidate meeting its "
            "floor has a known p95 latency"
        )
    fast = min(timed, key=lambda r: r.latency_p95_s)
    return (
        f"task {task.name!r} cannot meet its latency SLO {task.latency_slo_s:g} s with its quality floor: the "
        f"fastest candidate meeting the floor, {fast.id}, has p95 {fast.latency_p95_s:.3g} s"
    )


def eligible_routes(problem: PlanProblem) -> dict[str, list[Route]]:
    """Routes meeting their task's floor and SLO, per task with queries; raises when a task has none."""
    out: dict[str, list[Route]] = {}
    reasons: list[str] = []
    for t in problem.tasks:
        if t.queries <= 0:
            continue
        mine = [r for r in problem.routes if r.task == t.name]
        ok = [r for r in mine if meets_floor(r, t) and meets_slo(r, t)]
        if not ok:
            reasons.append(_why_not(t, mine))
        out[t.name] = ok
    if reasons:
        raise PlanInfeasibleError("no plan meets every task's limits: " + "; ".join(reasons))
    return out


# --------------------------------------------------------------------------- weights


def _objective(problem: PlanProblem) -> Callable[[Any, Any, Any], Any]:
    """The objective weight of a (cost, kg, present-value kg) triple; works on numbers and arrays."""
    p = problem.carbon_price_per_kg

    def w(cost: Any, kg: Any, kg_pv: Any) -> Any:
        if problem.objective == "emissions":
            return kg
        if problem.objective == "cost-with-carbon":
            return cost + p * (kg if kg_pv is None else kg_pv)
        return cost

    return w


def unit_coefficients(dep: Deployment) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost, kg and present-value kg of each fleet unit: hold: one replica for the horizon; rent: one replica
    in service in period p; buy: one replica bought in period p and kept."""
    if dep.fleet == "hold":
        pv = dep.replica_kg if dep.replica_kg_pv is None else dep.replica_kg_pv
        return np.array([dep.replica_cost]), np.array([dep.replica_kg]), np.array([pv])
    kg = np.asarray(dep.period_kg, dtype=float)
    kg_pv = kg if dep.period_kg_pv is None else np.asarray(dep.period_kg_pv, dtype=float)
    return np.asarray(dep.period_cost, dtype=float), kg, kg_pv


def _weights(
    problem: PlanProblem,
) -> tuple[dict[tuple[str, str], float], dict[str, np.ndarray], dict[str, float]]:
    """Objective weight of each route, of each fleet unit of each deployment, and of each set-up."""
    w = _objective(problem)
    routes = {(r.task, r.id): float(w(r.cost, r.kg, r.kg_pv)) for r in problem.routes}
    units = {d.id: np.asarray(w(*unit_coefficients(d)), dtype=float) for d in problem.deployments}
    setup = {d.id: float(w(d.setup_cost, d.setup_kg, d.setup_kg_pv)) for d in problem.deployments}
    return routes, units, setup


def _route_load(route: Route, deployment: str) -> np.ndarray:
    """Replicas the route keeps busy on `deployment` in each hour slot (sum over its stages there)."""
    loads = [s.load for s in route.stages if s.deployment == deployment]
    return np.sum(loads, axis=0) if loads else np.zeros(1)


def replicas_needed(peak: float, growth: Sequence[float], deployment: Deployment) -> np.ndarray:
    """Whole replicas a fleet in use needs in service in each period, for a busiest hour of `peak` replicas
    at growth 1 (at least its minimum)."""
    g = np.asarray(growth, dtype=float)
    need = np.maximum(np.ceil(g * peak - LOAD_TOL), float(deployment.min_replicas))
    return np.maximum(need, 0.0).astype(int)


def fleet_units(
    deployment: Deployment, peak: float, growth: Sequence[float], unit_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The cheapest fleet for a busiest hour of `peak` replicas at growth 1: the units priced (see
    `unit_coefficients`) and the replicas in service per period.

    Held: its fixed size, else the largest need over the periods. Rented: each period's need. Bought: each
    extra replica first needed in period p is bought in the cheapest period up to p (the engine's rule, buy
    when needed, unless an earlier purchase costs less) and kept.
    """
    periods = len(growth)
    if deployment.fleet == "hold":
        if deployment.fixed_replicas is not None:
            k = deployment.fixed_replicas
        else:
            k = int(replicas_needed(peak, growth, deployment).max(initial=0))
        return np.array([k]), np.full(periods, k)
    need = replicas_needed(peak, growth, deployment)
    if deployment.fleet == "rent":
        return need.copy(), need
    buys = np.zeros(periods, dtype=int)
    have = 0
    for p in range(periods):
        more = int(need[p]) - have
        if more > 0:
            buys[int(np.argmin(unit_weights[: p + 1]))] += more
            have += more
    return buys, np.cumsum(buys)


# --------------------------------------------------------------------------- evaluate a given routing


def evaluate_routing(problem: PlanProblem, routing: Mapping[str, str], *, name: str = "plan") -> Plan:
    """Cost, emissions and quality of a given routing (task -> route id), each fleet sized for its load.

    Limits are not enforced here (a baseline may miss them); each task says whether it meets them. Fixed
    fleets smaller than their load are reported as they are (the shortfall is not priced).
    """
    by_task = {t.name: t for t in problem.tasks}
    served = [t for t in problem.tasks if t.queries > 0]
    missing = [t.name for t in served if t.name not in routing]
    if missing:
        raise ScenarioError(f"plan {name!r} routes no deployment for task {missing[0]!r}")
    chosen = {t.name: problem.route(t.name, routing[t.name]) for t in served}
    w_route, w_units, w_setup = _weights(problem)
    used = tuple(dict.fromkeys(d for r in chosen.values() for d in r.deployments()))
    loads: dict[str, np.ndarray] = {}
    for d in used:
        parts = [_route_load(r, d) for r in chosen.values()]
        loads[d] = np.sum(np.broadcast_arrays(*parts), axis=0)
    units: dict[str, np.ndarray] = {}
    in_service: dict[str, tuple[int, ...]] = {}
    for d in used:
        dep = problem.deployment(d)
        if dep.hosted:
            peak = float(np.max(loads[d])) if loads[d].size else 0.0
            units[d], path = fleet_units(dep, peak, problem.growth, w_units[d])
            in_service[d] = tuple(int(k) for k in path)
    replicas = {d: max(path, default=0) for d, path in in_service.items()}

    def pv(kg: float, kg_pv: float | None) -> float:
        return kg if kg_pv is None else kg_pv

    def fixed(d: str) -> tuple[float, float, float]:
        dep = problem.deployment(d)
        setup_pv = pv(dep.setup_kg, dep.setup_kg_pv)
        if d not in units:
            return dep.setup_cost, dep.setup_kg, setup_pv
        cost, kg, kg_pv = unit_coefficients(dep)
        return (
            float(units[d] @ cost) + dep.setup_cost,
            float(units[d] @ kg) + dep.setup_kg,
            float(units[d] @ kg_pv) + setup_pv,
        )

    price = problem.carbon_price_per_kg if carbon_in_cost(problem.objective) else 0.0
    # fleet and set-up costs go to the tasks on a deployment in proportion to the replica-hours they use there
    results = []
    for t_name, r in chosen.items():
        t = by_task[t_name]
        cost, kg, kg_pv = r.cost, r.kg, pv(r.kg, r.kg_pv)
        for d in r.deployments():
            total = float(np.sum(loads[d]))
            mine = float(np.sum(_route_load(r, d)))
            sharing = [x for x in chosen.values() if d in x.deployments()]
            frac = mine / total if total > 0 else 1.0 / len(sharing)
            fc, fk, fpv = fixed(d)
            cost += frac * fc
            kg += frac * fk
            kg_pv += frac * fpv
        cost += price * kg_pv
        results.append(
            TaskResult(
                task=t_name,
                route=r.id,
                deployments=r.deployments(),
                queries=t.queries,
                cost=cost,
                kg=kg,
                quality=r.quality,
                metric=r.metric,
                latency_p95_s=r.latency_p95_s,
                meets_floor=meets_floor(r, t),
                meets_slo=meets_slo(r, t),
            )
        )
    total_cost = sum(x.cost for x in results)
    total_kg = sum(x.kg for x in results)
    kg_pv = sum(pv(r.kg, r.kg_pv) for r in chosen.values())
    for d in used:
        dep = problem.deployment(d)
        kg_pv += pv(dep.setup_kg, dep.setup_kg_pv)
        if d in units:
            kg_pv += float(units[d] @ unit_coefficients(dep)[2])
    value = sum(w_route[(r.task, r.id)] for r in chosen.values())
    value += sum(float(u @ w_units[d]) for d, u in units.items()) + sum(w_setup[d] for d in used)
    return Plan(
        name=name,
        objective=problem.objective,
        routes={t: r.id for t, r in chosen.items()},
        replicas=replicas,
        in_service=in_service,
        used=used,
        tasks=tuple(results),
        unserved=tuple(t.name for t in problem.tasks if t.queries <= 0),
        cost=total_cost,
        kg=total_kg,
        carbon_cost=problem.carbon_price_per_kg * kg_pv,
        objective_value=value,
    )


# --------------------------------------------------------------------------- solve


EXACT_GAP = 1e-9  # HiGHS's relative gap at which a program counts as solved: its optimum
# seconds HiGHS searches for a plan: the search only starts the engine's polishing above 3,000 routings (below,
# every routing is priced) and the plan states its distance to a lower bound, so a good plan soon beats a
# proof; a program with no plan found by then gets SEARCH_RETRY_LIMIT_S (the search's share of `tco plan`'s
# 20 s at the schema's limits, benchmarks/plan_scale.py)
SEARCH_TIME_LIMIT_S = 1.0
SEARCH_RETRY_LIMIT_S = 5.0


def _twin_key(problem: PlanProblem, dep: Deployment, mine: Mapping[str, Route]) -> tuple[Any, ...] | None:
    """What the search model reads of a deployment (None: never merged): its fleet terms, the objective's
    weight of each fleet unit and of its set-up, and per task its route's weight and hourly load."""
    w = _objective(problem)
    units = np.asarray(w(*unit_coefficients(dep)), dtype=float)
    setup = float(w(dep.setup_cost, dep.setup_kg, dep.setup_kg_pv))
    if dep.fixed_replicas is not None or not dep.hosted or not setup >= 0 or not bool(np.all(units >= 0)):
        return None
    routes = tuple(
        (t, float(w(r.cost, r.kg, r.kg_pv)), r.stages[0].share, r.stages[0].load.tobytes())
        for t, r in sorted(mine.items())
    )
    if any(math.isnan(x[1]) for x in routes):
        return None
    return (dep.fleet, dep.min_replicas, units.tobytes(), setup, routes)


def interchangeable(problem: PlanProblem, eligible: Mapping[str, list[Route]]) -> dict[str, str]:
    """Hosted deployments identical to an earlier one in everything the search model reads (the same fleet
    terms, no fixed fleet, the same non-negative objective weight of each fleet unit and set-up, and for
    every task an eligible single-stage route of the same weight and hourly load), used by no cascade or
    split: deployment -> the earlier twin. The search keeps only the first of each set: one shared fleet costs no more than two
    (ceil(g x (a + b)) <= ceil(g x a) + ceil(g x b) replicas for loads a, b in every hour, the set-up and
    minimum once), so the search model's optimum is unchanged, and HiGHS need not tell the copies apart
    (a catalogue search makes many: the same profile and price in two regions alike in all but name)."""
    multi = {d for rs in eligible.values() for r in rs if r.kind != "single" for d in r.deployments()}
    singles: dict[str, dict[str, Route]] = {}
    for t, rs in eligible.items():
        for r in rs:
            if r.kind == "single":
                singles.setdefault(r.deployments()[0], {})[t] = r
    first: dict[Any, str] = {}
    out: dict[str, str] = {}
    for dep in problem.deployments:
        if dep.id in multi or dep.id not in singles:
            continue
        key = _twin_key(problem, dep, singles[dep.id])
        if key is None:
            continue
        try:
            hash(key)
        except TypeError:
            continue
        if key in first:
            out[dep.id] = first[key]
        else:
            first[key] = dep.id
    return out


def solve(
    problem: PlanProblem, *, time_limit_s: float = SEARCH_TIME_LIMIT_S, rel_gap: float = EXACT_GAP
) -> Plan:
    """The routing and fleet sizes that minimise the objective, subject to every task's floor and SLO.

    A search that reaches `time_limit_s` returns the best plan it found, its gap to the optimum of the
    search model in `search_gap` (long horizons: a fleet size per month makes proving optimality slow); one
    that found none by then searches again for `SEARCH_RETRY_LIMIT_S`."""
    eligible = eligible_routes(problem)
    if not eligible:
        return evaluate_routing(problem, {}, name="optimised")
    res, routes, xi, hosted, months, _ = _program(problem, eligible, time_limit_s, rel_gap)
    if res.x is None and res.status == 1 and time_limit_s < SEARCH_RETRY_LIMIT_S:  # no plan yet: longer
        time_limit_s = SEARCH_RETRY_LIMIT_S
        res, routes, xi, hosted, months, _ = _program(problem, eligible, time_limit_s, rel_gap)
    if res.x is None and res.status == 1:
        raise ScenarioError(
            f"the planner found no plan within its {time_limit_s:g} s limit ({len(routes)} routes, "
            f"{len(hosted)} fleets over {months} months); expected fewer tasks, options or months"
        )
    if res.x is None:
        fixed = [d for d in hosted if problem.deployment(d).fixed_replicas is not None]
        hint = f" (fixed fleets: {', '.join(fixed)})" if fixed else ""
        raise PlanInfeasibleError(f"no plan fits the fleets{hint}: {res.message}")
    x = np.round(res.x)
    routing = {r.task: r.id for r in routes if x[xi[(r.task, r.id)]] > 0.5}
    plan = evaluate_routing(problem, routing, name="optimised")
    if res.status == 1:  # the time limit, with a feasible plan
        gap = getattr(res, "mip_gap", None)
        plan = replace(plan, search_gap=float(gap) if gap is not None and math.isfinite(gap) else math.inf)
    return plan


def lower_bound(
    problem: PlanProblem, *, time_limit_s: float = SEARCH_TIME_LIMIT_S, rel_gap: float = EXACT_GAP
) -> float:
    """The least objective value any routing of `problem` can have: its program's optimum, or where HiGHS
    stops at `time_limit_s` its proven dual bound (never above the optimum). nan when no plan is feasible;
    0 when no task has queries."""
    eligible = eligible_routes(problem)
    if not eligible:
        return 0.0
    res, *_, scale = _program(problem, eligible, time_limit_s, rel_gap)
    dual = getattr(res, "mip_dual_bound", None)
    dual = float(dual) if dual is not None and math.isfinite(dual) else math.nan
    if res.status == 0 and res.fun is not None:  # solved: its optimum (the dual bound where below it)
        return min(float(res.fun), dual) * scale if math.isfinite(dual) else float(res.fun) * scale
    return dual * scale


def _program(
    problem: PlanProblem, eligible: Mapping[str, list[Route]], time_limit_s: float, rel_gap: float = EXACT_GAP
) -> tuple[Any, list[Route], dict[tuple[str, str], int], list[str], int, float]:
    """The mixed-integer program of `problem` (module docstring) solved by HiGHS: (scipy's result, the routes
    as columns, their column index, the hosted fleets, the number of periods, what the objective was divided
    by for HiGHS's conditioning)."""
    twins = interchangeable(problem, eligible)
    eligible = {
        t: [r for r in rs if r.deployments()[0] not in twins or r.kind != "single"]
        for t, rs in eligible.items()
    }
    routes = [r for rs in eligible.values() for r in rs]
    used_deps = list(dict.fromkeys(d for r in routes for d in r.deployments()))
    hosted = [d for d in used_deps if problem.deployment(d).hosted]
    w_route, w_units, w_setup = _weights(problem)
    growth = np.asarray(problem.growth, dtype=float)
    g_max = float(growth.max())

    # columns: x (routes), u (deployments on), then per hosted fleet z (busiest hour at g = 1) and its units
    n_x, n_u = len(routes), len(used_deps)
    xi = {(r.task, r.id): i for i, r in enumerate(routes)}
    ui = {d: n_x + j for j, d in enumerate(used_deps)}
    zi: dict[str, int] = {}
    ki: dict[str, list[int]] = {}
    n = n_x + n_u
    for d in hosted:
        zi[d] = n
        count = 1 if problem.deployment(d).fleet == "hold" else len(growth)
        ki[d] = list(range(n + 1, n + 1 + count))
        n += 1 + count

    c = np.zeros(n)
    integral = np.ones(n)
    upper = np.ones(n)
    for r in routes:
        c[xi[(r.task, r.id)]] = w_route[(r.task, r.id)]
    for d in used_deps:
        c[ui[d]] = w_setup[d]
    for d in hosted:
        w = w_units[d]
        if problem.deployment(d).fleet == "buy":  # columns: replicas in service n_p; bought = n_p - n_{p-1}
            w = w - np.append(w[1:], 0.0)
        c[ki[d]] = w
        integral[zi[d]] = 0.0

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []

    def add_row(entries: Sequence[tuple[int, float]], low: float, high: float) -> None:
        row = len(lo)
        for col, v in entries:
            rows.append(row)
            cols.append(col)
            vals.append(v)
        lo.append(low)
        hi.append(high)

    for rs in eligible.values():  # one route per task
        add_row([(xi[(r.task, r.id)], 1.0) for r in rs], 1.0, 1.0)
    using: dict[str, list[Route]] = {}  # deployment -> the routes that use it, in route order
    for r in routes:
        for d in r.deployments():
            using.setdefault(d, []).append(r)
    for d in hosted:
        dep = problem.deployment(d)
        users = [(r, _route_load(r, d)) for r in using.get(d, [])]
        slots = max(load.size for _, load in users)
        peak_total = np.zeros(slots)
        for h in range(slots):  # z_d covers the fleet's load in every hour slot
            entries = [(xi[(r.task, r.id)], float(load[min(h, load.size - 1)])) for r, load in users]
            entries = [(col, max(v, LOAD_FLOOR)) for col, v in entries if v > LOAD_TOL]
            peak_total[h] = sum(v for _, v in entries)
            if entries:
                add_row([*entries, (zi[d], -1.0)], -np.inf, 0.0)
        z_max = float(peak_total.max(initial=0.0))
        upper[zi[d]] = z_max
        k_max = max(math.ceil(g_max * z_max), dep.min_replicas) + 1
        units = ki[d]
        upper[units] = k_max
        if dep.fleet == "hold":
            if dep.fixed_replicas is not None:
                add_row([(units[0], 1.0), (ui[d], -float(dep.fixed_replicas))], 0.0, 0.0)
                upper[units] = dep.fixed_replicas
            add_row([(zi[d], g_max), (units[0], -1.0)], -np.inf, LOAD_TOL)
            if dep.min_replicas > 0 and dep.fixed_replicas is None:
                add_row([(ui[d], float(dep.min_replicas)), (units[0], -1.0)], -np.inf, 0.0)
            continue
        for p, g in enumerate(growth):  # replicas in service in period p, rented or bought (never sold)
            add_row([(zi[d], float(g)), (units[p], -1.0)], -np.inf, LOAD_TOL)
            if dep.fleet == "buy" and p > 0:
                add_row([(units[p - 1], 1.0), (units[p], -1.0)], -np.inf, 0.0)
            if dep.min_replicas > 0 and (dep.fleet == "rent" or p == 0):
                add_row([(ui[d], float(dep.min_replicas)), (units[p], -1.0)], -np.inf, 0.0)
    for r in routes:  # a route switches its deployments on
        for d in r.deployments():
            add_row([(xi[(r.task, r.id)], 1.0), (ui[d], -1.0)], -np.inf, 0.0)

    # scipy is imported here, not at module level: it takes half a second, and only planning needs it
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    a = coo_matrix((vals, (rows, cols)), shape=(len(lo), n)).tocsr()
    scale = float(np.max(np.abs(c), initial=0.0)) or 1.0  # objective near 1: better conditioned for HiGHS
    res = milp(
        c / scale,
        constraints=LinearConstraint(a, np.array(lo), np.array(hi)),
        integrality=integral,
        bounds=Bounds(np.zeros(n), upper),
        options={"time_limit": time_limit_s, "mip_rel_gap": rel_gap},
    )
    return res, routes, xi, hosted, len(growth), scale


def brute_force(problem: PlanProblem) -> Plan:
    """The best plan by trying every routing: exponential, for tests and tiny problems only."""
    import itertools

    eligible = eligible_routes(problem)
    names = list(eligible)
    best: Plan | None = None
    for combo in itertools.product(*(eligible[t] for t in names)):
        plan = evaluate_routing(
            problem, {t: r.id for t, r in zip(names, combo, strict=True)}, name="optimised"
        )
        fits = all(
            problem.deployment(d).fixed_replicas is None
            or max(problem.growth) * float(np.max(_fleet_load(problem, plan, d)))
            <= problem.deployment(d).fixed_replicas + LOAD_TOL  # type: ignore[operator]
            for d in plan.replicas
        )
        if fits and (best is None or plan.objective_value < best.objective_value - 1e-9):
            best = plan
    if best is None:
        raise PlanInfeasibleError("no plan fits the fleets")
    return best


def _fleet_load(problem: PlanProblem, plan: Plan, deployment: str) -> np.ndarray:
    parts = [_route_load(problem.route(t, r), deployment) for t, r in plan.routes.items()]
    return np.sum(np.broadcast_arrays(*parts), axis=0)
