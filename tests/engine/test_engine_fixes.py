"""Defects fixed where the README states the intended rule, each pinned by a test that fails on the code
before the fix (issue 18): they import only names that existed before, so they run against the old code too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tco.api import evaluate, load_scenario, scenario_from_dict
from tco.engine.core import simulate
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.scenario.repository import Repository
from tco.scenario.yamlio import read_yaml
from tests.conftest import HAND_SCENARIO


def test_the_yearly_cost_chart_stacks_only_cost_lines_that_add_up_to_the_accounting_total(
    test_repo: Repository,
) -> None:
    from tco.presentation.charts import yearly_cost_frame

    results = evaluate(load_scenario(HAND_SCENARIO, repo=test_repo))
    long = yearly_cost_frame(results)
    # it used to stack queries asked, accelerator-hours, fine-tuning kWh and the after-tax total as costs
    assert all(str(c).endswith("_cost") and "after_tax" not in str(c) for c in set(long["column"]))
    stacked = long.groupby(["option", "year"], observed=True)["cost"].sum()
    yearly = results.yearly().set_index(["option", "year"])["accounting_total_cost"]
    assert np.allclose(stacked, yearly.loc[stacked.index], rtol=1e-12)


# --------------------------------------------------------------------------- committed pricing, hourly fleet


def _committed_hourly(**kw: Any) -> OptionInputs:
    base: dict[str, Any] = dict(
        id="c",
        name="c",
        deployment="cloud",
        energy_per_query_kwh=0.0,
        throughput_qps=1.0,
        accelerators_per_replica=1,
        utilisation=1.0,
        scaling="hourly",
        cloud_pricing="committed",
        cloud_price_per_hour=1.0,  # committed
        cloud_on_demand_price_per_hour=3.0,  # above the commitment
        commitment_accelerators=2.0,
        commitment_term_months=1.0,
    )
    base.update(kw)
    return OptionInputs(**base)


# 12 hours at 1 query/s (one replica), 12 hours at 3 query/s (three replicas): a mean of 2 query/s
TWO_LEVEL_DAY = WorkloadInputs(queries_per_day=2.0 * 86_400, daily_profile=(1.0,) * 12 + (3.0,) * 12)


def test_committed_hourly_rent_charges_the_units_above_the_commitment_in_each_hour() -> None:
    s = simulate(_committed_hourly(), TWO_LEVEL_DAY, FinanceInputs(months=1))
    # committed: 2 units x 730.5 h x 1 USD/h, used or not; above it: 1 unit in 12 of the 24 hours, each
    # hour standing for 730.5 / 24 h of the month, at 3 USD/h. The month's rented hours (48 x 30.4375 =
    # 1,461) equal the committed hours, which the old rule netted to nothing above the commitment.
    assert s["accelerator_hours"][0, 0] == pytest.approx(1461.0, rel=1e-12)
    assert s["cloud_cost"][0, 0] == pytest.approx(2 * 730.5 * 1.0 + 12 * 730.5 / 24 * 3.0, rel=1e-12)


def test_committed_reserved_rent_is_unchanged_by_the_hourly_rule() -> None:
    s = simulate(_committed_hourly(scaling="reserved"), TWO_LEVEL_DAY, FinanceInputs(months=1))
    # a reserved fleet is sized for the busiest hour (3 replicas) all day: 1 unit above, every hour
    assert s["cloud_cost"][0, 0] == pytest.approx(2 * 730.5 * 1.0 + 730.5 * 3.0, rel=1e-12)


# --------------------------------------------------------------------------- idle energy, negative zeros


def test_a_fleet_busy_all_day_has_exactly_zero_idle_energy() -> None:
    o = OptionInputs(
        id="a",
        name="a",
        deployment="on-prem",
        energy_per_query_kwh=1e-4,
        throughput_qps=10.0,
        accelerators_per_replica=1,
        idle_power_kw=0.1,
        sweep_throughput=(0.4, 1.0),
        sweep_energy=(1.5, 1.0),
        fixed_fleet=1.0,
    )
    s = simulate(
        o, WorkloadInputs(queries_per_day=10.0 * 86_400, peak_to_average=1.0), FinanceInputs(months=2)
    )
    idle = s["energy_idle_kwh"]
    assert (idle == 0.0).all() and not np.signbit(idle).any()  # it was -1.08e-14 kWh
    assert (s["busy_accelerator_hours"] <= s["accelerator_hours"]).all()


def test_credits_are_negative_and_months_without_one_are_plus_zero() -> None:
    o = OptionInputs(
        id="p",
        name="p",
        deployment="on-prem",
        energy_per_query_kwh=0.0,
        throughput_qps=1.0,
        accelerators_per_replica=1,
        fixed_fleet=1.0,
        unit_price=1000.0,
        lifetime_months=12.0,
        residual_value=0.1,
        end_value="none",
    )
    s = simulate(o, WorkloadInputs(queries_per_day=0.0), FinanceInputs(months=18))
    residual, end = s["residual_cost"][0], s["end_value_cost"][0]
    assert residual[12] == pytest.approx(-100.0)
    for column in (np.delete(residual, 12), end):
        assert (column == 0.0).all() and not np.signbit(column).any()


QUANTITIES = ("energy_", "emissions_", "queries", "accelerator", "busy_", "replicas")


@pytest.mark.parametrize("name", ["slm-vs-llm", "financing", "regions", "procurement", "portfolio"])
def test_no_frame_holds_a_negative_zero_or_a_negative_physical_quantity(name: str) -> None:
    results = evaluate(name)
    for label, frame in (
        ("summary", results.summary),
        ("per_period", results.per_period),
        ("yearly", results.yearly()),
    ):
        for column in frame.columns:
            values = frame[column]
            if values.dtype.kind != "f":
                continue
            v = values.to_numpy()
            assert not ((v == 0) & np.signbit(v)).any(), f"{label}.{column} holds -0.0"
            if str(column).startswith(QUANTITIES) and "ratio" not in str(column):
                assert (v[~np.isnan(v)] >= 0).all(), f"{label}.{column} holds a negative value"


# --------------------------------------------------------------------------- assumptions: numbers with units


def test_a_field_that_is_not_applied_is_recorded_as_a_number_with_its_unit(test_repo: Repository) -> None:
    raw = read_yaml(HAND_SCENARIO)
    raw["options"][0]["hardware_price"] = "200 EUR"  # a cloud option: rented, not bought
    raw["options"][0]["colocation"] = "150 USD/kW/month"
    raw["options"][0]["maintenance"] = "8 %"
    results = evaluate(scenario_from_dict(raw, repo=test_repo))
    a = results.assumptions
    rows = a[(a["option"] == "cloud") & a["parameter"].str.endswith("not applied")].set_index("parameter")
    assert rows.loc["hardware price: not applied", ["value", "unit"]].tolist() == ["200", "EUR"]
    assert rows.loc["colocation: not applied", ["value", "unit"]].tolist() == ["150", "USD/kW/month"]
    assert rows.loc["maintenance: not applied", ["value", "unit"]].tolist() == ["0.08", "/year"]
    assert not a["value"].astype(str).str.contains(r"Money|\(value=").any()


# --------------------------------------------------------------------------- fractional lifetimes


@pytest.mark.parametrize("deployment", ["on-prem", "cloud"])
def test_a_fractional_lifetime_is_whole_months_for_embodied_emissions_too(deployment: str) -> None:
    o = OptionInputs(
        id="p",
        name="p",
        deployment=deployment,
        energy_per_query_kwh=0.0,
        throughput_qps=1.0,
        accelerators_per_replica=1,
        fixed_fleet=1.0,
        lifetime_months=30.4,  # replaced after 30 months, so its embodied emissions are spread over 30
        embodied_kg_per_accelerator=1200.0,
    )
    s = simulate(o, WorkloadInputs(queries_per_day=0.0), FinanceInputs(months=36))
    assert s["emissions_embodied_kg"][0] == pytest.approx(np.full(36, 1200.0 / 30), rel=1e-12)


def test_a_fine_tuning_jobs_embodied_share_uses_the_lifetime_in_whole_months(test_repo: Repository) -> None:
    def fine_tuning_kg(lifetime: str) -> float:
        raw = read_yaml(HAND_SCENARIO)
        raw["options"][0]["fine_tuning"] = {"gpu_hours": "100 h", "hardware": "testgpu", "cost": "10 USD"}
        raw["options"][0]["lifetime"] = lifetime
        results = evaluate(scenario_from_dict(raw, repo=test_repo))
        return float(results.per_period.query("option == 'cloud'")["emissions_fine_tuning_kg"].sum())

    assert fine_tuning_kg("30.4 months") == fine_tuning_kg("30 months")
