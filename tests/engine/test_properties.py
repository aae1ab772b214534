"""Invariants of the engine, checked with hypothesis over random inputs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco.api import Results, evaluate, scenario_from_dict
from tco.engine.core import COST_COMPONENTS, simulate
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.scenario.repository import Repository
from tco.scenario.yamlio import read_yaml

HAND = Path(__file__).parents[1] / "data" / "profiles" / "scenarios" / "hand.yaml"

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
fraction = st.floats(min_value=0.0, max_value=0.95)


@st.composite
def options(draw: st.DrawFn) -> OptionInputs:
    dep = draw(st.sampled_from(["on-prem", "cloud", "api"]))
    fixed = draw(st.one_of(st.just(float("nan")), st.integers(1, 64).map(float)))
    return OptionInputs(
        id="o",
        name="o",
        deployment=dep,
        energy_per_query_kwh=draw(st.floats(1e-7, 1e-2)),
        throughput_qps=draw(st.floats(0.1, 500.0)),
        accelerators_per_replica=draw(st.integers(1, 8)),
        fixed_fleet=fixed if dep != "api" else float("nan"),
        utilisation=draw(st.floats(0.05, 1.0)),
        idle_power_kw=draw(st.floats(0.0, 0.2)),
        max_power_kw=draw(st.floats(0.2, 1.0)),
        host_power_kw=draw(st.floats(0.0, 0.3)),
        pue=draw(st.floats(1.0, 2.5)),
        grid_intensity_kg_per_kwh=draw(st.floats(0.0, 1.0)),
        grid_decarbonisation=draw(fraction),
        renewable_share=draw(st.floats(0.0, 1.0)),
        electricity_price=draw(st.floats(0.0, 1.0)),
        electricity_escalation=draw(st.floats(-0.1, 0.3)),
        unit_price=draw(st.floats(0.0, 50_000.0)),
        lifetime_months=float(draw(st.integers(1, 96))),
        residual_value=draw(st.floats(0.0, 0.5)),
        maintenance=draw(st.floats(0.0, 0.2)),
        colocation_per_kw_month=draw(st.floats(0.0, 300.0)),
        other_opex_per_month=draw(st.floats(0.0, 1000.0)),
        cloud_price_per_hour=draw(st.floats(0.0, 15.0)),
        api_cost_per_query=draw(st.floats(0.0, 0.01)),
        api_embodied_kg_per_query=draw(st.floats(0.0, 1e-4)),
        embodied_kg_per_accelerator=draw(st.floats(0.0, 2000.0)),
        carbon_price_per_kg=draw(st.floats(0.0, 0.5)),
    )


workloads = st.builds(
    WorkloadInputs,
    queries_per_day=st.floats(0.0, 1e8),
    annual_growth=st.floats(-0.5, 2.0),
    peak_to_average=st.floats(1.0, 5.0),
)
finances = st.builds(FinanceInputs, months=st.integers(1, 72), discount_rate=st.floats(0.0, 0.3))

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(options(), workloads, finances)
def test_costs_and_emissions_are_never_negative(o: OptionInputs, w: WorkloadInputs, f: FinanceInputs) -> None:
    s = simulate(o, w, f)
    for k in COST_COMPONENTS:
        if k not in ("residual", "end_value"):  # residual and end-of-horizon value are money coming back
            assert (s[f"{k}_cost"] >= 0).all(), k
    assert (s["residual_cost"] <= 0).all()
    assert (s["end_value_cost"] <= 0).all()
    assert s["total_cost"].sum() >= -1e-6 * max(1.0, s["capex_cost"].sum())  # never resold above cost
    for k in ("emissions_kg", "energy_facility_kwh", "energy_it_kwh", "emissions_embodied_kg"):
        assert (s[k] >= 0).all(), k


@FAST
@given(options(), workloads, finances, st.floats(1.01, 10.0))
def test_more_queries_never_cost_or_emit_less(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs, k: float
) -> None:
    a = simulate(o, w, f)
    b = simulate(o, WorkloadInputs(w.queries_per_day * k, w.annual_growth, w.peak_to_average), f)
    assert b["total_cost"].sum() >= a["total_cost"].sum() - 1e-6 * abs(a["total_cost"].sum()) - 1e-9
    assert b["emissions_kg"].sum() >= a["emissions_kg"].sum() * (1 - 1e-9) - 1e-9


@FAST
@given(options(), workloads, finances, st.floats(1.01, 10.0))
def test_higher_prices_and_intensity_never_lower_totals(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs, k: float
) -> None:
    base = simulate(o, w, f)
    pricier = simulate(
        o.with_values(
            electricity_price=o.electricity_price * k,
            cloud_price_per_hour=o.cloud_price_per_hour * k,
            api_cost_per_query=o.api_cost_per_query * k,
        ),
        w,
        f,
    )
    dirtier = simulate(o.with_values(grid_intensity_kg_per_kwh=o.grid_intensity_kg_per_kwh * k), w, f)
    tol = 1e-9 * max(1.0, abs(base["total_cost"].sum()))
    assert pricier["total_cost"].sum() >= base["total_cost"].sum() - tol
    assert dirtier["emissions_kg"].sum() >= base["emissions_kg"].sum() * (1 - 1e-12)
    assert dirtier["total_cost"].sum() >= base["total_cost"].sum() - tol  # carbon price can only add


@FAST
@given(options(), workloads, finances)
def test_cash_capex_minus_residual_equals_depreciation_for_whole_lives(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs
) -> None:
    s = simulate(o.with_values(deployment="on-prem", end_value="book"), w, f)
    cash = s["capex_cost"].sum() + s["residual_cost"].sum() + s["end_value_cost"].sum()
    assert cash == pytest.approx(s["depreciation_cost"].sum(), rel=1e-9, abs=1e-6)


@FAST
@given(options(), workloads, finances)
def test_samples_give_the_same_result_as_single_runs(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs
) -> None:
    prices = np.array([0.5, 1.0, 2.0]) * (o.electricity_price + 0.01)
    many = simulate(o.with_values(electricity_price=prices), w, f)
    for i, p in enumerate(prices):
        one = simulate(o.with_values(electricity_price=float(p)), w, f)
        assert many["total_cost"][i] == pytest.approx(one["total_cost"][0], rel=1e-12, abs=1e-9)


def _hand_raw() -> dict[str, Any]:
    raw = read_yaml(HAND)
    assert isinstance(raw, dict)
    return raw


def _totals(raw: dict[str, Any], repo: Repository) -> Results:
    return evaluate(scenario_from_dict(raw, repo=repo))


def test_the_same_scenario_in_other_units_gives_the_same_result(test_repo: Repository) -> None:
    raw = _hand_raw()
    other = copy.deepcopy(raw)
    other["horizon"] = "1.5 years"
    other["workload"]["queries_per_day"] = "7000 query/week"
    other["options"][1]["lifetime"] = "1 year"
    other["options"][1]["colocation"] = "0.1 USD/W/month"
    other["options"][1]["maintenance"] = "12 %"
    other["options"][0]["fleet"] = {"accelerators": 1}
    other["carbon_price"] = "0.05 USD/kgCO2e"
    raw["carbon_price"] = "50 USD/tCO2e"
    a = _totals(raw, test_repo).summary
    b = _totals(other, test_repo).summary
    for col in ("tco_cost", "npv_cost", "emissions_kg", "energy_kwh", "queries"):
        assert b[col].to_numpy() == pytest.approx(a[col].to_numpy(), rel=1e-12), col


def test_energy_written_in_wh_or_kwh_is_the_same(test_repo: Repository) -> None:
    raw = _hand_raw()
    a = _totals(raw, test_repo).summary
    raw2 = copy.deepcopy(raw)
    raw2["options"][1]["electricity_price"] = "0.0001 USD/Wh"
    raw2["options"][1]["grid_intensity"] = "0.4 kgCO2e/kWh"
    b = _totals(raw2, test_repo).summary
    assert b.loc["onprem", "tco_cost"] == pytest.approx(a.loc["onprem", "tco_cost"], rel=1e-12)
    assert b.loc["onprem", "emissions_kg"] == pytest.approx(a.loc["onprem", "emissions_kg"], rel=1e-12)


def test_prices_in_another_currency_convert_with_the_stated_rate(test_repo: Repository) -> None:
    raw = _hand_raw()
    raw["options"][1]["region"] = "eurotest"  # 0.20 EUR/kWh at 1.1 USD/EUR = 0.22 USD/kWh
    raw["options"][1]["grid_intensity"] = "400 gCO2e/kWh"
    usd = copy.deepcopy(raw)
    usd["options"][1]["electricity_price"] = "0.22 USD/kWh"
    a = _totals(raw, test_repo).summary.loc["onprem", "tco_cost"]
    b = _totals(usd, test_repo).summary.loc["onprem", "tco_cost"]
    assert a == pytest.approx(b, rel=1e-12)


@FAST
@given(
    st.lists(st.integers(0, 50).map(float), min_size=1, max_size=60),
    st.lists(st.integers(1, 30), min_size=3, max_size=3),
)
def test_fleet_plan_is_the_same_one_sample_at_a_time(needed: list[float], lives: list[int]) -> None:
    from tco.engine.operations import _fleet

    many = _fleet(np.tile(np.array(needed), (3, 1)), np.array(lives, dtype=float))
    for i, life in enumerate(lives):
        one = _fleet(np.array([needed]), np.array([float(life)]))
        for a, b in zip(many, one, strict=True):
            assert a[i] == pytest.approx(b[0])
    owned = many[0]
    assert (owned >= np.array(needed)[None, :] - 1e-9).all()  # never short of what is needed


curves = st.lists(st.tuples(st.integers(0, 120).map(float), st.floats(0.0, 1.0)), min_size=1, max_size=4).map(
    tuple
)


@FAST
@given(options(), workloads, finances, curves)
def test_no_end_value_credit_never_costs_less_than_book_or_resale(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs, curve: tuple[tuple[float, float], ...]
) -> None:
    o = o.with_values(deployment="on-prem")
    none = simulate(o.with_values(end_value="none"), w, f)["total_cost"].sum()
    book = simulate(o.with_values(end_value="book"), w, f)["total_cost"].sum()
    resale = simulate(o.with_values(end_value="resale", resale_curve=curve), w, f)["total_cost"].sum()
    tol = 1e-9 * max(1.0, abs(none))
    assert book <= none + tol
    assert resale <= none + tol


@FAST
@given(options(), workloads, finances, st.integers(1, 60))
def test_a_loan_at_zero_percent_costs_the_same_as_cash_undiscounted(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs, term: int
) -> None:
    o = o.with_values(deployment="on-prem")
    cash = simulate(o, w, f)
    loan = simulate(o.with_values(financing="loan", financing_rate=0.0, financing_term_months=term), w, f)
    assert loan["total_cost"].sum() == pytest.approx(cash["total_cost"].sum(), rel=1e-9, abs=1e-6)
    assert loan["financing_accounting_cost"].sum() == pytest.approx(0.0, abs=1e-6)


@FAST
@given(options(), workloads, finances, st.floats(0.0, 0.6))
def test_a_tax_rate_never_raises_cost_when_units_are_credited_at_book(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs, tax: float
) -> None:
    s = simulate(o.with_values(end_value="book"), w, FinanceInputs(f.months, f.discount_rate, tax_rate=tax))
    assert (s["tax_saving"] >= 0).all()
    assert s["total_cost_after_tax"].sum() <= s["total_cost"].sum() + 1e-9


@FAST
@given(options(), workloads, finances)
def test_later_discounting_never_raises_the_npv_of_rent(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs
) -> None:
    o = o.with_values(deployment="cloud")
    npv = [
        simulate(o, w, FinanceInputs(f.months, f.discount_rate, discounting=d))["total_cost_discounted"].sum()
        for d in ("start", "middle", "end")
    ]
    assert npv[0] >= npv[1] * (1 - 1e-12) >= npv[2] * (1 - 1e-12) - 1e-9


@FAST
@given(options(), workloads, finances)
def test_financed_samples_give_the_same_result_as_single_runs(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs
) -> None:
    o = o.with_values(deployment="on-prem", financing="loan", financing_term_months=12.0)
    rates = np.array([0.0, 0.05, 0.2])
    many = simulate(o.with_values(financing_rate=rates), w, f)
    for i, r in enumerate(rates):
        one = simulate(o.with_values(financing_rate=float(r)), w, f)
        assert many["total_cost"][i] == pytest.approx(one["total_cost"][0], rel=1e-9, abs=1e-6)


@FAST
@given(options(), workloads, finances)
def test_a_lease_at_zero_percent_costs_what_cash_with_a_book_value_credit_costs(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs
) -> None:
    # both charge the straight-line depreciation of the months inside the horizon, undiscounted
    o = o.with_values(deployment="on-prem")
    cash = simulate(o.with_values(end_value="book"), w, f)["total_cost"].sum()
    lease = simulate(o.with_values(financing="lease", financing_rate=0.0), w, f)["total_cost"].sum()
    assert lease == pytest.approx(cash, rel=1e-9, abs=1e-6)


@FAST
@given(options(), workloads, finances, st.integers(1, 36), st.floats(0.0, 1.0))
def test_paying_a_commitment_upfront_only_moves_it_earlier(
    o: OptionInputs, w: WorkloadInputs, f: FinanceInputs, term: int, upfront: float
) -> None:
    o = o.with_values(deployment="cloud", cloud_pricing="committed", commitment_term_months=float(term))
    monthly = simulate(o, w, f)
    prepaid = simulate(o.with_values(commitment_upfront=upfront), w, f)
    assert prepaid["total_cost"].sum() == pytest.approx(monthly["total_cost"].sum(), rel=1e-9, abs=1e-6)
    assert (
        prepaid["total_cost_discounted"].sum() >= monthly["total_cost_discounted"].sum() * (1 - 1e-9) - 1e-6
    )
