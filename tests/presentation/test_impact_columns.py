"""Water, ADPe and PE (issue 23) in every report format and the app's Table view, with their sources."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from tco.api import Results, render_report, write_report
from tco.presentation.tables import summary_table

PER_QUERY = ("ml_water_per_query", "mg_sb_per_query", "kj_pe_per_query")
WORDS = ("Water per query", "Abiotic depletion (ADPe) per query", "Primary energy (PE) per query")


def _per_query(results: Results) -> dict[str, float]:
    return {k: float(results.summary[k].iloc[0]) for k in PER_QUERY}


def test_json_and_csv_carry_the_engine_values(results: Results) -> None:
    doc = json.loads(render_report(results, "json"))
    first = doc["summary"][0]
    for k, v in _per_query(results).items():
        assert first[k] == v and v > 0
    csv = render_report(results, "csv")
    head = (csv.decode() if isinstance(csv, bytes) else csv).splitlines()[0]
    assert all(k in head for k in PER_QUERY)


def test_markdown_and_html_show_them_in_words_with_units(results: Results) -> None:
    for fmt in ("md", "html"):
        out = render_report(results, fmt)
        text = out.decode() if isinstance(out, bytes) else out
        for words, unit in zip(WORDS, ("mL/query", "mgSbeq/query", "kJ/query"), strict=True):
            assert words in text and unit in text, (fmt, words)
        assert "grid water (off-site)" in text and "EcoLogits" in text  # the factors' source, in assumptions


def test_workbook_summary_has_a_row_per_impact(results: Results, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_report(results, "xlsx", tmp_path / "r.xlsx"))
    fields = {row[-1].value for row in wb["Summary"].iter_rows(min_row=5)}
    assert {"water_l", "adpe_kgsbeq", "pe_mj", *PER_QUERY} <= fields


def test_table_view_rows_show_the_engine_values(results: Results) -> None:
    table = summary_table(results)
    first = results.summary["option"].iloc[0]
    rows = {str(i): table.loc[i] for i in table.index}
    water = next(v for k, v in rows.items() if k.startswith("Water per query"))
    assert float(str(water[first]).replace(",", "")) == float(
        f"{_per_query(results)['ml_water_per_query']:.4g}"
    )
