"""Analysis output in words: `tco breakeven`'s table names the options and the inputs as people read them
(the one label table), and the README's example flips."""

from __future__ import annotations

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
