"""One console and one error exit for the whole command line (tco/cli/console.py), the importer registry
(tco/cli/imports.py) and one reference-data renderer (tco/presentation/reference.py)."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from tco.cli import imports

DATA = Path(__file__).parents[1] / "data"
MARKUP = DATA / "markup-name.yaml"
CLI = Path(__file__).parents[2] / "tco" / "cli"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SLM_TCO_PROFILES", str(DATA / "profiles"))
    monkeypatch.setenv("SLM_TCO_NO_CACHE", "1")
    return CliRunner()


def _flat(text: str) -> str:
    """Help text without rich's panel borders and line breaks."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", text).split())


@pytest.mark.parametrize("name", ["[bold]x[/", "Plan [/b] 2026", "[red]tasks[/red] & [link=x]y"])
def test_tco_plan_prints_a_scenario_name_with_markup_as_written(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    from tco.cli import app

    path = tmp_path / "markup.yaml"
    path.write_text(MARKUP.read_text().replace('name: "Plan [/b] 2026"', f"name: {name!r}"))
    result = runner.invoke(app, ["plan", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{name}  ({path})  objective: cost")
    assert "Traceback" not in result.output


def test_every_error_exit_of_the_command_line_is_the_consoles() -> None:
    """No command module prints its own error line or builds its own error exit (2, 130): they raise
    console.fail (or an slm-tco error that console.friendly turns into its one line)."""
    own = []
    for path in sorted(CLI.glob("*.py")):
        if path.name == "console.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                attr, args = node.func.attr, [a.value for a in node.args if isinstance(a, ast.Constant)]
                error_exit = attr == "Exit" and (not args or args[0] in (2, 130))  # 1: a check's result
                if error_exit or (attr == "echo" and bool(node.keywords)):
                    own.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                on_stderr = node.func.id == "Console" and any(k.arg == "stderr" for k in node.keywords)
                if on_stderr:
                    own.append(f"{path.name}:{node.lineno} prints on stderr itself")
            if isinstance(node, ast.FunctionDef) and node.name in ("_fail", "fail", "_note"):
                own.append(f"{path.name}:{node.lineno} defines {node.name}")
    assert own == []


def test_an_importers_error_is_the_one_line_of_every_command(runner: CliRunner, tmp_path: Path) -> None:
    from tco.cli import app

    missing = tmp_path / "none.json"
    result = runner.invoke(app, ["import", "mlenergy", str(missing)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- importers: one registry


def _toy(
    file: Annotated[Path, typer.Argument(help="A toy measurement file.")],
    queries: Annotated[int, typer.Option("--queries", help="Queries it served.")] = 1,
) -> None:
    """Read a toy measurement (the test's own importer)."""
    from tco.cli.console import note
    from tco.errors import InputError

    if not file.exists():
        raise InputError("no such file, expected a toy measurement", file=str(file))
    note(f"toy: {file.read_text().strip()} over {queries} queries")


@pytest.fixture
def toy_importer():
    entry = imports.register(imports.Importer("toy", "toy measurements (a test's)", _toy))
    yield entry
    imports.unregister("toy")


def test_a_registered_importer_is_a_tco_import_command_with_its_help(
    toy_importer: imports.Importer, runner: CliRunner, tmp_path: Path
) -> None:
    from tco.cli import app

    assert list(imports.IMPORTERS) == ["mlenergy", "codecarbon", "inferencex", "toy"]
    group = _flat(runner.invoke(app, ["import", "--help"]).output)
    assert "toy: toy measurements (a test's)" in group  # the group's help lists what each reads
    assert "toy Read a toy measurement (the test's own importer)." in group
    for name in ("mlenergy", "codecarbon"):
        assert name in group
    measured = tmp_path / "run.txt"
    measured.write_text("42 J")
    result = runner.invoke(app, ["import", "toy", str(measured), "--queries", "7"])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == "toy: 42 J over 7 queries"
    result = runner.invoke(app, ["import", "toy", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == f"error: {tmp_path / 'nope.txt'}: no such file, expected a toy measurement"
    )


def test_an_unregistered_importer_is_gone(runner: CliRunner) -> None:
    from tco.cli import app

    imports.register(imports.Importer("gone", "nothing", _toy))
    imports.unregister("gone")
    assert "gone" not in imports.IMPORTERS
    assert runner.invoke(app, ["import", "gone", "x"]).exit_code == 2


# --------------------------------------------------------------------------- reference data: one renderer


@pytest.mark.parametrize("kind", ["models", "hardware", "regions", "apis", "scenarios"])
def test_profiles_list_prints_the_profiles_pages_table(runner: CliRunner, kind: str) -> None:
    from rich.console import Console

    from tco.cli import app
    from tco.cli.console import WIDE
    from tco.presentation.reference import KINDS
    from tco.presentation.reports.terminal import frame_table
    from tco.scenario.repository import load_repository

    frame = KINDS[kind].table(load_repository())
    result = runner.invoke(app, ["profiles", "list", kind])
    assert result.exit_code == 0, result.output
    page = Console(width=WIDE, file=io.StringIO(), record=True, markup=False)
    page.print(frame_table(frame))
    assert result.stdout == page.export_text()
    for value in frame.iloc[:, 0]:  # every entry, by its id
        assert str(value) in result.stdout


def test_profiles_list_refuses_an_unknown_kind_naming_the_kinds(runner: CliRunner) -> None:
    from tco.cli import app

    result = runner.invoke(app, ["profiles", "list", "gpus"])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: unknown kind 'gpus', expected models, hardware, regions, apis, scenarios"
    )
