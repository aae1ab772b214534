"""Task portfolio planner: route each task to a deployment and size the shared fleets, as a mixed-integer program.

Pure numbers in, a plan out; no file I/O and nothing of the scenario format (the builder that turns a scenario
into a `PlanProblem` is `tco.analysis.portfolio`). Solved with `scipy.optimize.milp` (HiGHS).

The problem:

    tasks       t  with their queries over the horizon, a quality floor and a latency SLO (NaN: none)
    deployments d  a model on hardware at a site (hosted: a fleet of whole replicas) or an API (no fleet)
    routes      r  one way to serve one task: a single deployment, or a cascade whose first stage answers
                   every query and passes a share on to the next; each stage puts a load on its deployment
                   (replicas busy in each hour slot, at the target utilisation)

    minimise    sum_r x_r w_r + sum_d k_d W_d + sum_d u_d S_d
    subject to  sum_{r of t} x_r = 1                      every task with queries takes exactly one route
                sum_r x_r L_{r,d,h} <= k_d                 each hosted fleet carries its load in every hour
                x_r <= u_d  (r uses d),  k_d >= m_d u_d    a deployment in use has at least its minimum fleet
                k_d = f_d u_d                              a fixed fleet, where given
                x_r = 0 where route r misses its task's quality floor or latency SLO
                x, u binary; k integer (replicas)

with w_r the route's variable cost (or emissions), W_d a replica's cost (or emissions) over the horizon and
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from tco.errors import ScenarioError

OBJECTIVES = ("cost", "emissions", "cost-with-carbon")
LOAD_TOL = 1e-9  # replicas: a load this close to a whole number fits in it


class PlanInfeasibleError(ScenarioError):
    """No plan meets every task's quality floor and latency SLO (or fits the fixed fleets)."""


@dataclass(frozen=True)
class TaskDemand:
    """One task of the portfolio. `queries` over the horizon (for per-query figures)."""

    name: str
    queries: float
    quality_floor: float = math.nan
    latency_slo_s: float = math.nan


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
    fixed_replicas: int | None = None  # a fleet of this size when used, whatever the load
    accelerators_per_replica: int = 1  # for reporting


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

    def deployments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.deployment for s in self.stages))


@dataclass(frozen=True)
class PlanProblem:
    tasks: tuple[TaskDemand, ...]
    deployments: tuple[Deployment, ...]
    routes: tuple[Route, ...]
    objective: str = "cost"
    carbon_price_per_kg: float = 0.0  # currency per kgCO2e, for `cost-with-carbon`

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}, expected one of {', '.join(OBJECTIVES)}")
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

    def route(self, task: str, ident: str) -> Route:
        return next(r for r in self.routes if r.task == task and r.id == ident)


@dataclass(frozen=True)
class TaskResult:
    """What one task costs and emits on its route: totals, per query and per correct answer."""

    task: str
    route: str
    deployments: tuple[str, ...]
    queries: float
    cost: float  # its route's variable cost plus its share of the fleets' and set-up costs
    kg: float
    quality: float
    metric: str | None
    latency_p95_s: float
    meets_floor: bool
    meets_slo: bool

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
    replicas: dict[str, int]  # hosted deployment in use -> replicas
    used: tuple[str, ...]  # deployments in use
    tasks: tuple[TaskResult, ...]
    unserved: tuple[str, ...]  # tasks with no queries
    cost: float
    kg: float
    carbon_cost: float  # carbon price x present-value kgCO2e (0 without a carbon price)
    objective_value: float

    @property
    def meets_limits(self) -> bool:
        return all(t.meets_floor and t.meets_slo for t in self.tasks)

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


def _weights(problem: PlanProblem) -> tuple[dict[tuple[str, str], float], dict[str, float], dict[str, float]]:
    """Objective weight of each route, of one replica of each deployment, and of each set-up."""
    p = problem.carbon_price_per_kg

    def w(cost: float, kg: float, kg_pv: float | None) -> float:
        if problem.objective == "emissions":
            return kg
        if problem.objective == "cost-with-carbon":
            return cost + p * (kg if kg_pv is None else kg_pv)
        return cost

    routes = {(r.task, r.id): w(r.cost, r.kg, r.kg_pv) for r in problem.routes}
    replica = {d.id: w(d.replica_cost, d.replica_kg, d.replica_kg_pv) for d in problem.deployments}
    setup = {d.id: w(d.setup_cost, d.setup_kg, d.setup_kg_pv) for d in problem.deployments}
    return routes, replica, setup


def _route_load(route: Route, deployment: str) -> np.ndarray:
    """Replicas the route keeps busy on `deployment` in each hour slot (sum over its stages there)."""
    loads = [s.load for s in route.stages if s.deployment == deployment]
    return np.sum(loads, axis=0) if loads else np.zeros(1)


def replicas_for(load: np.ndarray, deployment: Deployment) -> int:
    """Whole replicas a hosted deployment in use needs for `load` (replicas busy per hour slot)."""
    if deployment.fixed_replicas is not None:
        return deployment.fixed_replicas
    peak = float(np.max(load)) if load.size else 0.0
    return max(math.ceil(peak - LOAD_TOL), deployment.min_replicas, 0)


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
    w_route, w_rep, w_setup = _weights(problem)
    used = tuple(dict.fromkeys(d for r in chosen.values() for d in r.deployments()))
    loads: dict[str, np.ndarray] = {}
    for d in used:
        parts = [_route_load(r, d) for r in chosen.values()]
        loads[d] = np.sum(np.broadcast_arrays(*parts), axis=0)
    replicas = {
        d: replicas_for(loads[d], problem.deployment(d)) for d in used if problem.deployment(d).hosted
    }

    def fixed(d: str) -> tuple[float, float]:
        dep = problem.deployment(d)
        k = replicas.get(d, 0)
        return k * dep.replica_cost + dep.setup_cost, k * dep.replica_kg + dep.setup_kg

    # fleet and set-up costs go to the tasks on a deployment in proportion to the replica-hours they use there
    results = []
    for t_name, r in chosen.items():
        t = by_task[t_name]
        cost, kg = r.cost, r.kg
        for d in r.deployments():
            total = float(np.sum(loads[d]))
            mine = float(np.sum(_route_load(r, d)))
            sharing = [x for x in chosen.values() if d in x.deployments()]
            frac = mine / total if total > 0 else 1.0 / len(sharing)
            fc, fk = fixed(d)
            cost += frac * fc
            kg += frac * fk
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

    def pv(kg: float, kg_pv: float | None) -> float:
        return kg if kg_pv is None else kg_pv

    kg_pv = sum(pv(r.kg, r.kg_pv) for r in chosen.values())
    for d in used:
        dep = problem.deployment(d)
        kg_pv += replicas.get(d, 0) * pv(dep.replica_kg, dep.replica_kg_pv) + pv(
            dep.setup_kg, dep.setup_kg_pv
        )
    value = sum(w_route[(r.task, r.id)] for r in chosen.values())
    value += sum(k * w_rep[d] for d, k in replicas.items()) + sum(w_setup[d] for d in used)
    return Plan(
        name=name,
        objective=problem.objective,
        routes={t: r.id for t, r in chosen.items()},
        replicas=replicas,
        used=used,
        tasks=tuple(results),
        unserved=tuple(t.name for t in problem.tasks if t.queries <= 0),
        cost=total_cost,
        kg=total_kg,
        carbon_cost=problem.carbon_price_per_kg * kg_pv,
        objective_value=value,
    )


# --------------------------------------------------------------------------- solve


def solve(problem: PlanProblem, *, time_limit_s: float = 60.0) -> Plan:
    """The routing and fleet sizes that minimise the objective, subject to every task's floor and SLO."""
    eligible = eligible_routes(problem)
    if not eligible:
        return evaluate_routing(problem, {}, name="optimised")
    routes = [r for rs in eligible.values() for r in rs]
    used_deps = list(dict.fromkeys(d for r in routes for d in r.deployments()))
    hosted = [d for d in used_deps if problem.deployment(d).hosted]
    w_route, w_rep, w_setup = _weights(problem)

    n_x, n_u, n_k = len(routes), len(used_deps), len(hosted)
    xi = {(r.task, r.id): i for i, r in enumerate(routes)}
    ui = {d: n_x + j for j, d in enumerate(used_deps)}
    ki = {d: n_x + n_u + j for j, d in enumerate(hosted)}
    n = n_x + n_u + n_k

    c = np.zeros(n)
    for r in routes:
        c[xi[(r.task, r.id)]] = w_route[(r.task, r.id)]
    for d in used_deps:
        c[ui[d]] = w_setup[d]
    for d in hosted:
        c[ki[d]] = w_rep[d]

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
    upper = np.zeros(n)
    upper[: n_x + n_u] = 1.0
    for d in hosted:  # capacity in every hour slot
        dep = problem.deployment(d)
        users = [(r, _route_load(r, d)) for r in routes if d in r.deployments()]
        slots = max(load.size for _, load in users)
        peak_total = np.zeros(slots)
        for h in range(slots):
            entries = [(xi[(r.task, r.id)], float(load[min(h, load.size - 1)])) for r, load in users]
            entries = [(col, v) for col, v in entries if v > 0]
            peak_total[h] = sum(v for _, v in entries)
            if entries:
                add_row([*entries, (ki[d], -1.0)], -np.inf, LOAD_TOL)
        if dep.fixed_replicas is not None:
            add_row([(ki[d], 1.0), (ui[d], -float(dep.fixed_replicas))], 0.0, 0.0)
            upper[ki[d]] = dep.fixed_replicas
        else:
            if dep.min_replicas > 0:
                add_row([(ui[d], float(dep.min_replicas)), (ki[d], -1.0)], -np.inf, 0.0)
            upper[ki[d]] = max(math.ceil(float(peak_total.max(initial=0.0))), dep.min_replicas) + 1
    for r in routes:  # a route switches its deployments on
        for d in r.deployments():
            add_row([(xi[(r.task, r.id)], 1.0), (ui[d], -1.0)], -np.inf, 0.0)

    a = coo_matrix((vals, (rows, cols)), shape=(len(lo), n)).tocsr()
    res = milp(
        c,
        constraints=LinearConstraint(a, np.array(lo), np.array(hi)),
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), upper),
        options={"time_limit": time_limit_s, "mip_rel_gap": 1e-9},
    )
    if res.x is None:
        fixed = [d for d in hosted if problem.deployment(d).fixed_replicas is not None]
        hint = f" (fixed fleets: {', '.join(fixed)})" if fixed else ""
        raise PlanInfeasibleError(f"no plan fits the fleets{hint}: {res.message}")
    x = np.round(res.x)
    routing = {r.task: r.id for r in routes if x[xi[(r.task, r.id)]] > 0.5}
    return evaluate_routing(problem, routing, name="optimised")


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
            or float(np.max(_fleet_load(problem, plan, d))) <= problem.deployment(d).fixed_replicas + LOAD_TOL  # type: ignore[operator]
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
