"""JSON report: a stable schema for other programs.

Top level (schema `slm-tco.report/1`; keys sorted at every level, 2-space indent, UTF-8):

    schema       "slm-tco.report/1"
    scenario     {name, description, file, currency, start, horizon_months, discount_rate, baseline,
                  options, queries_per_day, annual_growth}
    answer       str             the answer first (tco.presentation.answer): cheapest eligible option, ...
    units        {column: unit}  (unit of every column below; "" = dimensionless)
    comparison   [str]           one line per non-baseline option
    notes        [str]           flags (SLO, quality floor, capacity) and what is missing
    summary      [record]        one per option, every column of Results.summary
    per_period   [record]        one per option and month, every engine column
    yearly       [record]        one per option and year (accounting view components, cash total)
    assumptions  [record]        {option, parameter, value (str), unit, source, year (int|null)}
    analysis     {name: [record]} analysis tables; {} when none
    charts       {title: Vega-Lite spec} the report's charts as Vega-Lite JSON; {} when unavailable
    plan         (a task portfolio) {answer, units, plans, tasks, assumptions, bill_of_materials,
                  runner_up_bill_of_materials: [record] (tco.analysis.plan_bom), timeline: {cost_basis,
                  currency, units, monthly: [record], yearly: [record], charts}}: the plan over time, the
                  optimised plan and its baseline by month and by year (tco.analysis.plan_timeline)

Missing numbers (NaN) are `null`; NumPy scalars become plain JSON numbers and booleans. A new field may be
added without changing the schema name; renaming or removing one changes it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from tco.presentation.reports import content as c

SCHEMA = "slm-tco.report/1"

# Columns that are whole numbers whatever else shares the frame (pandas turns int + None into float).
INTEGER_COLUMNS = frozenset({"batch_size", "accelerators_per_replica", "month", "year"})


def plain(v: Any) -> Any:
    """A JSON-ready Python value: NaN/NA -> None, NumPy scalars -> Python, containers recursively."""
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v.tolist()]
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        x = float(v)
        return x if math.isfinite(x) else None
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, str):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-ready dicts (a non-default index becomes columns)."""
    flat = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
    cols = [str(x) for x in flat.columns]
    out = []
    for rec in flat.itertuples(index=False, name=None):
        row = {k: plain(v) for k, v in zip(cols, rec, strict=True)}
        for k in INTEGER_COLUMNS.intersection(row):
            if isinstance(row[k], float) and row[k].is_integer():
                row[k] = int(row[k])
        out.append(row)
    return out


def document(rc: c.ReportContent) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    doc = {
        "schema": SCHEMA,
        "scenario": plain(rc.scenario),
        "units": dict(rc.units),
        "answer": rc.answer,
        "comparison": list(rc.comparison),
        "notes": list(rc.notes),
        "summary": records(rc.summary),
        "per_period": records(rc.per_period),
        "yearly": records(rc.yearly),
        "assumptions": records(rc.assumptions),
        "analysis": {name: records(frame) for name, frame in rc.analysis.items()},
        "charts": {title: plain(chart.to_dict()) for title, chart in rc.charts.items()},
    }
    if rc.plans is not None and rc.plan_tasks is not None:  # only for a task portfolio (workload.tasks)
        doc["plan"] = {
            "answer": rc.plan_answer,
            "units": c.plan_units(rc),
            "plans": records(rc.plans),
            "tasks": records(rc.plan_tasks),
            "assumptions": list(rc.plan_assumptions),
        }
        res = rc.view.plans
        if res is not None:  # the plan's bill of materials, as `tco plan -f json` gives it
            data = res.as_dict()
            for key in ("bill_of_materials", "runner_up_bill_of_materials"):
                doc["plan"][key] = plain(data[key])
        tl = rc.view.timeline
        if tl is not None and rc.plan_yearly is not None:
            from tco.presentation.plan_timeline import monthly_table

            monthly = monthly_table(tl)
            doc["plan"]["timeline"] = {
                "cost_basis": tl.basis,
                "currency": tl.currency,
                "units": {**monthly.attrs["units"], **rc.plan_yearly.attrs["units"]},
                "monthly": records(monthly),
                "yearly": records(rc.plan_yearly),
                "charts": {title: plain(chart.to_dict()) for title, chart in rc.plan_charts.items()},
            }
    return doc


def render(rc: c.ReportContent) -> bytes:
    text = json.dumps(document(rc), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
