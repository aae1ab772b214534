"""A scenario cascade that takes its share and quality from a `tco measure-cascade` file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tco.analysis.evaluate import evaluate
from tco.analysis.portfolio import build_problem, plan_portfolio
from tco.api import load_scenario
from tco.errors import InputError
from tco.scenario.load import scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]
CASCADE_ID = "arith-8b-then-70b"


def measurement(**changes: Any) -> dict[str, Any]:
    """A cascade file as `tco measure-cascade` writes it: 7 of 20 escalated, cascade quality 0.93."""
    data: dict[str, Any] = {
        "format": "slm-tco.cascade/1",
        "task": "arithmetic",
        "prompts": {"source": "measure/tasks/arithmetic.jsonl", "n": 20},
        "first": {
            "model": "llama-3.1-8b",
            "kind": "causal-lm",
            "parameters": 8030261248,
            "quality": {"metric": "exact-match-number", "value": 0.8, "n": 20},
        },
        "then": {
            "model": "llama-3.1-70b",
            "kind": "causal-lm",
            "quality": {"metric": "exact-match-number", "value": 0.95, "n": 20},
        },
        "confidence": {
            "rule": "mean log-probability of the generated tokens (greedy decoding)",
            "unit": "nat/token",
            "selection": "threshold",
            "threshold": -0.9,
        },
        "escalate": "35 %",
        "escalated": 7,
        "quality": {"metric": "exact-match-number", "value": 0.93, "n": 20},
        "measured": {"date": "2026-11-23T14:00:00+00:00", "tool": "tco measure-cascade", "device": "cpu"},
    }
    data.update(changes)
    return data


def scenario_dir(tmp_path: Path, cascade: dict[str, Any] | None = None, **spec: Any) -> Path:
    """The shipped portfolio scenario in `tmp_path`, its cascade reading `cascade.yaml` beside it."""
    raw = yaml.safe_load((ROOT / "profiles/scenarios/portfolio.yaml").read_text())
    raw["plan"]["cascades"][0].update({"escalate": {"measured": "cascade.yaml"}, **spec})
    (tmp_path / "portfolio.yaml").write_text(yaml.safe_dump(raw))
    if cascade is not None:
        (tmp_path / "cascade.yaml").write_text(yaml.safe_dump(cascade))
    return tmp_path / "portfolio.yaml"


def test_measured_share_and_quality_drive_the_cascade_route(tmp_path: Path) -> None:
    loaded = load_scenario(scenario_dir(tmp_path, measurement()))
    _, full = build_problem(loaded)
    cascade = full.route("arithmetic", CASCADE_ID)
    # each stage runs at the capacity point of half the task's 60 s SLO: the single routes of a 30 s SLO
    half = copy.deepcopy(loaded.raw)
    task = next(t for t in half["workload"]["tasks"] if t["task"] == "arithmetic")
    task["latency_slo_p95"] = "30 s"
    half["plan"] = {"candidates": {"arithmetic": ["llm-8b-h100-cloud", "llm-70b-h100"]}}
    _, at_half = build_problem(loaded.with_changes(half))
    first = at_half.route("arithmetic", "llm-8b-h100-cloud")
    then = at_half.route("arithmetic", "llm-70b-h100")
    assert cascade.cost == pytest.approx(first.cost + 0.35 * then.cost)
    assert cascade.kg == pytest.approx(first.kg + 0.35 * then.kg)
    assert cascade.quality == pytest.approx(0.93)  # measured, not the mix 0.65 x 0.845 + 0.35 x 0.951
    assert cascade.metric == "exact-match-number (cascade, measured, n=20)"
    assert cascade.stages[1].share == pytest.approx(0.35)


def test_assumptions_say_the_share_was_measured_and_how(tmp_path: Path) -> None:
    path = scenario_dir(tmp_path, measurement())
    loaded = load_scenario(path)
    rows = [r for r in evaluate(loaded).assumptions.to_dict("records") if r["option"].startswith("cascade ")]
    share = next(r for r in rows if r["parameter"] == "escalated share")
    assert share["option"] == f"cascade {CASCADE_ID} (llm-8b-h100-cloud -> llm-70b-h100, arithmetic)"
    assert float(share["value"]) == pytest.approx(0.35)
    src = share["source"]
    assert src.startswith(f"measured: {tmp_path / 'cascade.yaml'} ")
    for part in ("n=20", "threshold -0.9 nat/token", "mean log-probability", "llama-3.1-8b -> llama-3.1-70b"):
        assert part in src
    quality = next(r for r in rows if r["parameter"].startswith("quality"))
    assert quality["parameter"] == "quality (arithmetic, exact-match-number)"
    assert float(quality["value"]) == pytest.approx(0.93)
    res = plan_portfolio(loaded)
    assert res.names[CASCADE_ID].endswith("(35% escalated, measured)")


def test_a_given_share_says_given() -> None:
    rows = load_scenario("portfolio").resolved.assumptions
    share = next(r for r in rows if r["parameter"] == "escalated share")
    assert share["value"] == pytest.approx(0.6)
    assert share["source"] == "given in scenario plan.cascades"
    mix = next(r for r in rows if r["option"].startswith("cascade ") and r["parameter"].startswith("quality"))
    assert "escalation at random" in mix["source"]


def test_the_measured_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = scenario_dir(tmp_path, measurement())
    assert load_scenario(path).cascades[CASCADE_ID].result.escalate == pytest.approx(0.35)
    (tmp_path / "cascade.yaml").write_text(yaml.safe_dump(measurement(escalate="10 %", escalated=2)))
    assert load_scenario(path).cascades[CASCADE_ID].result.escalate == pytest.approx(0.10)


def _error(path: Path) -> str:
    with pytest.raises(InputError) as e:
        load_scenario(path)
    text = str(e.value)
    assert "\n" not in text
    return text


def test_missing_file_names_scenario_field_and_path(tmp_path: Path) -> None:
    text = _error(scenario_dir(tmp_path))
    assert text == (
        f"{tmp_path / 'portfolio.yaml'}: plan.cascades[0].escalate.measured ({tmp_path / 'cascade.yaml'}): "
        "no such file"
    )


def test_task_mismatch_is_refused(tmp_path: Path) -> None:
    text = _error(scenario_dir(tmp_path, measurement(task="code")))
    assert text == (
        f"{tmp_path / 'portfolio.yaml'}: plan.cascades[0].escalate.measured: measured on task 'code' "
        f"(file {tmp_path / 'cascade.yaml'}), expected a measurement of task 'arithmetic'"
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"escalate": "50 %"}, "", "escalate 0.5 differs from escalated / n = 7/20"),
        ({"escalated": 30}, "", "escalated 30 of 20 prompts"),
        ({"format": "slm-tco.cascade/9"}, "format", "slm-tco.cascade/1"),
        ({"quality": {"metric": "accuracy", "value": 0.9, "n": 20}}, "", "different metrics"),
        ({"quality": {"metric": "exact-match-number", "value": 1.4, "n": 20}}, "quality.value", ""),
        ({"surprise": 1}, "surprise", "unknown field"),
    ],
)
def test_invalid_file_is_one_line_naming_it(
    tmp_path: Path, changes: dict[str, Any], field: str, message: str
) -> None:
    text = _error(scenario_dir(tmp_path, measurement(**changes)))
    assert text.startswith(f"{tmp_path / 'cascade.yaml'}: {field}")
    assert message in text


def test_not_yaml_mapping_is_one_line(tmp_path: Path) -> None:
    path = scenario_dir(tmp_path)
    (tmp_path / "cascade.yaml").write_text("- just\n- a list\n")
    assert _error(path).startswith(f"{tmp_path / 'cascade.yaml'}: expected a mapping of fields")


def test_quality_and_measured_together_are_refused(tmp_path: Path) -> None:
    text = _error(scenario_dir(tmp_path, measurement(), quality=0.9))
    assert "plan.cascades[0]" in text
    assert "give quality or escalate: {measured: ...}, not both" in text


@pytest.mark.parametrize("value", [{"measure": "x.yaml"}, {"measured": ""}, {"measured": 3}])
def test_malformed_escalate_is_one_line(tmp_path: Path, value: Any) -> None:
    path = scenario_dir(tmp_path, measurement())
    raw = yaml.safe_load(path.read_text())
    raw["plan"]["cascades"][0]["escalate"] = value
    path.write_text(yaml.safe_dump(raw))
    text = _error(path)
    assert "plan.cascades[0].escalate" in text
    assert "expected {measured: path/to/cascade.yaml} or a share such as 40 %" in text


def test_an_uploaded_scenario_reads_no_cascade_file(tmp_path: Path) -> None:
    raw = copy.deepcopy(load_scenario("portfolio").raw)
    raw["plan"]["cascades"][0]["escalate"] = {"measured": "/etc/passwd"}
    with pytest.raises(InputError, match=r"cannot be read for an uploaded scenario, expected a share"):
        scenario_from_dict(raw, file="upload.yaml", uploaded_profiles=())


def test_tco_plan_says_how_each_cascade_share_was_obtained(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from tco.cli.main import app

    path = scenario_dir(tmp_path, measurement())
    result = CliRunner().invoke(app, ["plan", str(path)])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("- cascade "))
    assert line.startswith(
        f"- cascade {CASCADE_ID}: 35.0% escalated, measured: {tmp_path / 'cascade.yaml'} ("
    )
    assert "n=20" in line and "threshold -0.9 nat/token" in line
    data = json.loads(CliRunner().invoke(app, ["plan", str(path), "-f", "json"]).output)
    (c,) = data["cascades"]
    assert c["basis"] == "measured" and c["n"] == 20 and c["threshold"] == -0.9
    assert c["escalate"] == pytest.approx(0.35) and c["quality"] == pytest.approx(0.93)
    assert c["quality_metric"] == "exact-match-number"
    given = json.loads(CliRunner().invoke(app, ["plan", "portfolio", "-f", "json"]).output)["cascades"][0]
    assert given["basis"] == "given" and given["escalate"] == pytest.approx(0.6) and given["file"] is None


def test_a_file_measured_on_other_models_is_named_in_the_plans_notes(tmp_path: Path) -> None:
    same = plan_portfolio(load_scenario(scenario_dir(tmp_path, measurement())))
    assert not [
        n for n in same.notes if n.startswith("cascade ")
    ]  # llama-3.1-8b serves Llama-3.1-8B-Instruct
    other = measurement(first={**measurement()["first"], "model": "/models/llama-3.2-1b"})
    notes = plan_portfolio(load_scenario(scenario_dir(tmp_path, other))).notes
    assert [n for n in notes if n.startswith("cascade ")] == [
        f"cascade {CASCADE_ID}: its share and quality were measured with /models/llama-3.2-1b as the first "
        f"model ({tmp_path / 'cascade.yaml'}), but option llm-8b-h100-cloud serves "
        "meta-llama/Llama-3.1-8B-Instruct: check the file measures these models"
    ]
