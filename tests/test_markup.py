"""Names are user text: every command prints them as written, whatever rich markup they hold (issue 24).

A task portfolio whose scenario, task, option and cascade-model names are full of `[bold]`, `[/` and
`[link=...]` runs through every command and format; each must succeed and show the names literally (a
markup name crashed `tco plan` and `tco report`, or lost its brackets). This test guards the command line's
consoles, whoever restructures them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tco.api import load_scenario
from tco.cli.main import run

SCENARIO_NAME = "[bold]Plan[/bold] [/ 2026"
TASK = "[bold]senti[/"
OPTION = "[/] cheap [link=file:///etc/passwd]x[/link]"
FIRST_MODEL = "[bold]small[/"
THEN_MODEL = "[link=https://example.org]big"


def _cascade_file(path: Path) -> None:
    quality = {"metric": "exact-match-number", "n": 20}
    path.write_text(
        yaml.safe_dump(
            {
                "format": "slm-tco.cascade/1",
                "task": "arithmetic",
                "prompts": {"source": "[/]prompts.jsonl", "n": 20},
                "first": {"model": FIRST_MODEL, "kind": "causal-lm", "quality": {**quality, "value": 0.35}},
                "then": {"model": THEN_MODEL, "kind": "causal-lm", "quality": {**quality, "value": 0.8}},
                "confidence": {
                    "rule": "[/]rule",
                    "unit": "nat/token",
                    "selection": "threshold",
                    "threshold": -0.9,
                },
                "escalate": 0.45,
                "escalated": 9,
                "quality": {**quality, "value": 0.75},
                "measured": {"date": "2026-01-01"},
            }
        )
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped portfolio with markup in its name, its sentiment task's name, an option's name, and the
    model names of its cascade's measured file."""
    folder = tmp_path_factory.mktemp("markup")
    raw: dict[str, Any] = copy.deepcopy(load_scenario("portfolio").raw)
    raw["name"] = SCENARIO_NAME
    for t in raw["workload"]["tasks"]:
        if t["task"] == "sentiment":
            t["task"] = TASK
            t.pop("quality_floor")  # no profile scores a task of this name
    plan = raw["plan"]
    plan["candidates"][TASK] = plan["candidates"].pop("sentiment")
    for p in plan["compare"]:
        if "sentiment" in p.get("routes", {}):
            p["routes"][TASK] = p["routes"].pop("sentiment")
    raw["options"][1]["name"] = OPTION
    _cascade_file(folder / "cascade.yaml")
    plan["cascades"][0]["escalate"] = {"measured": "cascade.yaml"}
    path = folder / "markup.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = run(argv)
    out = capsys.readouterr()
    assert code == 0, (argv, out.err)
    assert "Traceback" not in out.err
    return out.out + out.err


COMMANDS = [
    ["report"],
    ["report", "-f", "md", "--no-analysis"],
    ["report", "-f", "json", "--no-analysis"],
    ["report", "-f", "csv", "--no-analysis"],
    ["report", "-f", "html", "--no-analysis"],
    ["validate"],
    ["plan"],
    ["plan", "-f", "json"],
    ["compare"],
    ["compare", "-f", "json"],
    ["sensitivity", "--option", "llm-8b-h100-cloud"],
    ["uncertainty", "-n", "20"],
    ["breakeven", "--input", "carbon_price"],
    ["curve", "--option", "llm-8b-h100-cloud"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_prints_markup_names_as_written(
    command: list[str], scenario: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLM_TCO_NO_CACHE", "1")
    text = _run([command[0], str(scenario), *command[1:]], capsys)
    # names checked where they are printed whole (a table cell may fold a long name over lines)
    shown = {
        "report": [SCENARIO_NAME, TASK],  # the title and the plan's sentence
        "plan": [SCENARIO_NAME, FIRST_MODEL, THEN_MODEL],  # the title and the cascade's line
        "validate": [],
        "compare": [],
        "sensitivity": [],
        "uncertainty": [],
        "breakeven": [],
        "curve": [],
    }[command[0]]
    if command == ["plan", "-f", "json"]:
        shown = [TASK, OPTION, FIRST_MODEL, THEN_MODEL]
    if command[0] == "report" and len(command) > 1:
        shown = [OPTION] if "csv" in command else [SCENARIO_NAME, TASK, OPTION]
    for name in shown:
        assert name in text, (command, name)  # brackets need no escaping in JSON, CSV or Markdown


def test_profiles_print_markup_model_names_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from tco.scenario.files import default_profiles_dir

    root = tmp_path / "profiles"
    shutil.copytree(default_profiles_dir(), root, ignore=shutil.ignore_patterns("sources", "__pycache__"))
    profile = root / "models" / "llama-3.2-1b-l4.yaml"
    data = yaml.safe_load(profile.read_text())
    data["model"]["name"] = FIRST_MODEL
    profile.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setenv("SLM_TCO_PROFILES", str(root))
    monkeypatch.setenv("SLM_TCO_NO_CACHE", "1")
    assert FIRST_MODEL in _run(["profiles", "list"], capsys)
    assert FIRST_MODEL in _run(["profiles", "show", "llama-3.2-1b-l4"], capsys)


def test_an_imported_markup_model_name_is_written_as_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = Path(__file__).parents[1] / "profiles" / "sources" / "mlenergy-leaderboard-v3" / "models"
    doc = json.loads((src / "Qwen__Qwen3-8B__gpqa.json").read_text())
    doc["model_id"] = "org/[bold]Qwen[/"
    (tmp_path / "in.json").write_text(json.dumps(doc))
    _run(["import", "mlenergy", str(tmp_path / "in.json"), "--out", str(tmp_path / "out")], capsys)
    (written,) = [p for p in (tmp_path / "out").glob("*.yaml") if "h100" in p.name]
    assert yaml.safe_load(written.read_text())["model"]["name"] == "org/[bold]Qwen[/"
