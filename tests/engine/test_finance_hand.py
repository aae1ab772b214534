"""Each finance choice computed by hand, to the cent: end-of-horizon value (book, resale, none), tax saving,
loan, lease, cloud commitments, spot, price trends and the discounting convention.

Engine cases use round numbers and switch everything else off (no energy, no maintenance): one or two
accelerators at 10,000 USD, 12-month lifetime, 10 % residual value; 730.5 hours a month. Scenario cases use
tests/data/profiles/scenarios/hand.yaml (see test_engine_hand.py).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tco.api import Results, evaluate, scenario_from_dict
from tco.engine.core import simulate
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.errors import ScenarioError
from tco.scenario.repository import Repository
from tco.scenario.yamlio import read_yaml
from tests.conftest import HAND_SCENARIO

CENT = 0.005
IDLE = WorkloadInputs(queries_per_day=0.0)


def _onprem(**kw: Any) -> OptionInputs:
    base: dict[str, Any] = dict(
        id="p",
        name="p",
        deployment="on-prem",
        energy_per_query_kwh=0.0,
        throughput_qps=1.0,
        accelerators_per_replica=1,
        fixed_fleet=2.0,
        unit_price=10_000.0,
        lifetime_months=12.0,
        residual_value=0.1,
    )
    base.update(kw)
    return OptionInputs(**base)


def _cloud(**kw: Any) -> OptionInputs:
    base: dict[str, Any] = dict(
        id="c",
        name="c",
        deployment="cloud",
        energy_per_query_kwh=0.0,
        throughput_qps=1.0,
        accelerators_per_replica=1,
        fixed_fleet=2.0,
        cloud_price_per_hour=2.0,
    )
    base.update(kw)
    return OptionInputs(**base)


def _run(o: OptionInputs, months: int = 18, **fin: Any) -> dict[str, np.ndarray]:
    return {k: v[0] for k, v in simulate(o, IDLE, FinanceInputs(months=months, **fin)).items()}


# --------------------------------------------------------------------------- end-of-horizon value


def test_book_value_credits_the_units_in_service_at_straight_line_book_value() -> None:
    s = _run(_onprem(end_value="book"))
    # 2 units bought in month 0, retired in month 12 at 10 % (2,000 back) and replaced; the new pair is
    # 6 months old at the end of month 17: 10,000 x (1 - 0.9 x 6/12) = 5,500 each
    assert s["residual_cost"].sum() == pytest.approx(-2_000.00, abs=CENT)
    assert s["end_value_cost"][17] == pytest.approx(-11_000.00, abs=CENT)
    assert s["end_value_cost"][:17].sum() == 0.0
    assert s["total_cost"].sum() == pytest.approx(40_000 - 2_000 - 11_000, abs=CENT)
    assert s["end_value_accounting_cost"].sum() == pytest.approx(0.0, abs=CENT)  # sold at book: no gain


def test_resale_credits_the_market_value_curve_at_the_units_age() -> None:
    curve = ((0.0, 1.0), (12.0, 0.4))  # linear: 70 % of the price at 6 months
    s = _run(_onprem(end_value="resale", resale_curve=curve))
    assert s["end_value_cost"][17] == pytest.approx(-14_000.00, abs=CENT)  # 2 x 10,000 x 0.7
    # sold 3,000 above its 11,000 book value: a gain in the accounting view
    assert s["end_value_accounting_cost"][17] == pytest.approx(-3_000.00, abs=CENT)
    assert s["total_cost"].sum() == pytest.approx(40_000 - 2_000 - 14_000, abs=CENT)


def test_none_gives_no_credit_for_units_still_in_service() -> None:
    s = _run(_onprem(end_value="none"))
    assert (s["end_value_cost"] == 0.0).all()
    assert s["end_value_accounting_cost"].sum() == 0.0
    assert s["total_cost"].sum() == pytest.approx(38_000.00, abs=CENT)


def test_hand_scenario_credit_is_its_own_line_in_every_frame(test_repo: Repository) -> None:
    raw = read_yaml(HAND_SCENARIO)
    raw["options"][1]["end_value"] = "book"
    r = evaluate(scenario_from_dict(raw, repo=test_repo))
    # with the book-value credit: 40,000 capex - 2,000 residual - 11,000 end value + 18 x 341.915 running
    # costs (energy 21.915 a month under the load model: 2 replicas at their 50 W idle floor + host)
    assert r.summary.loc["onprem", "tco_cost"] == pytest.approx(33_154.47, abs=CENT)
    assert r.summary.loc["onprem", "end_value_cost"] == pytest.approx(-11_000.00, abs=CENT)
    assert r.per_period["end_value_cost"].sum() == pytest.approx(-11_000.00, abs=CENT)
    y = r.yearly().set_index(["option", "year"])
    assert y.loc[("onprem", 2), "end_value_cost"] == pytest.approx(-11_000.00, abs=CENT)
    # selling at book leaves the accounting and cash views equal over the horizon
    assert y.loc["onprem", "accounting_total_cost"].sum() == pytest.approx(
        y.loc["onprem", "total_cost"].sum()
    )
    rows = r.assumptions[
        (r.assumptions.option == "onprem") & (r.assumptions.parameter == "end-of-horizon value")
    ]
    assert rows["value"].tolist() == ["book"]
    assert rows["source"].tolist() == ["scenario option onprem"]


def test_default_end_value_is_none_with_its_reason_in_the_assumptions(hand: Results) -> None:
    a = hand.assumptions
    row = a[(a.option == "onprem") & (a.parameter == "end-of-horizon value")].iloc[0]
    assert row["value"] == "none"
    assert "prudence" in row["source"]


def test_resale_without_a_curve_is_one_clear_error(test_repo: Repository) -> None:
    raw = read_yaml(HAND_SCENARIO)
    raw["options"][1]["end_value"] = "resale"
    with pytest.raises(ScenarioError, match=r"options\[1\]\.resale_curve: missing: end_value resale needs"):
        scenario_from_dict(raw, file="s.yaml", repo=test_repo)


# --------------------------------------------------------------------------- taxes


def test_tax_saving_is_the_rate_times_depreciation_and_running_costs() -> None:
    s = _run(_onprem(end_value="book", other_opex_per_month=100.0), tax_rate=0.25)
    # deductible: depreciation 2 x 10,000 x 0.9 / 12 = 1,500 a month + 100 other opex, 18 months = 28,800
    assert s["depreciation_cost"][0] == pytest.approx(1_500.00, abs=CENT)
    assert s["tax_saving"].sum() == pytest.approx(0.25 * 28_800, abs=CENT)  # 7,200
    # pre-tax 40,000 - 2,000 - 11,000 + 1,800 = 28,800; after tax 21,600
    assert s["total_cost"].sum() == pytest.approx(28_800.00, abs=CENT)
    assert s["total_cost_after_tax"].sum() == pytest.approx(21_600.00, abs=CENT)


def test_a_resale_gain_is_taxed() -> None:
    curve = ((0.0, 1.0), (12.0, 0.4))
    s = _run(_onprem(end_value="resale", resale_curve=curve, other_opex_per_month=100.0), tax_rate=0.25)
    # deductible 27,000 depreciation + 1,800 opex - 3,000 gain = 25,800 -> saving 6,450
    assert s["tax_saving"].sum() == pytest.approx(6_450.00, abs=CENT)
    assert s["total_cost_after_tax"].sum() == pytest.approx(40_000 - 2_000 - 14_000 + 1_800 - 6_450, abs=CENT)


def test_no_tax_rate_leaves_after_tax_equal_to_pre_tax() -> None:
    s = _run(_onprem(end_value="book"))
    assert (s["tax_saving"] == 0.0).all()
    assert s["total_cost_after_tax"] == pytest.approx(s["total_cost"])


# --------------------------------------------------------------------------- loan and lease


def test_loan_pays_annuity_instalments_and_interest_by_hand() -> None:
    # one 10,000 USD unit, 36-month life, 12 %/year = 1 %/month over 3 months:
    # instalment = 10,000 x 0.01 / (1 - 1.01^-3) = 3,400.2211; interest 100.00, 67.00, 33.67
    o = _onprem(fixed_fleet=1.0, lifetime_months=36.0, end_value="none", financing="loan")
    s = _run(o.with_values(financing_rate=0.12, financing_term_months=3.0), months=4)
    assert s["capex_cost"][0] == pytest.approx(10_000.00, abs=CENT)
    assert s["financing_cost"] == pytest.approx([-10_000.00, 3_400.22, 3_400.22, 3_400.22], abs=CENT)
    assert s["financing_accounting_cost"] == pytest.approx([0.0, 100.00, 67.00, 33.67], abs=CENT)
    assert s["financing_cost"].sum() == pytest.approx(200.66, abs=CENT)  # 3 x 3,400.2211 - 10,000
    assert s["total_cost"] == pytest.approx([0.0, 3_400.22, 3_400.22, 3_400.22], abs=CENT)


def test_loan_balance_still_owed_is_repaid_when_the_horizon_ends() -> None:
    # 2-month horizon: one instalment in month 1, then the balance 10,100 - 3,400.22 = 6,699.78 repaid
    o = _onprem(fixed_fleet=1.0, lifetime_months=36.0, end_value="none", financing="loan")
    s = _run(o.with_values(financing_rate=0.12, financing_term_months=3.0), months=2)
    assert s["financing_cost"] == pytest.approx([-10_000.00, 3_400.22 + 6_699.78], abs=CENT)
    assert s["financing_cost"].sum() == pytest.approx(100.00, abs=CENT)  # one month of interest


def test_lease_pays_the_price_less_the_lessors_residual_over_the_lifetime() -> None:
    # at 0 %: (10,000 - 10 % kept by the lessor) / 12 months = 750 a month per unit; no capex, no resale
    o = _onprem(fixed_fleet=1.0, end_value="book", financing="lease")
    s = _run(o)
    assert s["financing_cost"] == pytest.approx([750.00] * 18, abs=CENT)
    for k in ("capex_cost", "residual_cost", "end_value_cost", "depreciation_cost"):
        assert (s[k] == 0.0).all(), k
    # at 12 %/year, payments in advance: (10,000 - 1,000 x 1.01^-12) x 0.01 / (1 - 1.01^-12) / 1.01
    s = _run(o.with_values(financing_rate=0.12))
    assert s["financing_cost"][0] == pytest.approx(801.62, abs=CENT)
    assert s["financing_cost"].sum() == pytest.approx(18 * 801.6228694, abs=CENT)
    assert s["financing_accounting_cost"].sum() == pytest.approx(s["financing_cost"].sum())


def test_lease_term_other_than_the_lifetime_is_one_clear_error(test_repo: Repository) -> None:
    raw = read_yaml(HAND_SCENARIO)
    raw["options"][1].update(financing="lease", financing_rate="5 %", financing_term="6 months")
    with pytest.raises(
        ScenarioError, match=r"options\[1\]\.financing_term: a lease runs for the units' lifetime"
    ):
        scenario_from_dict(raw, file="s.yaml", repo=test_repo)


def test_loan_without_a_rate_is_one_clear_error(test_repo: Repository) -> None:
    raw = read_yaml(HAND_SCENARIO)
    raw["options"][1]["financing"] = "loan"
    with pytest.raises(
        ScenarioError, match=r"options\[1\]\.financing_rate: missing: financing loan needs a rate"
    ):
        scenario_from_dict(raw, file="s.yaml", repo=test_repo)


# --------------------------------------------------------------------------- cloud commitments and spot


def test_commitment_is_charged_for_its_whole_term_and_overflow_at_on_demand() -> None:
    o = _cloud(
        cloud_pricing="committed",
        cloud_price_per_hour=1.5,
        cloud_on_demand_price_per_hour=2.0,
        commitment_accelerators=1.0,
        commitment_term_months=12.0,
    )
    s = _run(o)
    # 1 committed unit x 730.5 h x 1.5 = 1,095.75 + 1 unit above it x 730.5 h x 2 = 1,461.00 a month
    assert s["cloud_cost"][0] == pytest.approx(2_556.75, abs=CENT)
    # the second term starts in month 12 and runs 6 months past the horizon: 6 x 1,095.75 in month 17
    assert s["cloud_cost"][17] == pytest.approx(2_556.75 + 6_574.50, abs=CENT)
    assert s["cloud_cost"].sum() == pytest.approx(52_596.00, abs=CENT)


def test_commitment_is_charged_when_demand_falls_below_it_and_upfront_moves_it_forward() -> None:
    o = _cloud(
        cloud_pricing="committed",
        cloud_price_per_hour=1.5,
        commitment_accelerators=3.0,
        commitment_term_months=6.0,
        commitment_upfront=0.5,
    )
    s = _run(o, months=6)
    # 3 units committed though 2 are used: 3 x 730.5 x 1.5 = 3,287.25 a month; half of 6 months upfront
    assert s["cloud_cost"][0] == pytest.approx(0.5 * 3_287.25 * 6 + 0.5 * 3_287.25, abs=CENT)
    assert s["cloud_cost"][1:] == pytest.approx([1_643.625] * 5, abs=CENT)
    assert s["cloud_cost"].sum() == pytest.approx(6 * 3_287.25, abs=CENT)


def test_commitment_defaults_to_the_first_months_fleet() -> None:
    o = _cloud(cloud_pricing="committed", cloud_price_per_hour=1.5, commitment_term_months=6.0)
    s = _run(o, months=6)
    assert s["cloud_cost"] == pytest.approx([2 * 730.5 * 1.5] * 6, abs=CENT)


def test_spot_rent_is_discounted_and_over_provisioned() -> None:
    s = _run(_cloud(cloud_pricing="spot", spot_discount=0.6, spot_overprovisioning=0.1), months=3)
    # 2 units x 1.1 x 730.5 h x 2 USD x (1 - 0.6) = 1,285.68 a month
    assert s["cloud_cost"] == pytest.approx([1_285.68] * 3, abs=CENT)


def test_hand_scenario_committed_pricing_uses_the_datas_prices(test_repo: Repository) -> None:
    raw = read_yaml(HAND_SCENARIO)
    raw["options"][0].update(pricing="committed", commitment_term="6 months")
    r = evaluate(scenario_from_dict(raw, repo=test_repo))
    # the test hardware rents at 1.5 USD/h committed: 1 unit x 730.5 h x 1.5 = 1,095.75 a month, 18 months
    assert r.summary.loc["cloud", "tco_cost"] == pytest.approx(18 * 1_095.75, abs=CENT)
    a = r.assumptions[r.assumptions.option == "cloud"].set_index("parameter")
    assert a.loc["commitment term", "value"] == "6"
    assert a.loc["committed accelerators", "value"] == "the first month's fleet"


# --------------------------------------------------------------------------- price trends


def test_replacement_hardware_follows_its_price_trend() -> None:
    s = _run(_onprem(end_value="book", hardware_price_trend=-0.2))
    # the month-12 replacements cost 10,000 x 0.8 = 8,000 each
    assert s["capex_cost"][12] == pytest.approx(16_000.00, abs=CENT)
    assert s["residual_cost"][12] == pytest.approx(-2_000.00, abs=CENT)  # 10 % of the first pair's price
    assert s["depreciation_cost"][12] == pytest.approx(16_000 * 0.9 / 12, abs=CENT)  # 1,200
    assert s["end_value_cost"][17] == pytest.approx(-2 * 8_000 * 0.55, abs=CENT)  # 8,800


def test_cloud_api_and_carbon_prices_follow_their_trends() -> None:
    cloud = _run(_cloud(fixed_fleet=1.0, cloud_price_trend=0.1), months=13)
    assert cloud["cloud_cost"][0] == pytest.approx(1_461.00, abs=CENT)
    assert cloud["cloud_cost"][12] == pytest.approx(1_607.10, abs=CENT)  # x 1.1 after a year
    api = OptionInputs(
        id="a",
        name="a",
        deployment="api",
        energy_per_query_kwh=0.001,
        throughput_qps=math.nan,
        accelerators_per_replica=1,
        grid_intensity_kg_per_kwh=0.5,
        api_cost_per_query=0.001,
        api_price_trend=-0.5,
        carbon_price_per_kg=0.1,
    )
    s = {
        k: v[0]
        for k, v in simulate(api, WorkloadInputs(1000.0), FinanceInputs(13, carbon_price_trend=1.0)).items()
    }
    # 30,437.5 queries x 0.001 USD = 30.44 in month 0, half a year later... x 0.5 after 12 months
    assert s["api_cost"][0] == pytest.approx(30.4375, abs=CENT)
    assert s["api_cost"][12] == pytest.approx(15.21875, abs=CENT)
    # 30.4375 kWh x 0.5 kg/kWh = 15.21875 kg x 0.1 USD/kg, doubled after a year
    assert s["carbon_cost"][0] == pytest.approx(1.521875, abs=CENT)
    assert s["carbon_cost"][12] == pytest.approx(3.04375, abs=CENT)


# --------------------------------------------------------------------------- discounting convention


@pytest.mark.parametrize(
    ("convention", "expected"),
    [("start", 1_010.00), ("middle", 1_010 / math.sqrt(1.01)), ("end", 1_000.00)],
)
def test_discounting_convention_moves_the_cash_flow_within_the_month(
    convention: str, expected: float
) -> None:
    # an annual rate of 1.01^12 - 1 is 1 % a month: 1,010 paid at the end of month 0 is worth 1,000
    s = _run(
        _cloud(fixed_fleet=1.0, cloud_price_per_hour=1_010 / 730.5),
        months=1,
        discount_rate=1.01**12 - 1,
        discounting=convention,
    )
    assert s["total_cost_discounted"][0] == pytest.approx(expected, abs=CENT)


def test_scenario_discounting_is_recorded(test_repo: Repository) -> None:
    raw = copy.deepcopy(read_yaml(HAND_SCENARIO))
    raw["discounting"] = "end"
    r = evaluate(scenario_from_dict(raw, repo=test_repo))
    assert r.resolved.finance.discounting == "end"
    row = r.assumptions[r.assumptions.parameter == "discounting"].iloc[0]
    assert (row["value"], row["source"]) == ("end of month", "scenario")


@pytest.fixture(scope="module")
def hand(test_repo: Repository) -> Results:
    return evaluate(scenario_from_dict(read_yaml(HAND_SCENARIO), repo=test_repo))


def test_slm_vs_llm_end_value_numbers_quoted_in_the_readme(shipped_repo: Repository) -> None:
    """The single-task walk-through of the README (`tco report slm-vs-llm`, the default before the portfolio)."""
    from tco.scenario.load import load_scenario

    default = evaluate(load_scenario("slm-vs-llm", repo=shipped_repo)).summary
    assert default.loc["llm-70b-h100", "end_value_cost"] == 0.0
    assert default.loc["llm-70b-h100", "tco_cost"] == pytest.approx(457_858.39, abs=CENT)
    assert default.loc["llm-8b-h100-cloud", "tco_cost"] == pytest.approx(96_791.25, abs=CENT)
    raw = read_yaml(Path(load_scenario("slm-vs-llm", repo=shipped_repo).file))
    raw["defaults"]["end_value"] = "book"
    book = evaluate(scenario_from_dict(raw, repo=shipped_repo)).summary
    assert book.loc["llm-70b-h100", "end_value_cost"] == pytest.approx(-159_750.00, abs=CENT)
    assert book.loc["llm-70b-h100", "tco_cost"] == pytest.approx(298_108.39, abs=CENT)


def test_shipped_financing_scenario_by_hand(shipped_repo: Repository) -> None:
    from tco.scenario.load import load_scenario

    result = evaluate(load_scenario("financing", repo=shipped_repo))
    s = result.summary
    pp = result.per_period[result.per_period["option"] == "buy-cash-resale"]
    # the fleet: one H100 bought in month 0, a second in month 19 when demand outgrows it
    bought = {int(m): n for m, n in zip(pp["month"], pp["accelerators_purchased"], strict=True) if n}
    assert bought == {0: 1.0, 19: 1.0}
    # each at 30,000 USD (the purchase tier), resold at the curve's value at its age when the horizon ends:
    # 36 months, 30 %; 17 months, 65 % - 5/12 x 20 % = 56.667 %
    assert s.loc["buy-cash-resale", "end_value_cost"] == pytest.approx(
        -30_000 * (0.30 + 0.65 - 5 / 12 * 0.20), abs=CENT
    )
    # book values then: 30,000 x (1 - 0.9 x 36/48) = 9,750 and 30,000 x (1 - 0.9 x 17/48) = 20,437.50;
    # the losses against them (750 and 3,437.50) save 21 % tax
    loss = (9_750 - 0.30 * 30_000) + (20_437.50 - (0.65 - 5 / 12 * 0.20) * 30_000)
    saving = s.loc["buy-cash-resale", "tax_saving"] - s.loc["buy-cash", "tax_saving"]
    assert saving == pytest.approx(0.21 * loss, abs=CENT)
    # 7 %/12 a month over 36 months, instalments from the month after each purchase, the balance still owed
    # repaid in the last month: the first unit pays 35 and A / (1 + r); the second 16 and A (1 - (1 + r)^-20) / r
    r = 0.07 / 12
    a = 30_000 * r / (1 - (1 + r) ** -36)
    interest = (35 * a + a / (1 + r) - 30_000) + (16 * a + a * (1 - (1 + r) ** -20) / r - 30_000)
    assert s.loc["buy-loan", "financing_cost"] == pytest.approx(interest, abs=CENT)
    assert s.loc["buy-loan", "tco_cost"] - s.loc["buy-cash", "tco_cost"] == pytest.approx(interest, abs=CENT)
    assert s["meets_quality_floor"].all() and s["slo_met"].all()
