"""Markdown, HTML, JSON and CSV reports: every section, the same content, stable and self-contained."""

from __future__ import annotations

import json
import math
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from tco.analysis.view import moving_tornadoes
from tco.api import Results, View, complete, render_report, write_report
from tco.errors import InputError
from tco.presentation import reports
from tco.presentation.reports import jsonfmt, markdown

ANALYSIS = {
    "Tornado": pd.DataFrame(
        {"parameter": ["pue", "electricity price"], "low_tco_cost": [1.0, 2.0], "high_tco_cost": [3.0, 4.0]}
    ),
    "Win probabilities": pd.DataFrame({"option": ["onprem-auto", "cloud-fr"], "p_cheapest": [0.75, 0.25]}),
}


@pytest.fixture(scope="module")
def md(results: Results) -> str:
    return render_report(results, "md", analysis=ANALYSIS).decode("utf-8")


@pytest.fixture(scope="module")
def html_text(results: Results) -> str:
    return render_report(results, "html", analysis=ANALYSIS).decode("utf-8")


@pytest.fixture(scope="module")
def doc(results: Results) -> dict:
    return json.loads(render_report(results, "json", analysis=ANALYSIS))


def _charts_available() -> bool:
    try:
        from tco.presentation.charts import report_charts  # noqa: F401
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------------------------- markdown


def test_markdown_has_every_section_and_the_content(md: str, results: Results) -> None:
    assert md.startswith("# Report test scenario\n")
    for section in markdown.SECTIONS:
        assert f"\n## {section}\n" in md
    for line in reports.content.comparison_lines(results):
        assert f"- {line}" in md
    assert "| Total cost of ownership (USD) |" in md
    assert f"| {results.summary.loc['cloud-fr', 'tco_cost']:,.2f} |" in md
    assert "### Tornado" in md and "| 0.7500 |" in md
    grid = results.assumptions[results.assumptions["parameter"] == "grid intensity"]["source"].iloc[0]
    assert grid in md  # sources are shown
    years = results.yearly()
    assert f"| {years['total_cost'].iloc[0]:,.2f} |" in md


def test_markdown_embeds_the_charts(md: str) -> None:
    if not _charts_available():
        pytest.skip("tco.presentation.charts not importable")
    from tco.presentation.charts import report_charts  # noqa: F401

    assert md.count("](data:image/svg+xml;base64,") >= 1


def test_markdown_says_what_is_missing(results: Results, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tco.presentation.charts", None)  # import fails
    text = render_report(results, "md", analysis=False).decode()
    assert "Charts unavailable: tco.presentation.charts.report_charts could not be imported" in text
    assert "No charts in this report" in text
    assert "Sensitivity and uncertainty results not included" in text


def test_markdown_escapes_pipes() -> None:
    assert markdown.table(["a|b"], [["x|y"]]) == "| a\\|b |\n|---|\n| x\\|y |"


# ----------------------------------------------------------------------------------------------- html


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "data") and value:
                self.urls.append(value)


def test_html_is_self_contained(html_text: str) -> None:
    parser = _Collector()
    parser.feed(html_text)
    assert "script" not in parser.tags and "link" not in parser.tags and "iframe" not in parser.tags
    assert [u for u in parser.urls if not u.startswith(("#", "data:"))] == []
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html_text)
    assert "@import" not in html_text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html_text)


def test_html_has_every_section_and_inline_charts(html_text: str, results: Results) -> None:
    for section in markdown.SECTIONS:
        assert f">{section}</h2>" in html_text
    assert "<style>" in html_text
    assert f"{results.summary.loc['onprem-auto', 'tco_cost']:,.2f}" in html_text
    assert '<tr class="baseline">' in html_text
    assert "<h3>Win probabilities</h3>" in html_text
    if _charts_available():
        from tco.presentation.charts import report_charts

        figures = report_charts(complete(View(results), charts=True))
        assert html_text.count("<figure aria-label=") == len(figures)
        assert html_text.count("<svg") >= len(figures)
        assert "<?xml" not in html_text


# ----------------------------------------------------------------------------------------------- json

TOP_LEVEL = {
    "schema": str,
    "scenario": dict,
    "units": dict,
    "answer": str,
    "comparison": list,
    "notes": list,
    "summary": list,
    "per_period": list,
    "yearly": list,
    "assumptions": list,
    "analysis": dict,
    "charts": dict,
}
SCENARIO_TYPES = {
    "name": str,
    "description": str,
    "file": str,
    "currency": str,
    "start": str,
    "horizon_months": int,
    "discount_rate": float,
    "baseline": str,
    "options": list,
    "queries_per_day": float,
    "annual_growth": float,
}
SUMMARY_TYPES = {
    "option": str,
    "deployment": str,
    "tco_cost": float,
    "npv_cost": float,
    "cost_per_1k_queries": float,
    "levelised_cost_per_1k_queries": float,
    "emissions_kg": float,
    "g_per_query": float,
    "is_baseline": bool,
    "slo_met": bool,
    "batch_size": (int, type(None)),
    "break_even_month": (float, type(None)),
    "quality": (float, type(None)),
}
ASSUMPTION_TYPES = {
    "option": str,
    "parameter": str,
    "value": str,
    "unit": str,
    "source": str,
    "year": (int, type(None)),
}


def test_json_schema_keys_and_types_are_stable(doc: dict, results: Results) -> None:
    assert {k: type(v) for k, v in doc.items()} == TOP_LEVEL
    assert doc["schema"] == "slm-tco.report/1"
    assert {k: type(doc["scenario"][k]) for k in SCENARIO_TYPES} == SCENARIO_TYPES
    assert set(doc["scenario"]) == set(SCENARIO_TYPES)
    for rec in doc["summary"]:
        assert set(rec) == set(results.summary.columns)
        for k, t in SUMMARY_TYPES.items():
            assert isinstance(rec[k], t), (k, rec[k])
    for rec in doc["assumptions"]:
        assert set(rec) == set(ASSUMPTION_TYPES)
        for k, t in ASSUMPTION_TYPES.items():
            assert isinstance(rec[k], t), (k, rec[k])
    assert len(doc["per_period"]) == 4 * 14
    assert set(doc["per_period"][0]) == set(results.per_period.columns)
    assert doc["units"]["tco_cost"] == "USD"
    assert set(doc["analysis"]) == set(ANALYSIS)
    assert doc["analysis"]["Win probabilities"][0] == {"option": "onprem-auto", "p_cheapest": 0.75}


def test_json_values_match_the_frames_and_nan_is_null(doc: dict, results: Results) -> None:
    by_id = {r["option"]: r for r in doc["summary"]}
    assert by_id["cloud-fr"]["tco_cost"] == pytest.approx(
        results.summary.loc["cloud-fr", "tco_cost"], rel=1e-12
    )
    assert math.isnan(results.summary.loc["api-8b", "batch_size"])  # an API has no batch
    assert by_id["api-8b"]["batch_size"] is None  # NaN in the frame
    first = doc["per_period"][0]
    assert first["total_cost"] == pytest.approx(float(results.per_period["total_cost"].iloc[0]), rel=1e-12)


def test_json_text_is_deterministic_sorted_and_strict(results: Results) -> None:
    a = render_report(results, "json", analysis=ANALYSIS)
    b = render_report(results, "json", analysis=ANALYSIS)
    assert a == b
    text = a.decode()
    assert "NaN" not in text and "Infinity" not in text
    keys = list(json.loads(text))
    assert keys == sorted(keys)


def test_json_plain_values() -> None:
    import numpy as np

    assert jsonfmt.plain(
        {"a": np.float64("nan"), "b": np.int64(3), "c": np.bool_(True), "d": pd.NA, "e": (np.float32(1.5),)}
    ) == {"a": None, "b": 3, "c": True, "d": None, "e": [1.5]}


# ----------------------------------------------------------------------------------------------- csv


def test_csv_render_is_the_summary_with_units_in_headers(results: Results) -> None:
    from io import StringIO

    frame = pd.read_csv(StringIO(render_report(results, "csv").decode()))
    assert "tco_cost [USD]" in frame.columns
    assert "energy_kwh [kWh]" in frame.columns
    assert list(frame["option"]) == list(results.summary["option"])
    assert frame["tco_cost [USD]"].tolist() == pytest.approx(results.summary["tco_cost"].tolist(), rel=1e-12)


def test_csv_write_directory_holds_every_table(results: Results, tmp_path: Path) -> None:
    out = write_report(results, "csv", tmp_path / "rep", analysis=ANALYSIS)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "analysis_tornado.csv",
        "analysis_win_probabilities.csv",
        "assumptions.csv",
        "per_period.csv",
        "scenario.csv",
        "summary.csv",
        "yearly.csv",
    ]
    per = pd.read_csv(out / "per_period.csv")
    assert len(per) == 4 * 14
    assert per["total_cost [USD]"].tolist() == pytest.approx(
        results.per_period["total_cost"].tolist(), rel=1e-12
    )
    scen = pd.read_csv(out / "scenario.csv")
    assert (scen["key"] == "comparison").sum() == 3
    assert "source" in pd.read_csv(out / "assumptions.csv").columns


def test_csv_write_file_puts_tables_beside_it(results: Results, tmp_path: Path) -> None:
    out = write_report(results, "csv", tmp_path / "r.csv")
    assert out == tmp_path / "r.csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "r.analysis_break_even.csv",
        "r.analysis_monte_carlo.csv",
        "r.analysis_ranking.csv",
        "r.analysis_tornado.csv",
        "r.analysis_win_probabilities.csv",
        "r.assumptions.csv",
        "r.csv",
        "r.per_period.csv",
        "r.scenario.csv",
        "r.yearly.csv",
    ]


# ----------------------------------------------------------------------------------------------- api


def test_unknown_format_message() -> None:
    with pytest.raises(reports.ReportError) as e:
        render_report(None, "pdf")  # type: ignore[arg-type]
    assert str(e.value) == "format: unknown report format 'pdf', expected one of md, csv, json, xlsx, html"
    assert isinstance(e.value, InputError) and isinstance(e.value, ValueError)


def test_default_filenames(results: Results) -> None:
    assert reports.default_filename(View(results), "html") == "report-test-report.html"
    assert reports.default_filename(View(results), "csv") == "report-test-report"
    assert reports.default_filename(View(results), "MD") == "report-test-report.md"


def test_write_is_atomic_and_returns_the_path(results: Results, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "r.json"
    assert write_report(results, "json", target) == target
    assert json.loads(target.read_bytes())["schema"] == "slm-tco.report/1"
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]


def test_no_raw_field_name_in_any_human_table_header(results: Results) -> None:
    """Markdown and HTML headers are words with units: fails on any snake_case header, new columns included."""
    from tco.analysis import analysis_tables
    from tco.presentation.labels import is_raw_name

    analysis = analysis_tables(results.scenario)
    md = render_report(results, "md", analysis=analysis).decode()
    md_heads = [
        cell.strip()
        for line, nxt in zip(md.splitlines(), md.splitlines()[1:], strict=False)
        if line.startswith("| ") and nxt.startswith("|-")
        for cell in line.strip("|").split(" | ")
    ]
    assert len(md_heads) > 40
    assert [h for h in md_heads if is_raw_name(h.split(" (")[0])] == []

    class Heads(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside, self.heads = False, []  # type: ignore[var-annotated]

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.inside = tag == "th"

        def handle_data(self, data: str) -> None:
            if self.inside:
                self.heads.append(data.strip())

        def handle_endtag(self, tag: str) -> None:
            self.inside = False

    parser = Heads()
    parser.feed(render_report(results, "html", analysis=analysis).decode())
    assert len(parser.heads) > 40
    assert [h for h in parser.heads if is_raw_name(h.split(" (")[0])] == []


def test_every_report_states_the_answer_first(results: Results) -> None:
    from tco.presentation.answer import answer

    text = answer(results).text
    md = render_report(results, "md").decode()
    assert md.splitlines()[2] == f"**The answer:** {text}"
    html_text = render_report(results, "html").decode()
    assert html_text.index("The answer:") < html_text.index('<h2 id="comparison">')


def test_every_format_leaves_zero_swing_inputs_out_of_the_tornado_with_the_same_note(
    results: Results, tmp_path: Path
) -> None:
    """Rows that move none of TCO, NPV and emissions: md, html, csv, json and xlsx drop them and carry the
    note that names the input, as the terminal tornado does."""
    import io

    import openpyxl

    from tco.analysis.tables import sensitivity_table

    tornado = sensitivity_table(results.scenario)  # type: ignore[arg-type]
    rate = tornado["input"] == "discount_rate"
    # the discount rate moves only NPV, so it stays in every format ...
    assert (tornado.loc[rate, "npv_cost_swing"] > 0).all() and (
        tornado.loc[rate, "tco_cost_swing"] == 0
    ).all()
    kept, dropped = moving_tornadoes({"tornado": tornado})
    assert dropped == [] and len(kept["tornado"]) == len(tornado)
    # ... and an input that moves nothing is left out: here the rate with its NPV swing taken away
    tornado.loc[rate, "npv_cost_swing"] = 0.0
    still = tornado[rate]
    note = (
        "Sensitivity (tornado): left out, they move neither TCO, net present cost nor emissions here: "
        "discount rate (onprem-auto, onprem-fixed, cloud-fr, api-8b)."
    )
    moving = len(tornado) - len(still)
    analysis = {"tornado": tornado}

    doc = json.loads(render_report(results, "json", analysis=analysis))
    assert note in doc["notes"]
    assert len(doc["analysis"]["tornado"]) == moving
    assert "discount_rate" not in {r["input"] for r in doc["analysis"]["tornado"]}

    for fmt in ("md", "html"):
        text = render_report(results, fmt, analysis=analysis).decode()
        assert note in text, fmt
        section = text[text.index("Tornado") :]
        section = section[: section.index("Charts")]
        assert "discount rate" not in section.lower(), fmt
        assert section.count("<tr>" if fmt == "html" else "\n| ") == moving + 1, fmt

    out = write_report(results, "csv", tmp_path / "rep", analysis=analysis)
    rows = pd.read_csv(out / "analysis_tornado.csv", comment="#")
    assert len(rows) == moving and "discount_rate" not in set(rows["input"])
    assert note in (out / "scenario.csv").read_text()

    wb = openpyxl.load_workbook(io.BytesIO(render_report(results, "xlsx", analysis=analysis)))
    scenario = [c.value for row in wb["Scenario"].iter_rows() for c in row if c.value]
    assert note in scenario
    sheet = wb["Analysis tornado"]
    inputs = [c.value for c in sheet["B"][4:] if c.value is not None]
    assert len(inputs) == moving and "discount_rate" not in inputs
