from __future__ import annotations

import pytest

from tco.api import scenario_from_dict
from tco.errors import InputError
from tco.scenario.analysis_inputs import breakeven_bounds, load_defaults, tornado_bounds, uncertainty_inputs

from .conftest import base_raw


def _load(scenario_dir, **sections):
    return scenario_from_dict(base_raw(**sections), base_dir=scenario_dir)


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            {"sensitivity": {"inputs": {"power": "±20 %"}}},
            "scenario: sensitivity.inputs: unknown input 'power', expected one of energy_per_query",
        ),
        (
            {"sensitivity": {"inputs": {"pue": "20 %"}}},
            "scenario: sensitivity.inputs: pue: got '20 %', expected a relative range such as '±20 %'",
        ),
        (
            {
                "sensitivity": {
                    "inputs": {"electricity_price": {"low": "0.1 USD/kWh", "high": 2, "kind": "factor"}}
                }
            },
            "scenario: sensitivity.inputs: electricity_price: got '0.1 USD/kWh': a factor is a bare number",
        ),
        (
            {"sensitivity": {"options": {"fast-cloud": {"discount_rate": "±10 %"}}}},
            "scenario: sensitivity.options: fast-cloud: 'discount_rate' applies to the whole finance, not to one option",
        ),
        (
            {"uncertainty": {"inputs": {"pue": {"dist": "triangular", "low": 1.1, "high": 1.5}}}},
            "scenario: uncertainty.inputs.pue: a triangular distribution needs low, mode, high; missing mode",
        ),
        (
            {"uncertainty": {"inputs": {"pue": {"dist": "normal", "mean": 1.3, "sd": 0.1, "low": 1}}}},
            "scenario: uncertainty.inputs.pue: a normal distribution takes mean, sd, not low",
        ),
        (
            {"uncertainty": {"inputs": {"lifetime": {"dist": "range", "low": "3 kWh", "high": "5 years"}}}},
            "scenario: uncertainty.inputs: lifetime.low: got '3 kWh'",
        ),
        ({"uncertainty": {"samples": 10, "sed": 1}}, "scenario: uncertainty.sed: unknown field"),
    ],
)
def test_bad_sections_name_the_field(scenario_dir, sections, message):
    with pytest.raises(InputError) as e:
        _load(scenario_dir, **sections)
    assert str(e.value).startswith(message)


def test_ranges_in_engine_units_with_currency_conversion(scenario_dir):
    loaded = _load(
        scenario_dir,
        currency={"reporting": "USD", "rates": {"EUR": "1.1 USD/EUR"}},
        sensitivity={
            "use_defaults": False,
            "inputs": {
                "electricity_price": {"low": "0.1 EUR/kWh", "high": "0.2 EUR/kWh"},
                "energy_per_query": "±25 %",
                "lifetime": {"low": "3 years", "high": "5 years"},
                "grid_intensity": {"low": "100 gCO2e/kWh", "high": "300 gCO2e/kWh"},
                "pue": {"low": 1.1, "high": 1.4},
            },
        },
    )
    shared, per_option = tornado_bounds(loaded)
    assert list(shared) == ["energy_per_query", "electricity_price", "grid_intensity", "pue", "lifetime"]
    assert (shared["electricity_price"].low, shared["electricity_price"].high) == pytest.approx((0.11, 0.22))
    assert shared["electricity_price"].kind == "absolute"
    assert (shared["energy_per_query"].kind, shared["energy_per_query"].low) == ("factor", 0.75)
    assert (shared["lifetime"].low, shared["lifetime"].high) == pytest.approx((36.0, 60.0))
    assert shared["grid_intensity"].high == pytest.approx(0.3)  # kgCO2e/kWh in the engine
    assert (shared["pue"].kind, shared["pue"].low) == ("absolute", 1.1)  # bare numbers are absolute for pue
    assert per_option == {}


def test_defaults_fill_what_the_scenario_does_not_say(scenario_dir):
    defaults = load_defaults()
    loaded = _load(scenario_dir, sensitivity={"inputs": {"pue": {"low": 1.2, "high": 1.3}}})
    shared, _ = tornado_bounds(loaded)
    assert set(shared) == set(defaults.tornado) | {"pue"}
    assert shared["pue"].high == 1.3
    bounds, pair = breakeven_bounds(loaded)
    assert set(bounds) == set(defaults.breakeven) and pair is None


def test_unknown_option_in_a_section_is_refused_at_load(scenario_dir):
    with pytest.raises(
        InputError, match=r"uncertainty\.options\.nope: unknown option 'nope', expected one of fast-cloud"
    ):
        _load(
            scenario_dir,
            uncertainty={"options": {"nope": {"pue": {"dist": "range", "low": 1.1, "high": 1.2}}}},
        )


def test_break_even_pair_of_one_option_twice_is_refused_at_load(scenario_dir):
    with pytest.raises(InputError) as e:
        _load(scenario_dir, sensitivity={"breakeven": {"pair": ["fast-cloud", "fast-cloud"]}})
    assert str(e.value).endswith(
        "sensitivity.breakeven.pair: names 'fast-cloud' twice, expected two different options"
    )


def test_uncertainty_defaults_and_overrides(scenario_dir):
    loaded = _load(
        scenario_dir,
        uncertainty={
            "samples": 300,
            "seed": 5,
            "inputs": {
                "queries_per_day": {"dist": "lognormal", "median": 1, "sigma": 0.2},
                "electricity_price": {"dist": "normal", "mean": "0.1 USD/kWh", "sd": "0.01 USD/kWh"},
            },
        },
    )
    u = uncertainty_inputs(loaded)
    assert (u.samples, u.seed) == (300, 5)
    assert u.shared["electricity_price"].params == pytest.approx({"mean": 0.1, "sd": 0.01})
    assert u.shared["queries_per_day"].kind == "factor"
    assert uncertainty_inputs(loaded, samples=50, seed=1).samples == 50
    assert uncertainty_inputs(_load(scenario_dir)).samples == 2000


def test_scenario_break_even_ranges_replace_the_defaults(scenario_dir):
    loaded = _load(
        scenario_dir,
        sensitivity={
            "breakeven": {
                "inputs": {
                    "queries_per_day": {"low": 0.5, "high": 2},
                    "carbon_price": {"low": "0 USD/tCO2e", "high": "200 USD/tCO2e"},
                },
            }
        },
    )
    bounds, pair = breakeven_bounds(loaded)
    assert (bounds["queries_per_day"].low, bounds["queries_per_day"].high) == (0.5, 2.0)
    assert bounds["carbon_price"].high == pytest.approx(0.2)  # per kgCO2e in the engine
    assert bounds["carbon_price"].source == "scenario"
    assert pair is None
