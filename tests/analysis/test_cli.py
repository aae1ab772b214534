from __future__ import annotations

import json

import pytest
import typer
import yaml
from typer.testing import CliRunner

from tco.cli import analysis as cli

from .conftest import base_raw


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    for name in ("compare", "sensitivity", "uncertainty", "breakeven", "curve"):
        app.command(name)(getattr(cli, name))
    return app


@pytest.fixture
def scenario_file(scenario_dir):
    raw = base_raw(
        option_grids=[{"id": "g", "profile": ["toy-fast", "toy-slow"], "deployment": "cloud"}],
        options=[{"id": "fast-onprem", "deployment": "on-prem", "profile": "toy-fast"}],
        uncertainty={
            "samples": 200,
            "seed": 1,
            "inputs": {"cloud_price": {"dist": "range", "low": 0.8, "high": 1.2}},
        },
    )
    raw["workload"].update({"latency_slo_p95": "2 s"})
    path = scenario_dir / "s.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


runner = CliRunner()


def test_compare_json_and_overrides(app, scenario_file):
    r = runner.invoke(app, ["compare", scenario_file, "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert {row["option"] for row in rows} == {"g-toy-fast", "g-toy-slow", "fast-onprem"}
    assert rows[-1]["option"] == "g-toy-slow" and rows[-1]["rank"] is None
    r = runner.invoke(app, ["compare", scenario_file, "--slo-p95", "10s", "--format", "json"])
    assert all(row["eligible"] for row in json.loads(r.output))


def test_compare_table_to_file(app, scenario_file, tmp_path):
    out = tmp_path / "rank.txt"
    r = runner.invoke(app, ["compare", scenario_file, "--rank-by", "emissions", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "Options ranked by emissions" in out.read_text()


def test_sensitivity_csv(app, scenario_file):
    r = runner.invoke(app, ["sensitivity", scenario_file, "--option", "g-toy-fast", "--format", "csv"])
    assert r.exit_code == 0, r.output
    header = r.stdout.splitlines()[0].split(",")  # the note on the inputs left out goes to stderr
    assert header[:3] == ["option", "input", "label"]
    assert {line.split(",")[0] for line in r.stdout.splitlines()[1:] if line} == {"g-toy-fast"}


def test_uncertainty_json_is_seeded(app, scenario_file):
    a = runner.invoke(app, ["uncertainty", scenario_file, "--format", "json"])
    b = runner.invoke(app, ["uncertainty", scenario_file, "--format", "json"])
    assert a.exit_code == 0, a.output
    assert a.output == b.output
    data = json.loads(a.output)
    assert set(data) == {"percentiles", "win_probabilities"}
    assert len(data["win_probabilities"]) == 3


def test_breakeven_table(app, scenario_file):
    r = runner.invoke(
        app,
        [
            "breakeven",
            scenario_file,
            "--a",
            "g-toy-fast",
            "--b",
            "fast-onprem",
            "--input",
            "queries_per_day",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.output)
    assert row["input"] == "queries_per_day"
    assert (row["option_a"], row["option_b"]) == ("g-toy-fast", "fast-onprem")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "no-such-scenario"], "error: no-such-scenario: no shipped scenario 'no-such-scenario'"),
        (["compare", "{file}", "--rank-by", "cheapness"], "error: rank-by: unknown rank key 'cheapness'"),
        (["breakeven", "{file}", "--a", "g-toy-fast"], "error: give both --a and --b, or neither"),
        (["breakeven", "{file}", "--input", "pue"], "error: {file}: input: no break-even range for 'pue'"),
        (["compare", "{file}", "--slo-p95", "fast"], "error: --slo-p95: got 'fast', expected a duration"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(app, scenario_file, args, message):
    r = runner.invoke(app, [a.format(file=scenario_file) for a in args])
    assert r.exit_code == 2
    assert r.output.startswith(message.format(file=scenario_file))
    assert "Traceback" not in r.output


def test_curve_prints_cost_and_energy_per_query_against_load(app: typer.Typer) -> None:
    result = runner.invoke(app, ["curve", "slm-vs-llm", "--option", "llm-8b-h100-cloud", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["load_pct"] for r in rows][:3] == [1.0, 2.0, 5.0]
    costs = [r["cost_per_1m_tokens"] for r in rows]
    energy = [r["wh_per_query"] for r in rows]
    assert costs == sorted(costs, reverse=True)  # the under-utilisation penalty
    assert energy == sorted(energy, reverse=True)
    assert costs[0] / costs[-1] == pytest.approx(100.0)  # a rented replica: rent shared by 100x the queries


def test_curve_of_an_unknown_option_is_one_line(app: typer.Typer) -> None:
    result = runner.invoke(app, ["curve", "slm-vs-llm", "--option", "nope"])
    assert result.exit_code == 2
    assert "unknown option 'nope', expected one of llm-70b-h100" in result.output


def test_analyses_of_a_task_portfolio_say_they_are_of_each_option_alone(app, scenario_file):
    r = runner.invoke(app, ["compare", "--format", "json"])  # the default: the task portfolio
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)  # stdout stays clean JSON; the note goes to stderr
    assert r.stderr.startswith("note: Each option alone, serving all 2,000,000 queries a day as sentiment")
    assert r.stderr.rstrip().endswith("not the plan; `tco plan` routes the tasks")
    r = runner.invoke(app, ["compare", scenario_file, "--format", "json"])  # one task: no note
    assert r.exit_code == 0 and r.stderr == ""
