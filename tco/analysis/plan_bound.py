"""A lower bound on the engine's price of every routing: how far a plan found by search and moves can be from
the optimum when there are too many routings to price one by one (README, "The plan's bound").

The engine prices a hosted fleet as its replicas (capital or rent, idle and host power, embodied emissions:
linear in replicas, the search's per-replica prices) plus the energy above idle power of the load it serves,
climb = h x sum over hours of n_h D(l_h), with D(l) = P(l) - idle piecewise linear in a replica's load l and
D(0) = 0. On each segment of the sweep D(l)/l is monotone, so for loads up to u (an auto-sized fleet's
utilisation target, which its busiest hour never exceeds; 1 for a fixed fleet) D(l)/l is at least

    s = min over c in {sweep points g_j <= u} and {u} of D(c) / c     (kW per replica of load)

and every query, on whatever fleet it shares, takes at least s x its replica-hours of capacity
(queries / (X x 3,600)) of energy above idle, at its option's (one site's) prices and grid intensity. A
route's variable rest in the search (the engine's totals for its task alone less the fleet's replicas and
the set-up) is that energy's cost and emissions; scaled by

    rho = min over months of s x served_m / climb_m      (at most 1; s the least over the tasks on the fleet)

it is no more than the route's queries cost on any fleet. The search model with every route's rest so
scaled (an API stage is exact: rho = 1) is then a relaxation of every routing as the engine prices it (fleet
sizes from the same hourly loads, rounded up to whole replicas only as the program does), so its optimum
(HiGHS's proven dual bound where it stops at its time limit) is below the best plan's engine price.

The argument needs every replica of a fleet on all day (scalings `spread`, `reserved`, `packed`: idle and
host power are then per replica, in the search's replica prices); a fleet that switches replicas off or
rents them by the hour (`packed-off`, `hourly`) gets no bound, and the plan says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from tco.analysis.plan import SEARCH_TIME_LIMIT_S, PlanProblem, Route, lower_bound
from tco.analysis.runs import EngineRuns
from tco.engine.constants import SECONDS_PER_HOUR
from tco.engine.formulas import point_power_kw
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.engine.operations import fleet_policy, sweep_grid


class StageView(Protocol):
    """What is read of a route's stage (`tco.analysis.portfolio.StageInputs`): the deployment, the option
    resolved for the task and the task's workload at its full demand."""

    @property
    def deployment(self) -> str: ...

    @property
    def option(self) -> OptionInputs: ...

    @property
    def workload(self) -> WorkloadInputs: ...


ALL_DAY = ("spread", "reserved", "packed")  # scalings whose every replica is powered (or rented) all day
NEGATIVE_TOL = 1e-9  # relative: a rest this far below zero is rounding


@dataclass(frozen=True)
class Bound:
    """The least engine price any routing can have (nan: none computed) and, without one, why not."""

    value: float
    why_not: str = ""

    def gap(self, plan_value: float) -> float:
        """How far above the bound `plan_value` is, as a share of it (0: proven optimal; nan: no bound)."""
        if not math.isfinite(self.value) or plan_value <= 0:
            return math.nan
        return max(0.0, (plan_value - self.value) / plan_value)


def least_climb_per_load(option: OptionInputs) -> float:
    """s: the least energy above idle per unit of a replica's load, kW, over loads up to its utilisation
    target (1 for a fixed fleet), from its sweep's power curve (`tco.engine.formulas.point_power_kw`)."""
    apr = float(option.accelerators_per_replica)
    idle = float(np.mean(option.idle_power_kw)) * apr
    x = float(np.mean(option.throughput_qps))
    power = point_power_kw(
        float(np.mean(option.energy_per_query_kwh)) * np.asarray(option.sweep_energy, dtype=float),
        x * np.asarray(option.sweep_throughput, dtype=float),
        np.asarray(idle),
    ).reshape(-1)
    grid = sweep_grid(option)
    above = np.concatenate([[0.0], power - idle])
    u = 1.0 if not math.isnan(option.fixed_fleet) else min(1.0, float(np.mean(option.utilisation)))
    loads = [g for g in grid[1:] if g <= u] + [u]
    return float(min(np.interp(c, grid, above) / c for c in loads))


def stage_rho(stage: StageView, s: float, finance: FinanceInputs, runs: EngineRuns) -> float:
    """rho of one stage: min over months of s x capacity replica-hours served / energy above idle, from the
    engine's run of its task alone on its option (the run the search's rest comes from); 1 for an API."""
    option = stage.option
    if option.deployment == "api":
        return 1.0
    run = runs(option, stage.workload, finance)
    climb = (
        run["energy_accelerator_kwh"][0]
        - float(np.mean(option.idle_power_kw)) * run["busy_accelerator_hours"][0]
    )
    served = run["queries"][0] / (float(np.mean(option.throughput_qps)) * SECONDS_PER_HOUR)
    busy = climb > 1e-12 * max(1.0, float(np.max(np.abs(climb), initial=0.0)))
    if not busy.any():
        return 1.0
    return float(min(1.0, np.min(s * served[busy] / climb[busy])))


def bound_problem(
    problem: PlanProblem,
    stages: Mapping[tuple[str, str], Sequence[StageView]],
    finance: FinanceInputs,
    runs: EngineRuns,
) -> tuple[PlanProblem | None, str]:
    """`problem` with every route's variable rest scaled by its rho (the least over its stages), or None and
    why no bound holds."""
    least: dict[str, float] = {}
    for sts in stages.values():
        for st in sts:
            if st.option.deployment == "api":
                continue
            scaling = fleet_policy(st.option).name
            if scaling not in ALL_DAY:
                return None, (
                    f"the fleet of {st.deployment} scales {scaling!r} (replicas off or rented by the hour are not "
                    "priced per replica in the search)"
                )
            s = least_climb_per_load(st.option)
            least[st.deployment] = min(s, least.get(st.deployment, math.inf))
    routes: list[Route] = []
    for r in problem.routes:
        parts = (r.cost, r.kg, r.kg_pv or 0.0)
        if min(parts) < -NEGATIVE_TOL * max(1.0, *(abs(v) for v in parts)):
            return None, f"route {r.id} of {r.task} has a negative variable rest in the search"
        sts = stages[(r.task, r.id)]
        rho = min((stage_rho(st, least.get(st.deployment, 0.0), finance, runs) for st in sts), default=1.0)
        rho = max(0.0, rho)
        routes.append(
            replace(r, cost=rho * r.cost, kg=rho * r.kg, kg_pv=None if r.kg_pv is None else rho * r.kg_pv)
        )
    return replace(problem, routes=tuple(routes)), ""


def plan_bound(
    problem: PlanProblem,
    stages: Mapping[tuple[str, str], Sequence[StageView]],
    finance: FinanceInputs,
    runs: EngineRuns,
    *,
    time_limit_s: float = SEARCH_TIME_LIMIT_S,
) -> Bound:
    """The lower bound on every routing's engine price of `problem` (module docstring), on its objective."""
    relaxed, why = bound_problem(problem, stages, finance, runs)
    if relaxed is None:
        return Bound(math.nan, why)
    value = lower_bound(relaxed, time_limit_s=time_limit_s)
    if not math.isfinite(value):
        return Bound(math.nan, f"HiGHS proved no bound within {time_limit_s:g} s")
    return Bound(value)
