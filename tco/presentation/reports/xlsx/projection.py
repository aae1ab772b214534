"""The projection sheet of one option: one row per month, every cell a formula of the month index, the
Assumptions sheet and the option's Load sheet, mirroring `tco.engine.core.simulate` block by block (demand,
fleet, energy, emissions, costs, totals), each formula cell with the engine's value cached beside it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tco.engine import components
from tco.engine.inputs import OptionInputs
from tco.presentation.reports import content as c
from tco.presentation.reports.xlsx.costs import cost_cells
from tco.presentation.reports.xlsx.demand import demand_cells
from tco.presentation.reports.xlsx.emissions import emissions_cells
from tco.presentation.reports.xlsx.energy import energy_cells
from tco.presentation.reports.xlsx.fleet import fleet_cells
from tco.presentation.reports.xlsx.impacts import COLUMNS as IMPACT_COLUMNS
from tco.presentation.reports.xlsx.impacts import impact_cells
from tco.presentation.reports.xlsx.layout import (
    COUNT_FORMAT,
    FIRST_ROW,
    MONEY_FORMAT,
    NEVER,
    STATIC,
    STATIC_NOTE,
    TITLE,
    Inputs,
    Month,
    Row,
    header_row,
    is_formula,
)
from tco.presentation.reports.xlsx.totals import total_cells

# Projection columns, in sheet order, with units ({cur}: the reporting currency); the cost columns are the
# engine's declared components (tco.engine.components), read when a workbook is written (`columns`).
_BEFORE_COSTS: dict[str, str] = {
    "month": "month",
    "date": "",
    "year": "year",
    "growth_factor": "x",
    "queries_demand": "query",
    "queries": "query (served)",
    "queries_unserved": "query",
    "peak_qps": "query/s",
    "replicas": "replica",
    "accelerators_needed": "accelerator",
    "accelerators_in_service": "accelerator (bought earlier, still in life)",
    "accelerators_purchased": "accelerator",
    "accelerators": "accelerator",
    "accelerators_retired": "accelerator",
    "unit_price": "{cur}/accelerator bought this month",
    "value_purchased": "{cur}",
    "value_in_service": "{cur} (bought, still in life)",
    "book_value_at_end": "{cur}",
    "end_value_fraction": "of purchase price",
    "end_value_at_end": "{cur}",
    "provisioned_hours": "accelerator-hour",
    "accelerator_hours": "accelerator-hour (powered on / rented)",
    "busy_accelerator_hours": "accelerator-hour",
    "peak_replica_load": "fraction of capacity",
    "capacity_shortfall": "",
    "energy_accelerator_kwh": "kWh",
    "energy_idle_kwh": "kWh",
    "energy_host_kwh": "kWh",
    "energy_it_kwh": "kWh",
    "energy_facility_kwh": "kWh",
    "energy_fine_tuning_kwh": "kWh",
    "energy_kwh": "kWh",
    "grid_intensity_kg_per_kwh": "kgCO2e/kWh",
    "emissions_operational_location_kg": "kgCO2e",
    "emissions_operational_kg": "kgCO2e",
    "emissions_embodied_kg": "kgCO2e",
    "emissions_fine_tuning_kg": "kgCO2e",
    "emissions_kg": "kgCO2e",
    **IMPACT_COLUMNS,
    "electricity_price": "{cur}/kWh",
}
_AFTER_COSTS: dict[str, str] = {
    "tax_saving": "{cur}",
    "total_cost_after_tax": "{cur}",
    "discount_factor": "",
    "total_cost_discounted": "{cur}",
    "total_cost_after_tax_discounted": "{cur}",
    "queries_discounted": "query",
    "cumulative_cost": "{cur}",
    "cumulative_cost_discounted": "{cur}",
    "cumulative_emissions_kg": "kgCO2e",
    "at_or_below_baseline": "",
    "stays_at_or_below_baseline": "",
    "break_even_candidate": "month (1E9 = no)",
    "discounted_at_or_below_baseline": "",
    "discounted_stays_at_or_below_baseline": "",
    "payback_candidate": "month (1E9 = no)",
}


def columns() -> dict[str, str]:
    """Every projection column in sheet order with its unit: the demand, fleet, energy and emissions blocks,
    the cost components in the engine's order (their total is the SUM of that contiguous range), the
    accounting lines that stand for the asset flows, then the totals. Keys named like Results.per_period
    columns match them."""
    return {
        **_BEFORE_COSTS,
        **{c.column: "{cur}" for c in components.COMPONENTS},
        "total_cost": "{cur}",
        **{a.column: "{cur}" for a in components.ACCOUNTING_LINES},
        **_AFTER_COSTS,
    }


BLOCKS: tuple[Callable[[Month], dict[str, Any]], ...] = (
    demand_cells,
    fleet_cells,
    energy_cells,
    emissions_cells,
    impact_cells,
    cost_cells,
    total_cells,
)
# Columns holding money that are not cost lines (their names do not end in `_cost`).
MONEY_COLUMNS = frozenset(
    {"unit_price", "value_purchased", "value_in_service", "book_value_at_end", "end_value_at_end"}
)
# Helper columns whose cached value for "never" is the NEVER marker the Summary's formulas test for.
CANDIDATES = frozenset({"break_even_candidate", "payback_candidate"})


def month_cells(m: Month) -> dict[str, Any]:
    """Every projection cell of one month (formula text or a constant), block by block."""
    out: dict[str, Any] = {}
    for block in BLOCKS:
        out.update(block(m))
    return out


def _cached(key: str, value: Any) -> Any:
    if key in CANDIDATES and isinstance(value, float) and math.isnan(value):
        return NEVER
    return value


def projection_sheet(
    ws: Worksheet,
    o: OptionInputs,
    inputs: Inputs,
    rc: c.ReportContent,
    dates: list[str],
    base_sheet: str,
    series: dict[str, np.ndarray],
    load: Callable[[int, str], str] | None = None,
    values: dict[str, list[Any]] | None = None,
    resale: tuple[float, ...] = (),
    cache: dict[tuple[str, str], Any] | None = None,
) -> dict[str, str]:
    """Write the projection of option `o`; `values` (tco.analysis.workbook) are cached into `cache` for
    every formula cell. Returns the sheet's column letters by key."""
    months = len(dates)
    cols = columns()
    keys = list(cols)
    letters = {k: get_column_letter(j) for j, k in enumerate(keys, start=1)}
    ws["A1"] = f"Projection of {o.id} ({o.deployment}): {o.name}"
    ws["A1"].font = TITLE
    ws["A2"] = (
        "Monthly formulas of the month index and the Assumptions sheet; baseline for break-even: "
        f"{rc.scenario['baseline']}."
    )
    header_row(ws, FIRST_ROW - 2, keys)
    for j, k in enumerate(keys, start=1):
        ws.cell(row=FIRST_ROW - 1, column=j, value=cols[k].format(cur=rc.currency)).font = Font(italic=True)
    last = FIRST_ROW + months - 1

    def a(name: str) -> str:
        return inputs(o.id, name)

    def g(name: str) -> str:
        return inputs("(all)", name)

    def month_load(t: int) -> Callable[[str], str] | None:
        if load is None:
            return None
        return lambda key: load(t, key)

    static: set[str] = set()
    for t in range(months):
        r = FIRST_ROW + t
        month = Month(
            o,
            a,
            g,
            Row(letters, r, FIRST_ROW, last),
            t,
            months,
            base_sheet,
            month_load(t),
            resale[t] if resale else None,
        )
        row = month_cells(month)
        row["date"] = dates[t]
        for j, k in enumerate(keys, start=1):
            value = row[k]
            if value is STATIC:
                value = float(series[k][0, t])
                static.add(k)
            cell = ws.cell(row=r, column=j, value=value)
            if cache is not None and values is not None and is_formula(value):
                cache[(ws.title, cell.coordinate)] = _cached(k, values[k][t])
            if k.endswith("_cost") or k.startswith("cumulative_cost") or k in MONEY_COLUMNS:
                cell.number_format = MONEY_FORMAT
            elif k in ("queries", "queries_discounted"):
                cell.number_format = COUNT_FORMAT
    for k in static:
        ws[f"{letters[k]}{FIRST_ROW - 1}"] = f"{cols[k].format(cur=rc.currency)}, {STATIC_NOTE}"
    if static:  # beside the sheet's description: row 3 holds the headers
        ws["A2"] = (
            f"{ws['A2'].value} Columns marked '{STATIC_NOTE}' ({', '.join(sorted(static))}) hold the engine's "
            "numbers, not formulas: loan and lease schedules, cloud commitments and any cost component the "
            "workbook has no formula for; a change on the Assumptions sheet does not move them."
        )
    ws.freeze_panes = f"C{FIRST_ROW}"
    for j, k in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(len(k) + 2, 30))
    return letters
