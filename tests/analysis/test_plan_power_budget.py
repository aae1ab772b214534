"""A site's power budget is a limit of the plan: a fleet over it ranks its plan after every plan within it."""

from __future__ import annotations

import copy

import pytest

from tco.analysis.portfolio import PortfolioPlans
from tco.analysis.view import compute_view
from tco.api import load_scenario


def _plans(budget: str) -> PortfolioPlans:
    loaded = load_scenario("portfolio")
    raw = copy.deepcopy(loaded.raw)
    assert raw["options"][0]["id"] == "llm-70b-h100"
    raw["options"][0]["power_budget"] = budget
    plans = compute_view(loaded.with_changes(raw), plan=True).plans
    assert plans is not None
    return plans


def test_a_plan_whose_shared_fleet_needs_more_than_its_sites_budget_is_named_and_ranked_after() -> None:
    # the 70B's site: 4x H100 a replica at 0.70 kW TDP + 0.15 kW host each, PUE 1.4 (portfolio.yaml)
    kw_per_replica = 4 * (0.70 + 0.15) * 1.4  # 4.76 kW provisioned
    plans = _plans("20 kW")
    best = plans.optimised
    assert best.over_budget == () and best.replicas["llm-70b-h100"] == 2  # 9.52 kW fits
    large = next(p for p in plans.compared if p.name == "all-large")
    assert large.replicas["llm-70b-h100"] == 8
    ((dep, kw, budget),) = large.over_budget
    assert (dep, budget) == ("llm-70b-h100", 20.0) and kw == pytest.approx(8 * kw_per_replica)
    assert any("all-large (llm-70b-h100 38.1 kW > 20.0 kW)" in n for n in plans.notes)
    as_json = plans.as_dict()
    assert as_json["compared"][0]["over_power_budget"][0]["provisioned_kw"] == pytest.approx(38.08)


def test_when_no_plan_fits_the_budget_the_plan_shown_says_so() -> None:
    plans = _plans(
        "5 kW"
    )  # even one replica of the 70B (4.76 kW) and the code task's two (9.52 kW) exceed it
    best = plans.optimised
    assert [d for d, _, _ in best.over_budget] == ["llm-70b-h100"]
    assert any(
        n.startswith("no plan meets every limit with every fleet within its site's power budget")
        and "9.5 kW provisioned" in n
        for n in plans.notes
    )


def test_without_a_budget_no_plan_is_over_one() -> None:
    plans = compute_view(load_scenario("portfolio"), plan=True).plans
    assert plans is not None
    assert all(not p.over_budget for p in (plans.optimised, *plans.compared))
    assert not any("power budget" in n for n in plans.notes)
