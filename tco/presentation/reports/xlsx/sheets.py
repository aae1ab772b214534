"""The workbook's other sheets: the Scenario sheet (the answer, header facts, comparison, notes, how the
workbook works), static tables (Sources, Yearly, Analysis), the task plan (a portfolio only) and the native
Excel charts of the projections."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tco.engine.inputs import OptionInputs
from tco.presentation.labels import header
from tco.presentation.reports import content as c
from tco.presentation.reports import jsonfmt
from tco.presentation.reports.xlsx.layout import BOLD, FIRST_ROW, MONEY_FORMAT, TITLE, header_row


def table_sheet(
    ws: Worksheet,
    title: str,
    records: list[dict[str, Any]],
    note: str,
    units: dict[str, str] | None = None,
) -> None:
    """A static table: headers in words with units (tco.presentation.labels), values as numbers."""
    ws["A1"] = title
    ws["A1"].font = TITLE
    ws["A2"] = note
    if not records:
        return
    keys = list(records[0])
    header_row(ws, 4, [header(k, (units or {}).get(k, "")) for k in keys])
    for i, rec in enumerate(records):
        for j, k in enumerate(keys, start=1):
            v = rec.get(k)
            cell = ws.cell(row=5 + i, column=j, value=v)
            if isinstance(v, float) and k.endswith("_cost"):
                cell.number_format = MONEY_FORMAT
    for j, k in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(
            12, min(len(header(k, (units or {}).get(k, ""))) + 2, 40)
        )


def charts_sheet(
    ws: Worksheet,
    options: list[OptionInputs],
    sheets: dict[str, str],
    wb: Workbook,
    letters: dict[str, str],
    months: int,
    cur: str,
) -> None:
    ws["A1"] = "Charts of the projection sheets (live: they follow the formulas)"
    ws["A1"].font = TITLE
    first, last = FIRST_ROW, FIRST_ROW + months - 1
    for n, (key, title, unit) in enumerate(
        (
            ("cumulative_cost", "Cumulative cost", cur),
            ("cumulative_emissions_kg", "Cumulative emissions", "kgCO2e"),
        )
    ):
        chart = LineChart()
        chart.title = f"{title} ({unit})"
        chart.y_axis.title = unit
        chart.x_axis.title = "month"
        chart.height, chart.width = 9, 18
        col = list(letters).index(key) + 1
        date_col = list(letters).index("date") + 1
        for o in options:
            src = wb[sheets[o.id]]
            data = Reference(src, min_col=col, min_row=first, max_row=last)
            chart.add_data(data, titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=o.id)
        chart.set_categories(
            Reference(wb[sheets[options[0].id]], min_col=date_col, min_row=first, max_row=last)
        )
        ws.add_chart(chart, f"A{3 + n * 20}")


PLAN_STATIC_NOTE = (
    "Static values from slm-tco's planner (`tco plan`), not formulas: editing the Assumptions sheet does not "
    "change them."
)


def plan_sheet(ws: Worksheet, rc: c.ReportContent) -> None:
    """The task plan (a portfolio only): the plan sentence, the plans compared, the per-task table and (a plan
    with hosted fleets) the bill of materials with its totals and the runner-up's bill, static."""
    assert rc.plans is not None and rc.plan_tasks is not None
    units = c.plan_units(rc)
    ws["A1"] = "Task plan (static values)"
    ws["A1"].font = TITLE
    ws["A2"] = PLAN_STATIC_NOTE
    ws["A3"] = rc.plan_answer
    ws["A4"] = c.PLAN_NOTE
    r = 6
    tables = [("Plans compared", rc.plans), ("Per task", rc.plan_tasks)]
    # a plan with hosted fleets: the bill of materials of the optimised plan and of the runner-up
    tables += [
        (t, f)
        for t, f in ((c.BOM_TITLE, rc.plan_bom), (c.BOM_RUNNER_UP_TITLE, rc.plan_bom_runner_up))
        if f is not None
    ]
    for heading, frame in tables:
        ws.cell(row=r, column=1, value=heading).font = BOLD
        keys = [str(k) for k in frame.columns]
        header_row(ws, r + 1, [header(k, units.get(k, "")) for k in keys])
        for i, rec in enumerate(jsonfmt.records(frame)):
            for j, k in enumerate(keys, start=1):
                v = rec.get(k)
                cell = ws.cell(row=r + 2 + i, column=j, value=v)
                if isinstance(v, float) and k.endswith("_cost"):
                    cell.number_format = MONEY_FORMAT
        r += len(frame) + 4
    if rc.plan_bom_lines:  # the bill's totals per GPU type and region, the runner-up, the catalogue search
        ws.cell(row=r, column=1, value="Bill of materials: totals, runner-up and search").font = BOLD
        for i, line in enumerate(rc.plan_bom_lines, start=1):
            ws.cell(row=r + i, column=1, value=line)
        r += len(rc.plan_bom_lines) + 2
    if rc.plan_assumptions:
        ws.cell(row=r, column=1, value="How the plans are found and priced").font = BOLD
        for i, line in enumerate(rc.plan_assumptions, start=1):
            ws.cell(row=r + i, column=1, value=line)
    for j in range(1, 13):
        ws.column_dimensions[get_column_letter(j)].width = 22


def scenario_sheet(ws: Worksheet, rc: c.ReportContent) -> None:
    from tco.presentation.reports.markdown import scenario_lines

    ws["A1"] = rc.title
    ws["A1"].font = TITLE
    r = 3
    if rc.plan_answer:  # a task portfolio: the plan first
        ws.cell(row=r, column=1, value="The plan").font = BOLD
        ws.cell(row=r, column=2, value=rc.plan_answer).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 75
        r += 2
    if rc.answer:
        ws.cell(row=r, column=1, value=c.answer_label(rc)).font = BOLD
        ws.cell(row=r, column=2, value=rc.answer).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 75
        r += 2
    if rc.scenario.get("description"):
        ws.cell(row=r, column=1, value="Description").font = BOLD
        ws.cell(row=r, column=2, value=str(rc.scenario["description"])).alignment = Alignment(wrap_text=True)
        r += 2
    for label, text in scenario_lines(rc):
        ws.cell(row=r, column=1, value=label).font = BOLD
        ws.cell(row=r, column=2, value=text)
        r += 1
    r += 1
    for heading, lines in (
        ("Comparison with the baseline", rc.comparison),
        ("Notes", rc.notes),
        (
            "How this workbook works",
            [
                "Assumptions: the engine's inputs; edit column C and everything recomputes.",
                "Projection <option>: monthly formulas of the Assumptions cells.",
                "Load <option>: the hour-by-hour load model (24 hours a month) as formulas.",
                "Summary: totals and per-query figures as formulas over the projections.",
                "Sources: every assumption in display units with its source.",
                "Yearly, Analysis <name>: static values from slm-tco (not formulas).",
                "Every formula cell also holds its value, for readers that do not recalculate.",
                *(
                    ["Plan: the task plan, static values from slm-tco's planner."]
                    if rc.plans is not None
                    else []
                ),
            ],
        ),
    ):
        ws.cell(row=r, column=1, value=heading).font = BOLD
        r += 1
        for line in lines:
            ws.cell(row=r, column=1, value=line)
            r += 1
        r += 1
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 110
