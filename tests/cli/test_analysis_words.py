"""Analysis output in words: `tco breakeven`'s table names the options and the inputs as people read them
(the one label table), and the README's example flips."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tco.cli import app

runner = CliRunner()


def test_breakeven_table_names_options_and_inputs_in_words_and_flips() -> None:
    r = runner.invoke(app, ["breakeven", "slm-vs-llm", "--a", "llm-70b-h100", "--b", "api-70b"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "Queries per day" in text and "Electricity price" in text and "Carbon price" in text
    assert "Llama 3.1 70B via API" in text and "Total cost of ownership" in text
    assert "499,600 query/day" in text  # the README's example: the API is cheaper below it
    rows = [line for line in r.output.splitlines() if line.startswith("│")]
    assert rows and not any(w in line for line in rows for w in ("api-70b", "queries_per_day", "tco_cost"))


def test_breakeven_json_keeps_the_ids() -> None:
    r = runner.invoke(app, ["breakeven", "slm-vs-llm", "--a", "llm-70b-h100", "--b", "api-70b", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert '"option_b": "api-70b"' in r.output and '"input": "queries_per_day"' in r.output


def test_sensitivity_table_names_options_and_inputs_and_shows_rates_as_percentages() -> None:
    r = runner.invoke(app, ["sensitivity", "slm-vs-llm", "--option", "llm-70b-h100"])
    assert r.exit_code == 0, r.output
    rows = [line for line in r.output.splitlines() if line.startswith("│")]
    text = " ".join(" ".join(rows).split())
    assert "Llama 3.1 70B, 4x H100 on-prem, Virginia" in text
    assert "Demand growth" in text and "Discount rate" in text and "Utilisation" in text
    assert "40 %/year" in text and "x2 (8 %/year)" in text and "80 %" in text
    assert not any(w in line for line in rows for w in ("llm-70b-h100", "annual_growth", " /year"))


def test_uncertainty_tables_in_words_with_probabilities_as_percentages() -> None:
    r = runner.invoke(app, ["uncertainty", "slm-vs-llm", "--samples", "50", "--seed", "1"])
    assert r.exit_code == 0, r.output
    rows = [line for line in r.output.splitlines() if line.startswith("│")]
    text = " ".join(" ".join(rows).split())
    assert "Llama 3.1 70B via API" in text and "Total cost of ownership" in text
    assert "100 %" in text
    assert not any(w in line for line in rows for w in ("api-70b", "tco_cost", "g_per_query"))
    cells = [c.strip() for line in rows for c in line.strip("│").split("│")]
    probabilities = [c for c in cells if c.endswith("%")]
    assert probabilities and all(0 <= float(c.rstrip(" %")) <= 100 for c in probabilities)


def test_uncertainty_json_keeps_ids_and_fractions() -> None:
    r = runner.invoke(app, ["uncertainty", "slm-vs-llm", "--samples", "50", "--seed", "1", "-f", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {row["option_a"] for row in data["win_probabilities"]} >= {"llm-70b-h100"}
    assert all(0.0 <= row["p_a_cheaper"] <= 1.0 for row in data["win_probabilities"])
