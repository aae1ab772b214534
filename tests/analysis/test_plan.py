"""The portfolio planner (tco.analysis.plan): hand-computed plans, brute force, infeasible and degenerate cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco.analysis.plan import (
    Deployment,
    PlanInfeasibleError,
    PlanProblem,
    Route,
    Stage,
    TaskDemand,
    brute_force,
    eligible_routes,
    evaluate_routing,
    interchangeable,
    solve,
)


def two_task_problem(large_load_b: tuple[float, float], objective: str = "cost") -> PlanProblem:
    """Task a (floor 0.8) and task b (floor 0.9, SLO 10 s) on a small and a large fleet, an API, a cascade."""
    arr = np.array
    tasks = (
        TaskDemand("a", queries=1000.0, quality_floor=0.8),
        TaskDemand("b", queries=500.0, quality_floor=0.9, latency_slo_s=10.0),
    )
    deployments = (
        Deployment("small", replica_cost=100.0, replica_kg=10.0, min_replicas=1),
        Deployment("large", replica_cost=400.0, replica_kg=50.0, min_replicas=1),
        Deployment("api", hosted=False),
    )
    routes = (
        Route("small", "a", (Stage("small", 1.0, arr([0.6, 0.3])),), cost=10.0, kg=1.0, quality=0.85),
        Route("large", "a", (Stage("large", 1.0, arr([0.2, 0.1])),), cost=30.0, kg=3.0, quality=0.95),
        Route("small", "b", (Stage("small", 1.0, arr([0.3, 0.35])),), cost=5.0, kg=0.5, quality=0.8),
        Route("large", "b", (Stage("large", 1.0, arr(large_load_b)),), cost=15.0, kg=1.5, quality=0.93),
        Route(
            "small>large",
            "b",
            (Stage("small", 1.0, arr([0.3, 0.35])), Stage("large", 0.3, arr([0.15, 0.27]))),
            cost=9.5,
            kg=0.95,
            quality=0.91,
            latency_p95_s=9.0,
        ),
        Route(
            "api",
            "b",
            (Stage("api", 1.0, arr([0.0, 0.0])),),
            cost=80.0,
            kg=2.0,
            quality=0.95,
            latency_p95_s=12,
        ),
    )
    # routes without a latency on task b cannot meet its SLO: give b's single-model routes one
    routes = tuple(
        r
        if r.task != "b" or not math.isnan(r.latency_p95_s)
        else Route(**{**r.__dict__, "latency_p95_s": 5.0})
        for r in routes
    )
    return PlanProblem(tasks, deployments, routes, objective=objective)


def test_two_tasks_share_one_large_fleet_when_it_fits_exactly() -> None:
    # a+b on the large fleet: load 0.2+0.5 = 0.7 and 0.1+0.9 = 1.0 -> one replica: 30 + 15 + 400 = 445
    plan = solve(two_task_problem((0.5, 0.9)))
    assert plan.routes == {"a": "large", "b": "large"}
    assert plan.replicas == {"large": 1}
    assert plan.cost == pytest.approx(445.0)
    # one fleet, shared in proportion to replica-hours: a 0.3 of 1.7, b 1.4 of 1.7
    assert plan.task("a").cost == pytest.approx(30.0 + 400.0 * 0.3 / 1.7)
    assert plan.task("b").cost == pytest.approx(15.0 + 400.0 * 1.4 / 1.7)


def test_cascade_shares_the_small_fleet_when_the_large_one_would_need_two_replicas() -> None:
    # b alone on large needs 2 replicas (1.2 in hour 2); the cascade puts 0.3/0.35 on small (shared with a:
    # 0.9/0.65 -> 1 replica) and 0.15/0.27 on large (1 replica, its minimum): 10 + 9.5 + 100 + 400 = 519.5
    plan = solve(two_task_problem((0.5, 1.2)))
    assert plan.routes == {"a": "small", "b": "small>large"}
    assert plan.replicas == {"small": 1, "large": 1}
    assert plan.cost == pytest.approx(519.5)
    assert plan.task("a").cost == pytest.approx(10.0 + 100.0 * 0.9 / 1.55)
    assert plan.task("b").cost == pytest.approx(9.5 + 100.0 * 0.65 / 1.55 + 400.0)
    assert plan.kg == pytest.approx(1.0 + 0.95 + 10.0 + 50.0)
    b = plan.task("b")
    assert b.cost_per_query == pytest.approx(b.cost / 500.0)
    assert b.cost_per_correct == pytest.approx(b.cost / 500.0 / 0.91)
    assert b.g_per_correct == pytest.approx(b.kg * 1000.0 / 500.0 / 0.91)


def test_emissions_objective_weighs_kg_not_money() -> None:
    problem = two_task_problem((0.5, 1.2), objective="emissions")
    plan = solve(problem)
    assert plan.objective_value == pytest.approx(brute_force(problem).objective_value)
    # cascade: 1 + 0.95 + 10 + 50 = 61.95 kg; all-large: 3 + 1.5 + 2 x 50 = 104.5; small + large: 1+1.5+10+100
    assert plan.objective_value == pytest.approx(61.95)


def test_carbon_price_adds_to_cost() -> None:
    base = two_task_problem((0.5, 0.9))
    priced = PlanProblem(
        base.tasks, base.deployments, base.routes, "cost-with-carbon", carbon_price_per_kg=2.0
    )
    plan = solve(priced)
    # the plan's cost includes the carbon price under this objective: it is the value minimised
    assert (
        plan.objective_value
        == pytest.approx(plan.cost)
        == pytest.approx(plan.cost_without_carbon + 2.0 * plan.kg)
    )
    assert plan.carbon_cost == pytest.approx(2.0 * plan.kg)
    assert plan.objective_value == pytest.approx(brute_force(priced).objective_value)


def test_baseline_routing_is_evaluated_without_enforcing_limits() -> None:
    problem = two_task_problem((0.5, 0.9))
    base = evaluate_routing(problem, {"a": "large", "b": "api"}, name="all-api-for-b")
    assert base.task("b").meets_slo is False  # 12 s > 10 s
    assert base.meets_limits is False
    assert base.cost == pytest.approx(30.0 + 400.0 + 80.0)


def test_every_candidate_below_a_floor_says_which_task_and_the_best_value() -> None:
    p = two_task_problem((0.5, 0.9))
    tasks = (p.tasks[0], TaskDemand("b", 500.0, quality_floor=0.99, latency_slo_s=10.0))
    routes = tuple(Route(**{**r.__dict__, "metric": "accuracy"}) if r.task == "b" else r for r in p.routes)
    with pytest.raises(PlanInfeasibleError) as e:
        solve(PlanProblem(tasks, p.deployments, routes))
    assert str(e.value) == (
        "no plan meets every task's limits: task 'b' cannot meet its quality floor 0.99: the best candidate, "
        "api, reaches 0.95 (accuracy)"
    )


def test_slo_missed_by_every_route_meeting_the_floor_is_named() -> None:
    p = two_task_problem((0.5, 0.9))
    tasks = (p.tasks[0], TaskDemand("b", 500.0, quality_floor=0.9, latency_slo_s=1.0))
    with pytest.raises(PlanInfeasibleError, match=r"task 'b' cannot meet its latency SLO 1 s .* p95 5 s"):
        solve(PlanProblem(tasks, p.deployments, p.routes))


def test_unknown_quality_cannot_meet_a_floor() -> None:
    tasks = (TaskDemand("t", 10.0, quality_floor=0.5),)
    routes = (Route("x", "t", (Stage("d", 1.0, np.array([0.1])),), cost=1.0, kg=1.0),)
    with pytest.raises(PlanInfeasibleError, match="no candidate has a quality score for it"):
        solve(PlanProblem(tasks, (Deployment("d"),), routes))


def test_task_with_zero_queries_is_not_routed_and_costs_nothing() -> None:
    p = two_task_problem((0.5, 0.9))
    tasks = (*p.tasks, TaskDemand("idle", 0.0, quality_floor=0.99))  # no candidate would meet its floor
    deps = (*p.deployments, Deployment("special", replica_cost=1e6, min_replicas=1, setup_cost=1e6))
    routes = (*p.routes, Route("special", "idle", (Stage("special", 1.0, np.array([0.0, 0.0])),), 0.0, 0.0))
    plan = solve(PlanProblem(tasks, deps, routes))
    assert plan.unserved == ("idle",)
    assert "special" not in plan.used
    assert plan.cost == pytest.approx(445.0)


def test_setup_cost_is_paid_once_per_deployment_in_use() -> None:
    p = two_task_problem((0.5, 0.9))
    deps = tuple(
        Deployment("large", replica_cost=400.0, replica_kg=50.0, min_replicas=1, setup_cost=1000.0)
        if d.id == "large"
        else d
        for d in p.deployments
    )
    plan = solve(PlanProblem(p.tasks, deps, p.routes))
    # large now costs 1400 when used: a small + b cascade uses it too (min replica); a small + b api: 10 + 100
    # + 80 = 190 but b's API misses the SLO; so cheapest is still a route through large, set-up paid once
    assert plan.objective_value == pytest.approx(
        brute_force(PlanProblem(p.tasks, deps, p.routes)).objective_value
    )
    assert plan.cost == pytest.approx(1445.0)


def test_fixed_fleet_too_small_for_any_routing_is_infeasible() -> None:
    tasks = (TaskDemand("t", 10.0),)
    deps = (Deployment("d", replica_cost=1.0, fixed_replicas=1),)
    routes = (Route("x", "t", (Stage("d", 1.0, np.array([1.5])),), cost=1.0, kg=1.0),)
    with pytest.raises(PlanInfeasibleError, match=r"no plan fits the fleets \(fixed fleets: d\)"):
        solve(PlanProblem(tasks, deps, routes))


@st.composite
def problems(draw: st.DrawFn) -> PlanProblem:
    slots = draw(st.integers(1, 3))
    periods = draw(st.integers(1, 3))
    growth = tuple(draw(st.lists(st.floats(0.5, 2.0), min_size=periods, max_size=periods)))
    n_dep = draw(st.integers(1, 3))
    deps = []
    costs = st.lists(st.floats(0, 1000), min_size=periods, max_size=periods).map(tuple)
    kgs = st.lists(st.floats(0, 100), min_size=periods, max_size=periods).map(tuple)
    for j in range(n_dep):
        hosted = draw(st.booleans()) or j == 0
        fleet = draw(st.sampled_from(["hold", "rent", "buy"])) if hosted else "hold"
        fixed = draw(st.one_of(st.none(), st.integers(1, 3))) if hosted and fleet == "hold" else None
        deps.append(
            Deployment(
                f"d{j}",
                hosted=hosted,
                replica_cost=draw(st.floats(0, 1000)) if hosted else 0.0,
                replica_kg=draw(st.floats(0, 100)) if hosted else 0.0,
                setup_cost=draw(st.sampled_from([0.0, 0.0, 50.0, 500.0])),
                min_replicas=draw(st.integers(0, 2)) if hosted else 0,
                fixed_replicas=fixed,
                fleet=fleet,
                period_cost=draw(costs) if fleet != "hold" else (),
                period_kg=draw(kgs) if fleet != "hold" else (),
            )
        )
    loads = st.lists(st.floats(0, 2.5), min_size=slots, max_size=slots).map(np.array)
    tasks = []
    routes = []
    for i in range(draw(st.integers(1, 3))):
        name = f"t{i}"
        queries = draw(st.sampled_from([0.0, 100.0, 1000.0]))
        tasks.append(TaskDemand(name, queries, quality_floor=draw(st.sampled_from([math.nan, 0.5, 0.8]))))
        for k in range(draw(st.integers(1, 3))):
            first = draw(st.sampled_from(deps)).id
            stages = [Stage(first, 1.0, draw(loads))]
            if draw(st.booleans()):
                stages.append(Stage(draw(st.sampled_from(deps)).id, 0.3, draw(loads)))
            routes.append(
                Route(
                    f"r{k}",
                    name,
                    tuple(stages),
                    cost=draw(st.floats(0, 500)),
                    kg=draw(st.floats(0, 50)),
                    quality=draw(st.sampled_from([math.nan, 0.6, 0.9])),
                )
            )
    objective = draw(st.sampled_from(["cost", "emissions", "cost-with-carbon"]))
    return PlanProblem(
        tuple(tasks), tuple(deps), tuple(routes), objective, carbon_price_per_kg=0.5, growth=growth
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_solver_matches_brute_force_on_small_problems(problem: PlanProblem) -> None:
    try:
        expected = brute_force(problem)
    except PlanInfeasibleError:
        with pytest.raises(PlanInfeasibleError):
            solve(problem)
        return
    plan = solve(problem)
    assert plan.objective_value == pytest.approx(expected.objective_value, rel=1e-6, abs=1e-6)
    # the totals add up: every task's share of the fleets is accounted for once
    if problem.objective == "cost":
        assert plan.cost == pytest.approx(plan.objective_value, rel=1e-9, abs=1e-9)
    assert sum(t.cost for t in plan.tasks) == pytest.approx(plan.cost)


def test_rented_fleet_follows_growth_and_bought_fleet_is_kept() -> None:
    # one task, busiest hour 1.5 replicas at growth 1; periods at growth 1, 2, 1 (demand falls back)
    tasks = (TaskDemand("t", 100.0),)
    load = np.array([1.5])
    routes = (
        Route("rent", "t", (Stage("cloud", 1.0, load),), cost=0.0, kg=0.0),
        Route("buy", "t", (Stage("owned", 1.0, load),), cost=0.0, kg=0.0),
    )
    rent = Deployment("cloud", fleet="rent", period_cost=(10.0, 10.0, 10.0), period_kg=(1.0, 1.0, 1.0))
    # buying in period 1 costs 30 per replica, in period 0 only 25 (cheaper to buy early than when needed)
    buy = Deployment("owned", fleet="buy", period_cost=(25.0, 30.0, 5.0), period_kg=(2.0, 2.0, 2.0))
    growth = (1.0, 2.0, 1.0)
    rented = evaluate_routing(PlanProblem(tasks, (rent, buy), routes, growth=growth), {"t": "rent"})
    assert rented.in_service == {"cloud": (2, 3, 2)}  # ceil(1.5), ceil(3.0), ceil(1.5)
    assert rented.cost == pytest.approx(10.0 * 7)
    bought = evaluate_routing(PlanProblem(tasks, (rent, buy), routes, growth=growth), {"t": "buy"})
    assert bought.in_service == {"owned": (3, 3, 3)}  # the third replica bought early, all kept
    assert bought.cost == pytest.approx(25.0 * 3)
    assert bought.replicas == {"owned": 3}
    best = solve(PlanProblem(tasks, (rent, buy), routes, growth=growth))
    assert best.routes == {"t": "rent"} and best.cost == pytest.approx(70.0)


def _with_twins(problem: PlanProblem) -> PlanProblem:
    """The problem with a copy of every deployment (id + "-twin") and of every single-stage route onto it."""
    from dataclasses import replace as copy_of

    deps = problem.deployments + tuple(copy_of(d, id=f"{d.id}-twin") for d in problem.deployments)
    twins = tuple(
        copy_of(
            r, id=f"{r.id}-twin", stages=(copy_of(r.stages[0], deployment=f"{r.stages[0].deployment}-twin"),)
        )
        for r in problem.routes
        if len(r.stages) == 1
    )
    return copy_of(problem, deployments=deps, routes=problem.routes + twins)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_interchangeable_deployments_searched_once_keep_the_optimum(problem: PlanProblem) -> None:
    # the search keeps one of each set of identical deployments (tco.analysis.plan.interchangeable): with a
    # twin of every deployment its optimum is still the brute force's
    twinned = _with_twins(problem)
    try:
        expected = brute_force(twinned)
    except PlanInfeasibleError:
        return
    assert solve(twinned).objective_value == pytest.approx(expected.objective_value, rel=1e-6, abs=1e-6)


def test_identical_rented_fleets_are_searched_as_one_and_a_different_price_is_not() -> None:
    load = np.array([0.6])
    deps = (
        Deployment("a", fleet="rent", period_cost=(100.0, 100.0), period_kg=(1.0, 1.0)),
        Deployment("b", fleet="rent", period_cost=(100.0, 100.0), period_kg=(1.0, 1.0)),
        Deployment("c", fleet="rent", period_cost=(100.0, 90.0), period_kg=(1.0, 1.0)),
    )
    tasks = (TaskDemand("t", 100.0), TaskDemand("u", 100.0))
    routes = tuple(
        Route(d.id, t.name, (Stage(d.id, 1.0, load),), cost=5.0, kg=1.0) for t in tasks for d in deps
    )
    problem = PlanProblem(tasks, deps, routes, growth=(1.0, 1.0))
    assert interchangeable(problem, eligible_routes(problem)) == {"b": "a"}
    plan = solve(problem)
    # both tasks on one shared fleet: 2 x 0.6 = 1.2 replicas -> 2 replicas; c is 10 cheaper a replica-month
    assert plan.routes == {"t": "c", "u": "c"}
    assert plan.objective_value == pytest.approx(brute_force(problem).objective_value)


def test_a_route_with_a_load_below_the_solvers_tolerance_is_not_free() -> None:
    """Found by Hypothesis: a route putting 6e-8 replicas of load on a rented deployment needs a whole replica
    when priced (1.0), but HiGHS satisfies rows only to about 1e-6, so the program took it as free and chose it
    over a route with no load (0.0). Each positive load counts at least LOAD_FLOOR in the program."""
    nan = math.nan
    d0 = Deployment("d0", fleet="rent", period_cost=(1.0,), period_kg=(0.0,))

    def route(rid: str, task: str, load: float) -> Route:
        return Route(rid, task, (Stage("d0", 1.0, np.array([load])),), cost=0.0, kg=0.0, quality=nan)

    tasks = tuple(TaskDemand(t, q) for t, q in (("t0", 0.0), ("t1", 0.0), ("t2", 100.0)))
    routes = (
        route("r0", "t0", 0.0),
        route("r0", "t1", 0.0),
        route("r0", "t2", 1.0),
        route("r1", "t2", 5.96046448e-08),
        route("r2", "t2", 0.0),
    )
    problem = PlanProblem(tasks, (d0,), routes, carbon_price_per_kg=0.5)
    best = solve(problem)
    assert best.routes == {"t2": "r2"} and best.objective_value == pytest.approx(0.0, abs=1e-12)
    assert brute_force(problem).objective_value == pytest.approx(0.0, abs=1e-12)
