"""xlsx report for finance: live Excel formulas over an Assumptions sheet.

Sheets:

- `Scenario`: header facts, the comparison lines, notes, and how the workbook works.
- `Assumptions`: one row per engine input per option (option, parameter, value, unit, source), in the
  engine's units (kWh, kW, kgCO2e, months, money in the reporting currency), plus the workload, the discount
  rate and the engine's constants under option `(all)`. Change a value in column C and every projection
  and the Summary recompute.
- `Projection <option>`: one row per month, every cell a formula of the month index and Assumptions cells,
  mirroring `tco.engine.core.simulate` step by step: demand growth, peak load, replicas (CEILING of peak over
  throughput x utilisation, at least the minimum), the on-prem fleet with lifetime replacement (SUMIFS over
  earlier purchases), provisioned and busy hours, energy (busy, idle, host, PUE), grid intensity with
  decarbonisation, emissions (renewable share, embodied, fine-tuning), every cost component, depreciation,
  discount factor, discounted cost, cumulative totals and the break-even test against the baseline.
- `Summary`: per-option totals as formulas over the projection sheets (TCO, NPV, levelised cost, energy,
  emissions, per-query figures, ratios to the baseline, break-even and payback months).
- `Sources`: the resolver's assumptions table in display units, with every source and year.
- `Plan` (a task portfolio, `workload.tasks`, only): the plan sentence, the plans compared and the per-task
  table, static values marked so on the sheet.
- `Yearly`, `Analysis <name>`: static values (yearly view and Monte Carlo/sensitivity results are not
  formulas); `Charts`: native Excel line charts of the projection sheets' cumulative cost and emissions.

Every formula cell also carries its value as computed by slm-tco (openpyxl writes formulas only; the
values are added to the sheet XML after saving), so readers that do not recalculate (pandas, viewers,
previews) see the numbers; Excel still recalculates on load and after every edit. The
structure is fixed at export time (deployment kind, auto-sized or fixed fleet, horizon length): changing
those needs a new export. Excel's ROUND rounds halves away from zero where NumPy rounds them to even, so a
lifetime of exactly x.5 months may differ.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tco.engine.finance import DISCOUNT_OFFSETS, book_fraction, life_months, resale_fraction, trend_factor
from tco.engine.formulas import SECONDS_PER_DAY, hourly_shape, point_power_kw, segment_slopes
from tco.engine.inputs import DAYS_PER_MONTH, HOURS_PER_DAY, HOURS_PER_MONTH, OptionInputs
from tco.engine.operations import hour_by_hour, sweep_grid
from tco.presentation.labels import LABELS, header, unit_words
from tco.presentation.reports import content as c
from tco.presentation.reports import jsonfmt

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEAD_FILL = PatternFill("solid", fgColor="F4F4F6")
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")  # editable inputs
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
FIRST_ROW = 5  # first data row of the Assumptions and projection sheets
NEVER = 1e9  # month marker for "never breaks even" in the helper columns

# Engine input -> (unit, with {cur} for the reporting currency; resolver assumption parameter it comes from).
FIELDS: dict[str, tuple[str, str]] = {
    "energy_per_query_kwh": ("kWh/query", "energy per query"),
    "throughput_qps": ("query/s per replica", "throughput per replica"),
    "accelerators_per_replica": ("accelerator/replica", "accelerators per replica"),
    "fixed_fleet": ("accelerator", "fleet (fixed)"),
    "min_replicas": ("replica", "min replicas"),
    "utilisation": ("fraction", "utilisation"),
    "idle_power_kw": ("kW/accelerator", "idle power"),
    "max_power_kw": ("kW/accelerator", "max power"),
    "host_power_kw": ("kW/accelerator", "host power"),
    "pue": ("", "pue"),
    "grid_intensity_kg_per_kwh": ("kgCO2e/kWh", "grid intensity"),
    "grid_decarbonisation": ("fraction/year", "grid decarbonisation"),
    "renewable_share": ("fraction", "renewable share"),
    "electricity_price": ("{cur}/kWh", "electricity price"),
    "electricity_escalation": ("fraction/year", "electricity escalation"),
    "unit_price": ("{cur}/accelerator", "unit price"),
    "lifetime_months": ("month", "lifetime"),
    "residual_value": ("fraction of unit price", "residual value"),
    "maintenance": ("fraction of unit price/year", "maintenance"),
    "colocation_per_kw_month": ("{cur}/kW/month", "colocation"),
    "other_opex_per_month": ("{cur}/month", "other opex"),
    "cloud_price_per_hour": ("{cur}/accelerator-hour", "cloud price"),
    "api_cost_per_query": ("{cur}/query", "API cost per query"),
    "api_embodied_kg_per_query": ("kgCO2e/query", "API embodied per query"),
    "embodied_kg_per_accelerator": ("kgCO2e/accelerator", "embodied emissions"),
    "fine_tuning_cost": ("{cur}", "fine-tuning cost"),
    "fine_tuning_kwh": ("kWh", "fine-tuning energy"),
    "fine_tuning_kg": ("kgCO2e", "fine-tuning emissions"),
    "carbon_price_per_kg": ("{cur}/kgCO2e", "carbon price"),
    "quality": ("score", "quality"),
    "hardware_price_trend": ("fraction/year", "hardware price trend"),
    "cloud_price_trend": ("fraction/year", "cloud price trend"),
    "api_price_trend": ("fraction/year", "API price trend"),
    "spot_discount": ("fraction of on-demand", "spot discount"),
    "spot_overprovisioning": ("fraction of accelerators", "spot over-provisioning"),
}
_COMMON = [
    "energy_per_query_kwh",
    "pue",
    "grid_intensity_kg_per_kwh",
    "grid_decarbonisation",
    "renewable_share",
    "other_opex_per_month",
    "fine_tuning_cost",
    "fine_tuning_kwh",
    "fine_tuning_kg",
    "carbon_price_per_kg",
    "quality",
]
_HOSTED = [
    "throughput_qps",
    "accelerators_per_replica",
    "idle_power_kw",
    "host_power_kw",
    "lifetime_months",
    "embodied_kg_per_accelerator",
]
USED_FIELDS: dict[str, list[str]] = {
    "on-prem": [
        *_COMMON,
        *_HOSTED,
        "max_power_kw",
        "electricity_price",
        "electricity_escalation",
        "unit_price",
        "residual_value",
        "maintenance",
        "colocation_per_kw_month",
        "hardware_price_trend",
    ],
    "cloud": [*_COMMON, *_HOSTED, "cloud_price_per_hour", "cloud_price_trend"],
    "api": [*_COMMON, "api_cost_per_query", "api_embodied_kg_per_query", "api_price_trend"],
}
SPOT_FIELDS = ["spot_discount", "spot_overprovisioning"]

# Projection columns, in sheet order, with units. Keys named like Results.per_period columns match them.
COLUMNS: dict[str, str] = {
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
    "electricity_price": "{cur}/kWh",
    "capex_cost": "{cur}",
    "residual_cost": "{cur}",
    "end_value_cost": "{cur}",
    "financing_cost": "{cur}",
    "energy_cost": "{cur}",
    "cloud_cost": "{cur}",
    "api_cost": "{cur}",
    "maintenance_cost": "{cur}",
    "colocation_cost": "{cur}",
    "other_opex_cost": "{cur}",
    "fine_tuning_cost": "{cur}",
    "carbon_cost": "{cur}",
    "total_cost": "{cur}",
    "depreciation_cost": "{cur}",
    "financing_accounting_cost": "{cur}",
    "end_value_accounting_cost": "{cur}",
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
COST_KEYS = [
    "capex_cost",
    "residual_cost",
    "end_value_cost",
    "financing_cost",
    "energy_cost",
    "cloud_cost",
    "api_cost",
    "maintenance_cost",
    "colocation_cost",
    "other_opex_cost",
    "fine_tuning_cost",
    "carbon_cost",
]


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def sheet_title(prefix: str, name: str, taken: set[str]) -> str:
    """A valid, unique worksheet title (31 characters at most, none of []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", f"{prefix}{name}")[:31]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


@dataclass
class _Inputs:
    """Where each input lives on the Assumptions sheet: (option or "(all)", field) -> absolute reference."""

    refs: dict[tuple[str, str], str]

    def __call__(self, option: str, name: str) -> str:
        return self.refs[(option, name)]


def _day_shape(w: Any) -> np.ndarray:
    """The representative day's 24 hourly loads (mean 1), as the engine uses them."""
    return hourly_shape(w.peak_to_average, w.daily_profile)[0]


def _scalar(x: Any) -> float:
    return float(np.asarray(x, dtype=float).mean())


def _source_of(rows: list[tuple[Any, ...]], option: str, parameter: str) -> str:
    """Source text of an input: the first assumption row of the option (or scenario-wide) it comes from.

    `rows`: (option, parameter, value, unit, source, year) tuples of the assumptions table.
    """
    for opt, param, value, unit, source, year in rows:
        if opt in (option, "(all)") and str(param).startswith(parameter):
            when = "" if c.numbers.is_missing(year) else f" ({int(year)})"
            return f"{source}{when}; resolver shows {value} {unit}".strip()
    return "engine input (derived by the resolver)"


def _header_row(ws: Worksheet, row: int, heads: list[str]) -> None:
    for j, h in enumerate(heads, start=1):
        cell = ws.cell(row=row, column=j, value=h)
        cell.font = BOLD
        cell.fill = HEAD_FILL


def _assumptions_sheet(
    wb: Workbook, rc: c.ReportContent, options: list[OptionInputs], results: Any
) -> _Inputs:
    ws = wb.create_sheet("Assumptions")
    ws["A1"] = "Assumptions: the engine's inputs, in the engine's units"
    ws["A1"].font = TITLE
    ws["A2"] = (
        "Edit the values in column C (shaded): the projection sheets and the Summary are formulas of "
        "these cells. Display units and full sources: sheet Sources."
    )
    _header_row(ws, FIRST_ROW - 1, ["option", "parameter", "value", "unit", "source"])
    cur = rc.currency
    w = results.resolved.workload
    fin = results.resolved.finance
    cols = ["option", "parameter", "value", "unit", "source", "year"]
    known = list(rc.assumptions[cols].itertuples(index=False, name=None))
    rows: list[tuple[str, str, Any, str, str]] = [
        ("(all)", "queries_per_day", _scalar(w.queries_per_day), "query/day", "scenario workload"),
        ("(all)", "annual_growth", _scalar(w.annual_growth), "fraction/year", "scenario workload"),
        *[
            (
                "(all)",
                f"hourly_load_{hour:02d}",
                float(v),
                "x daily mean",
                "hour of the representative day: " + _source_of(known, "(all)", "hourly load shape"),
            )
            for hour, v in enumerate(_day_shape(w))
        ],
        ("(all)", "discount_rate", _scalar(fin.discount_rate), "fraction/year", "scenario"),
        (
            "(all)",
            "discount_timing",
            DISCOUNT_OFFSETS[fin.discounting],
            "month after the month's start",
            f"discounting: {fin.discounting} of month (0 start, 0.5 middle, 1 end)",
        ),
        ("(all)", "tax_rate", _scalar(fin.tax_rate), "fraction", _source_of(known, "(all)", "tax rate")),
        (
            "(all)",
            "carbon_price_trend",
            _scalar(fin.carbon_price_trend),
            "fraction/year",
            _source_of(known, "(all)", "carbon price trend"),
        ),
        ("(all)", "days_per_month", DAYS_PER_MONTH, "day/month", "constant: a twelfth of a 365.25-day year"),
        (
            "(all)",
            "hours_per_month",
            HOURS_PER_MONTH,
            "hour/month",
            "constant: a twelfth of a 365.25-day year",
        ),
        ("(all)", "seconds_per_day", SECONDS_PER_DAY, "s/day", "constant"),
        ("(all)", "hours_per_day", float(HOURS_PER_DAY), "hour/day", "constant"),
    ]
    for o in options:
        names = list(USED_FIELDS[o.deployment])
        if o.deployment != "api":
            fixed = not np.isnan(o.fixed_fleet)
            names += ["fixed_fleet"] if fixed else []
            if not fixed or o.fleet_scaling() in ("packed", "packed-off"):
                names += ["min_replicas", "utilisation"]
        if o.deployment == "cloud" and o.cloud_pricing == "spot":
            names += SPOT_FIELDS
        for name in names:
            unit, param = FIELDS[name]
            v = _scalar(getattr(o, name))
            value: Any = None if np.isnan(v) else v
            rows.append((o.id, name, value, unit.format(cur=cur), _source_of(known, o.id, param)))
        if o.deployment != "api":
            sweep_src = _source_of(known, o.id, "batch sweep")
            for k, (rx, re_) in enumerate(zip(o.sweep_throughput, o.sweep_energy, strict=True), start=1):
                rows.append((o.id, f"sweep_throughput_{k}", float(rx), "x capacity throughput", sweep_src))
                rows.append((o.id, f"sweep_energy_{k}", float(re_), "x capacity energy per query", sweep_src))
    refs: dict[tuple[str, str], str] = {}
    for i, (opt, name, value, unit, source) in enumerate(rows):
        r = FIRST_ROW + i
        ws.cell(row=r, column=1, value=opt)
        ws.cell(row=r, column=2, value=name)
        cell = ws.cell(row=r, column=3, value=value)
        cell.fill = INPUT_FILL
        ws.cell(row=r, column=4, value=unit)
        ws.cell(row=r, column=5, value=source)
        refs[(opt, name)] = f"Assumptions!$C${r}"
    for col, width in zip("ABCDE", (14, 30, 16, 28, 90), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"C{FIRST_ROW}"
    return _Inputs(refs)


class _Row:
    """Same-row and range references of one projection sheet."""

    def __init__(self, letters: dict[str, str], r: int, first: int, last: int) -> None:
        self.letters, self.r, self.first, self.last = letters, r, first, last

    def __getitem__(self, key: str) -> str:
        return f"{self.letters[key]}{self.r}"

    def prev(self, key: str) -> str:
        return f"{self.letters[key]}{self.r - 1}"

    def nxt(self, key: str) -> str:
        return f"{self.letters[key]}{self.r + 1}"

    def above(self, key: str) -> str:
        """Range of `key` from the first data row to the row above this one."""
        col = self.letters[key]
        return f"${col}${self.first}:{col}{self.r - 1}"

    def upto(self, key: str) -> str:
        """Range of `key` from the first data row to this one."""
        col = self.letters[key]
        return f"${col}${self.first}:{col}{self.r}"

    def whole(self, key: str) -> str:
        col = self.letters[key]
        return f"${col}${self.first}:${col}${self.last}"


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


STATIC = object()  # marks a projection cell written as the engine's value (see STATIC_NOTE)
STATIC_NOTE = "static: slm-tco engine value"


def _asset_costs(
    o: OptionInputs, a: Callable[[str], str], x: _Row, t: int, months: int, life: str
) -> dict[str, Any]:
    """Cells of the on-prem asset lines of month t: price path, value bought and in service, capex,
    residual, end-of-horizon value, depreciation, maintenance and financing (loan and lease: static)."""
    m = x["month"]
    keys = (
        "unit_price",
        "value_purchased",
        "value_in_service",
        "book_value_at_end",
        "end_value_fraction",
        "end_value_at_end",
        "capex_cost",
        "residual_cost",
        "end_value_cost",
        "financing_cost",
        "maintenance_cost",
        "depreciation_cost",
        "financing_accounting_cost",
        "end_value_accounting_cost",
    )
    f: dict[str, Any] = dict.fromkeys(keys, 0)
    if o.deployment != "on-prem":
        return f
    last = t == months - 1
    res = a("residual_value")
    f["unit_price"] = f"={a('unit_price')}*(1+{a('hardware_price_trend')})^({m}/12)"
    f["value_purchased"] = f"={x['accelerators_purchased']}*{x['unit_price']}"
    f["value_in_service"] = f'=SUMIFS({x.upto("value_purchased")},{x.upto("month")},">="&({m}-{life}+1))'
    f["maintenance_cost"] = f"={x['value_in_service']}*{a('maintenance')}/12"
    if o.financing == "lease":
        f["financing_cost"] = f["financing_accounting_cost"] = STATIC
        return f
    in_service = f"{m}+{life}>={months}"
    book = f"(1-(1-{res})*MIN({months}-{m},{life})/{life})"
    f["book_value_at_end"] = f"=IF({in_service},{x['value_purchased']}*{book},0)"
    if o.end_value == "book":
        f["end_value_fraction"] = f"={book}"
    elif o.end_value == "resale":
        f["end_value_fraction"] = float(resale_fraction(np.asarray(float(months - t)), o.resale_curve))
    f["end_value_at_end"] = f"=IF({in_service},{x['value_purchased']}*{x['end_value_fraction']},0)"
    f["capex_cost"] = f"={x['value_purchased']}"
    retired = f"SUMIFS({x.above('value_purchased')},{x.above('month')},{m}-{life})" if t > 0 else "0"
    f["residual_cost"] = f"=-{retired}*{res}"
    if last:
        f["end_value_cost"] = f"=-SUM({x.whole('end_value_at_end')})"
        if o.end_value != "none":
            f["end_value_accounting_cost"] = (
                f"=SUM({x.whole('book_value_at_end')})-SUM({x.whole('end_value_at_end')})"
            )
    f["depreciation_cost"] = f"={x['value_in_service']}*(1-{res})/{life}"
    if o.financing == "loan":
        f["financing_cost"] = f["financing_accounting_cost"] = STATIC
    return f


def _cloud_rent(o: OptionInputs, a: Callable[[str], str], g: Callable[[str], str], x: _Row) -> Any:
    """Cloud rent of a month: on demand or spot as a formula; a commitment's charges as the engine's value."""
    if o.cloud_pricing == "committed":
        return STATIC
    rent = (
        f"{x['accelerator_hours']}*{a('cloud_price_per_hour')}*(1+{a('cloud_price_trend')})^({x['month']}/12)"
    )
    if o.cloud_pricing == "spot":
        return f"={rent}*(1+{a('spot_overprovisioning')})*(1-{a('spot_discount')})"
    return f"={rent}"


def _formulas(
    o: OptionInputs,
    a: Callable[[str], str],
    g: Callable[[str], str],
    x: _Row,
    t: int,
    months: int,
    base_sheet: str,
    load: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Every projection cell of month `t` (formula text or a constant), mirroring tco.engine.core.simulate;
    `load` gives this month's cells of the option's Load sheet (hosted options)."""
    dep = o.deployment
    hosted = dep != "api"
    fixed = not np.isnan(o.fixed_fleet)
    first, last = t == 0, t == months - 1
    m = x["month"]
    life = f"MAX(ROUND({a('lifetime_months')},0),1)" if hosted else "1"
    f: dict[str, Any] = {
        "month": t,
        "date": None,  # filled by the caller
        "year": f"=INT({m}/12)+1",
        "growth_factor": f"=(1+{g('annual_growth')})^({m}/12)",
        "queries_demand": f"={g('queries_per_day')}*{g('days_per_month')}*{x['growth_factor']}",
        "peak_qps": (
            f"={g('queries_per_day')}*{x['growth_factor']}/{g('seconds_per_day')}*MAX({g('hourly_load_00')}:"
            f"{g('hourly_load_23').split('!')[1]})"
        ),
    }
    if not hosted:
        for k in (
            "replicas",
            "accelerators_needed",
            "accelerators_in_service",
            "accelerators_purchased",
            "accelerators",
            "accelerators_retired",
            "provisioned_hours",
            "accelerator_hours",
            "busy_accelerator_hours",
            "peak_replica_load",
            "queries_unserved",
        ):
            f[k] = 0
        f["queries"] = f"={g('queries_per_day')}*{g('days_per_month')}*{x['growth_factor']}"
        f["capacity_shortfall"] = False
        f["energy_accelerator_kwh"] = f"={x['queries']}*{a('energy_per_query_kwh')}"
        f["energy_idle_kwh"] = f["energy_host_kwh"] = 0
    else:
        assert load is not None
        apr = a("accelerators_per_replica")
        hour = f"{g('hours_per_month')}/{g('hours_per_day')}"
        idle = f"{a('idle_power_kw')}*{apr}"
        if fixed:
            f["replicas"] = f"=FLOOR({a('fixed_fleet')}/{apr},1)"
            f["accelerators_needed"] = f"={a('fixed_fleet')}"
            spare = f"({a('fixed_fleet')}-{x['replicas']}*{apr})"
        else:
            ratio = f"{x['peak_qps']}/({a('throughput_qps')}*{a('utilisation')})-1E-9"
            f["replicas"] = (
                f"={load('fleet_peak')}"
                if o.fleet_scaling() == "hourly"
                else f"=MAX(CEILING(MAX({ratio},0),1),{a('min_replicas')})"
            )
            f["accelerators_needed"] = f"={x['replicas']}*{apr}"
            spare = "0"
        if dep == "on-prem":
            f["accelerators_in_service"] = (
                0
                if first
                else f'=SUMIFS({x.above("accelerators_purchased")},{x.above("month")},">="&({m}-{life}+1))'
            )
            f["accelerators_purchased"] = f"=MAX({x['accelerators_needed']}-{x['accelerators_in_service']},0)"
            f["accelerators"] = f"={x['accelerators_in_service']}+{x['accelerators_purchased']}"
            f["accelerators_retired"] = (
                0 if first else f"=SUMIFS({x.above('accelerators_purchased')},{x.above('month')},{m}-{life})"
            )
        else:
            f["accelerators_in_service"] = 0
            f["accelerators_purchased"] = 0
            f["accelerators"] = f"={x['accelerators_needed']}"
            f["accelerators_retired"] = 0
        f["provisioned_hours"] = f"={x['accelerators']}*{g('hours_per_month')}"
        served = f"{hour}*{a('throughput_qps')}*3600*{load('sum_nl')}"
        f["queries_unserved"] = (
            f"=IF({served}>={x['queries_demand']}*(1-1E-9),0,{x['queries_demand']}-{served})"
        )
        f["queries"] = (
            f"={g('queries_per_day')}*{g('days_per_month')}*{x['growth_factor']}-{x['queries_unserved']}"
        )
        f["accelerator_hours"] = (
            f"={apr}*{hour}*({load('sum_n')}+{load('standby')})+{spare}*{g('hours_per_month')}"
        )
        f["busy_accelerator_hours"] = f"={apr}*{hour}*{load('sum_nw')}"
        f["peak_replica_load"] = f"={load('peak')}"
        f["capacity_shortfall"] = f"={x['peak_replica_load']}>1+1E-9"
        f["energy_accelerator_kwh"] = (
            f"={hour}*({load('sum_np')}-{idle}*{load('sum_n')}+{idle}*{load('sum_nw')})"
        )
        f["energy_idle_kwh"] = (
            f"={hour}*{idle}*({load('sum_n')}-{load('sum_nw')}+{load('standby')})"
            f"+{a('idle_power_kw')}*{spare}*{g('hours_per_month')}"
        )
        f["energy_host_kwh"] = f"={a('host_power_kw')}*{x['accelerator_hours']}"
    f["energy_it_kwh"] = f"={x['energy_accelerator_kwh']}+{x['energy_idle_kwh']}+{x['energy_host_kwh']}"
    f["energy_facility_kwh"] = f"={x['energy_it_kwh']}*{a('pue')}"
    f["energy_fine_tuning_kwh"] = f"=IF({m}=0,{a('fine_tuning_kwh')},0)"
    f["energy_kwh"] = f"={x['energy_facility_kwh']}+{x['energy_fine_tuning_kwh']}"
    f["grid_intensity_kg_per_kwh"] = (
        f"={a('grid_intensity_kg_per_kwh')}*(1-{a('grid_decarbonisation')})^({m}/12)"
    )
    f["emissions_operational_location_kg"] = f"={x['energy_facility_kwh']}*{x['grid_intensity_kg_per_kwh']}"
    f["emissions_operational_kg"] = f"={x['emissions_operational_location_kg']}*(1-{a('renewable_share')})"
    f["emissions_embodied_kg"] = (
        f"={x['accelerators']}*{a('embodied_kg_per_accelerator')}/MAX({a('lifetime_months')},1)"
        if dep == "on-prem"
        else (
            f"={x['accelerator_hours']}/{g('hours_per_month')}*{a('embodied_kg_per_accelerator')}"
            f"/MAX({a('lifetime_months')},1)"
            if dep == "cloud"
            else f"={x['queries']}*{a('api_embodied_kg_per_query')}"
        )
    )
    f["emissions_fine_tuning_kg"] = f"=IF({m}=0,{a('fine_tuning_kg')},0)"
    f["emissions_kg"] = (
        f"={x['emissions_operational_kg']}+{x['emissions_embodied_kg']}+{x['emissions_fine_tuning_kg']}"
    )
    onprem = dep == "on-prem"
    f["electricity_price"] = (
        f"={a('electricity_price')}*(1+{a('electricity_escalation')})^({m}/12)" if onprem else 0
    )
    f.update(_asset_costs(o, a, x, t, months, life))
    f["energy_cost"] = f"={x['energy_facility_kwh']}*{x['electricity_price']}" if onprem else 0
    f["colocation_cost"] = (
        f"={x['accelerators']}*({a('max_power_kw')}+{a('host_power_kw')})*{a('colocation_per_kw_month')}"
        if onprem
        else 0
    )
    f["cloud_cost"] = _cloud_rent(o, a, g, x) if dep == "cloud" else 0
    f["api_cost"] = (
        f"={x['queries']}*{a('api_cost_per_query')}*(1+{a('api_price_trend')})^({m}/12)"
        if dep == "api"
        else 0
    )
    f["other_opex_cost"] = f"={a('other_opex_per_month')}"
    f["fine_tuning_cost"] = f"=IF({m}=0,{a('fine_tuning_cost')},0)"
    f["carbon_cost"] = (
        f"={x['emissions_kg']}*{a('carbon_price_per_kg')}*(1+{g('carbon_price_trend')})^({m}/12)"
    )
    f["total_cost"] = f"=SUM({x['capex_cost']}:{x['carbon_cost']})"
    deductible = (
        f"SUM({x['energy_cost']}:{x['carbon_cost']})+{x['depreciation_cost']}"
        f"+{x['financing_accounting_cost']}+{x['end_value_accounting_cost']}"
    )
    f["tax_saving"] = f"={g('tax_rate')}*({deductible})"
    f["total_cost_after_tax"] = f"={x['total_cost']}-{x['tax_saving']}"
    f["discount_factor"] = f"=(1+{g('discount_rate')})^(-({m}+{g('discount_timing')})/12)"
    f["total_cost_discounted"] = f"={x['total_cost']}*{x['discount_factor']}"
    f["total_cost_after_tax_discounted"] = f"={x['total_cost_after_tax']}*{x['discount_factor']}"
    f["queries_discounted"] = f"={x['queries']}*{x['discount_factor']}"
    for cum, key in (
        ("cumulative_cost", "total_cost"),
        ("cumulative_cost_discounted", "total_cost_discounted"),
        ("cumulative_emissions_kg", "emissions_kg"),
    ):
        f[cum] = f"={x[key]}" if first else f"={x.prev(cum)}+{x[key]}"
    base = _quote(base_sheet)
    for prefix, cum, cand in (
        ("", "cumulative_cost", "break_even_candidate"),
        ("discounted_", "cumulative_cost_discounted", "payback_candidate"),
    ):
        below, stays = f"{prefix}at_or_below_baseline", f"{prefix}stays_at_or_below_baseline"
        f[below] = f"={x[cum]}<={base}!{x[cum]}+1E-9"
        f[stays] = f"={x[below]}" if last else f"=AND({x[below]},{x.nxt(stays)})"
        f[cand] = f"=IF({x[stays]},{m},{NEVER:.0E})"
    return f


LOAD_FILL = PatternFill("solid", fgColor="E8F1FB")
LOAD_SUMS = ("sum_n", "sum_nw", "sum_np", "sum_nl", "standby", "peak", "fleet_peak")


def _load_sheet(
    ws: Worksheet,
    o: OptionInputs,
    inputs: _Inputs,
    proj: str,
    letters: dict[str, str],
    months: int,
    values: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None,
    cache: dict[tuple[str, str], Any] | None = None,
) -> Callable[[int, str], str]:
    """The option's load model as live formulas: its sweep's power points, and per month the 24 hours of
    the representative day (replicas serving, load per replica, power) and their sums; `values`
    (`_load_values`) are cached into `cache` for every formula cell.
    Returns (month, key) -> absolute reference of a month's sum."""

    def a(name: str) -> str:
        return inputs(o.id, name)

    def g(name: str) -> str:
        return inputs("(all)", name)

    k_count = len(o.sweep_throughput)
    ws["A1"] = f"Load model of {o.id}: hour by hour, live formulas"
    ws["A1"].font = TITLE
    ws["A2"] = (
        "Replica power is linear in its load between idle (load 0) and the sweep's points (load relative to "
        "the capacity point); each hour of the day stands for 1/24 of the month. Scaling: "
        f"{o.fleet_scaling()} (fixed at export)."
    )
    _header_row(ws, 4, ["point", "batch", "relative load", "power kW/replica", "kW per unit load to next"])
    idle = f"{a('idle_power_kw')}*{a('accelerators_per_replica')}"
    p0, pk = 5, 5 + k_count
    ws.cell(row=p0, column=1, value=0)
    ws.cell(row=p0, column=3, value=0.0)
    ws.cell(row=p0, column=4, value=f"={idle}")
    for k in range(1, k_count + 1):
        r = p0 + k
        ws.cell(row=r, column=1, value=k)
        ws.cell(row=r, column=2, value=o.sweep_batch[k - 1] if o.sweep_batch else None)
        ws.cell(row=r, column=3, value=f"={a(f'sweep_throughput_{k}')}")
        ws.cell(
            row=r,
            column=4,
            value=(
                f"=MAX({a('energy_per_query_kwh')}*{a(f'sweep_energy_{k}')}*{a('throughput_qps')}"
                f"*{a(f'sweep_throughput_{k}')}*3600,{idle},D{r - 1})"
            ),
        )
    for r in range(p0, pk + 1):
        ws.cell(row=r, column=5, value=f"=(D{r + 1}-D{r})/(C{r + 1}-C{r})" if r < pk else 0)
    if values is not None and cache is not None:
        for letter, column in values[0].items():
            for k, v in enumerate(column):
                if _is_formula(ws[f"{letter}{p0 + k}"].value):
                    cache[(ws.title, f"{letter}{p0 + k}")] = float(v)
    g_rng, p_rng, s_rng = (f"${col}${p0}:${col}${pk}" for col in "CDE")
    head = pk + 3
    hours = range(HOURS_PER_DAY)
    cols = ["month", "mean load", "fleet"]
    cols += [f"n{h:02d}" for h in hours] + [f"load{h:02d}" for h in hours]
    cols += [f"kw{h:02d}" for h in hours] + list(LOAD_SUMS)
    col = {name: get_column_letter(j) for j, name in enumerate(cols, start=1)}
    _header_row(ws, head, cols)
    scaling = o.fleet_scaling() if np.isnan(o.fixed_fleet) or o.fleet_scaling() != "hourly" else "reserved"
    shape = [g(f"hourly_load_{h:02d}") for h in hours]
    for t in range(months):
        r, pr = head + 1 + t, FIRST_ROW + t
        row: dict[str, Any] = {"month": t}
        row["mean load"] = (
            f"='{proj}'!{letters['queries_demand']}{pr}/({g('days_per_month')}*{g('seconds_per_day')})"
            f"/{a('throughput_qps')}"
        )
        row["fleet"] = (
            f"={col['fleet_peak']}{r}" if scaling == "hourly" else f"='{proj}'!{letters['replicas']}{pr}"
        )
        even = scaling in ("spread", "reserved")
        for h in hours:
            lam = f"$B{r}*{shape[h]}"
            n = f"$C{r}" if even else f"{col[f'n{h:02d}']}{r}"
            if not even:
                need = f"MAX(CEILING(MAX({lam}/{a('utilisation')}-1E-9,0),1),{a('min_replicas')})"
                row[f"n{h:02d}"] = f"={need}" if scaling == "hourly" else f"=MIN({need},$C{r})"
            load = f"{col[f'load{h:02d}']}{r}"
            row[f"load{h:02d}"] = f"=IF({n}>0,MIN({lam}/{n},1),0)"
            j = f"MATCH({load},{g_rng},1)"
            row[f"kw{h:02d}"] = f"=INDEX({p_rng},{j})+({load}-INDEX({g_rng},{j}))*INDEX({s_rng},{j})"
        day = {name: f"{col[name + '00']}{r}:{col[name + '23']}{r}" for name in ("n", "kw", "load")}
        g1, loads = f"$C${p0 + 1}", day["load"]
        # busy share of an hour: MIN(load / g1, 1), summed without a column per hour
        partial = f"({loads}<{g1})*{loads}"
        if even:  # every replica serves every hour: the day's sums are the fleet x the hours' sums
            row["sum_n"] = f"={g('hours_per_day')}*$C{r}"
            row["sum_nw"] = f'=$C{r}*(SUMPRODUCT({partial})/{g1}+COUNTIF({loads},">="&{g1}))'
            for key, name in (("sum_np", "kw"), ("sum_nl", "load")):
                row[key] = f"=$C{r}*SUM({day[name]})"
            row["peak"] = f"=IF($C{r}>0,$B{r}*MAX({g('hourly_load_00')}:{shape[-1].split('!')[1]})/$C{r},0)"
            row["fleet_peak"] = f"=$C{r}"
        else:
            row["sum_n"] = f"=SUM({day['n']})"
            row["sum_nw"] = f"=SUMPRODUCT({day['n']},{partial})/{g1}+SUMPRODUCT({day['n']}*({loads}>={g1}))"
            for key, name in (("sum_np", "kw"), ("sum_nl", "load")):
                row[key] = f"=SUMPRODUCT({day['n']},{day[name]})"
            row["peak"] = (
                "=MAX("
                + ",".join(
                    f"IF({col[f'n{h:02d}']}{r}>0,$B{r}*{shape[h]}/{col[f'n{h:02d}']}{r},0)" for h in hours
                )
                + ")"
            )
            row["fleet_peak"] = f"=MAX({day['n']})"
        row["standby"] = f"={g('hours_per_day')}*$C{r}-{col['sum_n']}{r}" if scaling == "packed" else 0
        for name, value in row.items():
            cell = ws[f"{col[name]}{r}"]
            cell.value = value
            if values is not None and cache is not None and _is_formula(value):
                cache[(ws.title, cell.coordinate)] = float(values[1][name][t])
            if name in LOAD_SUMS:
                cell.fill = LOAD_FILL
    ws.freeze_panes = f"D{head + 1}"
    sheet = _quote(ws.title)

    def ref(t: int, key: str) -> str:
        return f"{sheet}!${col[key]}${head + 1 + t}"

    return ref


def _window_sums(x: np.ndarray, life: int, *, this_month: bool) -> np.ndarray:
    """Per month t: the sum of x over months t-life+1 .. t (or .. t-1), added in month order as SUMIFS does."""
    xs = [float(v) for v in x]
    return np.array([sum(xs[max(t - life + 1, 0) : t + this_month]) for t in range(len(xs))])


def _fleet_values(o: OptionInputs, mine: Any, w: Any, growth: np.ndarray) -> dict[str, np.ndarray]:
    """Cached values of the projection's fleet and asset columns the engine does not report: peak load,
    accelerators needed, in service and retired, provisioned hours, and the on-prem price path, value bought
    and in service and end-of-horizon values (the engine's fleet, `tco.engine.finance`'s price and book
    functions)."""
    months = len(mine)
    m = np.arange(months, dtype=float)
    out = {"peak_qps": _scalar(w.queries_per_day) * growth / SECONDS_PER_DAY * float(_day_shape(w).max())}
    if o.deployment == "api":
        return out
    replicas = mine["replicas"].to_numpy(dtype=float)
    fixed = not np.isnan(o.fixed_fleet)
    needed = np.full(months, float(o.fixed_fleet)) if fixed else replicas * float(o.accelerators_per_replica)
    out["accelerators_needed"] = needed
    out["provisioned_hours"] = mine["accelerators"].to_numpy(dtype=float) * HOURS_PER_MONTH
    if o.deployment != "on-prem":
        return out
    life = int(life_months(np.asarray(_scalar(o.lifetime_months))))
    bought = mine["accelerators_purchased"].to_numpy(dtype=float)
    out["accelerators_in_service"] = _window_sums(bought, life, this_month=False)
    out["accelerators_retired"] = np.array([bought[t - life] if t >= life else 0.0 for t in range(months)])
    price = _scalar(o.unit_price) * trend_factor(np.asarray(_scalar(o.hardware_price_trend)), m)
    value = bought * price
    out["unit_price"], out["value_purchased"] = price, value
    out["value_in_service"] = _window_sums(value, life, this_month=True)
    book = book_fraction(months - m, np.asarray(float(life)), np.asarray(_scalar(o.residual_value)))
    kept = m + life >= months
    out["book_value_at_end"] = np.where(kept, value * book, 0.0)
    if o.end_value == "book":
        out["end_value_fraction"] = book
        out["end_value_at_end"] = np.where(kept, value * book, 0.0)
    elif o.end_value == "resale":
        out["end_value_at_end"] = np.where(kept, value * resale_fraction(months - m, o.resale_curve), 0.0)
    else:
        out["end_value_at_end"] = np.zeros(months)
    return out


def _load_values(o: OptionInputs, mine: Any, w: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Cached values of an option's Load sheet, from the engine's hour-by-hour fleet (`hour_by_hour`) and
    sweep power points (`point_power_kw`, `segment_slopes`): the power points' (relative load, kW, kW per
    unit load) columns, and per month (rows) each named column of the sheet."""
    apr = float(o.accelerators_per_replica)
    x = _scalar(o.throughput_qps)
    idle = _scalar(o.idle_power_kw) * apr
    grid = sweep_grid(o)
    points = np.concatenate(
        [
            [idle],
            point_power_kw(
                _scalar(o.energy_per_query_kwh) * np.asarray(o.sweep_energy),
                x * np.asarray(o.sweep_throughput),
                np.asarray(idle),
            ),
        ]
    )
    slopes = np.append(segment_slopes(points[1:], np.asarray(idle), grid), 0.0)
    scaling = o.fleet_scaling() if np.isnan(o.fixed_fleet) or o.fleet_scaling() != "hourly" else "reserved"
    shape = _day_shape(w)
    mean = mine["queries_demand"].to_numpy(dtype=float) / (DAYS_PER_MONTH * SECONDS_PER_DAY) / x
    fleet = mine["replicas"].to_numpy(dtype=float)
    util = np.asarray([[_scalar(o.utilisation)]])
    n, per, standby, fleet_peak = hour_by_hour(
        o, scaling, mean[None, :], fleet[None, :], shape[None, :], util
    )
    n, lam_per, standby, fleet_peak = n[0], per[0], standby[0], fleet_peak[0]
    fleet = fleet_peak if scaling == "hourly" else fleet
    load = np.minimum(lam_per, 1.0)
    j = np.searchsorted(grid, load, side="right") - 1
    kw = points[j] + (load - grid[j]) * slopes[j]
    g1 = grid[1]
    rows: dict[str, np.ndarray] = {"mean load": mean, "fleet": fleet}
    for h in range(HOURS_PER_DAY):
        rows[f"n{h:02d}"], rows[f"load{h:02d}"], rows[f"kw{h:02d}"] = n[:, h], load[:, h], kw[:, h]
    rows["sum_n"] = n.sum(axis=1)
    rows["sum_nw"] = (n * np.where(load < g1, load / g1, 1.0)).sum(axis=1)
    rows["sum_np"] = (n * kw).sum(axis=1)
    rows["sum_nl"] = (n * load).sum(axis=1)
    rows["standby"] = standby.sum(axis=1)
    lam = mean[:, None] * shape[None, :]
    rows["peak"] = np.where(n > 0, lam / np.where(n > 0, n, 1.0), 0.0).max(axis=1)
    rows["fleet_peak"] = n.max(axis=1)
    return {"C": grid, "D": points, "E": slopes}, rows


def _projection_values(
    o: OptionInputs, results: Any, rc: c.ReportContent, baseline: str
) -> dict[str, list[Any]]:
    """Cached values of every projection formula column, month by month, as the formulas compute them: the
    engine's reported series, the fleet and asset columns (`_fleet_values`), cumulative discounted cost and
    the break-even helpers."""
    per = rc.per_period
    mine = per[per["option"] == o.id].reset_index(drop=True)
    base = per[per["option"] == baseline].reset_index(drop=True)
    months = len(mine)
    m = np.arange(months, dtype=float)
    w = results.resolved.workload
    growth = (1.0 + _scalar(w.annual_growth)) ** (m / 12.0)
    out: dict[str, list[Any]] = {k: mine[k].tolist() for k in COLUMNS if k in mine.columns}
    out["growth_factor"] = list(growth)
    out.update({k: list(v) for k, v in _fleet_values(o, mine, w, growth).items()})
    out["cumulative_cost_discounted"] = list(np.cumsum(mine["total_cost_discounted"].to_numpy(dtype=float)))
    for prefix, col, cand in (
        ("", "total_cost", "break_even_candidate"),
        ("discounted_", "total_cost_discounted", "payback_candidate"),
    ):
        below = (
            np.cumsum(mine[col].to_numpy(dtype=float)) <= np.cumsum(base[col].to_numpy(dtype=float)) + 1e-9
        )
        stays = np.flip(np.logical_and.accumulate(np.flip(below)))
        out[f"{prefix}at_or_below_baseline"] = [bool(x) for x in below]
        out[f"{prefix}stays_at_or_below_baseline"] = [bool(x) for x in stays]
        out[cand] = [float(t) if s else NEVER for t, s in zip(m, stays, strict=True)]
    return out


def _projection_sheet(
    ws: Worksheet,
    o: OptionInputs,
    inputs: _Inputs,
    rc: c.ReportContent,
    dates: list[str],
    base_sheet: str,
    series: dict[str, np.ndarray],
    load: Callable[[int, str], str] | None = None,
    values: dict[str, list[Any]] | None = None,
    cache: dict[tuple[str, str], Any] | None = None,
) -> dict[str, str]:
    months = len(dates)
    keys = list(COLUMNS)
    letters = {k: get_column_letter(j) for j, k in enumerate(keys, start=1)}
    ws["A1"] = f"Projection of {o.id} ({o.deployment}): {o.name}"
    ws["A1"].font = TITLE
    ws["A2"] = (
        "Monthly formulas of the month index and the Assumptions sheet; baseline for break-even: "
        f"{rc.scenario['baseline']}."
    )
    _header_row(ws, FIRST_ROW - 2, keys)
    for j, k in enumerate(keys, start=1):
        ws.cell(row=FIRST_ROW - 1, column=j, value=COLUMNS[k].format(cur=rc.currency)).font = Font(
            italic=True
        )
    last = FIRST_ROW + months - 1

    def a(name: str) -> str:
        return inputs(o.id, name)

    def g(name: str) -> str:
        return inputs("(all)", name)

    static: set[str] = set()
    money = {"unit_price", "value_purchased", "value_in_service", "book_value_at_end", "end_value_at_end"}
    for t in range(months):
        r = FIRST_ROW + t
        month_load = (lambda key, t=t: load(t, key)) if load is not None else None  # type: ignore[misc]
        row = _formulas(o, a, g, _Row(letters, r, FIRST_ROW, last), t, months, base_sheet, month_load)
        row["date"] = dates[t]
        for j, k in enumerate(keys, start=1):
            value = row[k]
            if value is STATIC:
                value = float(series[k][0, t])
                static.add(k)
            cell = ws.cell(row=r, column=j, value=value)
            if cache is not None and values is not None and _is_formula(value):
                cache[(ws.title, cell.coordinate)] = values[k][t]
            if k.endswith("_cost") or k.startswith("cumulative_cost") or k in money:
                cell.number_format = MONEY_FORMAT
            elif k in ("queries", "queries_discounted"):
                cell.number_format = COUNT_FORMAT
    for k in static:
        ws[f"{letters[k]}{FIRST_ROW - 1}"] = f"{COLUMNS[k].format(cur=rc.currency)}, {STATIC_NOTE}"
    if static:
        ws["A3"] = (
            f"Columns marked '{STATIC_NOTE}' ({', '.join(sorted(static))}) hold the engine's numbers, not "
            "formulas: loan and lease schedules and cloud commitments; a change on the Assumptions sheet "
            "does not move them."
        )
    ws.freeze_panes = f"C{FIRST_ROW}"
    for j, k in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(len(k) + 2, 30))
    return letters


# Summary rows: key -> (unit, formula builder of (column letters, option, sheet, baseline column)).
def _summary_rows(cur: str) -> list[tuple[str, str]]:
    return [
        ("tco_cost", cur),
        ("npv_cost", cur),
        ("queries", "query"),
        ("cost_per_1k_queries", f"{cur}/1k queries"),
        ("levelised_cost_per_1k_queries", f"{cur}/1k queries"),
        ("energy_kwh", "kWh"),
        ("wh_per_query", "Wh/query"),
        ("emissions_kg", "kgCO2e"),
        ("emissions_operational_kg", "kgCO2e"),
        ("emissions_embodied_kg", "kgCO2e"),
        ("g_per_query", "gCO2e/query"),
        ("accelerators_peak", "accelerator"),
        ("accelerators_initial", "accelerator"),
        ("accelerators_purchased", "accelerator"),
        ("capex_cost", cur),
        ("end_value_cost", cur),
        ("financing_cost", cur),
        ("tax_saving", cur),
        ("tco_after_tax_cost", cur),
        ("npv_after_tax_cost", cur),
        ("cost_per_correct_1k", f"{cur}/1k correct answers"),
        ("g_per_correct", "gCO2e/correct answer"),
        ("cost_ratio_to_baseline", "x"),
        ("emissions_ratio_to_baseline", "x"),
        ("g_per_query_ratio_to_baseline", "x"),
        ("levelised_cost_ratio_to_baseline", "x"),
        ("break_even_month", "month"),
        ("payback_month", "month"),
    ]


def _summary_format(key: str, unit: str, currency: str) -> str:
    """Excel number format of a Summary row: money to the cent, counts whole, ratios as ×0.52."""
    if unit == currency:
        return MONEY_FORMAT
    if unit in ("query", "accelerator", "month", "kWh", "kgCO2e"):
        return COUNT_FORMAT if unit != "kWh" and unit != "kgCO2e" else "#,##0.0"
    if unit == "x":
        return '"×"0.00##'
    return "#,##0.000000"


def _summary_sheet(
    ws: Worksheet,
    rc: c.ReportContent,
    options: list[OptionInputs],
    inputs: _Inputs,
    sheets: dict[str, str],
    letters: dict[str, str],
    months: int,
    summary: Any = None,
    cache: dict[tuple[str, str], Any] | None = None,
) -> dict[tuple[str, str], str]:
    ws["A1"] = f"Summary over {months} months: formulas over the projection sheets"
    ws["A1"].font = TITLE
    ws["A2"] = (
        f"Baseline: {rc.scenario['baseline']}. Levelised cost = NPV of cost / discounted queries x 1000."
    )
    _header_row(ws, 4, ["Measure", "Unit", *[o.id for o in options], "Field"])
    rows = _summary_rows(rc.currency)
    row_of = {k: 5 + i for i, (k, _) in enumerate(rows)}
    col_of = {o.id: get_column_letter(3 + j) for j, o in enumerate(options)}
    field_col = 3 + len(options)
    base = rc.scenario["baseline"]
    first, last = FIRST_ROW, FIRST_ROW + months - 1
    cells: dict[tuple[str, str], str] = {}
    for o in options:
        sh = _quote(sheets[o.id])
        col = col_of[o.id]

        def rng(key: str, sh: str = sh) -> str:
            return f"{sh}!${letters[key]}${first}:${letters[key]}${last}"

        def me(key: str, col: str = col) -> str:
            return f"{col}{row_of[key]}"

        def of_base(key: str) -> str:
            return f"{col_of[base]}{row_of[key]}"

        q = inputs(o.id, "quality")
        per_q = f'IF({me("queries")}>0,{{}}/{me("queries")},"")'
        formulas = {
            "tco_cost": f"=SUM({rng('total_cost')})",
            "npv_cost": f"=SUM({rng('total_cost_discounted')})",
            "queries": f"=SUM({rng('queries')})",
            "cost_per_1k_queries": "=" + per_q.format(f"{me('tco_cost')}*1000"),
            "levelised_cost_per_1k_queries": (
                f'=IF(SUM({rng("queries_discounted")})>0,{me("npv_cost")}/SUM({rng("queries_discounted")})*1000,"")'
            ),
            "energy_kwh": f"=SUM({rng('energy_kwh')})",
            "wh_per_query": "=" + per_q.format(f"{me('energy_kwh')}*1000"),
            "emissions_kg": f"=SUM({rng('emissions_kg')})",
            "emissions_operational_kg": f"=SUM({rng('emissions_operational_kg')})",
            "emissions_embodied_kg": f"=SUM({rng('emissions_embodied_kg')})",
            "g_per_query": "=" + per_q.format(f"{me('emissions_kg')}*1000"),
            "accelerators_peak": f"=MAX({rng('accelerators')})",
            "accelerators_initial": f"={sh}!${letters['accelerators']}${first}",
            "accelerators_purchased": f"=SUM({rng('accelerators_purchased')})",
            "capex_cost": f"=SUM({rng('capex_cost')})",
            "end_value_cost": f"=SUM({rng('end_value_cost')})",
            "financing_cost": f"=SUM({rng('financing_cost')})",
            "tax_saving": f"=SUM({rng('tax_saving')})",
            "tco_after_tax_cost": f"=SUM({rng('total_cost_after_tax')})",
            "npv_after_tax_cost": f"=SUM({rng('total_cost_after_tax_discounted')})",
            "cost_per_correct_1k": f'=IF(AND(ISNUMBER({q}),{q}>0),{me("cost_per_1k_queries")}/{q},"")',
            "g_per_correct": f'=IF(AND(ISNUMBER({q}),{q}>0),{me("g_per_query")}/{q},"")',
        }
        for ratio, key in (
            ("cost_ratio_to_baseline", "tco_cost"),
            ("emissions_ratio_to_baseline", "emissions_kg"),
            ("g_per_query_ratio_to_baseline", "g_per_query"),
            ("levelised_cost_ratio_to_baseline", "levelised_cost_per_1k_queries"),
        ):
            formulas[ratio] = f'=IF(N({of_base(key)})<>0,{me(key)}/{of_base(key)},"")'
        for out, cand in (
            ("break_even_month", "break_even_candidate"),
            ("payback_month", "payback_candidate"),
        ):
            formulas[out] = f'=IF(MIN({rng(cand)})>={NEVER:.0E},"",MIN({rng(cand)}))'
        for key, formula in formulas.items():
            cell = ws[me(key)]
            cell.value = formula
            cells[(o.id, key)] = me(key)
            if cache is not None and summary is not None:
                v = summary.loc[o.id, key]
                cache[(ws.title, me(key))] = "" if c.numbers.is_missing(v) else float(v)
            cell.number_format = _summary_format(key, dict(rows)[key], rc.currency)
    for key, unit in rows:
        ws.cell(row=row_of[key], column=1, value=LABELS[key]).font = BOLD
        ws.cell(row=row_of[key], column=2, value=unit_words(unit))
        ws.cell(row=row_of[key], column=field_col, value=key).font = Font(color="888888")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 24
    for col in col_of.values():
        ws.column_dimensions[col].width = 18
    return cells


def _table_sheet(
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
    _header_row(ws, 4, [header(k, (units or {}).get(k, "")) for k in keys])
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


def _charts_sheet(
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


def _plan_sheet(ws: Worksheet, rc: c.ReportContent) -> None:
    """The task plan (a portfolio only): the plan sentence, the plans compared and the per-task table, static."""
    assert rc.plans is not None and rc.plan_tasks is not None
    units = c.plan_units(rc)
    ws["A1"] = "Task plan (static values)"
    ws["A1"].font = TITLE
    ws["A2"] = PLAN_STATIC_NOTE
    ws["A3"] = rc.plan_answer
    ws["A4"] = c.PLAN_NOTE
    r = 6
    for heading, frame in (("Plans compared", rc.plans), ("Per task", rc.plan_tasks)):
        ws.cell(row=r, column=1, value=heading).font = BOLD
        keys = [str(k) for k in frame.columns]
        _header_row(ws, r + 1, [header(k, units.get(k, "")) for k in keys])
        for i, rec in enumerate(jsonfmt.records(frame)):
            for j, k in enumerate(keys, start=1):
                v = rec.get(k)
                cell = ws.cell(row=r + 2 + i, column=j, value=v)
                if isinstance(v, float) and k.endswith("_cost"):
                    cell.number_format = MONEY_FORMAT
        r += len(frame) + 4
    for j in range(1, 13):
        ws.column_dimensions[get_column_letter(j)].width = 22


def _scenario_sheet(ws: Worksheet, rc: c.ReportContent) -> None:
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


def workbook(rc: c.ReportContent, results: Any, cache: dict[tuple[str, str], Any] | None = None) -> Workbook:
    """The report as an openpyxl Workbook; `cache` collects the value of each formula cell by (sheet, cell)."""
    options: list[OptionInputs] = list(results.resolved.options)
    per = rc.per_period
    dates = [str(d) for d in per.loc[per["option"] == options[0].id, "date"]]
    wb = Workbook()
    scen = wb.active
    assert scen is not None
    scen.title = "Scenario"
    _scenario_sheet(scen, rc)
    summary_ws = wb.create_sheet("Summary")
    inputs = _assumptions_sheet(wb, rc, options, results)
    taken = {ws.title.lower() for ws in wb.worksheets} | {"sources", "yearly", "charts"}
    sheets = {o.id: sheet_title("Projection ", o.id, taken) for o in options}
    letters: dict[str, str] = {}
    base_sheet = sheets[rc.scenario["baseline"]]
    proj_letters = {k: get_column_letter(j) for j, k in enumerate(COLUMNS, start=1)}
    baseline = rc.scenario["baseline"]
    for o in options:
        ws = wb.create_sheet(sheets[o.id])
        load = None
        if o.deployment != "api":
            load_ws = wb.create_sheet(sheet_title("Load ", o.id, taken))
            mine = per[per["option"] == o.id].reset_index(drop=True)
            load_values = _load_values(o, mine, results.resolved.workload) if cache is not None else None
            load = _load_sheet(load_ws, o, inputs, sheets[o.id], proj_letters, len(dates), load_values, cache)
        values = _projection_values(o, results, rc, baseline) if cache is not None else None
        letters = _projection_sheet(
            ws, o, inputs, rc, dates, base_sheet, results.series[o.id], load, values, cache
        )
    _summary_sheet(summary_ws, rc, options, inputs, sheets, letters, len(dates), results.summary, cache)
    _charts_sheet(wb.create_sheet("Charts"), options, sheets, wb, letters, len(dates), rc.currency)
    sources = jsonfmt.records(rc.assumptions)
    for rec in sources:
        rec["value"] = c.numbers.assumption_value(rec["value"])
    _table_sheet(
        wb.create_sheet("Sources"),
        "Assumptions with their sources (display units)",
        sources,
        "As resolved by slm-tco; the Assumptions sheet holds the same numbers in the engine's units.",
        {"year": ""},
    )
    _table_sheet(
        wb.create_sheet("Yearly"),
        "Yearly projections (static values)",
        jsonfmt.records(rc.yearly),
        c.YEARLY_NOTE,
        rc.units,
    )
    for name, frame in rc.analysis.items():
        found = frame.attrs.get("units")
        units: dict[str, str] = dict(found) if isinstance(found, dict) else {}
        _table_sheet(
            wb.create_sheet(sheet_title("Analysis ", name.replace("_", " "), taken)),
            name,
            jsonfmt.records(frame),
            "Static values computed by slm-tco's analysis (sampling results are not formulas).",
            {**rc.units, **units},
        )
    if rc.plans is not None and rc.plan_tasks is not None:
        _plan_sheet(wb.create_sheet("Plan"), rc)
    wb.calculation.fullCalcOnLoad = True
    return wb


def render(rc: c.ReportContent, results: Any) -> bytes:
    """The workbook's bytes: live formulas, each with its value cached for readers that do not recalculate."""
    cache: dict[tuple[str, str], Any] = {}
    wb = workbook(rc, results, cache)
    buf = io.BytesIO()
    wb.save(buf)
    return with_cached_values(buf.getvalue(), cache)


_FORMULA_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"((?: [a-z]+="[^"]*")*)><f>(.*?)</f><v\s*/></c>', re.S)
_TYPE_ATTR = re.compile(r' t="[^"]*"')
_SHEET_REL = re.compile(r'<sheet [^>]*name="([^"]*)"[^>]*r:id="([^"]*)"')
_REL = re.compile(
    r'<Relationship [^>]*Id="([^"]*)"[^>]*Target="([^"]*)"|<Relationship [^>]*Target="([^"]*)"[^>]*Id="([^"]*)"'
)


def _cell_xml(coord: str, attrs: str, formula: str, value: Any) -> str:
    if ' t="' in attrs:
        attrs = _TYPE_ATTR.sub("", attrs)
    if isinstance(value, bool | np.bool_):
        return f'<c r="{coord}"{attrs} t="b"><f>{formula}</f><v>{int(bool(value))}</v></c>'
    if isinstance(value, str):
        return f'<c r="{coord}"{attrs} t="str"><f>{formula}</f><v>{xml_escape(value)}</v></c>'
    x = float(value)
    if not math.isfinite(x):
        return f'<c r="{coord}"{attrs}><f>{formula}</f><v /></c>'
    return f'<c r="{coord}"{attrs}><f>{formula}</f><v>{x!r}</v></c>'


def with_cached_values(data: bytes, cache: dict[tuple[str, str], Any]) -> bytes:
    """Add cached values to the formula cells of a saved workbook: `<f>..</f><v/>` -> `<f>..</f><v>x</v>`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = {m[0]: m[1] for m in _SHEET_REL.findall(src.read("xl/workbook.xml").decode("utf-8"))}
    rels: dict[str, str] = {}
    for a, b, c_, d in _REL.findall(src.read("xl/_rels/workbook.xml.rels").decode("utf-8")):
        rels[a or d] = b or c_
    by_part: dict[str, dict[str, Any]] = {}
    for (sheet, coord), value in cache.items():
        target = rels[names[xml_escape(sheet, {'"': "&quot;"})]].lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        by_part.setdefault(part, {})[coord] = value
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            values = by_part.get(info.filename)
            if values:

                def fill(m: re.Match[str], values: dict[str, Any] = values) -> str:
                    if m[1] not in values:
                        return m[0]
                    return _cell_xml(m[1], m[2], m[3], values[m[1]])

                body = _FORMULA_CELL.sub(fill, body.decode("utf-8")).encode("utf-8")
            dst.writestr(info, body)
    return out.getvalue()
