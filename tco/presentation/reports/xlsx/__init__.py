"""xlsx report for finance: live Excel formulas over an Assumptions sheet.

Sheets:

- `Scenario`: header facts, the comparison lines, notes, and how the workbook works.
- `Assumptions`: one row per engine input per option (option, parameter, value, unit, source), in the
  engine's units (kWh, kW, kgCO2e, months, money in the reporting currency), plus the workload, the discount
  rate and the engine's constants under option `(all)`. Change a value in column C and every projection
  and the Summary recompute.
- `Projection <option>`: one row per month, every cell a formula of the month index and Assumptions cells,
  mirroring `tco.engine.core.simulate` block by block (one module each): demand (growth, peak load;
  demand.py), fleet (replicas: CEILING of peak over throughput x utilisation, at least the minimum; the
  on-prem fleet with lifetime replacement, SUMIFS over earlier purchases; provisioned and busy hours;
  fleet.py), energy (busy, idle, host, PUE; energy.py), emissions (grid intensity with decarbonisation,
  renewable share, embodied, fine-tuning; emissions.py), every cost component with depreciation (costs.py),
  and the totals (tax, discount factor, discounted cost, cumulative totals and the break-even test against
  the baseline; totals.py). projection.py writes the sheet.
- `Load <option>` (hosted options): the load model hour by hour (load.py).
- `Summary`: per-option totals as formulas over the projection sheets (TCO, NPV, levelised cost, energy,
  emissions, per-query figures, ratios to the baseline, break-even and payback months).
- `Sources`: the resolver's assumptions table in display units, with every source and year.
- `Plan` (a task portfolio, `workload.tasks`, only): the plan sentence, the plans compared and the per-task
  table, static values marked so on the sheet; a plan with hosted fleets adds its bill of materials (one row
  per fleet, units in the headers), the runner-up plan's and the totals per GPU type and region; below them the plan over time (plan_timeline.py): the
  optimised plan and its baseline month by month (each cost component and kgCO2e static engine values, the
  month's total and the cumulative cost live formulas) and year by year (SUMIFS formulas by component, the
  totals and the saving against the baseline).
- `Yearly`, `Analysis <name>`: static values (yearly view and Monte Carlo/sensitivity results are not
  formulas); `Charts`: native Excel line charts of the projection sheets' cumulative cost and emissions.

Every formula cell also carries its value as computed by slm-tco: the engine's, from the view
(`tco.analysis.workbook.workbook_values`, computed once by `tco.analysis.view.compute_view(...,
workbook=True)`; openpyxl writes formulas only, cache.py adds the values to the sheet XML after saving), so
readers that do not recalculate (pandas, viewers,
previews) see the numbers; Excel still recalculates on load and after every edit. The
structure is fixed at export time (deployment kind, auto-sized or fixed fleet, horizon length): changing
those needs a new export. Excel's ROUND rounds halves away from zero where NumPy rounds them to even, so a
lifetime of exactly x.5 months may differ.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from tco.engine.inputs import OptionInputs
from tco.presentation.reports import content as c
from tco.presentation.reports import jsonfmt
from tco.presentation.reports.xlsx.assumptions import assumptions_sheet
from tco.presentation.reports.xlsx.cache import with_cached_values
from tco.presentation.reports.xlsx.layout import FIRST_ROW, sheet_title
from tco.presentation.reports.xlsx.load import load_sheet
from tco.presentation.reports.xlsx.plan_timeline import plan_timeline_block
from tco.presentation.reports.xlsx.projection import columns, projection_sheet
from tco.presentation.reports.xlsx.sheets import (
    PLAN_STATIC_NOTE,
    charts_sheet,
    plan_sheet,
    scenario_sheet,
    table_sheet,
)
from tco.presentation.reports.xlsx.summary import _summary_rows as _summary_rows  # the Summary's rows
from tco.presentation.reports.xlsx.summary import summary_sheet

__all__ = ["FIRST_ROW", "PLAN_STATIC_NOTE", "render", "sheet_title", "with_cached_values", "workbook"]


def workbook(rc: c.ReportContent, cache: dict[tuple[str, str], Any] | None = None) -> Workbook:
    """The report as an openpyxl Workbook; `cache` collects the value of each formula cell by (sheet, cell),
    from the view's workbook values (`tco.analysis.workbook`)."""
    results = rc.view.results
    values = rc.view.workbook
    if values is None:
        raise ValueError("the view holds no workbook values: compute it with workbook=True")
    options: list[OptionInputs] = list(results.resolved.options)
    per = rc.per_period
    dates = [str(d) for d in per.loc[per["option"] == options[0].id, "date"]]
    wb = Workbook()
    scen = wb.active
    assert scen is not None
    scen.title = "Scenario"
    scenario_sheet(scen, rc)
    summary_ws = wb.create_sheet("Summary")
    inputs = assumptions_sheet(wb, rc, options, values)
    taken = {ws.title.lower() for ws in wb.worksheets} | {"sources", "yearly", "charts"}
    sheets = {o.id: sheet_title("Projection ", o.id, taken) for o in options}
    letters: dict[str, str] = {}
    base_sheet = sheets[rc.scenario["baseline"]]
    proj_letters = {k: get_column_letter(j) for j, k in enumerate(columns(), start=1)}
    for o in options:
        mine = values.options[o.id]
        ws = wb.create_sheet(sheets[o.id])
        load = None
        if o.deployment != "api":
            load_ws = wb.create_sheet(sheet_title("Load ", o.id, taken))
            load = load_sheet(load_ws, o, inputs, sheets[o.id], proj_letters, len(dates), mine, cache)
        letters = projection_sheet(
            ws,
            o,
            inputs,
            rc,
            dates,
            base_sheet,
            results.series[o.id],
            load,
            mine.projection,
            mine.end_value_fraction,
            cache,
        )
    summary_sheet(summary_ws, rc, options, inputs, sheets, letters, len(dates), results.summary, cache)
    charts_sheet(wb.create_sheet("Charts"), options, sheets, wb, letters, len(dates), rc.currency)
    sources = jsonfmt.records(rc.assumptions)
    for rec in sources:
        rec["value"] = c.numbers.assumption_value(rec["value"])
    table_sheet(
        wb.create_sheet("Sources"),
        "Assumptions with their sources (display units)",
        sources,
        "As resolved by slm-tco; the Assumptions sheet holds the same numbers in the engine's units.",
        {"year": ""},
    )
    table_sheet(
        wb.create_sheet("Yearly"),
        "Yearly projections (static values)",
        jsonfmt.records(rc.yearly),
        c.YEARLY_NOTE,
        rc.units,
    )
    for name, frame in rc.analysis.items():
        found = frame.attrs.get("units")
        units: dict[str, str] = dict(found) if isinstance(found, dict) else {}
        table_sheet(
            wb.create_sheet(sheet_title("Analysis ", name.replace("_", " "), taken)),
            name,
            jsonfmt.records(frame),
            "Static values computed by slm-tco's analysis (sampling results are not formulas).",
            {**rc.units, **units},
        )
    if rc.plans is not None and rc.plan_tasks is not None:
        plan_ws = wb.create_sheet("Plan")
        plan_sheet(plan_ws, rc)
        plan_timeline_block(plan_ws, rc, cache)
    wb.calculation.fullCalcOnLoad = True
    return wb


def render(rc: c.ReportContent) -> bytes:
    """The workbook's bytes: live formulas, each with its value cached for readers that do not recalculate."""
    cache: dict[tuple[str, str], Any] = {}
    wb = workbook(rc, cache)
    buf = io.BytesIO()
    wb.save(buf)
    return with_cached_values(buf.getvalue(), cache)
