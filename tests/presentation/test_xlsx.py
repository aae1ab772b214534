"""The xlsx report: live formulas that, recomputed by a formula evaluator, agree with the engine."""

from __future__ import annotations

import io
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tco.api import Results, evaluate, evaluate_resolved, render_report, scenario_from_dict, write_report
from tco.presentation.reports import xlsx
from tests.presentation import excel_eval

formulas = pytest.importorskip("formulas")

REL = 1e-6
CELL = re.compile(r"^'\[(?P<book>[^\]]+)\](?P<sheet>.+)'!(?P<cell>[A-Z]+\d+)$")


class Evaluated:
    """A workbook recomputed by the `formulas` package, cells looked up by sheet title and address."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.model = formulas.ExcelModel().loads(str(path)).finish()
        self.values: dict[tuple[str, str], Any] = {}

    def calculate(self, inputs: dict[tuple[str, str], float] | None = None) -> Evaluated:
        book = self.path.name
        given = {f"'[{book}]{s.upper()}'!{c}": v for (s, c), v in (inputs or {}).items()}
        solution = self.model.calculate(inputs=given) if given else self.model.calculate()
        self.values = {}
        for key, v in solution.items():
            m = CELL.match(key)
            if m:
                raw = v.value[0, 0] if hasattr(v, "value") else v
                self.values[(m["sheet"], m["cell"])] = raw
        return self

    def __call__(self, sheet: str, cell: str) -> Any:
        return self.values[(sheet.upper(), cell)]


def _number(v: Any) -> float:
    if isinstance(v, str) and v == "":
        return math.nan
    return float(v)


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= REL * max(abs(a), abs(b)) + 1e-9


def _layout(path: Path) -> tuple[openpyxl.Workbook, dict[str, str]]:
    wb = openpyxl.load_workbook(path)
    letters = {str(c.value): c.column_letter for c in wb["Summary"][4] if c.value}
    return wb, letters


def _projection_columns(ws: Any) -> dict[str, str]:
    return {str(c.value): c.column_letter for c in ws[xlsx.FIRST_ROW - 2] if c.value}


def _assumption_cell(wb: openpyxl.Workbook, option: str, name: str) -> str:
    ws = wb["Assumptions"]
    for row in ws.iter_rows(min_row=xlsx.FIRST_ROW):
        if row[0].value == option and row[1].value == name:
            return f"C{row[0].row}"
    raise KeyError((option, name))


@pytest.fixture(scope="module")
def workbook_path(results: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(results, "xlsx", tmp_path_factory.mktemp("xlsx") / "report.xlsx")


@pytest.fixture(scope="module")
def evaluated(workbook_path: Path) -> Evaluated:
    return Evaluated(workbook_path)


def test_projection_cells_are_formulas_of_the_assumptions(workbook_path: Path, results: Results) -> None:
    wb = openpyxl.load_workbook(workbook_path)
    ws = wb["Projection onprem-auto"]
    cols = _projection_columns(ws)
    r = xlsx.FIRST_ROW + 3
    assert ws[f"{cols['queries']}{r}"].value.startswith("=Assumptions!$C$")
    assert "Assumptions!" in ws[f"{cols['energy_facility_kwh']}{r}"].value
    assert ws[f"{cols['total_cost']}{r}"].value == f"=SUM({cols['capex_cost']}{r}:{cols['carbon_cost']}{r})"
    summary = wb["Summary"]
    assert (
        summary["C5"].value
        == f"=SUM('Projection onprem-auto'!${cols['total_cost']}$5:${cols['total_cost']}$18)"
    )
    assert wb.calculation.fullCalcOnLoad is True
    assert [ws.title for ws in wb.worksheets][:3] == ["Scenario", "Summary", "Assumptions"]


def test_recomputed_projections_match_the_engine(
    evaluated: Evaluated, workbook_path: Path, results: Results
) -> None:
    wb, _ = _layout(workbook_path)
    assert _projections_match_the_engine(evaluated.calculate(), wb, results) > 4 * 14 * 35


def _projections_match_the_engine(ev: Any, wb: Any, results: Results) -> int:
    """Every recomputed projection cell with an engine column equals the engine's monthly value; the count
    of cells checked."""
    per = results.per_period
    checked = 0
    for oid in results.summary["option"]:
        ws = wb[f"Projection {oid}"]
        rows = per[per["option"] == oid].reset_index(drop=True)
        for key, letter in _projection_columns(ws).items():
            if key not in per.columns or key in ("option", "date"):
                continue
            for t, expected in enumerate(rows[key]):
                got = ev(ws.title, f"{letter}{xlsx.FIRST_ROW + t}")
                if isinstance(expected, bool | np.bool_):
                    assert bool(got) == bool(expected), (oid, key, t)
                else:
                    assert _close(_number(got), float(expected)), (oid, key, t, got, expected)
                checked += 1
    return checked


def test_recomputed_summary_matches_the_engine(
    evaluated: Evaluated, workbook_path: Path, results: Results
) -> None:
    ev = evaluated.calculate()
    wb, options = _layout(workbook_path)
    summary = wb["Summary"]
    keys = {str(r[-1].value): r[-1].row for r in summary.iter_rows(min_row=5) if r[-1].value}
    assert len(keys) == len(xlsx._summary_rows("USD"))
    for oid, letter in options.items():
        if oid in ("Measure", "Unit", "Field"):
            continue
        for key, row in keys.items():
            expected = float(results.summary.loc[oid, key])
            got = _number(ev("Summary", f"{letter}{row}"))
            assert _close(got, expected), (oid, key, got, expected)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("option", "name", "factor"),
    [
        ("onprem-auto", "electricity_price", 3.0),
        ("onprem-auto", "lifetime_months", 7 / 5),
        ("cloud-fr", "throughput_qps", 0.5),
        ("api-8b", "api_cost_per_query", 1.5),
    ],
)
def test_changing_an_assumption_moves_the_totals_like_the_engine(
    evaluated: Evaluated, workbook_path: Path, results: Results, option: str, name: str, factor: float
) -> None:
    wb, options = _layout(workbook_path)
    cell = _assumption_cell(wb, option, name)
    old = float(wb["Assumptions"][cell].value)
    ev = evaluated.calculate({("Assumptions", cell): old * factor})
    resolved = results.resolved
    changed = [o.with_values(**{name: old * factor}) if o.id == option else o for o in resolved.options]
    engine = evaluate_resolved(replace(resolved, options=changed))
    before = float(results.summary.loc[option, "tco_cost"])
    after = float(engine.summary.loc[option, "tco_cost"])
    assert after != pytest.approx(before, rel=1e-3)
    assert _number(ev("Summary", f"{options[option]}5")) == pytest.approx(after, rel=REL)
    assert _number(ev("Summary", f"{options[option]}6")) == pytest.approx(
        float(engine.summary.loc[option, "npv_cost"]), rel=REL
    )


def test_builds_a_projection_sheet_per_option_over_36_months(results: Results) -> None:
    """(Its speed is measured by benchmarks/xlsx_export.py, not asserted here.)"""
    from tests.presentation.conftest import scenario_dict

    raw = scenario_dict(horizon="36 months")
    raw["options"] = raw["options"][:3]
    big = evaluate(scenario_from_dict(raw))
    wb = openpyxl.load_workbook(io.BytesIO(render_report(big, "xlsx")))
    for oid in big.summary["option"]:
        assert wb[f"Projection {oid}"].max_row == xlsx.FIRST_ROW + 36 - 1


def test_sheet_titles_are_valid_and_unique() -> None:
    taken: set[str] = set()
    a = xlsx.sheet_title("Projection ", "a/very:long*option?id[with]bad\\chars", taken)
    b = xlsx.sheet_title("Projection ", "a/very:long*option?id[with]bad\\chars", taken)
    assert len(a) <= 31 and len(b) <= 31
    assert a != b
    assert not set("[]:*?/\\") & set(a + b)


def test_analysis_tables_become_static_sheets(results: Results, tmp_path: Path) -> None:
    table = pd.DataFrame({"option": ["onprem-auto"], "p50_tco_cost": [1.5]})
    path = write_report(results, "xlsx", tmp_path / "a.xlsx", analysis={"Monte Carlo": table})
    wb = openpyxl.load_workbook(path)
    ws = wb["Analysis Monte Carlo"]
    # a column the label table knows reads in words; an unknown one keeps its name (and the raw-name tests catch it)
    assert [c.value for c in ws[4]] == ["Option", "p50_tco_cost"]
    assert ws["B5"].value == 1.5


@pytest.mark.slow
def test_loan_lease_and_commitment_columns_are_marked_static_and_the_totals_still_match(
    tmp_path: Path,
) -> None:
    from tests.presentation.conftest import scenario_dict

    raw = scenario_dict()
    auto, fixed, cloud, _ = raw["options"]
    auto.update(financing="loan", financing_rate="6 %", financing_term="3 months")
    fixed.update(financing="lease", financing_rate="9 %", end_value="none")
    fixed.pop("resale_curve")
    cloud.update(pricing="committed", commitment_term="5 months", commitment_upfront="50 %")
    res = evaluate(scenario_from_dict(raw))
    path = write_report(res, "xlsx", tmp_path / "financed.xlsx")
    wb = openpyxl.load_workbook(path)
    for sheet, key in (
        ("Projection onprem-auto", "financing_cost"),
        ("Projection onprem-fixed", "financing_cost"),
        ("Projection cloud-fr", "cloud_cost"),
    ):
        cols = _projection_columns(wb[sheet])
        assert "static" in wb[sheet][f"{cols[key]}{xlsx.FIRST_ROW - 1}"].value
        assert not str(wb[sheet][f"{cols[key]}{xlsx.FIRST_ROW}"].value).startswith("=")
    ev = Evaluated(path).calculate()
    _, options = _layout(path)
    summary = wb["Summary"]
    field = next(c.column - 1 for c in summary[4] if c.value == "Field")
    keys = {str(r[field].value): r[field].row for r in summary.iter_rows(min_row=5) if r[field].value}
    for oid in ("onprem-auto", "onprem-fixed", "cloud-fr"):
        for key in ("tco_cost", "npv_cost", "financing_cost", "tax_saving", "npv_after_tax_cost"):
            got = _number(ev("Summary", f"{options[oid]}{keys[key]}"))
            assert _close(got, float(res.summary.loc[oid, key])), (oid, key, got)
    assert res.summary.loc["onprem-auto", "financing_cost"] > 0  # interest on the loans


@pytest.mark.slow
def test_packed_hourly_and_undersized_fleets_recompute_like_the_engine(tmp_path: Path) -> None:
    raw = _hours_scenario()
    results = evaluate(scenario_from_dict(raw))
    assert results.summary.loc["small", "queries_unserved"] > 0  # the fixed fleet is too small
    path = write_report(results, "xlsx", tmp_path / "hours.xlsx")
    assert _projections_match_the_engine(Evaluated(path).calculate(), openpyxl.load_workbook(path), results)


def test_pandas_reads_the_summary_numbers_without_recalculating(results: Results) -> None:
    """Cached values: a reader that does not recalculate (pandas) gets the engine's numbers, not NaN."""
    data = render_report(results, "xlsx")
    summary = pd.read_excel(io.BytesIO(data), sheet_name="Summary", header=3, index_col="Field")
    assert summary.loc["tco_cost", "Measure"] == "Total cost of ownership"
    for oid in results.summary.index:
        for key in summary.index:
            expected = float(results.summary.loc[oid, key])
            got = summary.loc[key, oid]
            if math.isnan(expected):
                assert pd.isna(got), (oid, key)
            else:
                assert float(got) == pytest.approx(expected, rel=1e-12), (oid, key)


def test_cached_values_equal_what_the_formulas_compute(
    evaluated: Evaluated, workbook_path: Path, results: Results
) -> None:
    """Every formula cell of every sheet carries a value, and it is the value the live formula recomputes
    to (the `formulas` package)."""
    ev = evaluated.calculate()
    wb = openpyxl.load_workbook(workbook_path)
    cached = openpyxl.load_workbook(workbook_path, data_only=True)
    checked = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if not (isinstance(cell.value, str) and cell.value.startswith("=")):
                    continue
                value = cached[ws.title][cell.coordinate].value
                got = ev(ws.title, cell.coordinate)
                if value is None:  # only an empty text result reads back as None
                    assert got == "", (ws.title, cell.coordinate, cell.value, got)
                elif isinstance(value, bool):
                    assert bool(got) == value, (ws.title, cell.coordinate)
                elif value == "":
                    assert got == "" or got is None, (ws.title, cell.coordinate, got)
                else:
                    assert _close(float(value), _number(got)), (ws.title, cell.coordinate, value, got)
                checked += 1
    assert checked > 5000


def test_the_small_evaluator_agrees_with_the_formulas_package(
    evaluated: Evaluated, workbook_path: Path
) -> None:
    """tests/presentation/excel_eval.py (fast enough for the shipped scenarios' workbooks) against `formulas`,
    cell by cell, on the test scenario's workbook. To REL only: `formulas` reads some stored numbers to 9
    significant digits (3.24528946672117e-07 as 3.24528947e-07), where Excel reads the double written."""
    ev = evaluated.calculate()
    mine = excel_eval.Workbook(workbook_path)
    values = mine.recompute()
    assert len(values) > 4 * 14 * 60
    for (sheet, coord), got in values.items():
        other = ev(sheet, coord)
        if isinstance(got, bool | str):
            assert got == (bool(other) if isinstance(got, bool) else other), (sheet, coord, got, other)
        else:
            assert got == pytest.approx(_number(other), rel=REL, abs=1e-9), (sheet, coord, got, other)


def _hours_scenario() -> dict[str, Any]:
    """Packed, packed-off, hourly and too small fleets: every form of the Load sheet."""
    from tests.presentation.conftest import scenario_dict

    raw = scenario_dict(horizon="4 months", carbon_price="0 USD/tCO2e")
    raw["workload"] = {**raw["workload"], "queries_per_day": "30000000 query/day"}
    raw["options"] = [
        {"id": "packed", "deployment": "on-prem", "profile": "llama-3.1-8b-h100", "scaling": "packed-off"},
        {"id": "spare", "deployment": "on-prem", "profile": "llama-3.1-8b-h100", "scaling": "packed"},
        {"id": "hourly", "deployment": "cloud", "profile": "llama-3.1-8b-h100", "scaling": "hourly"},
        {"id": "small", "deployment": "cloud", "profile": "llama-3.1-8b-h100", "fleet": {"accelerators": 1}},
    ]
    raw["baseline"] = "packed"
    return raw


@pytest.mark.parametrize("name", ["slm-vs-llm", "financing", "portfolio", "hours"])
def test_every_formula_cell_caches_what_excel_computes_and_pandas_reads_it(name: str) -> None:
    """Shipped scenarios (financing: loan, lease, committed and spot cloud) and every fleet scaling: each
    formula cell of each sheet carries a value (openpyxl data_only), equal to the value an independent
    evaluation of the workbook's own formulas gives (rel 1e-9), and pandas reads it (no NaN where a
    formula has a number)."""
    from tco.api import load_scenario

    loaded = scenario_from_dict(_hours_scenario()) if name == "hours" else load_scenario(name)
    data = render_report(evaluate(loaded), "xlsx", analysis={})
    values = excel_eval.Workbook(io.BytesIO(data)).recompute()
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    frames = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None)
    sheets: set[str] = set()
    for (sheet, coord), expected in values.items():
        cell = cached[sheet][coord]
        got = cell.value
        read = frames[sheet].iat[cell.row - 1, cell.column - 1]
        if expected == "":  # an empty text result (a per-query figure with no queries, a month never reached)
            assert sheet == "Summary" and got is None and pd.isna(read), (sheet, coord, got)
            continue
        assert got is not None, (sheet, coord)
        sheets.add(sheet.split(" ")[0])
        if isinstance(expected, bool):
            assert got is expected and bool(read) is expected, (sheet, coord, got, expected)
        else:
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), (sheet, coord, got, expected)
            assert float(read) == pytest.approx(expected, rel=1e-9, abs=1e-9), (sheet, coord, read)
    assert {"Summary", "Projection", "Load"} <= sheets
    assert len(values) > 4 * 4 * 100


def test_sheets_people_read_have_no_raw_field_names(results: Results) -> None:
    """Scenario, Summary, Sources, Yearly and analysis sheets: headers in words (field names only in
    the Summary's last `Field` column, and on the formula sheets that mirror the engine)."""
    from tco.analysis import analysis_tables
    from tco.presentation.labels import is_raw_name

    data = render_report(results, "xlsx", analysis=analysis_tables(results.scenario))  # type: ignore[arg-type]
    wb = openpyxl.load_workbook(io.BytesIO(data))
    read = [n for n in wb.sheetnames if not n.startswith(("Projection ", "Assumptions", "Charts"))]
    assert {"Scenario", "Summary", "Sources", "Yearly"} <= set(read) and len(read) > 5
    for name in read:
        ws = wb[name]
        heads = [c.value for c in ws[4] if c.value is not None and c.value != "Field"]
        heads += (
            [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)] if name == "Scenario" else []
        )
        raw = [h for h in heads if isinstance(h, str) and is_raw_name(h)]
        assert raw == [], (name, raw)
    assert wb["Scenario"]["B3"].value.startswith("Cheapest option that meets the latency SLO")
