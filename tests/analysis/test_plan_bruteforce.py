"""Brute force against the planner: small portfolios generated from a seed (2 to 4 tasks, 2 to 4 options among
on-prem, shared cloud fleets and an API, a cascade where its options are in, a task split across two fleets in
half the portfolios, each of the three objectives), every
routing of every candidate route enumerated and priced by the engine (`EnginePricer`), independently of the
planner's own search; the planner's plan must be that optimum (meeting every limit at its fleets' operating
points, no fleet short of its load)."""

from __future__ import annotations

import copy
import itertools
import random
from typing import Any

import pytest

from tco.analysis.plan import OBJECTIVES, Plan
from tco.analysis.portfolio import EnginePricer, _build, plan_portfolio
from tco.analysis.runs import EngineRuns
from tco.api import load_scenario
from tco.scenario.load import LoadedScenario

TASKS = {  # the shipped portfolio's tasks, with looser and tighter limits drawn around them
    "sentiment": {"tokens_in": 200, "tokens_out": 50, "quality_floor": 0.9, "slo": [6, 10, 20]},
    "summarisation": {"tokens_in": 800, "tokens_out": 150, "quality_floor": 0.165, "slo": [12, 20, 40]},
    "arithmetic": {"tokens_in": 150, "tokens_out": 300, "quality_floor": 0.9, "slo": [25, 60, 120]},
    "code": {"tokens_in": 300, "tokens_out": 400, "quality_floor": 0.75, "slo": [20, 30, 60]},
}
OPTIONS = ["llm-70b-h100", "llm-8b-h100-cloud", "slm-1b-l4", "slm-distilbert-t4", "api-70b"]
# 151: the search's plan, polished one task at a time, was 1.42 % above the optimum on the planner before the
# exhaustive step (emissions; seeds 0 to 199 drawn, that one failed)
SEEDS = [*range(16), 151]


@pytest.fixture(scope="module")
def shipped() -> LoadedScenario:
    return load_scenario("portfolio")


def generated(shipped: LoadedScenario, seed: int) -> tuple[LoadedScenario, str]:
    """A small portfolio drawn from `seed`: its scenario and objective."""
    rng = random.Random(seed)
    raw = copy.deepcopy(shipped.raw)
    names = rng.sample(sorted(TASKS), rng.randint(2, 4))
    weights = [rng.randint(1, 9) for _ in names]
    cuts = [round(100 * w / sum(weights)) for w in weights]
    cuts[-1] = 100 - sum(cuts[:-1])
    tasks = []
    for name, pct in zip(names, cuts, strict=True):
        t = TASKS[name]
        task: dict[str, Any] = {
            "task": name,
            "share": f"{pct} %",
            "tokens_in": t["tokens_in"],
            "tokens_out": t["tokens_out"],
            "latency_slo_p95": f"{rng.choice(t['slo'])} s",
        }
        if rng.random() < 0.7:
            task["quality_floor"] = t["quality_floor"]
        tasks.append(task)
    raw["workload"]["tasks"] = tasks
    raw["workload"]["queries_per_day"] = (
        f"{rng.choice([5_000, 20_000, 200_000, 1_000_000, 2_000_000])} query/day"
    )
    options = rng.sample(OPTIONS, rng.randint(2, 4))
    if not any(o.endswith("cloud") or o.endswith("l4") or o.endswith("t4") for o in options):
        options[0] = "llm-8b-h100-cloud"  # a shared cloud fleet in every portfolio
    cascades = []
    if "arithmetic" in names and {"llm-8b-h100-cloud", "llm-70b-h100"} <= set(options):
        cascades = [
            {"id": "arith-8b-then-70b", "task": "arithmetic", "first": "llm-8b-h100-cloud",
             "then": "llm-70b-h100", "escalate": f"{rng.choice([20, 60])} %"}
        ]  # fmt: skip
    objective = OBJECTIVES[seed % len(OBJECTIVES)]
    raw["carbon_price"] = f"{rng.choice([50, 150])} USD/tCO2e"
    raw["plan"] = {
        "objective": objective,
        "candidates": {n: options for n in names},
        "cascades": cascades,
        "compare": [{"id": f"all-{options[0]}", "all": options[0]}],
    }
    hosted = [o for o in options if o != "api-70b"]
    if len(hosted) >= 2 and rng.random() < 0.5:  # a task split across two fleets, in quarters
        raw["plan"]["splits"] = [
            {"id": "split", "task": rng.choice(names), "across": rng.sample(hosted, 2), "step": "25 %"}
        ]
    return shipped.with_changes(raw), objective


def brute_force(loaded: LoadedScenario, objective: str) -> tuple[Plan, int]:
    """The best of every routing of the candidate routes, each priced by the engine; and how many there were.
    A plan meeting every limit with no fleet short of its load beats any that does not."""
    ranked = ranked_plans(loaded, objective)
    return ranked[0][1], len(ranked)


def ranked_plans(loaded: LoadedScenario, objective: str) -> list[tuple[tuple[bool, float], Plan]]:
    """Every routing of the candidate routes priced by the engine, best first (those meeting every limit
    with no fleet short of its load ahead)."""
    runs = EngineRuns()
    problem, full, stages = _build(loaded, objective, runs)
    pricer = EnginePricer(full, stages, loaded.resolved.finance, runs)
    by_task = {t.name: [r.id for r in problem.routes if r.task == t.name] for t in problem.tasks}
    names = [t.name for t in problem.tasks if t.queries > 0]
    out = []
    for combo in itertools.product(*(by_task[t] for t in names)):
        plan, short = pricer.price(dict(zip(names, combo, strict=True)))
        out.append(((short or not plan.meets_limits, plan.objective_value), plan))
    return sorted(out, key=lambda x: x[0])


@pytest.mark.parametrize("seed", SEEDS)
def test_the_planner_reaches_the_exhaustive_optimum_of_a_generated_portfolio(
    shipped: LoadedScenario, seed: int
) -> None:
    loaded, objective = generated(shipped, seed)
    try:
        res = plan_portfolio(loaded)
    except Exception as e:  # a portfolio no routing can serve: brute force must agree there is none
        from tco.analysis.plan import PlanInfeasibleError

        assert isinstance(e, PlanInfeasibleError)
        best, _ = brute_force(loaded, objective)
        assert not best.meets_limits
        return
    ranked = ranked_plans(loaded, objective)
    best, count = ranked[0][1], len(ranked)
    got = res.optimised
    assert count >= 4
    assert got.meets_limits == best.meets_limits
    assert got.objective_value <= best.objective_value * (1 + 1e-9), (
        f"seed {seed} ({objective}): the planner's {got.routes} costs {got.objective_value:,.2f}, "
        f"{got.objective_value / best.objective_value - 1:.2%} above the optimum {best.routes} "
        f"({best.objective_value:,.2f})"
    )
    # the runner-up is the next best routing meeting every limit (its value: ties are either)
    feasible = [p for (bad, _), p in ranked if not bad]
    if len(feasible) >= 2 and got.meets_limits:
        assert res.runner_up is not None
        assert res.runner_up.objective_value == pytest.approx(feasible[1].objective_value, rel=1e-9)
