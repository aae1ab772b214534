"""Cost vs interactivity (`tco curve --interactivity`, the chart in the app's Load curve view): each point is
one replica held at full load at one concurrency of the sweep, priced by the engine's own load curve."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tco.analysis.curve import interactivity_curves
from tco.analysis.view import compute_view
from tco.cli import app
from tco.engine.curve import load_curve
from tco.presentation import charts
from tco.scenario.load import scenario_from_dict
from tco.scenario.repository import Repository, load_repository

DATA = Path(__file__).resolve().parents[1] / "data" / "serving-profiles"


@pytest.fixture(scope="module")
def repo() -> Repository:
    return load_repository(DATA)


def _raw(**workload: Any) -> dict[str, Any]:
    return {
        "name": "interactivity",
        "start": "2026-01",
        "horizon": "12 months",
        "workload": {
            "task": "chat",
            "queries_per_day": "100000 query/day",
            "tokens_in": 1000,
            "tokens_out": 100,
            **workload,
        },
        "defaults": {"region": "testland"},
        "options": [
            {"id": "a", "deployment": "cloud", "profile": "sweep"},
            {"id": "api", "deployment": "api", "api": "testapi"},
        ],
    }


def test_each_point_is_one_replica_at_full_load_at_that_concurrency(repo: Repository) -> None:
    raw = _raw(tpot_p95="0.035 s")
    raw["options"] = raw["options"][:1]
    loaded = scenario_from_dict(raw, repo=repo)
    frame = interactivity_curves(loaded.resolved)
    # batches 8 and 32 of the profile, and the capacity point between them (20, README example)
    assert frame["concurrency"].tolist() == [8.0, 20.0, 32.0]
    assert frame["capacity"].tolist() == [False, True, False]
    # tokens/s per user = 1 / median TPOT: 0.02 s at 8, 0.05 s at 32, 0.035 s at 20
    assert frame["tokens_per_second_per_user"].tolist() == pytest.approx([50.0, 1 / 0.035, 20.0])
    # output tokens/s per accelerator = throughput x 100 tokens / 1 GPU: 4, 7, 10 query/s
    assert frame["output_tokens_per_second_per_accelerator"].tolist() == pytest.approx([400.0, 700.0, 1000.0])
    o = loaded.resolved.options[0]
    for p, cost in zip(o.serving_points, frame["cost_per_1m_tokens"], strict=True):
        at = o.with_values(
            throughput_qps=p.throughput_qps,
            energy_per_query_kwh=p.energy_j / 3.6e6,
            sweep_throughput=(1.0,),
            sweep_energy=(1.0,),
            sweep_latency_p95_s=(),
            sweep_batch=(p.concurrency,),
        )
        want = load_curve(at, loaded.resolved.workload, loaded.resolved.finance, [1.0])["cost_per_1m_tokens"][
            0
        ]
        assert cost == pytest.approx(want, rel=1e-12)
    # cloud rent dominates: a replica-hour (2 USD) over 4, 7 or 10 query/s x 100 tokens, per 1M tokens
    assert frame["cost_per_1m_tokens"].is_monotonic_decreasing


def test_the_chart_plots_the_frame_and_rings_the_capacity_point(repo: Repository) -> None:
    raw = _raw(tpot_p95="0.035 s")
    raw["options"] = raw["options"][:1]
    view = compute_view(scenario_from_dict(raw, repo=repo), charts=True)
    frame = interactivity_curves(view.results.resolved)
    assert view.interactivity is not None and view.interactivity.equals(frame)
    spec = charts.interactivity_chart(view).to_dict()
    (line, ring) = spec["layer"]
    datasets = spec["datasets"]
    plotted = datasets[line["data"]["name"]]
    assert [r["concurrency"] for r in plotted] == frame["concurrency"].tolist()
    assert [r["cost_per_1m_tokens"] for r in plotted] == pytest.approx(frame["cost_per_1m_tokens"].tolist())
    assert [r["concurrency"] for r in datasets[ring["data"]["name"]]] == [20.0]
    assert "Interactivity (output tokens/s per user)" in str(spec)


def test_an_api_has_no_interactivity_curve(repo: Repository) -> None:
    raw = _raw()
    raw["options"] = raw["options"][1:]
    raw["workload"].pop("tokens_in")
    frame = interactivity_curves(scenario_from_dict(raw, repo=repo).resolved)
    assert frame.empty and "cost_per_1m_tokens" in frame.columns


def test_cli_curve_interactivity_on_the_shipped_gpt_oss_profiles() -> None:
    r = CliRunner().invoke(app, ["curve", "gpt-oss", "--interactivity", "-f", "json"])
    assert r.exit_code == 0, r.output
    import json

    rows = json.loads(r.stdout)
    options = {row["option"] for row in rows}
    assert options == {"gpt-oss-h100", "gpt-oss-20b-h100"}
    caps = [row for row in rows if row["capacity"]]
    assert len(caps) == 2
    for row in caps:  # the 50 tokens/s per user target (tpot_p95 = 0.02 s) holds at the capacity point
        assert row["tpot_p95_s"] <= 0.02 * (1 + 1e-9)
        assert not math.isnan(row["cost_per_1m_tokens"])
    table = CliRunner().invoke(app, ["curve", "gpt-oss", "--interactivity"])
    assert table.exit_code == 0 and "tok/s/user" in table.stdout and "Cost vs interactivity" in table.stdout
