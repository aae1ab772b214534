"""The sweep file: paths into a scenario, values, ranges, distributions, grids and samples, and its errors."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tco.errors import InputError
from tco.scenario.sweep import apply_point, blocks, parse_path, set_path, sweep_from_dict

RAW = {
    "workload": {"queries_per_day": "1000 query/day", "tasks": [{"task": "code", "share": "100 %"}]},
    "options": [
        {"id": "a", "deployment": "cloud", "region": "fr"},
        {"id": "b", "deployment": "on-prem"},
        {"id": "c", "deployment": "cloud"},
    ],
}


def sweep(**kw):
    data = {"run": "report", "inputs": [{"path": "workload.queries_per_day", "values": ["1 query/day"]}]}
    data.update(kw)
    return sweep_from_dict(data, file="s.yaml")


def test_a_path_reads_keys_and_selectors():
    steps = parse_path("options[deployment=cloud].fleet.accelerators")
    assert [s.text() for s in steps] == ["options", "[deployment=cloud]", "fleet", "accelerators"]
    assert [s.text() for s in parse_path("workload.tasks[0].share")] == ["workload", "tasks", "[0]", "share"]
    with pytest.raises(ValueError, match=r"expected a selector in brackets"):
        parse_path("options[a]x")


def test_set_path_by_id_task_position_every_and_filter():
    out = apply_point(RAW, [(("options[b].pue",), "1.2")])
    assert out["options"][1]["pue"] == "1.2" and "pue" not in RAW["options"][1]  # a copy, RAW untouched
    out = apply_point(RAW, [(("options[deployment=cloud].pricing",), "spot")])
    assert [o.get("pricing") for o in out["options"]] == ["spot", None, "spot"]
    out = apply_point(RAW, [(("options[*].region", "workload.tasks[code].share"), "x")])
    assert {o["region"] for o in out["options"]} == {"x"} and out["workload"]["tasks"][0]["share"] == "x"
    out = apply_point(RAW, [(("defaults.region",), "de")])  # a missing mapping is created
    assert out["defaults"] == {"region": "de"}


def test_set_path_names_a_missing_item_and_what_exists():
    with pytest.raises(InputError, match=r"options\[z\]\.region: no item 'z', expected one of a, b, c"):
        set_path(dict(RAW), "options[z].region", "fr")
    with pytest.raises(InputError, match=r"position 7 is past the end of a list of 3"):
        set_path(dict(RAW), "options[7].region", "fr")


def test_a_grid_runs_every_combination_last_input_fastest():
    s = sweep(
        inputs=[
            {"path": "defaults.region", "name": "region", "values": ["fr", "de"]},
            {
                "path": "workload.queries_per_day",
                "range": {"from": "1000 query/day", "to": "3000 query/day", "step": "1000 query/day"},
            },
        ]
    )
    assert s.count == 6
    assert [a.column_name for a in s.axes] == ["region", "workload.queries_per_day [query/day]"]
    pts = list(s.points())
    assert [p[2] for p in pts] == [
        ("fr", 1000.0), ("fr", 2000.0), ("fr", 3000.0), ("de", 1000.0), ("de", 2000.0), ("de", 3000.0)
    ]  # fmt: skip
    assert pts[4][1] == ("de", "2000 query/day")  # what is written into the scenario, with its unit
    assert list(s.points(2, 4)) == pts[2:4]


def test_a_range_with_a_fractional_step_reads_back_exactly():
    s = sweep(
        inputs=[{"path": "workload.annual_growth", "range": {"from": "0 %", "to": "0.3 %", "step": "0.1 %"}}]
    )
    assert [p[1][0] for p in s.points()] == ["0 %", "0.1 %", "0.2 %", "0.3 %"]
    assert s.axes[0].column_name == "workload.annual_growth [%]"


def test_list_values_in_different_units_share_the_first_ones_unit():
    s = sweep(inputs=[{"path": "horizon", "values": ["12 months", "2 years"]}])
    assert [p[2][0] for p in s.points()] == [12.0, 24.0]
    assert [p[1][0] for p in s.points()] == ["12 months", "2 years"]  # written as the user wrote them


def test_a_grid_over_the_point_budget_is_refused_with_its_count_before_expanding():
    t0 = time.perf_counter()
    with pytest.raises(InputError) as e:
        sweep(
            inputs=[
                {"path": "a", "values": [1, 2, 3]},
                {"path": "b", "range": {"from": 0, "to": 10**12, "step": 1}},
            ]
        )
    assert str(e.value) == (
        "s.yaml: inputs[1].range: 1,000,000,000,001 values, over the point budget of 100,000 (limits.points); "
        "expected a larger step"
    )
    with pytest.raises(InputError) as e:
        sweep(
            inputs=[{"path": "a", "values": list(range(400))}, {"path": "b", "values": list(range(300))}],
            limits={"points": 100000},
        )
    assert str(e.value) == (
        "s.yaml: inputs: the grid has 400 x 300 = 120,000 points, over the point budget of 100,000; "
        "expected fewer values or a higher limits.points"
    )
    assert time.perf_counter() - t0 < 5  # nothing was expanded (a loose bound: this is not a timing test)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"run": "simulate"}, "s.yaml: run.kind: Input should be 'report', 'plan' or 'uncertainty'"),
        (
            {"inputs": [{"path": "x"}]},
            "s.yaml: inputs[0]: expected exactly one of values, range or dist, got none",
        ),
        ({"inputs": [{"path": "x", "values": [1], "colour": 1}]}, "s.yaml: inputs[0].colour: unknown field"),
        (
            {"inputs": [{"path": "x", "dist": {"dist": "normal", "mean": "1 W", "sd": "1 W"}}]},
            "s.yaml: inputs[0].dist: a distribution cannot be a grid axis",
        ),
        ({"combine": {"method": "sobol"}}, "s.yaml: combine: sobol needs samples"),
        (
            {"inputs": [{"path": "x", "range": {"from": "1 W", "to": "2 W", "step": "1 s"}}]},
            "s.yaml: inputs[0].range.step: got '1 s', expected the unit of `from` (W)",
        ),
        ({"limits": {"memory": "4 potatoes"}}, "s.yaml: limits.memory:"),
        (
            {"run": {"kind": "plan", "samples": 3}},
            "s.yaml: run: samples is for run kind uncertainty, not plan",
        ),
        (
            {"inputs": [{"path": "x", "values": [1]}, {"path": "x", "values": [2]}]},
            "s.yaml: inputs[1] and inputs[0] are both named 'x'",
        ),
    ],
)
def test_a_bad_sweep_file_is_one_line_naming_file_and_field(data, message):
    base = {"run": "report", "inputs": [{"path": "workload.queries_per_day", "values": ["1 query/day"]}]}
    with pytest.raises(InputError) as e:
        sweep_from_dict({**base, **data}, file="s.yaml")
    assert str(e.value).startswith(message), str(e.value)
    assert "\n" not in str(e.value)


def test_latin_hypercube_strata_and_seed():
    spec = {
        "inputs": [
            {"path": "a", "values": ["x", "y", "z", "w"]},
            {"path": "b", "dist": {"dist": "range", "low": "0 W", "high": "100 W"}},
        ],
        "combine": {"method": "latin-hypercube", "samples": 8, "seed": 3},
    }
    s = sweep(**spec)
    pts = list(s.points())
    # a Latin hypercube puts one sample in each eighth of every input's range
    b = sorted(p[2][1] for p in pts)
    assert [int(v // 12.5) for v in b] == list(range(8))
    assert sorted(p[2][0] for p in pts) == sorted(["x", "y", "z", "w"] * 2)
    assert pts[0][1][1] == f"{pts[0][2][1]!r} W" or pts[0][1][1].endswith(" W")
    assert list(sweep(**spec).points()) == pts  # the same seed, the same points
    other = list(sweep(**{**spec, "combine": {**spec["combine"], "seed": 4}}).points())
    assert other != pts


def test_sobol_draws_the_samples_asked_for():
    s = sweep(
        inputs=[{"path": "b", "dist": {"dist": "triangular", "low": 1, "mode": 2, "high": 4}}],
        combine={"method": "sobol", "samples": 100, "seed": 1},
    )
    vals = np.array([p[2][0] for p in s.points()])
    assert len(vals) == 100 and vals.min() >= 1 and vals.max() <= 4
    assert abs(vals.mean() - 7 / 3) < 0.05  # the triangular mean (1 + 2 + 4) / 3


def test_blocks_cover_every_point_once_and_depend_on_the_sweep_only():
    s = sweep(inputs=[{"path": "a", "values": list(range(23))}], block=5)
    bs = blocks(s)
    assert [list(b) for b in bs][-1] == [20, 21, 22]
    assert sum(len(b) for b in bs) == 23


def test_set_writes_fixed_values_before_each_points_inputs():
    s = sweep(
        set={"options[b].financing_rate": "6 %"},
        inputs=[{"path": "options[b].financing", "values": ["loan"]}],
    )
    edits = s.edits(next(s.points())[1])
    assert edits == [(("options[b].financing_rate",), "6 %"), (("options[b].financing",), "loan")]
    out = apply_point(RAW, edits)
    assert out["options"][1]["financing_rate"] == "6 %" and out["options"][1]["financing"] == "loan"
    with pytest.raises(InputError, match=r"^s.yaml: set: cannot read the path 'a..b'"):
        sweep(set={"a..b": 1})
