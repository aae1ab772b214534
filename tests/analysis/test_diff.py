"""`tco.analysis.diff`: which inputs differ between two what-ifs, and how the results move (hand-checked)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tco.analysis.diff import MISSING, InputChange, diff_inputs, diff_views
from tco.analysis.view import compute_view
from tco.errors import ScenarioError
from tco.scenario.load import scenario_from_dict

from .conftest import base_raw

HOURS_PER_MONTH = 730.5


def rented(price: str, **option: Any) -> dict[str, Any]:
    """Two rented accelerators at `price` for 12 months: TCO = 2 x 730.5 h x 12 x price, whatever the demand."""
    return base_raw(
        options=[
            {
                "id": "fast-cloud",
                "deployment": "cloud",
                "profile": "toy-fast",
                "fleet": {"accelerators": 2},
                "cloud_price": price,
                **option,
            },
        ]
    )


def test_inputs_differ_by_field_path_with_units_as_written() -> None:
    a = {"horizon": "12 months", "options": [{"id": "x", "region": "fr"}, {"id": "y", "pue": 1.2}]}
    b = {"horizon": "24 months", "options": [{"id": "y", "pue": 1.3}, {"id": "x", "region": "in"}], "new": 1}
    assert diff_inputs(a, b) == (
        InputChange("horizon", "12 months", "24 months"),
        InputChange("options[x].region", "fr", "in"),  # matched by id: the reordering is no change
        InputChange("options[y].pue", 1.2, 1.3),
        InputChange("new", MISSING, 1),
    )


def test_same_inputs_have_no_difference() -> None:
    raw = {"a": [1, 2], "b": {"c": "3 %"}}
    assert diff_inputs(raw, raw) == ()


def test_a_dearer_rental_moves_the_cost_by_hand(scenario_dir: Path) -> None:
    a = compute_view(scenario_from_dict(rented("2 USD/h"), base_dir=scenario_dir))
    b = compute_view(scenario_from_dict(rented("3 USD/h"), base_dir=scenario_dir))
    d = diff_views(a, b)
    assert d.inputs == (InputChange("options[fast-cloud].cloud_price", "2 USD/h", "3 USD/h"),)
    rows = d.results.set_index(["option", "measure"])
    tco = rows.loc[("fast-cloud", "tco_cost")]
    assert tco["a"] == pytest.approx(2 * HOURS_PER_MONTH * 12 * 2.0)  # 35,064 USD
    assert tco["b"] == pytest.approx(2 * HOURS_PER_MONTH * 12 * 3.0)  # 52,596 USD
    assert tco["change"] == pytest.approx(2 * HOURS_PER_MONTH * 12 * 1.0)
    assert tco["change_pct"] == pytest.approx(50.0)
    assert tco["unit"] == "USD"
    emissions = rows.loc[("fast-cloud", "emissions_kg")]
    assert emissions["change"] == 0 and emissions["change_pct"] == 0  # the price moves no emissions
    assert d.plan_basis is None and d.routes == {}  # no task portfolio: no plan rows
    assert set(d.results["scope"]) == {"option"}
    assert list(d.moved["measure"]) == ["tco_cost", "npv_cost", "cost_per_1k_queries"]


def test_change_in_percent_is_nan_where_a_is_zero(scenario_dir: Path) -> None:
    a = compute_view(scenario_from_dict(rented("0 USD/h"), base_dir=scenario_dir))
    b = compute_view(scenario_from_dict(rented("1 USD/h"), base_dir=scenario_dir))
    tco = diff_views(a, b).results.set_index(["option", "measure"]).loc[("fast-cloud", "tco_cost")]
    assert tco["change"] == pytest.approx(2 * HOURS_PER_MONTH * 12) and math.isnan(tco["change_pct"])


def test_options_only_one_side_has_are_named(scenario_dir: Path) -> None:
    raw_b = rented("2 USD/h")
    raw_b["options"].append({"id": "slow-cloud", "deployment": "cloud", "profile": "toy-slow"})
    a = compute_view(scenario_from_dict(rented("2 USD/h"), base_dir=scenario_dir))
    d = diff_views(a, compute_view(scenario_from_dict(raw_b, base_dir=scenario_dir)))
    assert d.only_a == () and d.only_b == ("slow-cloud",)
    assert set(d.results["option"]) == {"fast-cloud"}


def test_two_currencies_cannot_be_compared(scenario_dir: Path) -> None:
    a = compute_view(scenario_from_dict(rented("2 USD/h"), base_dir=scenario_dir))
    raw_b = rented("2 USD/h", cloud_price="2 EUR/h")
    raw_b["currency"] = {"reporting": "EUR", "rates": {"USD": "0.9 EUR/USD"}}
    b = compute_view(scenario_from_dict(raw_b, base_dir=scenario_dir))
    with pytest.raises(ScenarioError, match="cannot compare a what-if reported in USD with one in EUR"):
        diff_views(a, b)


def test_plan_headline_and_routing_of_a_portfolio() -> None:
    from tco.scenario.load import load_scenario

    a = load_scenario("portfolio")
    raw = {
        **a.raw,
        "plan": {**a.raw["plan"], "objective": "cost-with-carbon"},
        "carbon_price": "200 USD/tCO2e",
    }
    vb = compute_view(scenario_from_dict(raw, file="b.yaml"))
    va = compute_view(a)
    d = diff_views(va, vb)
    plan = d.results[d.results["scope"] == "plan"].set_index("measure")
    assert plan.loc["npv_cost_without_carbon", "a"] == pytest.approx(va.plans.optimised.cost_without_carbon)
    assert plan.loc["npv_cost_with_carbon", "b"] == pytest.approx(vb.plans.optimised.cost_with_carbon)
    assert plan.loc["emissions_kg", "b"] == pytest.approx(vb.plans.optimised.kg)
    assert d.plan_basis == (
        "A: net present cost without the carbon price; "
        "B: net present cost with the carbon price (discounted like a cost)"
    )
    ra, rb = va.plans.optimised.routes, vb.plans.optimised.routes
    assert d.routes == {t: (ra[t], rb[t]) for t in ra if ra[t] != rb[t]}
