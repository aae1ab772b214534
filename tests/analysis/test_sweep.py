"""Sweep points: the rows against the engine, failing points, per-point seeds, backends, resume, readers."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.analysis.evaluate import evaluate
from tco.analysis.sweep import prepare
from tco.analysis.sweep_backends import InProcess, LocalProcesses, execute, pending_work
from tco.analysis.sweep_summary import best_points, eta_squared, importance, pareto_min
from tco.errors import InputError
from tco.scenario.load import load_scenario, scenario_from_dict
from tco.scenario.sweep import apply_point, sweep_from_dict
from tco.scenario.sweep_store import SweepStore, read_meta

REPORT = {
    "run": "report",
    "inputs": [
        {"path": "workload.queries_per_day", "values": ["500000 query/day", "2000000 query/day"]},
        {"path": "options[slm-distilbert-t4].region", "name": "t4 region", "values": ["fr", "us-va"]},
    ],
    "keep": ["npv_cost", "emissions", "eligible", "best"],
}


def run(data, scenario="slm-vs-llm", backend=None, path=None, done=(), tmp=None):
    base = load_scenario(scenario)
    sw = sweep_from_dict(data, file="sweep.yaml")
    plan = prepare(sw, data, base)
    out = path or (tmp / "out.parquet")
    store = SweepStore(out, [(c.name, c.type) for c in plan.columns], {"digest": plan.job.key})
    got = store.start(resume=bool(done), overwrite=True) if not done else set(done)
    state = execute(plan, store, backend or InProcess(), done=got)
    store.finish(sw.count)
    return pq.read_table(out), state, plan


def test_a_row_holds_what_the_engine_gives_for_the_scenario_written_by_hand(tmp_path):
    table, state, _ = run(REPORT, tmp=tmp_path)
    df = table.to_pandas()
    assert list(df["point"]) == [0, 1, 2, 3] and state.computed == 4 and df["error"].isna().all()
    assert list(df["t4 region"]) == ["fr", "us-va", "fr", "us-va"]
    base = load_scenario("slm-vs-llm")
    raw = copy.deepcopy(base.raw)
    raw["workload"]["queries_per_day"] = "2000000 query/day"
    next(o for o in raw["options"] if o["id"] == "slm-distilbert-t4")["region"] = "us-va"
    summary = evaluate(scenario_from_dict(raw, file=base.file, repo=base.repo)).summary.set_index("option")
    row = df.iloc[3]
    for oid in summary.index:
        assert row[f"{oid}.npv_cost [USD]"] == summary.loc[oid, "npv_cost"]
        assert row[f"{oid}.emissions [kgCO2e]"] == summary.loc[oid, "emissions_kg"]
    # an API is priced per token: its cost follows the demand exactly (2,000,000 / 500,000 = 4)
    api = "api-70b"
    assert df.loc[2, f"{api}.npv_cost [USD]"] == pytest.approx(
        4 * df.loc[0, f"{api}.npv_cost [USD]"], rel=1e-12
    )
    eligible = [o for o in summary.index if row[f"{o}.eligible"]]
    cheapest = min(eligible, key=lambda o: summary.loc[o, "npv_cost"])
    assert row["best.option"] == cheapest and row["best.npv_cost [USD]"] == summary.loc[cheapest, "npv_cost"]


def test_a_failing_point_records_its_error_and_the_sweep_goes_on(tmp_path):
    data = {"run": "report", "inputs": [{"path": "defaults.region", "values": ["us-va", "atlantis", "fr"]}]}
    df = run(data, tmp=tmp_path)[0].to_pandas()
    assert df["error"].isna().tolist() == [True, False, True]
    assert "atlantis" in df.loc[1, "error"] and "\n" not in df.loc[1, "error"]
    assert math.isnan(df.loc[1, "llm-70b-h100.npv_cost [USD]"])
    assert df.loc[2, "llm-70b-h100.npv_cost [USD]"] > 0


def test_a_path_to_a_field_the_format_does_not_know_is_the_sweep_files_fault():
    data = {"run": "report", "inputs": [{"path": "workload.queries_per_dy", "values": ["1 query/day"]}]}
    base = load_scenario("slm-vs-llm")
    with pytest.raises(InputError, match=r"^sweep.yaml: inputs\[0\]\.path: the scenario has no such field"):
        prepare(sweep_from_dict(data, file="sweep.yaml"), data, base)
    data["inputs"][0]["path"] = "options[nope].region"
    with pytest.raises(
        InputError, match=r"^sweep.yaml: inputs\[0\]\.path: options\[nope\]\.region: no item 'nope'"
    ):
        prepare(sweep_from_dict(data, file="sweep.yaml"), data, base)


def test_unknown_output_and_memory_over_the_limit_are_refused_with_the_count():
    base = load_scenario("slm-vs-llm")
    data = {**REPORT, "keep": ["npv_cost", "happiness"]}
    with pytest.raises(
        InputError,
        match=r"^sweep.yaml: keep\[1\]: unknown output 'happiness' for run report, expected one of npv_cost",
    ):
        prepare(sweep_from_dict(data, file="sweep.yaml"), data, base)
    data = {
        "run": {"kind": "uncertainty", "samples": 100000},
        "inputs": [{"path": "discount_rate", "range": {"from": "1 %", "to": "10 %", "step": "1 %"}}],
        "limits": {"memory": "1 GiB"},
    }
    with pytest.raises(InputError) as e:
        prepare(sweep_from_dict(data, file="sweep.yaml"), data, base)
    assert str(e.value).startswith("sweep.yaml: limits.memory: 10 points x ")
    assert "over the limit of 1.0 GiB" in str(e.value)


UNCERTAIN = {
    "run": {"kind": "uncertainty", "samples": 64, "seed": 11},
    "inputs": [{"path": "discount_rate", "values": ["4 %", "8 %", "12 %"]}],
    "keep": ["npv_cost", "robust"],
}


def test_uncertainty_seeds_follow_the_point_not_the_block(tmp_path):
    one = run({**UNCERTAIN, "block": 1}, tmp=tmp_path / "a")[0]
    three = run({**UNCERTAIN, "block": 3}, tmp=tmp_path / "b")[0]
    assert one.equals(three)
    df = one.to_pandas()
    p10, p90 = df["llm-70b-h100.npv_cost.p10 [USD]"], df["llm-70b-h100.npv_cost.p90 [USD]"]
    assert (p10 < p90).all()  # the draws differ, so the percentiles spread


def test_two_local_processes_give_the_rows_of_this_process_bit_for_bit(tmp_path):
    data = {**REPORT, "block": 1}
    here = run(data, tmp=tmp_path / "a")[0]
    there, state, _ = run(data, backend=LocalProcesses(2), tmp=tmp_path / "b")
    assert state.computed == 4
    assert here.equals(there)


def test_resume_computes_only_what_no_block_holds(tmp_path):
    data = {**REPORT, "block": 1}
    full = run(data, tmp=tmp_path / "full")[0]
    base = load_scenario("slm-vs-llm")
    sw = sweep_from_dict(data, file="sweep.yaml")
    plan = prepare(sw, data, base)
    out = tmp_path / "part" / "out.parquet"
    store = SweepStore(out, [(c.name, c.type) for c in plan.columns], {"digest": plan.job.key})
    store.start(resume=False, overwrite=False)
    first = pending_work(plan, set())[:2]
    for b in first:  # two blocks written, as if the run had stopped there
        _, rows = next(InProcess().run(plan.job, [b]))
        store.write_block(rows)
    assert store.finish(sw.count) == 2 and store.parts.is_dir()
    again = SweepStore(out, [(c.name, c.type) for c in plan.columns], {"digest": plan.job.key})
    done = again.start(resume=True, overwrite=False)
    assert done == {0, 1}
    assert pending_work(plan, done) == [range(2, 3), range(3, 4)]
    state = execute(plan, again, InProcess(), done=done)
    assert state.computed == 2 and state.done == 4
    assert again.finish(sw.count) == 4 and not again.parts.exists()
    assert pq.read_table(out).equals(full)
    other = SweepStore(out, [(c.name, c.type) for c in plan.columns], {"digest": "another"})
    with pytest.raises(InputError, match=r"holds another sweep"):
        other.start(resume=True, overwrite=False)
    with pytest.raises(InputError, match=r"exists: expected --resume to continue it or --overwrite"):
        other.start(resume=False, overwrite=False)


def test_pandas_polars_and_duckdb_read_the_same_rows(tmp_path):
    import duckdb
    import polars as pl

    table, _, plan = run(REPORT, tmp=tmp_path)
    path = tmp_path / "out.parquet"
    pdf = pd.read_parquet(path)
    col = "llm-70b-h100.npv_cost [USD]"
    expected = table.column(col).to_pylist()
    assert pdf[col].tolist() == expected
    assert pl.read_parquet(path)[col].to_list() == expected
    con = duckdb.connect()
    got = con.execute(f"SELECT \"{col}\" FROM read_parquet('{path}') ORDER BY point").fetchall()
    assert [r[0] for r in got] == expected
    meta = read_meta(path)
    assert meta["digest"] == plan.job.key


def test_eta_squared_by_hand():
    x = pd.Series(["a", "a", "b", "b"])
    y = pd.Series([1.0, 3.0, 5.0, 7.0])
    # mean 4; groups a (mean 2) and b (mean 6): between = 2*4 + 2*4 = 16; total = 9+1+1+9 = 20
    assert eta_squared(x, y) == pytest.approx(0.8)
    assert eta_squared(pd.Series([1, 2, 3, 4]), pd.Series([5.0, 5.0, 5.0, 5.0])) == 0.0


def test_best_points_and_importance_read_the_table():
    df = pd.DataFrame(
        {
            "point": [0, 1, 2, 3],
            "g": ["x", "x", "y", "y"],
            "h": [1.0, 2.0, 1.0, 2.0],
            "cost [USD]": [10.0, 11.0, 30.0, 31.0],
            "error": [None, None, None, "boom"],
        }
    )
    best = best_points(df, {"cost [USD]": "max"}, ["g", "h"])
    assert best.iloc[0]["point"] == 2 and best.iloc[0]["inputs"] == {"g": "y", "h": 1.0}  # point 3 failed
    imp = importance(df, ["cost [USD]"], ["h", "g"])
    assert list(imp.index) == ["g", "h"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=25))
def test_pareto_min_matches_the_definition(pts):
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    on = pareto_min(x, y)
    for i in range(len(x)):
        dominated = any(x[j] <= x[i] and y[j] <= y[i] and (x[j] < x[i] or y[j] < y[i]) for j in range(len(x)))
        assert on[i] == (not dominated)


def test_the_readme_sweep_is_checked_against_the_portfolio():
    from pathlib import Path

    from tco.scenario.sweep import load_sweep
    from tco.scenario.yamlio import read_yaml

    path = Path(__file__).resolve().parents[2] / "sweeps" / "gpu-region-payment.yaml"
    sw = load_sweep(path)
    plan = prepare(sw, read_yaml(path), load_scenario("portfolio"))
    assert sw.count == 4 * 5 * 2 * 3
    assert [c.name for c in plan.inputs] == ["8B GPU", "region", "cloud pricing", "on-prem financing"]
    assert {c.output for c in plan.outputs} == {"npv_cost", "emissions", "saving", "meets_limits", "routes"}


PLAN_LHS = {
    "run": "plan",
    "inputs": [
        {"path": "workload.queries_per_day", "dist": {"dist": "range", "low": "1000000 query/day", "high": "4000000 query/day"}},
        {"path": "workload.annual_growth", "dist": {"dist": "range", "low": "0 %", "high": "40 %"}},
        {"path": "discount_rate", "dist": {"dist": "range", "low": "4 %", "high": "12 %"}},
        {"path": "defaults.region", "values": ["us-va", "fr", "de", "pl", "se"]},
    ],
    "combine": {"method": "latin-hypercube", "samples": 2, "seed": 1},
    "block": 1,
}  # fmt: skip


def test_a_plan_point_equals_tco_plan_of_the_edited_scenario_file(tmp_path, capsys):
    """The benchmark's sweep (benchmarks/sweep.py): a point, computed by a worker that keeps its context
    (the sweep, the data, the base) for many points, gives what `tco plan` gives for the scenario file
    written with that point's values, float for float."""
    import json

    import yaml

    from tco.cli.main import run as cli

    table, state, plan = run(PLAN_LHS, scenario="portfolio", tmp=tmp_path)
    assert state.computed == 2 and state.failed == 0
    df = table.to_pandas()
    sw = plan.sweep
    for k, raw_values, _cols in sw.points(0, 2):
        edited = apply_point(plan.base.raw, sw.edits(raw_values))
        path = tmp_path / f"point{k}.yaml"
        path.write_text(yaml.safe_dump(edited, sort_keys=False))
        capsys.readouterr()
        assert cli(["plan", str(path), "-f", "json"]) == 0
        got = json.loads(capsys.readouterr().out)
        opt, row = got["optimised"], df.iloc[k]
        assert row["plan.npv_cost [USD]"] == opt["npv_cost"]
        assert row["plan.emissions [kgCO2e]"] == opt["emissions_kg"]
        assert row["plan.meets_limits"] == opt["meets_limits"]
        for t in opt["tasks"]:
            assert row[f"route.{t['task']}"] == t["route"]
        baseline = next(c for c in got["compared"] if c["name"] == got["baseline"])
        assert row["baseline.npv_cost [USD]"] == baseline["npv_cost"]
        assert row["plan.saving [USD]"] == baseline["npv_cost"] - opt["npv_cost"]
