"""The answer sentence: cheapest eligible option, savings against the baseline, what the choice rests on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tco.api import Results, evaluate, scenario_from_dict
from tco.presentation.answer import answer, end_of_horizon_credits

from .conftest import scenario_dict


def test_names_the_cheapest_eligible_option_and_its_savings(results: Results) -> None:
    s = results.summary
    eligible = [
        o
        for o in s.index
        if s.loc[o, "slo_met"] and s.loc[o, "meets_quality_floor"] and not s.loc[o, "capacity_shortfall"]
    ]
    cheapest = min(eligible, key=lambda o: s.loc[o, "tco_cost"])
    greenest = min(eligible, key=lambda o: s.loc[o, "emissions_kg"])
    a = answer(results)
    assert (a.cheapest, a.greenest) == (cheapest, greenest)
    assert a.savings == pytest.approx(s.loc["onprem-auto", "tco_cost"] - s.loc[cheapest, "tco_cost"])
    assert a.text.startswith(
        f"Cheapest option that meets the latency SLO and the quality floor: {cheapest} ("
    )
    assert f"{s.loc[cheapest, 'tco_cost']:,.0f} USD over 14 months" in a.text
    assert "onprem-fixed" in a.excluded and "fixed fleet too small" in a.excluded["onprem-fixed"]


def test_says_why_nothing_is_eligible() -> None:
    raw = scenario_dict()
    raw["workload"] = {**raw["workload"], "quality_floor": 0.999}
    a = answer(evaluate(scenario_from_dict(raw, file="strict.yaml")))
    assert a.cheapest is None
    assert a.text.startswith("No option meets the latency SLO and the quality floor: ")
    assert "onprem-auto is below the quality floor" in a.text


def test_end_credit_is_the_end_value_line(results: Results) -> None:
    pp = results.per_period
    credits = end_of_horizon_credits(results)
    for oid in ("onprem-auto", "cloud-fr", "api-8b"):
        assert credits[oid] == pytest.approx(-pp[pp["option"] == oid]["end_value_cost"].sum())
    assert credits["onprem-auto"] > 0  # end_value: book
    assert credits["cloud-fr"] == 0 and credits["api-8b"] == 0


def test_a_credit_that_decides_the_ranking_is_named(results: Results) -> None:
    import dataclasses

    credits = end_of_horizon_credits(results)
    holder = str(credits.idxmax())  # onprem-auto, end_value: book
    first = answer(results)
    assert holder not in first.excluded and holder != first.cheapest
    # make the credit holder the cheapest by less than its credit: the credit then decides the ranking
    s = results.summary.copy()
    s.loc[holder, "tco_cost"] = s.loc[first.cheapest, "tco_cost"] - credits[holder] / 2
    a = answer(dataclasses.replace(results, summary=s))
    assert a.cheapest == holder and a.cheapest_without_credit == first.cheapest
    assert f"without them {first.cheapest} would be cheapest" in a.text
    assert f"{credits[holder]:,.0f} USD for {holder}" in a.text


def test_a_recurring_credit_is_not_an_end_of_horizon_credit(results: Results) -> None:
    """A line negative in most months (say a tax shield) is left out; a one-off last-month credit counts."""
    pp = results.per_period.copy()
    pp["tax_shield_cost"] = -10.0
    fake = SimpleNamespace(per_period=pp)
    credits = end_of_horizon_credits(fake)  # type: ignore[arg-type]
    assert credits.to_dict() == pytest.approx(end_of_horizon_credits(results).to_dict())
    last = pp["month"] == pp["month"].max()
    pp.loc[last, "end_value_cost"] = pp.loc[last, "end_value_cost"] - 5.0
    more = end_of_horizon_credits(SimpleNamespace(per_period=pp))  # type: ignore[arg-type]
    assert (more - end_of_horizon_credits(results)).to_numpy() == pytest.approx(5.0)
