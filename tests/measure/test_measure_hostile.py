"""`tco measure` with hostile options: the output path is checked before loading or measuring anything,
and prompt files are read only when they are regular files; one line, exit code 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import measure.models
from measure.cli import measure as measure_command


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded before the options were checked")

    monkeypatch.setattr(measure.models, "load_model", never)
    app = typer.Typer()
    app.command("measure")(measure_command)

    @app.command("noop")
    def noop() -> None:
        pass

    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["measure", "some/model", *args], env={"TCO_NO_PROGRESS": "1"})
    return result.exit_code, result.output


def test_output_directory_fails_before_measuring(app: typer.Typer, tmp_path: Path) -> None:
    code, text = run(app, "-o", str(tmp_path))
    assert code == 2
    assert text.strip() == f"error: {tmp_path}: --output: is a directory, expected a file path"


def test_output_under_a_file_fails_before_measuring(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    code, text = run(app, "-o", str(tmp_path / "f" / "p.yaml"))
    assert code == 2
    assert text.strip() == (
        f"error: {tmp_path / 'f' / 'p.yaml'}: --output: is under {str(tmp_path / 'f')!r}, which is a file, "
        "expected a file path"
    )


def test_prompts_from_a_fifo_are_refused_without_hanging(app: typer.Typer, tmp_path: Path) -> None:
    fifo = tmp_path / "prompts.jsonl"
    os.mkfifo(fifo)
    code, text = run(app, "--task", "mine", "--prompts", str(fifo), "-o", str(tmp_path / "p.yaml"))
    assert code == 2
    assert text.strip() == f"error: {fifo}: is a named pipe (FIFO), expected a regular prompt file"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_prompts_from_dev_zero_are_refused(app: typer.Typer, tmp_path: Path) -> None:
    code, text = run(app, "--task", "mine", "--prompts", "/dev/zero", "-o", str(tmp_path / "p.yaml"))
    assert code == 2
    assert text.strip() == "error: /dev/zero: is a character device, expected a regular prompt file"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--batch-sizes", "1,x"], "error: --batch-sizes: expected comma-separated whole numbers such as "
         "1,8,32, got '1,x'"),
        (["--min-window", "5 W"], "error: --min-window: got '5 W', expected a quantity convertible to s"),
        (["--cooldown", "9**9**9 s"], "error: --cooldown: got '9**9**9 s': arithmetic is not read in "
         "quantities, expected one number and a unit such as '2000000 query/day', '0.12 USD/kWh', '20 %' or '1e6'"),
        (["--meter", "[b]x"], "error: --meter: unknown meter '[b]x', expected one of auto, nvml-counter, "
         "nvml-sampled, rapl, estimate"),
    ],
)  # fmt: skip
def test_bad_option_values_are_one_line(app: typer.Typer, tmp_path: Path, args: list[str], line: str) -> None:
    code, text = run(app, *args, "-o", str(tmp_path / "p.yaml"))
    assert code == 2
    assert text.strip() == line
