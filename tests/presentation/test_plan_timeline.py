"""The plan over time in every report format, against the analysis frame (tco.analysis.plan_timeline): what
each chart plots (its Vega-Lite data and, in md/html, the SVG bars' ARIA labels), the CSV and JSON rows, and
the xlsx Plan sheet, whose formulas an independent evaluator recomputes to the timeline's numbers."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from tco.analysis.view import View, compute_view
from tco.api import load_scenario, render_report, write_report
from tco.engine.constants import KG_PER_T
from tco.presentation import plan_timeline as pt
from tests.presentation import excel_eval


@pytest.fixture(scope="module")
def view() -> View:
    v = compute_view(load_scenario("portfolio"), charts=True, workbook=True)
    assert v.timeline is not None and v.plans is not None and v.plans.baseline is not None
    return v


def _data(chart: Any) -> pd.DataFrame:
    datasets = list(chart.to_dict()["datasets"].values())
    assert len(datasets) == 1
    return pd.DataFrame(datasets[0])


def test_the_charts_plot_the_timeline(view: View) -> None:
    tl = view.timeline
    assert tl is not None
    names = {p: pt.plan_name(tl, p) for p in tl.plans()}
    assert names == {"optimised": "Optimised plan", "all-large": "Baseline: all-large"}
    cum = _data(pt.cumulative_chart(tl))
    assert list(cum["cumulative_cost"]) == pytest.approx(list(tl.monthly["cumulative_cost"]), rel=1e-12)
    for plan, (cost, _) in tl.totals.items():
        assert cum[cum["plan"] == names[plan]]["cumulative_cost"].iloc[-1] == pytest.approx(cost, rel=1e-9)
    bars = _data(pt.yearly_cost_chart(tl))
    labels = dict(zip(tl.yearly_cost["component"], tl.yearly_cost["label"], strict=True))
    want = tl.yearly_cost.assign(
        plan=tl.yearly_cost["plan"].map(names), component=tl.yearly_cost["component"].map(labels)
    )
    merged = want.merge(bars, on=["plan", "year", "component"], suffixes=("", "_plotted"))
    assert len(merged) == len(want) == len(bars)
    assert list(merged["cost_plotted"]) == pytest.approx(list(merged["cost"]), rel=1e-12)
    assert set(bars["component"]) <= {c for c in labels.values()}  # costs only: the engine's components
    kg = _data(pt.yearly_emissions_chart(tl)).groupby(["plan", "year"])["tco2e"].sum()
    for _, row in tl.yearly_emissions.iterrows():
        assert kg[(names[row["plan"]], row["year"])] == pytest.approx(
            row["emissions_kg"] / KG_PER_T, rel=1e-12
        )
    spec = pt.yearly_cost_chart(tl).to_dict()
    assert spec["spec"]["encoding"]["y"]["title"] == f"Cost per year, present value ({tl.currency})"
    assert tl.basis in " ".join(spec["title"]["subtitle"])


_BAR = re.compile(
    r"Year: (?P<year>\d+); Cost per year, present value \([A-Z]{3}\): [-\u2212\d,.]+; Component: (?P<component>[^;]+); "
    r"order: \d+; Plan: (?P<plan>[^;]+); Cost \([A-Z]{3}\): (?P<cost>[-\u2212\d,.]+)"
)


def _svgs(fmt: str, text: str) -> dict[str, str]:
    if fmt == "html":
        return dict(re.findall(r'<figure aria-label="([^"]+)">(.*?)</figure>', text, flags=re.S))
    found = re.findall(r"!\[([^\]]+)\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", text)
    return {title: base64.b64decode(data).decode("utf-8") for title, data in found}


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_md_and_html_show_the_plan_over_time_section_and_plot_the_timeline(fmt: str, view: View) -> None:
    tl = view.timeline
    assert tl is not None
    text = render_report(view, fmt).decode("utf-8")
    assert "Plan over time" in text and tl.basis in text
    assert "How the plans are found and priced" in text  # the plans' assumptions
    svg = _svgs(fmt, text)[pt.TITLES["yearly_cost"]]
    bars = pd.DataFrame(
        [
            {
                "plan": m["plan"],
                "year": int(m["year"]),
                "component": m["component"].replace("&amp;", "&"),
                "cost": float(m["cost"].replace(",", "").replace("\u2212", "-")),
            }
            for m in _BAR.finditer(svg)
        ]
    )
    want = pt.yearly_cost_frame(tl)
    merged = want.merge(bars, on=["plan", "year", "component"], suffixes=("", "_svg"))
    assert len(merged) == len(want) == len(bars) > 0
    for _, row in merged.iterrows():
        assert row["cost_svg"] == pytest.approx(row["cost"], abs=0.5)  # the label shows whole units
    # the yearly table's year totals, as printed
    for cost in tl.yearly_totals()["cost"]:
        assert f"{cost:,.2f}" in text


def test_csv_writes_the_timeline_by_month_and_by_year(view: View, tmp_path: Path) -> None:
    tl = view.timeline
    assert tl is not None
    write_report(view, "csv", tmp_path)
    monthly = pd.read_csv(tmp_path / "plan_monthly.csv")
    assert monthly.columns[monthly.columns.str.startswith("cost ")].tolist() == [f"cost [{tl.currency}]"]
    for plan, (cost, kg) in tl.totals.items():
        mine = monthly[monthly["plan"] == plan]
        assert mine[f"cost [{tl.currency}]"].sum() == pytest.approx(cost, rel=1e-9)
        assert mine["emissions_kg [kgCO2e]"].sum() == pytest.approx(kg, rel=1e-9)
    yearly = pd.read_csv(tmp_path / "plan_yearly.csv")
    totals = tl.yearly_totals()
    assert list(yearly[f"npv_cost [{tl.currency}]"]) == pytest.approx(list(totals["cost"]), rel=1e-12)
    assert list(yearly["emissions_kg [kgCO2e]"]) == pytest.approx(list(totals["emissions_kg"]), rel=1e-12)
    with open(tmp_path / "scenario.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert ["plan_cost_basis", tl.basis] in rows
    assert sum(1 for r in rows if r[0] == "plan_assumption") == len(view.plans.assumptions)  # type: ignore[union-attr]


def test_json_holds_the_timeline(view: View) -> None:
    tl = view.timeline
    assert tl is not None
    doc = json.loads(render_report(view, "json"))
    t = doc["plan"]["timeline"]
    assert t["cost_basis"] == tl.basis and t["currency"] == tl.currency
    monthly = pd.DataFrame(t["monthly"])
    for plan, (cost, kg) in tl.totals.items():
        assert monthly[monthly["plan"] == plan]["cost"].sum() == pytest.approx(cost, rel=1e-9)
        assert monthly[monthly["plan"] == plan]["emissions_kg"].sum() == pytest.approx(kg, rel=1e-9)
    assert [r["npv_cost"] for r in t["yearly"]] == pytest.approx(list(tl.yearly_totals()["cost"]), rel=1e-12)
    assert set(t["charts"]) == set(pt.TITLES.values())
    assert doc["plan"]["assumptions"] == list(view.plans.assumptions)  # type: ignore[union-attr]


def test_xlsx_plan_sheet_recomputes_to_the_timeline(view: View) -> None:
    tl = view.timeline
    assert tl is not None
    data = render_report(view, "xlsx")
    values = excel_eval.Workbook(io.BytesIO(data)).recompute()
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["Plan"]
    plan_cells = {coord: v for (sheet, coord), v in values.items() if sheet == "Plan"}
    assert len(plan_cells) > 2 * 36  # the monthly totals and cumulative costs, the yearly sums: formulas
    for coord, v in plan_cells.items():  # each formula carries the value it computes
        assert cached[coord].value == pytest.approx(v, rel=1e-9, abs=1e-9), coord
    ws = openpyxl.load_workbook(io.BytesIO(data))["Plan"]
    # find the yearly table: the row headed "Year" under "Year by year"
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Year by year") + 1
    heads = [ws.cell(head, j).value for j in range(1, ws.max_column + 1)]
    totals = tl.yearly_totals()
    for plan in tl.plans():
        cost_col = heads.index(f"{pt.plan_name(tl, plan)}: cost ({tl.currency})") + 1
        kg_col = heads.index(f"{pt.plan_name(tl, plan)}: kgCO2e") + 1
        mine = totals[totals["plan"] == plan].reset_index(drop=True)
        for i, row in mine.iterrows():
            r = head + 1 + int(i)
            assert ws.cell(r, cost_col).value.startswith("=SUM")  # live
            assert values[("Plan", ws.cell(r, cost_col).coordinate)] == pytest.approx(row["cost"], rel=1e-9)
            assert values[("Plan", ws.cell(r, kg_col).coordinate)] == pytest.approx(
                row["emissions_kg"], rel=1e-9
            )
        total_row = head + 1 + len(mine)
        assert ws.cell(total_row, 1).value == "Total"
        assert values[("Plan", ws.cell(total_row, cost_col).coordinate)] == pytest.approx(
            tl.totals[plan][0], rel=1e-9
        )
    saving_col = heads.index(f"Saving against the baseline ({tl.currency})") + 1
    base = view.plans.baseline  # type: ignore[union-attr]
    total_row = head + 1 + len(totals) // 2
    assert values[("Plan", ws.cell(total_row, saving_col).coordinate)] == pytest.approx(
        base.cost - view.plans.optimised.cost,
        rel=1e-9,  # type: ignore[union-attr]
    )
