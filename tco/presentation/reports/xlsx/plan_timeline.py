"""The plan over time on the Plan sheet: the optimised plan and its baseline month by month and year by year.

Each plan's monthly cost by component (present value) and kgCO2e are the engine's values (static: they come
from the engine runs of the plan's shared fleets, which the workbook does not hold as formulas); everything
derived from them is a live formula: each month's total (SUM of its components), the cumulative cost, the
yearly cost by component and the yearly emissions (SUMIFS over the months of the year), the totals and the
baseline-minus-plan saving. Each formula cell carries its value for readers that do not recalculate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tco.presentation.plan_timeline import basis_note, plan_name
from tco.presentation.reports import content as c
from tco.presentation.reports.xlsx.layout import BOLD, MONEY_FORMAT, header_row

STATIC_NOTE = (
    "Monthly cost by component and kgCO2e: static engine values of each plan's shared fleets; totals, cumulative "
    "cost, yearly sums and the saving are live formulas over them."
)


def plan_timeline_block(ws: Worksheet, rc: c.ReportContent, cache: dict[tuple[str, str], Any] | None) -> None:
    """Write the plan over time below what the Plan sheet holds (nothing without a timeline)."""
    tl = rc.view.timeline
    if tl is None:
        return
    cache = cache if cache is not None else {}
    cur = tl.currency
    r = ws.max_row + 2
    ws.cell(row=r, column=1, value="Plan over time").font = BOLD
    ws.cell(row=r + 1, column=1, value=basis_note(tl))
    ws.cell(row=r + 2, column=1, value=STATIC_NOTE)
    plans = tl.plans()
    comps = list(dict.fromkeys(tl.yearly_cost["component"]))
    labels = dict(zip(tl.yearly_cost["component"], tl.yearly_cost["label"], strict=True))
    m = tl.monthly
    months = int(m["month"].max()) + 1
    years = sorted({int(y) for y in m["year"]})

    # yearly block first (what a reader looks at), then the months it sums
    y0 = r + 4
    ws.cell(row=y0, column=1, value="Year by year").font = BOLD
    yearly_head = y0 + 1
    m0 = yearly_head + len(years) + 4  # the monthly block's title row
    month_head = m0 + 1
    first, last = month_head + 1, month_head + months

    # monthly columns: month, date, year, then per plan: components..., total, cumulative, kgCO2e
    heads = ["Month", "Date", "Year"]
    col_of: dict[tuple[str, str], int] = {}
    for p in plans:
        for k in [*comps, "total", "cumulative", "kg"]:
            col_of[(p, k)] = len(heads) + 1
            what = {"total": f"cost ({cur})", "cumulative": f"cumulative cost ({cur})", "kg": "kgCO2e"}.get(
                k, f"{labels.get(k, k)} ({cur})"
            )
            heads.append(f"{plan_name(tl, p)}: {what}")
    ws.cell(row=m0, column=1, value="Month by month").font = BOLD
    header_row(ws, month_head, heads)
    year_col = get_column_letter(3)
    per_comp = {
        p: tl_component_months(tl, p, comps, months) for p in plans
    }  # (component -> monthly present value)
    for i in range(months):
        row = first + i
        mm = m[(m["plan"] == plans[0]) & (m["month"] == i)].iloc[0]
        ws.cell(row=row, column=1, value=i + 1)
        ws.cell(row=row, column=2, value=str(mm["date"]))
        ws.cell(row=row, column=3, value=int(mm["year"]))
        for p in plans:
            mine = m[(m["plan"] == p) & (m["month"] == i)].iloc[0]
            for k in comps:
                ws.cell(
                    row=row, column=col_of[(p, k)], value=float(per_comp[p][k][i])
                ).number_format = MONEY_FORMAT
            a, b = get_column_letter(col_of[(p, comps[0])]), get_column_letter(col_of[(p, comps[-1])])
            total = get_column_letter(col_of[(p, "total")])
            cum = get_column_letter(col_of[(p, "cumulative")])
            _formula(ws, cache, row, col_of[(p, "total")], f"=SUM({a}{row}:{b}{row})", float(mine["cost"]))
            cum_f = f"={total}{row}" if i == 0 else f"={cum}{row - 1}+{total}{row}"
            _formula(ws, cache, row, col_of[(p, "cumulative")], cum_f, float(mine["cumulative_cost"]))
            ws.cell(row=row, column=col_of[(p, "kg")], value=float(mine["emissions_kg"]))

    # yearly: per plan, each component and the total (SUMIFS over the months), kgCO2e; the saving
    yheads = ["Year"]
    ycol: dict[tuple[str, str], int] = {}
    for p in plans:
        for k in [*comps, "total", "kg"]:
            ycol[(p, k)] = len(yheads) + 1
            what = {"total": f"cost ({cur})", "kg": "kgCO2e"}.get(k, f"{labels.get(k, k)} ({cur})")
            yheads.append(f"{plan_name(tl, p)}: {what}")
    saving = len(plans) > 1
    if saving:
        ycol[("saving", "total")] = len(yheads) + 1
        yheads.append(f"Saving against the baseline ({cur})")
        ycol[("saving", "kg")] = len(yheads) + 1
        yheads.append("Saving against the baseline (kgCO2e)")
    header_row(ws, yearly_head, yheads)
    yc = tl.yearly_cost
    ye = tl.yearly_emissions
    for j, year in enumerate(years):
        row = yearly_head + 1 + j
        ws.cell(row=row, column=1, value=year)
        years_range = f"${year_col}${first}:${year_col}${last}"
        for p in plans:
            for k in comps:
                src = get_column_letter(col_of[(p, k)])
                want = float(
                    yc[(yc["plan"] == p) & (yc["year"] == year) & (yc["component"] == k)]["cost"].sum()
                )
                f = f"=SUMIFS({src}${first}:{src}${last},{years_range},$A{row})"
                _formula(ws, cache, row, ycol[(p, k)], f, want)
            a, b = get_column_letter(ycol[(p, comps[0])]), get_column_letter(ycol[(p, comps[-1])])
            want_total = float(yc[(yc["plan"] == p) & (yc["year"] == year)]["cost"].sum())
            _formula(ws, cache, row, ycol[(p, "total")], f"=SUM({a}{row}:{b}{row})", want_total)
            src = get_column_letter(col_of[(p, "kg")])
            kg = float(ye[(ye["plan"] == p) & (ye["year"] == year)]["emissions_kg"].sum())
            _formula(
                ws,
                cache,
                row,
                ycol[(p, "kg")],
                f"=SUMIFS({src}${first}:{src}${last},{years_range},$A{row})",
                kg,
            )
        if saving:
            opt, base = plans[0], plans[1]
            for k in ("total", "kg"):
                ob, bb = get_column_letter(ycol[(opt, k)]), get_column_letter(ycol[(base, k)])
                vo = _cached(cache, ws, row, ycol[(opt, k)])
                vb = _cached(cache, ws, row, ycol[(base, k)])
                _formula(ws, cache, row, ycol[("saving", k)], f"={bb}{row}-{ob}{row}", vb - vo)
    tot = yearly_head + 1 + len(years)
    ws.cell(row=tot, column=1, value="Total").font = BOLD
    for col in sorted(set(ycol.values())):
        letter = get_column_letter(col)
        values = [_cached(cache, ws, yearly_head + 1 + j, col) for j in range(len(years))]
        _formula(
            ws, cache, tot, col, f"=SUM({letter}{yearly_head + 1}:{letter}{tot - 1})", float(np.sum(values))
        )


def tl_component_months(tl: Any, plan: str, comps: list[str], months: int) -> dict[str, np.ndarray]:
    """Each component's monthly present value for `plan` (from the timeline's monthly component frame)."""
    frame = tl.monthly_components
    out = {}
    for k in comps:
        sel = frame[(frame["plan"] == plan) & (frame["component"] == k)].sort_values("month")
        out[k] = sel["cost"].to_numpy() if len(sel) else np.zeros(months)
    return out


def _formula(
    ws: Worksheet, cache: dict[tuple[str, str], Any], row: int, col: int, f: str, value: float
) -> None:
    cell = ws.cell(row=row, column=col, value=f)
    cell.number_format = MONEY_FORMAT
    cache[(ws.title, cell.coordinate)] = value


def _cached(cache: dict[tuple[str, str], Any], ws: Worksheet, row: int, col: int) -> float:
    return float(cache[(ws.title, f"{get_column_letter(col)}{row}")])
