"""Provisioned power per option (README "How the numbers are computed"), by hand on the test fixture, and the
site power budget that makes an option ineligible."""

from __future__ import annotations

import numpy as np
import pytest

from tco.analysis.compare import ranking
from tco.analysis.evaluate import Results, evaluate
from tco.engine import formulas as f
from tco.engine.inputs import HOURS_PER_MONTH
from tco.presentation.answer import answer, why_not_eligible
from tco.scenario.load import scenario_from_dict
from tco.scenario.repository import Repository
from tco.scenario.yamlio import read_yaml
from tests.conftest import HAND_SCENARIO


def hand(test_repo: Repository, **onprem: object) -> Results:
    raw = read_yaml(HAND_SCENARIO)
    raw["options"][1].update(onprem)
    return evaluate(scenario_from_dict(raw, repo=test_repo))


def test_provisioned_power_is_peak_fleet_times_tdp_plus_host_share_times_pue(test_repo: Repository) -> None:
    s = hand(test_repo).summary
    # test GPU: 500 W TDP, host 400 W / 4 accelerators = 100 W each
    assert s.loc["cloud", "provisioned_kw"] == pytest.approx(1 * (0.5 + 0.1) * 1.5)  # 1 GPU, PUE 1.5
    assert s.loc["onprem", "provisioned_kw"] == pytest.approx(2 * (0.5 + 0.1) * 1.0)  # 2 GPUs, PUE 1.0
    assert np.isnan(s.loc["api", "provisioned_kw"])  # the provider's site, not the user's


def test_tokens_per_second_per_provisioned_mw_by_hand(test_repo: Repository) -> None:
    s = hand(test_repo).summary
    # batch 8: 4 query/s x 100 output tokens on 1 accelerator = 400 token/s
    assert s.loc["cloud", "tokens_per_s_per_provisioned_mw"] == pytest.approx(400 / (0.6 * 1.5 / 1000))
    assert s.loc["onprem", "tokens_per_s_per_provisioned_mw"] == pytest.approx(400 / (0.6 / 1000))
    assert np.isnan(s.loc["api", "tokens_per_s_per_provisioned_mw"])


def test_average_draw_is_serving_energy_over_the_hours_and_below_provisioned(test_repo: Repository) -> None:
    r = hand(test_repo)
    s = r.summary
    for o in ("cloud", "onprem"):
        energy = r.per_period.loc[r.per_period["option"] == o, "energy_kwh"].sum()
        assert s.loc[o, "average_draw_kw"] == pytest.approx(energy / (18 * HOURS_PER_MONTH))
        assert 0 < s.loc[o, "average_draw_kw"] <= s.loc[o, "provisioned_kw"]


def test_provisioned_power_formula_is_linear_in_every_factor() -> None:
    one = f.provisioned_power_kw(np.array(1.0), np.array(0.7), np.array(0.15), np.array(1.2))
    assert f.provisioned_power_kw(
        np.array(3.0), np.array(0.7), np.array(0.15), np.array(1.2)
    ) == pytest.approx(3 * one)
    assert one == pytest.approx(0.85 * 1.2)


def test_a_fleet_over_the_sites_power_budget_is_flagged_and_not_eligible(test_repo: Repository) -> None:
    r = hand(test_repo, power_budget="1 kW")  # the on-prem fleet needs 1.2 kW
    s = r.summary
    assert (bool(s.loc["onprem", "within_power_budget"]), bool(s.loc["cloud", "within_power_budget"])) == (
        False,
        True,
    )
    assert s.loc["onprem", "power_budget_kw"] == 1.0
    assert "needs more provisioned power than its site's power budget" in why_not_eligible(s.loc["onprem"])
    assert "onprem" in answer(r).excluded
    ranked = ranking(s)
    row = ranked.set_index("option").loc["onprem"]
    assert not bool(row["eligible"])
    assert "needs 1.2 kW provisioned, over the site's power budget of 1.0 kW" in row["why_not"]
    a = r.assumptions
    budget = a[(a["option"] == "onprem") & (a["parameter"] == "power budget")]
    assert list(budget["value"]) == ["1"] and list(budget["unit"]) == ["kW provisioned"]


def test_a_budget_the_fleet_fits_changes_nothing_but_the_flag(test_repo: Repository) -> None:
    free = hand(test_repo).summary
    fits = hand(test_repo, power_budget="1.2 kW").summary
    assert bool(fits.loc["onprem", "within_power_budget"])
    assert fits.loc["onprem", "tco_cost"] == free.loc["onprem", "tco_cost"]


def test_a_fleet_over_budget_is_a_report_note(test_repo: Repository) -> None:
    from tco.presentation.answer import price_notes

    r = hand(test_repo, power_budget="1 kW")
    assert price_notes(r) == [
        "onprem: needs 1.2 kW provisioned, over its site's power budget of 1.0 kW: not eligible."
    ]
