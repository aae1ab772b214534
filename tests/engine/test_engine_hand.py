"""Scenarios computed by hand, checked to the cent and to the gram.

tests/data/profiles holds round numbers: a 500 W GPU idling at 50 W, 4 per server with a 400 W host
(100 W per GPU), 500 + 922/4 = 730.5 kgCO2e embodied per GPU, 9,000 USD + 4,000/4 USD host share = 10,000 USD
per GPU, 2 USD per GPU-hour; Testland at 400 gCO2e/kWh and 0.10 USD/kWh. A month is 730.5 h and 30.4375 days.

Load model (issue 9): profile `small` measures batch 1 at 1 query/s and 36 J (36 W, below the 50 W idle
power, so raised to 50 W) and batch 8 at 4 query/s. At 1,000 queries a day (0.0116 query/s) every replica
runs below its batch-1 point: power = idle + (P(batch 1) - idle) x load / X(batch 1) = 50 + 0 = 50 W, all
day. The numbers below changed from the single-point engine (which charged 1 Wh a query on top of idle
time) accordingly.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tco.api import Results, evaluate, load_scenario
from tco.engine.core import simulate
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.scenario.repository import Repository

HAND_SCENARIO = Path(__file__).parents[1] / "data" / "profiles" / "scenarios" / "hand.yaml"

CENT = 0.005
GRAM = 0.0005  # kg

QUERIES_PER_MONTH = 1000 * 30.4375  # 30,437.5
BUSY_HOURS = QUERIES_PER_MONTH / 4 / 3600  # batch 8 serves 4 query/s: 2.113715... h


@pytest.fixture(scope="module")
def hand(test_repo: Repository) -> Results:
    return evaluate(load_scenario(HAND_SCENARIO, repo=test_repo))


def _option(results: Results, option: str):  # type: ignore[no-untyped-def]
    return results.per_period[results.per_period.option == option]


def test_cloud_option_costs_rented_hours_to_the_cent(hand: Results) -> None:
    rows = _option(hand, "cloud")
    # 1 GPU x 730.5 h x 2 USD/h = 1,461.00 USD a month, 18 months
    assert rows["cloud_cost"].to_numpy() == pytest.approx([1461.00] * 18, abs=CENT)
    assert hand.summary.loc["cloud", "tco_cost"] == pytest.approx(26_298.00, abs=CENT)
    assert rows[["capex_cost", "energy_cost", "maintenance_cost"]].to_numpy().sum() == 0.0


def test_cloud_option_emissions_to_the_gram(hand: Results) -> None:
    rows = _option(hand, "cloud")
    # accelerator at 50 W all month (see the module doc) + host 0.1 kW x 730.5 h = 109.575 kWh IT
    it_kwh = 0.05 * 730.5 + 0.1 * 730.5
    assert it_kwh == pytest.approx(109.575, abs=1e-9)
    assert rows["energy_it_kwh"].iloc[0] == pytest.approx(109.575, abs=1e-6)
    # x PUE 1.5 x 0.4 kg/kWh = 65.745 kg operational; embodied 730.5 kg / 12 months = 60.875 kg
    assert rows["emissions_operational_kg"].iloc[0] == pytest.approx(65.745, abs=GRAM)
    assert rows["emissions_embodied_kg"].iloc[0] == pytest.approx(60.875, abs=GRAM)
    assert hand.summary.loc["cloud", "emissions_kg"] == pytest.approx(18 * 126.62, abs=GRAM * 18)


def test_on_prem_fleet_is_bought_replaced_at_end_of_life_and_resold(hand: Results) -> None:
    rows = _option(hand, "onprem").set_index("month")
    # 2 GPUs x 10,000 USD bought in month 0 and again in month 12 (12-month life)
    assert rows["capex_cost"][rows["capex_cost"] > 0].to_dict() == {0: 20_000.0, 12: 20_000.0}
    # retired units sell at 10 % residual in month 12; the second pair, 6 months old at the end, is not
    # credited under the default end_value: none (tests/engine/test_finance_hand.py credits it)
    assert rows["residual_cost"][rows["residual_cost"] < 0].to_dict() == {12: -2_000.0}
    assert (rows["end_value_cost"] == 0.0).all()
    # depreciation 2 x 10,000 x 0.9 / 12 = 1,500 a month
    assert rows["depreciation_cost"].to_numpy() == pytest.approx([1500.0] * 18)


def test_on_prem_running_costs_to_the_cent(hand: Results) -> None:
    rows = _option(hand, "onprem")
    # IT energy: 2 replicas at 50 W all month (73.05 kWh) + host 0.2 x 730.5 = 219.15 kWh, PUE 1
    assert rows["energy_cost"].iloc[0] == pytest.approx(21.915, abs=CENT)
    assert rows["maintenance_cost"].iloc[0] == pytest.approx(200.00, abs=CENT)  # 12 %/yr of 20,000
    assert rows["colocation_cost"].iloc[0] == pytest.approx(120.00, abs=CENT)  # 2 x 0.6 kW x 100 USD/kW/month
    # 40,000 capex - 2,000 residual + 18 x (21.915 + 200 + 120); no end-of-horizon credit (end_value: none)
    assert hand.summary.loc["onprem", "tco_cost"] == pytest.approx(44_154.47, abs=CENT)


def test_on_prem_emissions_to_the_gram(hand: Results) -> None:
    # 219.15 kWh x 0.4 = 87.66 kg + embodied 2 x 730.5 / 12 = 121.75 kg, 18 months
    assert hand.summary.loc["onprem", "emissions_kg"] == pytest.approx(18 * 209.41, abs=GRAM * 18)


def test_api_option_costs_tokens_times_price(hand: Results) -> None:
    # every option answers the same workload (issue 9): 300 tokens in (default: nothing gives them) at
    # 1 USD/Mtoken and the baseline's 100 output tokens (profile small) at 2 USD/Mtoken = 0.0005 USD a query
    assert hand.summary.loc["api", "tco_cost"] == pytest.approx(18 * QUERIES_PER_MONTH * 0.0005, abs=CENT)


def test_api_energy_follows_the_documented_estimate(hand: Results) -> None:
    # 70B at 16 bits: 1.2 x 70 x 2 GB = 168 GB -> 3 x 80 GB GPUs -> 4 (power of two)
    gpus = 4
    # 100 output tokens: the workload's, the same for every option (the baseline's profile)
    gpu_wh = 100 * (1.1665e-6 * math.exp(-1.1206e-2 * 64) * 70 + 4.0529e-5) * gpus
    latency_s = 100 * (6.785e-4 * 70 + 3.944e-2)
    server_wh = latency_s / 64 * 1200 * gpus / 8 / 3600
    facility_kwh_per_query = (gpu_wh + server_wh) / 1000 * 1.2
    expected = facility_kwh_per_query * QUERIES_PER_MONTH * 18
    assert hand.summary.loc["api", "energy_kwh"] == pytest.approx(expected, rel=1e-9)


def test_baseline_ratios_and_break_even(hand: Results) -> None:
    s = hand.summary
    assert s.loc["cloud", "is_baseline"]
    assert s.loc["onprem", "cost_ratio_to_baseline"] == pytest.approx(44_154.47 / 26_298.0)
    # on-prem is 20,341.9 USD behind in month 0 and never catches the 1,461 USD/month cloud bill in 18 months
    assert math.isnan(s.loc["onprem", "break_even_month"])
    assert s.loc["api", "break_even_month"] == 0.0


def test_per_period_sums_equal_the_summary_totals(hand: Results) -> None:
    pp = hand.per_period.groupby("option")
    for col, total in (("total_cost", "tco_cost"), ("emissions_kg", "emissions_kg"), ("queries", "queries")):
        assert pp[col].sum().to_dict() == pytest.approx(hand.summary[total].to_dict())
    components = [
        c
        for c in hand.per_period.columns
        if c.endswith("_cost")
        and c not in ("total_cost", "total_cost_discounted", "depreciation_cost", "cumulative_cost")
        and "accounting" not in c
    ]
    assert hand.per_period[components].sum(axis=1).to_numpy() == pytest.approx(
        hand.per_period["total_cost"].to_numpy()
    )


def _inputs(**kw: object) -> OptionInputs:
    base: dict[str, object] = dict(
        id="x",
        name="x",
        deployment="cloud",
        energy_per_query_kwh=0.001,
        throughput_qps=3.0,
        accelerators_per_replica=2,
        utilisation=0.5,
        cloud_price_per_hour=1.0,
    )
    base.update(kw)
    return OptionInputs(**base)  # type: ignore[arg-type]


def test_auto_sizing_rounds_replicas_up_for_the_peak() -> None:
    # 864,000 queries/day = 10 query/s on average, x2 peak = 20 query/s; a replica does 3 query/s at 50 %
    # target utilisation = 1.5 query/s: 13.3 -> 14 replicas of 2 GPUs = 28 GPUs
    s = simulate(
        _inputs(), WorkloadInputs(queries_per_day=864_000, peak_to_average=2.0), FinanceInputs(months=1)
    )
    assert s["replicas"][0, 0] == 14
    assert s["accelerators"][0, 0] == 28
    assert s["cloud_cost"][0, 0] == pytest.approx(28 * 730.5)


def test_growth_compounds_monthly_from_the_annual_rate() -> None:
    s = simulate(
        _inputs(), WorkloadInputs(queries_per_day=1000, annual_growth=0.21), FinanceInputs(months=25)
    )
    q = s["queries"][0]
    assert q[12] / q[0] == pytest.approx(1.21)
    assert q[24] / q[0] == pytest.approx(1.21**2)
    assert q[6] / q[0] == pytest.approx(1.1)


def test_discounting_uses_start_of_month_factors() -> None:
    s = simulate(_inputs(), WorkloadInputs(queries_per_day=1000), FinanceInputs(months=13, discount_rate=0.1))
    assert s["discount_factor"][0, 0] == 1.0
    assert s["discount_factor"][0, 12] == pytest.approx(1 / 1.1)


def test_grid_decarbonisation_and_renewables_lower_operational_emissions() -> None:
    o = _inputs(grid_intensity_kg_per_kwh=0.5, grid_decarbonisation=0.1, renewable_share=0.25)
    s = simulate(o, WorkloadInputs(queries_per_day=1000), FinanceInputs(months=13))
    loc = s["emissions_operational_location_kg"][0]
    assert loc[12] / loc[0] == pytest.approx(0.9)
    assert s["emissions_operational_kg"][0] == pytest.approx(loc * 0.75)


def test_fixed_fleet_too_small_is_flagged_as_a_shortfall() -> None:
    # Capacity is checked at the peak hour (issue 9): one replica at 3 query/s carries 3 query/s in its
    # busiest hour; with the peak hour at 1.5x the mean that is 3 / 1.5 x 86,400 = 172,800 queries a day.
    o = _inputs(fixed_fleet=2.0)
    s = simulate(o, WorkloadInputs(queries_per_day=172_700, peak_to_average=1.5), FinanceInputs(months=1))
    assert not s["capacity_shortfall"].any()
    assert s["queries_unserved"].sum() == 0.0
    s = simulate(o, WorkloadInputs(queries_per_day=172_900, peak_to_average=1.5), FinanceInputs(months=1))
    assert s["capacity_shortfall"].all()
    # ...and a day that averages 2.9 query/s (below capacity) still loses its peak hours' excess
    s = simulate(o, WorkloadInputs(queries_per_day=250_560, peak_to_average=1.5), FinanceInputs(months=1))
    assert s["queries_unserved"][0, 0] > 0
    assert s["queries"][0, 0] + s["queries_unserved"][0, 0] == pytest.approx(250_560 * 30.4375)


def test_zero_demand_costs_only_the_idle_fleet() -> None:
    o = _inputs(
        deployment="on-prem",
        idle_power_kw=0.05,
        host_power_kw=0.1,
        pue=1.0,
        electricity_price=0.1,
        unit_price=0.0,
        cloud_price_per_hour=0.0,
        min_replicas=1,
    )
    s = simulate(o, WorkloadInputs(queries_per_day=0.0), FinanceInputs(months=2))
    assert s["energy_accelerator_kwh"].sum() == 0.0
    # one replica of 2 GPUs idling: (0.05 + 0.1) kW x 2 x 730.5 h = 219.15 kWh a month
    assert s["energy_it_kwh"][0] == pytest.approx([219.15, 219.15])
    assert s["energy_cost"][0] == pytest.approx([21.915, 21.915])


def test_samples_are_independent_rows() -> None:
    o = _inputs(cloud_price_per_hour=np.array([1.0, 2.0, 4.0]))
    s = simulate(o, WorkloadInputs(queries_per_day=1000), FinanceInputs(months=3))
    assert s["total_cost"].shape == (3, 3)
    assert s["total_cost"][:, 0] == pytest.approx([2 * 730.5, 4 * 730.5, 8 * 730.5])


def test_yearly_view_depreciates_instead_of_buying(hand: Results) -> None:
    y = hand.yearly().set_index(["option", "year"])
    # on-prem: 12 months of 1,500 USD depreciation in year 1, 6 months in year 2; running costs 341.915 a month
    assert y.loc[("onprem", 1), "depreciation_cost"] == pytest.approx(18_000.0)
    assert y.loc[("onprem", 2), "depreciation_cost"] == pytest.approx(9_000.0)
    assert y.loc[("onprem", 1), "accounting_total_cost"] == pytest.approx(18_000 + 12 * 341.915, abs=CENT)
    # over the horizon the views differ by the book value of the units in service at the end (2 x 5,500),
    # which the cash view does not credit under end_value: none
    assert y.loc["onprem", "accounting_total_cost"].sum() + 11_000 == pytest.approx(
        y.loc["onprem", "total_cost"].sum()
    )
    assert hand.units["accelerators_peak"] == "accelerator"
