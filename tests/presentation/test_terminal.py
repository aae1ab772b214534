"""The terminal summary table: one row per option, units in the headers."""

from __future__ import annotations

from rich.console import Console

from tco.api import Results
from tco.presentation.labels import is_raw_name
from tco.presentation.reports import terminal


def test_summary_table_has_units_in_headers_and_marks_the_baseline(results: Results) -> None:
    table = terminal.summary_table(results)
    # options are columns, measures are rows (readable in 80 columns)
    heads = [str(c.header) for c in table.columns]
    assert heads == ["", "onprem-auto *", "onprem-fixed", "cloud-fr", "api-8b"]
    labels = list(table.columns[0].cells)
    assert "Total cost of ownership (USD)" in labels
    assert "Cost per 1,000 queries (USD/1k queries)" in labels
    assert "Cost per 1,000 correct answers (USD/1k correct answers)" in labels
    assert "Emissions per query (gCO2e/query)" in labels
    assert not [h for h in labels if is_raw_name(h)]
    console = Console(width=400, record=True)
    console.print(table)
    text = console.export_text()
    assert "onprem-auto *" in text
    assert f"{results.summary.loc['onprem-auto', 'tco_cost']:,.2f}" in text


def test_comparison_lines_one_per_alternative(results: Results) -> None:
    lines = terminal.comparison_lines(results)
    assert [line.split(" vs ")[0] for line in lines] == ["onprem-fixed", "cloud-fr", "api-8b"]
    assert all(line.split(":")[0].endswith("vs onprem-auto") for line in lines)
    assert "fixed fleet too small for the load" in lines[0]


def test_answer_line_names_the_cheapest_eligible_option(results: Results) -> None:
    line = terminal.answer_line(results)
    assert line.startswith("Cheapest option that meets the latency SLO and the quality floor: ")
    assert "e+" not in line and "e-0" not in line  # no scientific notation
