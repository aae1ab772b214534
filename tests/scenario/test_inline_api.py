"""A scenario may declare its own API offering (`apis:`) instead of copying the profiles folder (issue 23):
used like a shipped one, priced and estimated from what it declares; bad input is one clear line."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tco.api import evaluate, scenario_from_dict
from tco.errors import InputError
from tco.scenario.repository import load_repository

SCENARIO: dict[str, Any] = {
    "name": "own api",
    "start": "2026-01",
    "horizon": "12 months",
    "workload": {"task": "question-answering", "queries_per_day": "1000 query/day", "tokens_in": 200,
                 "tokens_out": 300},
    "apis": [{"id": "acme-8b", "name": "Acme 8B", "region": "us-va",
              "model": {"parameters": "8 billion", "quantization_bits": 16},
              "price": {"input": "0.10 USD/Mtoken", "output": "0.40 USD/Mtoken"}}],
    "options": [{"id": "acme", "deployment": "api", "api": "acme-8b"},
                {"id": "shipped", "deployment": "api", "api": "together-llama-3.1-8b"}],
}  # fmt: skip


def test_a_declared_offering_is_priced_and_estimated_from_its_fields() -> None:
    """Cost per query = 200 x 0.10e-6 + 300 x 0.40e-6 = 0.00014 USD; energy as a shipped 8B offering at 16
    bits (the same method); the assumptions say where the offering was declared."""
    res = evaluate(scenario_from_dict(SCENARIO, file="own.yaml"))
    row = res.summary.loc["acme"]
    assert row["cost_per_1k_queries"] == pytest.approx(0.14, rel=1e-9)
    a = res.assumptions[res.assumptions["option"] == "acme"].set_index("parameter")
    assert "scenario own.yaml, apis acme-8b" in a.loc["API price", "source"]
    assert row["wh_per_query"] > 0 and row["ml_water_per_query"] > 0


def test_the_same_scenario_validated_again_keeps_its_offering() -> None:
    loaded = scenario_from_dict(SCENARIO, file="own.yaml")
    again = loaded.with_changes(copy.deepcopy(SCENARIO))
    assert "acme-8b" in again.repo.apis
    assert "acme-8b" not in load_repository().apis  # the shipped data is untouched


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "together-llama-3.1-8b"}, "apis[0]: API offering 'together-llama-3.1-8b' is already defined"),
        ({"region": "atlantis"}, "apis[0].region: unknown region 'atlantis'"),
        ({"price": {"input": "0.1 USD/kWh", "output": "0.4 USD/Mtoken"}}, "apis[0].price.input"),
        (
            {"model": {"parameters": "8 billion", "parameters_max": "1 billion"}},
            "parameters_max (1e+09) is below",
        ),
    ],
)
def test_bad_declared_offering_is_one_line(change: dict, message: str) -> None:
    raw = copy.deepcopy(SCENARIO)
    raw["apis"][0].update(change)
    with pytest.raises(InputError) as e:
        scenario_from_dict(raw, file="own.yaml")
    text = str(e.value)
    assert message in text and "\n" not in text and "own.yaml" in text


def test_a_ranged_offering_shows_ecologits_min_max_per_query_in_the_assumptions() -> None:
    """An undisclosed model (40-100 B parameters, 8-20 B active) at PUE 1.09-1.14 and WUE 0.13-0.999 L/kWh in
    Sweden: the assumptions give each impact per query at both ends (request_impact_range, which the
    EcoLogits reference test pins), and the engine runs at the middle of each range."""
    from tco.scenario.resolve.api import request_impact_range, request_impacts

    raw = copy.deepcopy(SCENARIO)
    raw["workload"]["tokens_out"] = 500
    raw["apis"][0].update(
        {"region": "se", "pue": 1.09, "pue_max": 1.14, "wue": "0.13 L/kWh", "wue_max": "0.999 L/kWh",
         "model": {"parameters": "40 billion", "parameters_max": "100 billion",
                   "active_parameters": "8 billion", "active_parameters_max": "20 billion"}}
    )  # fmt: skip
    res = evaluate(scenario_from_dict(raw, file="own.yaml"))
    repo = load_repository()
    se = repo.regions["se"]
    g = repo.electricity_impacts.countries[se.country]
    grid = {"gwp": se.grid.intensity / 1000, "adpe": g.adpe, "pe": g.pe, "water": g.water}
    lo, hi = request_impact_range(
        repo.api_energy, (40e9, 100e9), (8e9, 20e9), 16, 500, (1.09, 1.14), (0.13, 0.999), grid
    )
    a = res.assumptions[res.assumptions["option"] == "acme"].set_index("parameter")
    water = a.loc["API water per query range (EcoLogits min-max)", "value"]
    assert water == f"{lo.water_l * 1e3:.4g}-{hi.water_l * 1e3:.4g}"
    energy = a.loc["API energy per query range (EcoLogits min-max)", "value"]
    assert energy == f"{lo.energy_kwh * 1e3:.4g}-{hi.energy_kwh * 1e3:.4g}"
    mid = request_impacts(repo.api_energy, 70e9, 14e9, 16, 500, 1.115, 0.5645, grid)
    row = res.summary.loc["acme"]
    assert row["ml_water_per_query"] == pytest.approx(mid.water_l * 1e3, rel=1e-9)
