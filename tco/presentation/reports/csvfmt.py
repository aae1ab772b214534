"""CSV report: one CSV file per table, because one CSV holds one table.

Choice: a single "long" CSV mixing the summary, the monthly projections and the assumptions would need a
`table` column and mostly-empty rows, which spreadsheets and pandas read badly. Instead:

- `render(results, "csv")` returns the summary table alone (what `tco report --format csv` prints).
- `write(results, "csv", DIR)` writes one file per table into the directory DIR:
  `scenario.csv` (header facts, comparison lines and notes as key/value rows), `summary.csv`,
  `per_period.csv` (monthly, every engine column), `yearly.csv`, `assumptions.csv` (with sources), and
  `analysis_<name>.csv` per analysis table; a task portfolio (`workload.tasks`) adds `plans.csv` and
  `plan_tasks.csv` (and the plan sentence as the `plan` row of `scenario.csv`, how plans are found and
  priced as its `plan_assumption` rows), and the plan over time: `plan_monthly.csv` (the optimised plan and
  its baseline month by month) and `plan_yearly.csv` (year by year, cost by component and emissions; the
  cost basis as the `plan_cost_basis` row of `scenario.csv`); a plan with hosted fleets adds its bill of
  materials, `plan_bom.csv` (one row per fleet: GPU type, region, the fleet's option id and name, how it is
  paid, GPUs, servers, `kw_provisioned [kW]`, what is bought or rented in words and its numbers:
  `rented_gpu_months [GPU-month]`, `committed_gpus`, `term_months [month]`) and `plan_bom_runner_up.csv` (the
  runner-up plan's, where it has hosted fleets), with the totals per GPU type and region, the runner-up's
  cost and what the catalogue search left out as the `plan_bom` rows of `scenario.csv`. Charts are views of
  `per_period.csv`/`summary.csv` and are not written as CSV.
- `write(results, "csv", "NAME.csv")` writes the summary to NAME.csv and the other tables beside it as
  `NAME.per_period.csv`, `NAME.assumptions.csv`, ... so no content is lost either way.

Headers carry their unit in brackets, `tco_cost [USD]`, `energy_kwh [kWh]`; dimensionless columns have
none. Numbers keep full precision; missing values are empty cells.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tco.presentation.reports import content as c
from tco.scenario.yamlio import write_atomic

if TYPE_CHECKING:
    from tco.analysis.plan_bom import BomRow


def _with_units(frame: pd.DataFrame, units: dict[str, str]) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [f"{col} [{units[str(col)]}]" if units.get(str(col)) else str(col) for col in frame.columns]
    return out


def to_csv(frame: pd.DataFrame, units: dict[str, str]) -> bytes:
    """One table as CSV bytes (UTF-8, `\\n` line ends), units in the headers."""
    text = _with_units(frame, units).to_csv(index=False, lineterminator="\n")
    return text.encode("utf-8")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "table"


def scenario_frame(rc: c.ReportContent) -> pd.DataFrame:
    rows: list[tuple[str, str]] = []
    for k, v in rc.scenario.items():
        rows.append((k, ", ".join(v) if isinstance(v, list) else "" if v is None else str(v)))
    rows += [("comparison", line) for line in rc.comparison]
    rows += [("note", n) for n in rc.notes]
    if rc.plan_answer:
        rows.append(("plan", rc.plan_answer))
    rows += [("plan_assumption", a) for a in rc.plan_assumptions]
    if rc.view.timeline is not None:
        rows.append(("plan_cost_basis", rc.view.timeline.basis))
    rows += [("plan_bom", line) for line in rc.plan_bom_lines]
    return pd.DataFrame(rows, columns=["key", "value"])


def tables(rc: c.ReportContent) -> dict[str, bytes]:
    """Every table of the report as CSV bytes, by file stem."""
    out = {
        "summary": to_csv(rc.summary, rc.units),
        "scenario": to_csv(scenario_frame(rc), {}),
        "per_period": to_csv(rc.per_period, rc.units),
        "yearly": to_csv(rc.yearly, rc.units),
        "assumptions": to_csv(rc.assumptions, {}),
    }
    if rc.plans is not None and rc.plan_tasks is not None:  # only for a task portfolio (workload.tasks)
        out["plans"] = to_csv(rc.plans, c.plan_units(rc))
        out["plan_tasks"] = to_csv(rc.plan_tasks, c.plan_units(rc))
    if rc.view.timeline is not None and rc.plan_yearly is not None:  # the plan over time
        from tco.presentation.plan_timeline import monthly_table

        monthly = monthly_table(rc.view.timeline)
        out["plan_monthly"] = to_csv(monthly, monthly.attrs["units"])
        out["plan_yearly"] = to_csv(rc.plan_yearly, rc.plan_yearly.attrs["units"])
    res = rc.view.plans
    if res is not None:  # a plan with hosted fleets: what a buyer orders
        for stem, bill, rows in (
            ("plan_bom", rc.plan_bom, res.bill_of_materials),
            ("plan_bom_runner_up", rc.plan_bom_runner_up, res.runner_up_bill),
        ):
            if bill is not None:
                frame = bom_frame(bill, rows)
                out[stem] = to_csv(frame, frame.attrs["units"])
    for name, frame in rc.analysis.items():
        units = frame.attrs.get("units", {})
        flat = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
        out[f"analysis_{_slug(name)}"] = to_csv(flat, units if isinstance(units, dict) else {})
    return out


# What a machine reader of plan_bom.csv needs beyond the table people read: the numbers behind "bought or
# rented" (tco.analysis.plan_bom.BomRow.as_dict), with their units.
BOM_NUMBERS = {"rented_gpu_months": "GPU-month", "committed_gpus": "", "term_months": "month"}


def bom_frame(bill: pd.DataFrame, rows: tuple[BomRow, ...]) -> pd.DataFrame:
    """A bill of materials (one row per `rows` entry, in order) for machine readers: each fleet's option id
    beside its name, and the rented GPU-months, GPUs committed and term behind "bought or rented"."""
    out = bill.copy()
    out.insert(list(out.columns).index("fleet"), "option", [r.deployment for r in rows])
    records = [r.as_dict() for r in rows]
    for key in BOM_NUMBERS:
        out[key] = [rec[key] for rec in records]
    out.attrs["units"] = {**bill.attrs["units"], **BOM_NUMBERS}
    return out


def render(rc: c.ReportContent) -> bytes:
    return to_csv(rc.summary, rc.units)


def write(rc: c.ReportContent, path: Path) -> Path:
    """Write every table (see the module docstring for the layout); returns the directory or the summary file."""
    files = tables(rc)
    if path.suffix.lower() == ".csv":
        for stem, data in files.items():
            target = path if stem == "summary" else path.with_name(f"{path.stem}.{stem}.csv")
            write_atomic(target, data)
        return path
    for stem, data in files.items():
        write_atomic(path / f"{stem}.csv", data)
    return path
