"""Bad input never gives a traceback: one line on stderr naming file and field, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tco.cli import app

DATA = Path(__file__).parents[1] / "data"
MALFORMED = sorted((DATA / "malformed").glob("*.yaml"))

# file -> the field (or the problem) the one line must name
EXPECTED = {
    "bad-choice.yaml": "options[0].deployment: Input should be 'on-prem', 'cloud' or 'api', got 'moon'",
    "bad-start.yaml": "start: expected a month as YYYY-MM, got '2026-13'",
    "binary.yaml": "byte 2 (line 1, column 3) is not UTF-8, expected a YAML file saved as UTF-8",
    "control-character.yaml": "control character U+0007 at line 2, column 13, expected a YAML file of plain text",
    "empty.yaml": "file is empty, expected a YAML mapping of fields",
    "horizon-unit.yaml": "horizon: got '36 kg', expected a quantity convertible to month",
    "huge.yaml": "workload.queries_per_day: got '1e300 query/day', which is implausibly large",
    "missing-batch-size.yaml": "options[0].batch_size: profile 'small' has no batch size 12, expected one of 1, 8 or a whole number between two of them",
    "missing-workload.yaml": "workload: missing, this field is required",
    "nan.yaml": "workload.queries_per_day: got 'nan query/day', expected a finite number in 1/day",
    "negative.yaml": "workload.queries_per_day: got '-5 query/day', expected at least 0 1/day",
    "no-exchange-rate.yaml": "options[0].electricity_price: amount is in GBP but no exchange rate for GBP is given",
    "not-yaml.yaml": "not valid YAML: line 3, column 1",
    "over-100-percent.yaml": "options[0].utilisation: got '150 %', expected at most 1 (100 %)",
    "pue-below-one.yaml": "options[0].pue: got 0.5, expected at least 1 (100 %)",
    "top-level-list.yaml": "expected a mapping of fields, got list",
    "unknown-baseline.yaml": "baseline 'zzz' is not an option id (options: a)",
    "unknown-field.yaml": "horizn: unknown field, did you mean 'horizon'?",
    "unknown-profile.yaml": "options[0].profile: unknown model profile 'gpt-17', expected one of big, small",
    "unknown-region.yaml": "options[0].region: unknown region 'atlantis', expected one of eurotest, testland",
    "wrong-type.yaml": "horizon: got list [1, 2], expected a number with a unit as text",
    "wrong-unit.yaml": "workload.queries_per_day: got '5 kWh', expected a quantity convertible to 1/day",
    # hostile input (issue 13): each class refused at its root, with what was expected
    "thousands-separator.yaml": "workload.queries_per_day: got '2 000 000 query/day': digit-group separators "
    "are not read, expected the number written without them such as '2000000'",
    "trailing-brackets.yaml": "workload.queries_per_day: cannot read '1000 query/day [0]' as a quantity, "
    "expected a number and a unit such as",
    "power-chain.yaml": "workload.queries_per_day: got '3**3**3**3 query/day': arithmetic is not read in "
    "quantities, expected one number and a unit",
    "emoji.yaml": "workload.queries_per_day: got '1000 query/day \U0001f600': the character '\U0001f600' "
    "(U+1F600) is not part of a quantity, expected a number and a unit in plain ASCII",
    "undefined-unit.yaml": "workload.queries_per_day: cannot read '1000 queries/jour' as a quantity "
    "(unknown unit 'jour')",
    "long-quantity.yaml": "workload.queries_per_day: got a value of 210 characters",
    "zero-queries.yaml": "workload.queries_per_day: got 0 query/day, expected more than 0 query/day",
    "negative-discount-rate.yaml": "discount_rate: got '-50 %', expected at least 0 (0 %): a cost of capital "
    "per year; a negative rate would weigh later costs more than today's",
    "zero-tokens-out.yaml": "workload.tokens_out: got 0, expected at least 1 token per query",
    "infinite-daily-profile.yaml": "workload.daily_profile: expected 24 finite non-negative hourly weights, "
    "not all zero, got inf",
    "breakeven-unknown-option.yaml": "sensitivity.breakeven.pair[1]: unknown option 'zzz', expected one of a, b",
    "breakeven-same-option.yaml": "sensitivity.breakeven.pair: names 'a' twice, expected two different options",
    "sensitivity-unknown-option.yaml": "sensitivity.options.ghost: unknown option 'ghost', expected one of a, b",
    "negative-sd.yaml": "uncertainty.inputs.electricity_price: expected sd >= 0, got -0.02 USD/kWh",
    "triangular-out-of-order.yaml": "uncertainty.inputs.pue: expected low <= mode <= high, got 1.5, 1.2, 1.4",
    "monte-carlo-too-large.yaml": "uncertainty.samples: 1,000,000 samples x 2 options x 36 months need about "
    "25.7 GiB, over the limit of 4 GiB; expected at most 155,344 samples",
    "rate-not-a-currency.yaml": "currency.rates: 'kWh' is not a currency, expected rates keyed by one of USD",
    "recursive-alias.yaml": "an alias refers to the mapping or list that holds it, expected no cycles",
    "alias-bomb.yaml": "more than 200,000 values once anchors and aliases are expanded",
    "deep-nesting.yaml": "nested more than 40 levels deep at line 1, expected a flatter YAML file",
    # finance limits that mean something (issue 24): free compute, vanishing prices, a resale curve of two
    # values at one age
    "spot-discount-100.yaml": "options[0].spot_discount: got 100 %, expected at least 0 % and less than 100 % "
    "off the on-demand price: at 100 % spot compute would be free",
    "trend-minus-100.yaml": "options[0].cloud_price_trend: got -100 % a year, expected more than -100 % and at "
    "most 1000 % a year: at -100 % a year the price is zero from the second year on",
    "resale-age-twice.yaml": "options[1].resale_curve: age 12 months has 2 values, expected one value (from 0 % "
    "to 100 % of the purchase price) per age",
    "resale-over-100.yaml": "options[1].resale_curve[0].value: got '120 %', expected at most 1 (100 %)",
}


def test_every_malformed_file_has_an_expectation() -> None:
    assert sorted(p.name for p in MALFORMED) == sorted(EXPECTED)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SLM_TCO_PROFILES", str(DATA / "profiles"))
    return CliRunner()


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.name)
@pytest.mark.parametrize("command", ["validate", "report"])
def test_malformed_scenario_exits_2_with_one_line(runner: CliRunner, path: Path, command: str) -> None:
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}: ")
    assert EXPECTED[path.name] in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_unknown_report_format_names_the_option(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["report", str(DATA / "profiles" / "scenarios" / "hand.yaml"), "--format", "pdf"]
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: --format: unknown format 'pdf', expected one of md, csv, json, xlsx, html"
    )


def test_missing_file_is_one_line() -> None:
    result = CliRunner().invoke(app, ["validate", "no/such/scenario.yaml"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no/such/scenario.yaml: no such file"


def test_installed_command_exits_2_without_traceback() -> None:
    env = {**os.environ, "SLM_TCO_PROFILES": str(DATA / "profiles")}
    proc = subprocess.run(
        [sys.executable, "-m", "tco.cli", "validate", str(DATA / "malformed" / "wrong-unit.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert "workload.queries_per_day: got '5 kWh'" in proc.stderr


def test_missing_extra_profile_names_the_scenario_field(runner: CliRunner, tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    text = (DATA / "profiles" / "scenarios" / "hand.yaml").read_text()
    scenario.write_text(text + "profile_files: [nowhere.yaml]\n")
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"error: {scenario}: profile_files[0] ({tmp_path / 'nowhere.yaml'}): no such file"
    )
