"""The plan over time (tco.analysis.plan_timeline): its sums are the plans' own totals, by hand and by property."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco.analysis.plan_timeline import EMISSION_PARTS, check_totals, plan_timeline
from tco.analysis.portfolio import plan_portfolio
from tco.analysis.view import compute_view
from tco.api import load_scenario
from tco.scenario.load import LoadedScenario, scenario_from_dict

from .conftest import HOURS_PER_MONTH, base_raw


def _two_tasks(discount: str = "0 %", **extra: Any) -> dict[str, Any]:
    """qa (floor 0.8: only toy-fast reaches it) and qb (no floor), half the traffic each; two rented fixed
    fleets: fast (2 accelerators at 2 USD/h) and slow (1 at 1 USD/h); 24 months; baseline all on slow."""
    raw = base_raw(**extra)
    raw["horizon"] = "24 months"
    raw["discount_rate"] = discount
    raw["workload"] = {
        "queries_per_day": "10000 query/day",
        "peak_to_average": 1,
        "tasks": [
            {"task": "qa", "share": "50 %", "quality_floor": 0.8},
            {"task": "qb", "share": "50 %"},
        ],
    }
    raw["options"] = [
        {
            "id": "fast",
            "deployment": "cloud",
            "profile": "toy-fast",
            "cloud_price": "2 USD/h",
            "fleet": {"accelerators": 2},
        },
        {
            "id": "slow",
            "deployment": "cloud",
            "profile": "toy-slow",
            "cloud_price": "1 USD/h",
            "fleet": {"accelerators": 1},
        },
    ]
    raw["plan"] = {"compare": [{"id": "all-slow", "all": "slow"}]}
    return raw


def _load(raw: dict[str, Any], folder: Path) -> LoadedScenario:
    return scenario_from_dict(raw, base_dir=folder)


def test_two_task_plan_over_time_by_hand(scenario_dir: Path) -> None:
    loaded = _load(_two_tasks(), scenario_dir)
    plans = plan_portfolio(loaded)
    # both tasks share the fast fleet (a second fleet costs more); the baseline rents the slow one
    assert plans.optimised.routes == {"qa": "fast", "qb": "fast"}
    assert plans.baseline is not None and plans.baseline.name == "all-slow"
    tl = plan_timeline(loaded, plans)
    m = tl.monthly.set_index(["plan", "month"])
    fast_month = 2 * HOURS_PER_MONTH * 2.0  # 2 accelerators x 730.5 h x 2 USD/h = 2,922 USD
    slow_month = 1 * HOURS_PER_MONTH * 1.0
    assert m.loc[("optimised", 0), "cost"] == pytest.approx(fast_month)
    assert m.loc[("optimised", 23), "cumulative_cost"] == pytest.approx(24 * fast_month)
    assert m.loc[("all-slow", 23), "cumulative_cost"] == pytest.approx(24 * slow_month)
    y = tl.yearly_cost.set_index(["plan", "year", "component"])["cost"]
    assert y[("optimised", 1, "cloud")] == pytest.approx(12 * fast_month)
    assert y[("all-slow", 2, "cloud")] == pytest.approx(12 * slow_month)
    assert set(tl.yearly_cost["component"]) == {"cloud"}  # costs only, the components that move
    assert tl.basis == "net present cost without the carbon price"
    assert tl.totals["optimised"][0] == pytest.approx(24 * fast_month)
    assert not check_totals(tl)


def test_discounted_timeline_is_the_plans_npv(scenario_dir: Path) -> None:
    loaded = _load(_two_tasks("10 %"), scenario_dir)
    plans = plan_portfolio(loaded)
    tl = plan_timeline(loaded, plans)
    m = tl.monthly[tl.monthly["plan"] == "optimised"]
    factors = 1.1 ** (-np.arange(24) / 12.0)  # discounted at the start of each month
    assert m["cost"].to_numpy() == pytest.approx(2 * HOURS_PER_MONTH * 2.0 * factors)
    assert m["cost_undiscounted"].to_numpy() == pytest.approx(np.full(24, 2 * HOURS_PER_MONTH * 2.0))
    assert m["cost"].sum() == pytest.approx(plans.optimised.cost, rel=1e-12)


@pytest.mark.parametrize("objective", ["cost", "cost-with-carbon", "emissions"])
def test_shipped_portfolio_timeline_sums_are_the_plans_headline(objective: str) -> None:
    loaded = load_scenario("portfolio")
    raw = copy.deepcopy(loaded.raw)
    raw["carbon_price"] = "100 USD/tCO2e"
    loaded = loaded.with_changes(raw)
    view = compute_view(loaded, objective=objective)
    assert view.plans is not None and view.timeline is not None
    tl = view.timeline
    for p in (view.plans.optimised, view.plans.baseline):
        assert p is not None
        m = tl.monthly[tl.monthly["plan"] == p.name]
        assert m["cost"].sum() == pytest.approx(p.cost, rel=1e-9)
        assert m["emissions_kg"].sum() == pytest.approx(p.kg, rel=1e-9)
        yc = tl.yearly_cost[tl.yearly_cost["plan"] == p.name]
        assert yc["cost"].sum() == pytest.approx(p.cost, rel=1e-9)
        carbon = yc[yc["component"] == "carbon"]["cost"].sum()
        # the carbon price is in the plan's cost only where the objective prices it
        expected = p.carbon_cost if objective == "cost-with-carbon" else 0.0
        assert carbon == pytest.approx(expected, rel=1e-9)
        ye = tl.yearly_emissions[tl.yearly_emissions["plan"] == p.name]
        parts = ye[[f"{x}_kg" for x in EMISSION_PARTS]].sum(axis=1)
        assert parts.to_numpy() == pytest.approx(ye["emissions_kg"].to_numpy(), rel=1e-12)
    assert tl.basis == view.plans.optimised.cost_basis


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rate=st.integers(min_value=0, max_value=20),
    months=st.integers(min_value=3, max_value=40),
    fast_price=st.floats(min_value=0.5, max_value=5.0),
    growth=st.integers(min_value=0, max_value=50),
)
def test_timeline_sums_are_the_totals_and_the_saving_adds_up(
    scenario_dir: Path, rate: int, months: int, fast_price: float, growth: int
) -> None:
    raw = _two_tasks(f"{rate} %")
    raw["horizon"] = f"{months} months"
    raw["workload"]["annual_growth"] = f"{growth} %"
    raw["options"][0]["cloud_price"] = f"{fast_price} USD/h"
    raw["options"][0]["fleet"] = "auto"
    loaded = _load(raw, scenario_dir)
    plans = plan_portfolio(loaded)
    tl = plan_timeline(loaded, plans)
    assert not check_totals(tl)
    years = -(-months // 12)
    assert sorted(set(tl.yearly_cost["year"])) == list(range(1, years + 1))
    totals = tl.yearly_totals().set_index(["plan", "year"])
    for name, (cost, kg) in tl.totals.items():
        assert totals.loc[name, "cost"].sum() == pytest.approx(cost, rel=1e-9, abs=1e-6)
        assert totals.loc[name, "emissions_kg"].sum() == pytest.approx(kg, rel=1e-9, abs=1e-9)
    # the saving year by year adds up to the saving of the headlines
    assert plans.baseline is not None
    saving = (totals.loc[plans.baseline.name, "cost"] - totals.loc["optimised", "cost"]).sum()
    assert saving == pytest.approx(plans.baseline.cost - plans.optimised.cost, rel=1e-9, abs=1e-6)
    m = tl.monthly
    for name in tl.totals:
        mine = m[m["plan"] == name]
        assert np.all(np.diff(mine["cumulative_cost"]) == pytest.approx(mine["cost"].to_numpy()[1:]))


def test_a_route_without_engine_inputs_is_one_clear_error(scenario_dir: Path) -> None:
    from dataclasses import replace

    from tco.errors import TcoError

    loaded = _load(_two_tasks(), scenario_dir)
    plans = plan_portfolio(loaded)
    odd = replace(plans, optimised=replace(plans.optimised, routes={"qa": "nowhere", "qb": "fast"}))
    with pytest.raises(TcoError, match="plan 'optimised': no engine inputs for task 'qa' on route 'nowhere'"):
        plan_timeline(loaded, odd)
