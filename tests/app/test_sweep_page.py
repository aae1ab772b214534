"""The Sweep page shows the opened Parquet file: its rows, the summary of its rows, the Pareto front."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tco.analysis.sweep import prepare
from tco.analysis.sweep_backends import InProcess, execute
from tco.analysis.sweep_summary import best_points, pareto_min
from tco.scenario.load import load_scenario
from tco.scenario.sweep import sweep_from_dict
from tco.scenario.sweep_store import SweepStore, read_sweep

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "sweep.py")
DATA = {
    "name": "demand x region",
    "run": "report",
    "inputs": [
        {
            "path": "workload.queries_per_day",
            "name": "demand",
            "values": ["500000 query/day", "4000000 query/day"],
        },
        {"path": "defaults.region", "name": "region", "values": ["us-va", "fr", "pl"]},
    ],
}


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = load_scenario("slm-vs-llm")
    sw = sweep_from_dict(DATA, file="s.yaml")
    plan = prepare(sw, DATA, base)
    out = tmp_path_factory.mktemp("sweep") / "s.parquet"
    meta = {
        "digest": plan.job.key,
        "sweep_name": "demand x region",
        "scenario_name": base.name,
        "run": "report",
        "method": "grid",
        "count": sw.count,
        "inputs": [c.name for c in plan.inputs],
        "objectives": {c.name: c.sense for c in plan.outputs if c.sense},
        "chart": ["best.npv_cost [USD]", "best.emissions [kgCO2e]"],
    }
    store = SweepStore(out, [(c.name, c.type) for c in plan.columns], meta)
    store.start(resume=False, overwrite=False)
    execute(plan, store, InProcess())
    store.finish(sw.count)
    return out


def opened(path: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.text_input(key="sweep_path").input(path)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_the_page_shows_the_files_rows_summary_and_pareto_front(sweep_file):
    at = opened(str(sweep_file))
    table, meta = read_sweep(sweep_file)
    df = table.to_pandas()
    rows = at.dataframe[1].value  # the page shows the front, then every row
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), df)
    best = best_points(df, meta["objectives"], meta["inputs"])
    shown = at.table[0].value
    assert list(shown["point"]) == list(best["point"])
    assert list(shown["objective"]) == ["lowest best npv cost (USD)", "lowest greenest emissions (kgCO2e)"]
    front = at.dataframe[0].value
    on = pareto_min(df["best.npv_cost [USD]"].to_numpy(), df["best.emissions [kgCO2e]"].to_numpy())
    assert sorted(front["point"]) == sorted(df.loc[on, "point"])
    assert "**6** of 6 points" in at.markdown[0].value


def test_a_file_that_is_no_sweep_gets_one_line(tmp_path):
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"not parquet")
    at = opened(str(bad))
    assert at.error[0].value.startswith(f"Not opened: {bad}: cannot be read as Parquet")
    at = opened(str(tmp_path / "missing.parquet"))
    assert (
        at.error[0].value
        == f"Not opened: {tmp_path / 'missing.parquet'}: no such file, expected a Parquet file written by `tco sweep`"
    )
