"""The command line reads like the app: reasons when nothing is eligible, flags blamed for their own bad
values, units in `profiles show`, no inputs that move nothing, no scientific notation."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from tco.cli import app

runner = CliRunner()
EXPONENT = re.compile(r"\d[eE][-+]\d")


def test_compare_says_why_no_option_is_eligible() -> None:
    r = runner.invoke(
        app, ["compare", "procurement", "--rank-by", "tco", "--quality-floor", "0.9", "--slo-p95", "2s"]
    )
    assert r.exit_code == 0, r.output
    assert "note: no option is eligible: 9 of 9 miss the latency SLO (fastest p95: 3.17 s)" in r.output
    assert "below the quality floor or have no score (best quality: 0.845)" in r.output


def test_a_bad_flag_value_is_blamed_on_the_flag() -> None:
    r = runner.invoke(app, ["compare", "procurement", "--slo-p95", "2kg"])
    assert r.exit_code == 2
    assert r.output.startswith("error: --slo-p95: got '2kg', expected a duration such as 2s or 500 ms")
    assert "procurement.yaml" not in r.output
    r = runner.invoke(app, ["compare", "--quality-floor", "1.5"])
    assert r.exit_code == 2
    assert r.output.startswith("error: --quality-floor: got 1.5, expected a score from 0 to 1")


def test_profiles_show_prints_every_number_with_its_unit() -> None:
    r = runner.invoke(app, ["profiles", "show", "h100-sxm"])
    assert r.exit_code == 0, r.output
    assert "max: 700 W" in r.output and "price: 30000 USD" in r.output and "upfront: 25 %" in r.output
    r = runner.invoke(app, ["profiles", "show", "together-llama-3.1-70b"])
    assert "input: 0.88 USD/Mtoken" in r.output


def test_sensitivity_shows_the_npv_swing_the_discount_rate_moves_and_has_no_exponents() -> None:
    # the discount rate moves neither TCO (undiscounted) nor emissions, only NPV: its row shows that swing
    r = runner.invoke(app, ["sensitivity", "slm-vs-llm", "--option", "llm-70b-h100"])
    assert r.exit_code == 0, r.output
    assert "NPV swing" in r.output and "left out" not in r.output
    (rate,) = [line for line in r.output.splitlines() if line.startswith("│") and "Discount rate" in line]
    assert "22,492" in rate, rate
    assert not EXPONENT.search(r.output), r.output


def test_report_states_the_answer_before_the_table() -> None:
    r = runner.invoke(app, ["report", "slm-vs-llm"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[1].startswith(
        "Cheapest option that meets the latency SLO and the quality floor: slm-distilbert-t4"
    )
    assert not EXPONENT.search(r.output)


def test_sensitivity_json_and_csv_keep_every_input_that_moves_something() -> None:
    """Every tornado shown keeps the rows that move TCO, NPV or emissions (as the reports do); stdout stays
    clean JSON or CSV."""
    import json

    for fmt in ("json", "csv"):
        r = runner.invoke(app, ["sensitivity", "slm-vs-llm", "--option", "llm-70b-h100", "-f", fmt])
        assert r.exit_code == 0, r.output
        assert r.stderr.strip() == ""
        assert "discount_rate" in r.stdout
    rows = json.loads(
        runner.invoke(app, ["sensitivity", "slm-vs-llm", "--option", "llm-70b-h100", "-f", "json"]).stdout
    )
    assert rows and all(
        r["tco_cost_swing"] > 0 or r["npv_cost_swing"] > 0 or r["emissions_kg_swing"] > 0 for r in rows
    )
