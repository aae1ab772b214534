"""The lower bound on every routing's engine price (`tco.analysis.plan_bound`): the least energy above idle per
unit of load by hand, the bound below every routing the engine prices on generated portfolios (the brute-force
generator), the plan's gap to it in `tco plan`'s search method above the enumeration limit, and no bound for
a fleet that switches replicas off."""

from __future__ import annotations

import copy
import math

import pytest

from tco.analysis import portfolio as planner
from tco.analysis.plan import eligible_routes
from tco.analysis.plan_bound import Bound, least_climb_per_load, plan_bound
from tco.analysis.portfolio import _build, plan_portfolio
from tco.analysis.runs import EngineRuns
from tco.api import load_scenario
from tco.scenario.load import LoadedScenario
from tests.analysis.test_plan_bruteforce import generated, ranked_plans


@pytest.fixture(scope="module")
def shipped() -> LoadedScenario:
    return load_scenario("portfolio")


def _option(shipped: LoadedScenario, **changes: object) -> object:
    opt = next(o for o in shipped.resolved.options if o.id == "llm-70b-h100")
    # one accelerator, idle 0.1 kW, capacity 1 query/s at 0.7 kW: points at loads 0.25, 0.5 and 1 drawing
    # 0.7 x (2.0 x 0.25, 1.4 x 0.5, 1.0 x 1) = 0.35, 0.49 and 0.7 kW
    base = dict(
        accelerators_per_replica=1,
        idle_power_kw=0.1,
        throughput_qps=1.0,
        energy_per_query_kwh=0.7 / 3600.0,
        sweep_throughput=(0.25, 0.5, 1.0),
        sweep_energy=(2.0, 1.4, 1.0),
        utilisation=0.7,
    )
    return opt.with_values(**{**base, **changes})


def test_least_energy_above_idle_per_unit_of_load_by_hand(shipped: LoadedScenario) -> None:
    # above idle: 0.25, 0.39, 0.6 kW at loads 0.25, 0.5, 1 (0.25 / 0.25 = 1.0, 0.39 / 0.5 = 0.78 kW per load)
    # an auto-sized fleet runs at most at its utilisation 0.7: D(0.7) = 0.39 + 0.21 x 0.2 / 0.5 = 0.474 kW
    assert least_climb_per_load(_option(shipped)) == pytest.approx(0.474 / 0.7, rel=1e-12)  # type: ignore[arg-type]
    # a fixed fleet can be loaded to capacity: 0.6 kW at load 1
    fixed = _option(shipped, fixed_fleet=4.0)
    assert least_climb_per_load(fixed) == pytest.approx(0.6, rel=1e-12)  # type: ignore[arg-type]
    # below the first point: busy a share of the time, so the first point's ratio (1.0 kW per load)
    low = _option(shipped, utilisation=0.2)
    assert least_climb_per_load(low) == pytest.approx(1.0, rel=1e-12)  # type: ignore[arg-type]


def test_gap_is_the_plans_distance_above_the_bound_as_a_share_of_the_plan() -> None:
    assert Bound(90.0).gap(100.0) == pytest.approx(0.10)
    assert Bound(100.0).gap(100.0) == 0.0
    assert math.isnan(Bound(math.nan, "why").gap(100.0))


def _long(shipped: LoadedScenario) -> LoadedScenario:
    """The portfolio over 60 months, 30 % growth a year, on-prem units living 2 years and credited at book
    value at the end: purchases as the fleet grows, replacements and an end-of-horizon credit in the engine."""
    raw = copy.deepcopy(shipped.raw)
    raw["horizon"] = "60 months"
    raw["workload"]["annual_growth"] = "30 %"
    for o in raw["options"]:
        if o.get("deployment") == "on-prem":
            o["lifetime"] = "2 years"
            o["end_value"] = "book"
    return shipped.with_changes(raw)


@pytest.mark.parametrize(
    ("seed", "horizon"), [*((s, "36") for s in [*range(61), 151]), *((s, "60") for s in range(0, 31, 3))]
)
def test_the_bound_is_below_every_routing_the_engine_prices(
    shipped: LoadedScenario, seed: int, horizon: str
) -> None:
    loaded, objective = generated(shipped if horizon == "36" else _long(shipped), seed)
    runs = EngineRuns()
    problem, _, stages = _build(loaded, objective, runs)
    try:
        eligible = {t: {r.id for r in rs} for t, rs in eligible_routes(problem).items()}
    except Exception:  # no route serves some task: nothing to bound
        pytest.skip("no routing serves every task")
    bound = plan_bound(problem, stages, loaded.resolved.finance, runs)
    assert math.isfinite(bound.value), bound.why_not
    priced = [
        p.objective_value
        for _, p in ranked_plans(loaded, objective)
        if all(p.routes[t] in eligible[t] for t in p.routes)
    ]
    assert priced
    least = min(priced)
    assert bound.value <= least * (1 + 1e-9), f"seed {seed}: bound {bound.value:,.2f} above {least:,.2f}"
    assert bound.value >= 0.5 * least  # and not trivially low: within a factor 2 of the optimum here


def test_above_the_enumeration_limit_the_plan_says_how_far_from_the_bound_it_can_be(
    shipped: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    exhaustive = plan_portfolio(shipped)
    assert exhaustive.bound_gap == 0.0 and math.isnan(exhaustive.bound)
    monkeypatch.setattr(planner, "ENUMERATE_LIMIT", 0)
    res = plan_portfolio(shipped)
    value = res.optimised.objective_value
    assert 0 < res.bound <= value
    assert res.bound_gap == pytest.approx((value - res.bound) / value, rel=1e-12)
    clause = f"within {res.bound_gap:.2%} of a lower bound on every routing's engine price"
    assert clause in res.proof
    assert any(clause in n for n in res.notes)
    search = res.as_dict()["search"]
    assert search["lower_bound"] == res.bound and search["gap_to_bound"] == res.bound_gap
    # the exhaustive optimum is at or above the bound as well
    assert res.bound <= exhaustive.optimised.objective_value * (1 + 1e-9)


def test_a_fleet_that_switches_replicas_off_gets_no_bound_and_the_plan_says_why(
    shipped: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = copy.deepcopy(shipped.raw)
    for o in raw["options"]:
        if o["id"] == "llm-70b-h100":
            o["scaling"] = "packed-off"
    loaded = shipped.with_changes(raw)
    monkeypatch.setattr(planner, "ENUMERATE_LIMIT", 0)
    res = plan_portfolio(loaded)
    assert math.isnan(res.bound) and math.isnan(res.bound_gap)
    assert "no bound on its gap (the fleet of llm-70b-h100 scales 'packed-off'" in res.proof
    assert res.as_dict()["search"]["lower_bound"] is None
