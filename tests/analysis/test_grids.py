from __future__ import annotations

import copy

import pytest
import yaml

from tco.api import scenario_from_dict
from tco.errors import InputError
from tco.scenario.grids import expand_grids, slug

from .conftest import base_raw

GRID = {
    "id": "g",
    "profile": ["toy-fast", "toy-slow"],
    "deployment": ["cloud", "on-prem"],
    "region": ["fr", "us-va"],
    "pue": 1.3,
}


def test_every_combination_becomes_an_option_in_axis_order():
    raw = base_raw(option_grids=[GRID])
    out = expand_grids(raw)
    ids = [o["id"] for o in out["options"]]
    assert len(ids) == 1 + 2 * 2 * 2
    assert ids[1:4] == ["g-toy-fast-cloud-fr", "g-toy-fast-cloud-us-va", "g-toy-fast-on-prem-fr"]
    assert ids[-1] == "g-toy-slow-on-prem-us-va"
    assert all(o["pue"] == 1.3 for o in out["options"][1:])
    # the deployment and region are in the name the engine builds, not in the grid's label
    assert out["options"][1]["name"] == "g: toy-fast"


def test_raw_mapping_is_not_changed_and_yaml_keeps_the_grid(scenario_dir):
    raw = base_raw(option_grids=[GRID])
    before = copy.deepcopy(raw)
    loaded = scenario_from_dict(raw, base_dir=scenario_dir)
    assert raw == before
    assert len(loaded.spec.options) == 9
    assert loaded.spec.option_grids[0].id == "g"
    again = yaml.safe_load(loaded.to_yaml())
    assert again["option_grids"] == [GRID]
    assert [o["id"] for o in again["options"]] == ["fast-cloud"]


def test_no_grids_returns_the_same_mapping():
    raw = base_raw()
    assert expand_grids(raw) is raw


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({**GRID, "region": []}, "scenario: option_grids[0].region: empty list, expected at least one value"),
        (
            {**GRID, "deployment": ["cloud", "rented"]},
            "scenario: option_grids[0].deployment[1]: Input should be 'on-prem', 'cloud' or 'api', got 'rented'",
        ),
        ({**GRID, "pue": 0.5}, "scenario: option_grids[0].pue: got 0.5, expected at least 1"),
        ({**GRID, "colour": "red"}, "scenario: option_grids[0]: unknown option field 'colour' in a grid"),
        ({**GRID, "id": "Bad Id"}, "scenario: option_grids[0].id: String should match pattern"),
    ],
)
def test_errors_name_the_grid_field(grid, message):
    with pytest.raises(InputError) as e:
        expand_grids(base_raw(option_grids=[grid]))
    assert str(e.value).startswith(message)


def test_too_many_combinations():
    grid = {
        "id": "g",
        "profile": "toy-fast",
        "deployment": "cloud",
        "pue": [1.0 + i / 100 for i in range(30)],
        "utilisation": [i / 100 for i in range(10, 30)],
    }
    with pytest.raises(
        InputError, match=r"option_grids\[0\]: expands to 600 options \(30 pue x 20 utilisation\)"
    ):
        expand_grids(base_raw(option_grids=[grid]))


def test_duplicate_ids_are_reported_by_scenario_validation(scenario_dir):
    raw = base_raw(option_grids=[GRID, GRID])
    with pytest.raises(InputError, match="option ids must be unique"):
        scenario_from_dict(raw, base_dir=scenario_dir)


@pytest.mark.parametrize(
    ("value", "text"), [("0.12 USD/kWh", "0.12-usd-kwh"), ("fr", "fr"), (1.5, "1.5"), ("40 %", "40")]
)
def test_slug(value, text):
    assert slug(value) == text
