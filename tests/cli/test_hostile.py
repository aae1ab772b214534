"""Hostile input (issue 13): bounded quantities and files, output paths checked first, user text printed
literally, Ctrl-C and usage errors as one line, Monte Carlo size refused before allocating."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tco.scenario.yamlio as yamlio
from tco.cli import app
from tco.cli.main import run
from tco.errors import InputError, UnitError
from tco.scenario.load import load_scenario
from tco.scenario.units import MAX_TEXT, parse, parse_money, to_quantity
from tco.scenario.yamlio import check_writable, parse_yaml_text, read_yaml

DATA = Path(__file__).parents[1] / "data"
HAND = DATA / "profiles" / "scenarios" / "hand.yaml"
MARKUP = DATA / "markup-name.yaml"
ROOT = Path(__file__).parents[2]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SLM_TCO_PROFILES", str(DATA / "profiles"))
    return CliRunner()


# --------------------------------------------------------------------------- quantities


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("4283 1/s", "1/s", 4283.0),  # the profiles' throughput notation
        ("0.5 /day", "1/day", 0.5),
        ("2000000 query / day", "1/day", 2e6),
        ("  20   % ", "", 0.2),
        ("5 m^2", "m**2", 5.0),
        (".5 kW", "W", 500.0),
        ("1E3 W", "W", 1000.0),
    ],
)
def test_documented_notations_still_read(text: str, unit: str, expected: float) -> None:
    assert parse(text, unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31 900 USD", "got '31 900 USD': digit-group separators are not read, expected the number written "
         "without them such as '31900'"),
        ("2,000,000 USD", "got '2,000,000 USD': digit-group separators are not read, expected the number "
         "written without them such as '2000000'"),
        ("5 USD [0]", "cannot read '5 USD [0]' as a quantity, expected a number and a unit such as "
         "'2000000 query/day', '0.12 USD/kWh', '20 %' or '1e6'"),
        ("9**9**9 USD", "got '9**9**9 USD': arithmetic is not read in quantities, expected one number and a "
         "unit such as '2000000 query/day', '0.12 USD/kWh', '20 %' or '1e6'"),
        ("5 USD/0", "got '5 USD/0': arithmetic is not read in quantities, expected one number and a unit such "
         "as '2000000 query/day', '0.12 USD/kWh', '20 %' or '1e6'"),
        ("5 \u20ac", "got '5 \u20ac': the character '\u20ac' (U+20AC) is not part of a quantity, expected a "
         "number and a unit in plain ASCII such as '2000000 query/day', '0.12 USD/kWh', '20 %' or '1e6'"),
        ("5 USD foo", "cannot read '5 USD foo' as a quantity (unknown unit 'foo')"),
        ("USD", "got 'USD' without a number, expected a number and a unit such as '2000000 query/day', "
         "'0.12 USD/kWh', '20 %' or '1e6'"),
    ],
)  # fmt: skip
def test_anything_but_a_number_and_a_unit_is_refused_with_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(UnitError) as e:
        parse_money(text, "USD")
    assert str(e.value) == message


def test_a_power_chain_after_nan_or_inf_is_not_evaluated() -> None:
    with pytest.raises(UnitError, match="arithmetic is not read in quantities"):
        to_quantity("inf 9**9**9**9")


def test_an_emoji_is_not_a_unit_of_one() -> None:
    with pytest.raises(UnitError, match="U\\+1F600"):
        parse("5 W \U0001f600", "W")


def test_over_long_quantities_are_refused_before_parsing() -> None:
    text = "1" * (MAX_TEXT + 1) + " W"
    with pytest.raises(UnitError) as e:
        to_quantity(text)
    assert str(e.value).startswith(f"got a value of {MAX_TEXT + 3} characters (")
    assert str(e.value).endswith(f"expected a number and a unit of at most {MAX_TEXT} characters")


def test_shipped_scenarios_read_exactly_as_before(shipped_repo: object) -> None:
    # golden: the default scenario's demand and a price (parsed from text in profiles/)
    loaded = load_scenario("slm-vs-llm")
    assert loaded.spec.workload.queries_per_day == 2_000_000.0
    for name in ("procurement", "regions"):
        assert load_scenario(name).spec.options


# --------------------------------------------------------------------------- files


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    result: list[BaseException] = []
    t = threading.Thread(target=lambda: _capture(result, lambda: read_yaml(fifo)), daemon=True)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive(), "reading a FIFO hung"
    assert isinstance(result[0], InputError)
    assert str(result[0]) == f"{fifo}: is a named pipe (FIFO), expected a regular YAML file"


def _capture(out: list[BaseException], fn: object) -> None:
    try:
        fn()  # type: ignore[operator]
    except BaseException as e:
        out.append(e)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_dev_zero_is_refused_before_reading() -> None:
    with pytest.raises(InputError) as e:
        read_yaml("/dev/zero")
    assert str(e.value) == "/dev/zero: is a character device, expected a regular YAML file"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory, expected a YAML file"):
        read_yaml(tmp_path)


def test_alias_bomb_is_refused_without_expanding_or_echoing_it() -> None:
    text = (DATA / "malformed" / "alias-bomb.yaml").read_text()
    assert len(text) < 600
    with pytest.raises(InputError) as e:
        parse_yaml_text(text, file="bomb.yaml")
    assert str(e.value) == (
        "bomb.yaml: more than 200,000 values once anchors and aliases are expanded, expected a plain "
        "scenario or profile (aliases that multiply are refused)"
    )
    assert "lol" not in str(e.value)


def test_aliases_that_do_not_multiply_still_work() -> None:
    assert parse_yaml_text("a: &x {k: 1}\nb: *x\n", file="f") == {"a": {"k": 1}, "b": {"k": 1}}


def test_aliases_cannot_nest_past_the_depth_limit() -> None:
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [[[[[[[[[[*a{i - 1}]]]]]]]]]]" for i in range(1, 6)]
    with pytest.raises(InputError, match="nested more than 40 levels deep once aliases are expanded"):
        parse_yaml_text("\n".join(lines), file="f")


def test_deep_nesting_is_one_line_not_a_recursion_error() -> None:
    with pytest.raises(InputError) as e:
        parse_yaml_text("x: " + "[" * 100_000 + "]" * 100_000, file="deep.yaml")
    assert (
        str(e.value) == "deep.yaml: nested more than 40 levels deep at line 1, expected a flatter YAML file"
    )


# --------------------------------------------------------------------------- output paths


def test_output_path_checks_name_the_path_and_what_was_expected(tmp_path: Path) -> None:
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    with pytest.raises(InputError) as e:
        check_writable(tmp_path, field="--output")
    assert str(e.value) == f"{tmp_path}: --output: is a directory, expected a file path"
    with pytest.raises(InputError) as e:
        check_writable(a_file / "r.md", field="--output")
    assert (
        str(e.value)
        == f"{a_file / 'r.md'}: --output: is under {str(a_file)!r}, which is a file, expected a file path"
    )
    with pytest.raises(InputError) as e:
        check_writable(a_file, folder=True)
    assert str(e.value) == f"{a_file}: is a file, expected a folder for the files"
    assert check_writable(tmp_path / "new" / "deeper" / "r.md") == tmp_path / "new" / "deeper" / "r.md"


def test_unwritable_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    real = os.access
    # root may write anywhere: ask the question a non-root user's kernel would answer
    monkeypatch.setattr(yamlio.os, "access", lambda p, mode: False if Path(p) == ro else real(p, mode))
    with pytest.raises(InputError) as e:
        check_writable(ro / "r.md", field="--output")
    assert (
        str(e.value)
        == f"{ro / 'r.md'}: --output: cannot be written: no permission to write in {str(ro)!r}, expected a file path"
    )


@pytest.mark.parametrize("command", ["report", "compare", "sensitivity", "uncertainty", "breakeven"])
def test_output_into_a_directory_fails_before_any_work(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    result = runner.invoke(app, [command, str(HAND), "-o", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"error: {tmp_path}: --output: is a directory, expected a file path"


def test_report_under_a_file_fails_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = runner.invoke(app, ["report", str(HAND), "-o", str(tmp_path / "f" / "r.md")])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"error: {tmp_path / 'f' / 'r.md'}: --output: is under ")


@pytest.mark.parametrize("command", ["report", "compare"])
def test_full_disk_is_one_line_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(yamlio.os, "fsync", full)
    out = tmp_path / "r.md"
    extra = ["--no-analysis"] if command == "report" else []
    result = CliRunner().invoke(app, [command, "slm-vs-llm", "-o", str(out), *extra])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"error: {out}: --output: cannot be written (No space left on device)"
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- user text, usage, Ctrl-C


def test_markup_in_a_scenario_name_is_printed_as_written(runner: CliRunner) -> None:
    result = runner.invoke(app, ["report", str(MARKUP)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Plan [/b] 2026  ({MARKUP})")
    result = runner.invoke(app, ["validate", str(MARKUP)])
    assert result.stdout.strip() == f"ok {MARKUP}: 2 options"


def test_markup_in_an_error_is_printed_as_written(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "[bold]x[-bold].yaml"
    bad.write_text(MARKUP.read_text().replace("1000 query/day", '"[red]5[/red] query/day"'))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {bad}: workload.queries_per_day: cannot read '[red]5[/red] query/day' as a quantity, expected "
        "a number and a unit such as '2000000 query/day', '0.12 USD/kWh', '20 %' or '1e6'"
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["report", "--bogus"], "error: tco report: No such option: --bogus (see tco report --help)"),
        (["uncertainty", "-n", "x"], "error: tco uncertainty: Invalid value for '--samples' / '-n': Input "
         "should be a valid integer, unable to parse string as an integer (see tco uncertainty --help)"),
        (["uncertainty", "-n", "1"], "error: tco uncertainty: Invalid value for '--samples' / '-n': Input "
         "should be greater than or equal to 2 (see tco uncertainty --help)"),
        (["compare", "--format", "pdf"], "error: tco compare: Invalid value for '--format' / '-f': 'pdf' is "
         "not one of 'table', 'json', 'csv'. (see tco compare --help)"),
        (["measure"], "error: model: expected MODEL (a folder or hub id), or --endpoint URL with --served-model"),
        (["measure", "m", "--windows", "0"], "error: tco measure: Invalid value for '--windows': Input should "
         "be greater than or equal to 1 (see tco measure --help)"),
    ],
)  # fmt: skip
def test_usage_errors_are_one_line_and_exit_2(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == line


def test_samples_beyond_the_memory_limit_are_refused_up_front() -> None:
    result = CliRunner().invoke(app, ["uncertainty", "slm-vs-llm", "-n", "1000000"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --samples: 1,000,000 samples x 4 options x 36 months need about 51.5 GiB, over the limit of "
        "4 GiB; expected at most 77,672 samples for this scenario (or fewer options or a shorter horizon)"
    )


def test_ctrl_c_while_the_command_line_loads_is_one_line() -> None:
    # Ctrl-C arrives while pandas is being imported (the slowest part of start-up)
    code = (
        "import sys\n"
        "class Stop:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pandas':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Stop())\n"
        "sys.argv = ['tco', 'validate', 'slm-vs-llm']\n"
        "from tco.cli import main\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 130
    assert proc.stderr == "error: interrupted, nothing written\n"


# --------------------------------------------------------------------------- defined results


def test_breakeven_on_the_discount_rate_runs(runner: CliRunner, tmp_path: Path) -> None:
    s = tmp_path / "s.yaml"
    s.write_text(
        HAND.read_text() + "sensitivity:\n  use_defaults: false\n  breakeven:\n    use_defaults: false\n"
        "    inputs:\n      discount_rate: {low: 0 %, high: 20 %}\n"
    )
    result = runner.invoke(app, ["breakeven", str(s), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"input": "discount_rate"' in result.stdout


def test_messages_stay_one_line_whatever_keys_and_values_hold() -> None:
    e = InputError("got 'a\nb'", file="f\r.yaml", field="options[0].x\u2028y")
    assert str(e) == "f\\r.yaml: options[0].x\\u2028y: got 'a\\nb'"


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(yamlio.MAX_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(InputError) as e:
        read_yaml(big)
    assert str(e.value) == f"{big}: file is 5,242,881 bytes, expected at most 5,242,880"


def test_ratios_to_a_baseline_that_costs_nothing_are_not_numbers(test_repo: object) -> None:
    from tco.analysis.evaluate import evaluate
    from tco.presentation.whatif import format_ratio
    from tco.scenario.load import scenario_from_dict

    raw = read_yaml(HAND)
    raw["options"][0]["cloud_price"] = "0 USD/h"  # the baseline, `cloud`, rents for nothing
    summary = evaluate(scenario_from_dict(raw, file="free.yaml", repo=test_repo)).summary  # type: ignore[arg-type]
    assert summary.loc["cloud", "tco_cost"] == 0.0
    ratios = summary["cost_ratio_to_baseline"].tolist()
    assert all(r != r for r in ratios)  # NaN: "n/a" on the page, a dash in reports
    assert format_ratio(ratios[1]) == "n/a"
    assert summary.loc["onprem", "emissions_ratio_to_baseline"] == pytest.approx(
        summary.loc["onprem", "emissions_kg"] / summary.loc["cloud", "emissions_kg"]
    )


def test_a_huge_value_is_not_echoed_whole() -> None:
    e = InputError(f"unknown currency {'x' * 100_000!r}, expected one of USD, EUR", file="f.yaml", field="c")
    assert len(str(e)) < 1300
    assert str(e).startswith("f.yaml: c: unknown currency 'xxx")
    assert str(e).endswith("xxx', expected one of USD, EUR")
    assert "characters left out" in str(e)


def test_a_long_relative_range_is_refused_quickly_and_clipped() -> None:
    from tco.scenario.analysis_specs import range_parts
    from tco.scenario.variables import variable

    with pytest.raises(UnitError) as e:
        range_parts(variable("pue"), "\u00b1" + "1" * 200_000 + "x")  # quadratic for the former pattern
    assert str(e.value) == (
        f"got {'±' + '1' * 59!r}..., expected a relative range such as '±20 %' or a mapping {{low, high}}"
    )


def test_writing_never_replaces_a_special_file(tmp_path: Path) -> None:
    """As root, os.replace would put a regular file where a device node or FIFO was (even /dev/zero)."""
    from tco.scenario.yamlio import write_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as e:
        write_atomic(fifo, "text")
    assert str(e.value) == f"{fifo}: is a named pipe (FIFO), expected a regular file to write"
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_curve_checks_its_output_path_before_work(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = CliRunner().invoke(app, ["curve", "slm-vs-llm", "-o", str(fifo)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {fifo}: --output: is a named pipe (FIFO), expected a file path")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_tasks_that_are_not_a_list_are_one_line() -> None:
    """Found by the long fuzz run: `workload.tasks: 0` reached a loop over the tasks."""
    loaded = load_scenario("portfolio")
    raw = {**loaded.raw, "workload": {**loaded.raw["workload"], "tasks": 0}}
    with pytest.raises(InputError) as e:
        loaded.with_changes(raw)
    assert str(e.value).endswith("portfolio.yaml: workload.tasks: Input should be a valid list, got 0")
