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

from tco.engine.formulas import SECONDS_PER_DAY
from tco.engine.inputs import DAYS_PER_MONTH, HOURS_PER_MONTH, OptionInputs
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
    ],
    "cloud": [*_COMMON, *_HOSTED, "cloud_price_per_hour"],
    "api": [*_COMMON, "api_cost_per_query", "api_embodied_kg_per_query"],
}

# Projection columns, in sheet order, with units. Keys named like Results.per_period columns match them.
COLUMNS: dict[str, str] = {
    "month": "month",
    "date": "",
    "year": "year",
    "growth_factor": "x",
    "queries": "query",
    "peak_qps": "query/s",
    "replicas": "replica",
    "accelerators_needed": "accelerator",
    "accelerators_in_service": "accelerator (bought earlier, still in life)",
    "accelerators_purchased": "accelerator",
    "accelerators": "accelerator",
    "accelerators_retired": "accelerator",
    "book_value_at_end": "{cur}",
    "provisioned_hours": "accelerator-hour",
    "busy_accelerator_hours": "accelerator-hour",
    "capacity_shortfall": "",
    "energy_accelerator_kwh": "kWh",
    "energy_idle_kwh": "kWh",
    "energy_host_kwh": "kWh",
    "energy_it_kwh": "kWh",
    "energy_facility_kwh": "kWh",
    "grid_intensity_kg_per_kwh": "kgCO2e/kWh",
    "emissions_operational_location_kg": "kgCO2e",
    "emissions_operational_kg": "kgCO2e",
    "emissions_embodied_kg": "kgCO2e",
    "emissions_fine_tuning_kg": "kgCO2e",
    "emissions_kg": "kgCO2e",
    "electricity_price": "{cur}/kWh",
    "capex_cost": "{cur}",
    "residual_cost": "{cur}",
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
    "discount_factor": "",
    "total_cost_discounted": "{cur}",
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
        (
            "(all)",
            "peak_to_average",
            _scalar(w.peak_to_average),
            "x",
            _source_of(known, "(all)", "peak to average"),
        ),
        ("(all)", "discount_rate", _scalar(fin.discount_rate), "fraction/year", "scenario"),
        ("(all)", "days_per_month", DAYS_PER_MONTH, "day/month", "constant: a twelfth of a 365.25-day year"),
        (
            "(all)",
            "hours_per_month",
            HOURS_PER_MONTH,
            "hour/month",
            "constant: a twelfth of a 365.25-day year",
        ),
        ("(all)", "seconds_per_day", SECONDS_PER_DAY, "s/day", "constant"),
    ]
    for o in options:
        names = list(USED_FIELDS[o.deployment])
        if o.deployment != "api":
            names += ["fixed_fleet"] if not np.isnan(o.fixed_fleet) else ["min_replicas", "utilisation"]
        for name in names:
            unit, param = FIELDS[name]
            v = _scalar(getattr(o, name))
            value: Any = None if np.isnan(v) else v
            rows.append((o.id, name, value, unit.format(cur=cur), _source_of(known, o.id, param)))
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

    def whole(self, key: str) -> str:
        col = self.letters[key]
        return f"${col}${self.first}:${col}${self.last}"


def _formulas(
    o: OptionInputs,
    a: Callable[[str], str],
    g: Callable[[str], str],
    x: _Row,
    t: int,
    months: int,
    base_sheet: str,
) -> dict[str, Any]:
    """Every projection cell of month `t` (formula text or a constant), mirroring tco.engine.core.simulate."""
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
        "queries": f"={g('queries_per_day')}*{g('days_per_month')}*{x['growth_factor']}",
        "peak_qps": f"={g('queries_per_day')}*{x['growth_factor']}/{g('seconds_per_day')}*{g('peak_to_average')}",
    }
    if not hosted:
        for k in (
            "replicas",
            "accelerators_needed",
            "accelerators_in_service",
            "accelerators_purchased",
            "accelerators",
            "accelerators_retired",
            "book_value_at_end",
            "provisioned_hours",
            "busy_accelerator_hours",
        ):
            f[k] = 0
        f["capacity_shortfall"] = False
    else:
        apr = a("accelerators_per_replica")
        if fixed:
            f["replicas"] = f"=FLOOR({a('fixed_fleet')}/{apr},1)"
            f["accelerators_needed"] = f"={a('fixed_fleet')}"
        else:
            ratio = f"{x['peak_qps']}/({a('throughput_qps')}*{a('utilisation')})-1E-9"
            f["replicas"] = f"=MAX(CEILING(MAX({ratio},0),1),{a('min_replicas')})"
            f["accelerators_needed"] = f"={x['replicas']}*{apr}"
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
            f["book_value_at_end"] = (
                f"=IF({m}+{life}>={months},{x['accelerators_purchased']}*{a('unit_price')}"
                f"*(1-(1-{a('residual_value')})*MIN({months}-{m},{life})/{life}),0)"
            )
        else:
            f["accelerators_in_service"] = 0
            f["accelerators_purchased"] = 0
            f["accelerators"] = f"={x['accelerators_needed']}"
            f["accelerators_retired"] = 0
            f["book_value_at_end"] = 0
        f["provisioned_hours"] = f"={x['accelerators']}*{g('hours_per_month')}"
        serve = f"{x['queries']}/{a('throughput_qps')}/3600*{apr}"
        f["busy_accelerator_hours"] = f"=MIN({serve},{x['provisioned_hours']})"
        f["capacity_shortfall"] = f"={serve}>{x['provisioned_hours']}+1E-9"
    f["energy_accelerator_kwh"] = f"={x['queries']}*{a('energy_per_query_kwh')}"
    if hosted:
        f["energy_idle_kwh"] = (
            f"={a('idle_power_kw')}*MAX({x['provisioned_hours']}-{x['busy_accelerator_hours']},0)"
        )
        f["energy_host_kwh"] = f"={a('host_power_kw')}*{x['provisioned_hours']}"
    else:
        f["energy_idle_kwh"] = f["energy_host_kwh"] = 0
    f["energy_it_kwh"] = f"={x['energy_accelerator_kwh']}+{x['energy_idle_kwh']}+{x['energy_host_kwh']}"
    f["energy_facility_kwh"] = f"={x['energy_it_kwh']}*{a('pue')}"
    f["grid_intensity_kg_per_kwh"] = (
        f"={a('grid_intensity_kg_per_kwh')}*(1-{a('grid_decarbonisation')})^({m}/12)"
    )
    f["emissions_operational_location_kg"] = f"={x['energy_facility_kwh']}*{x['grid_intensity_kg_per_kwh']}"
    f["emissions_operational_kg"] = f"={x['emissions_operational_location_kg']}*(1-{a('renewable_share')})"
    f["emissions_embodied_kg"] = (
        f"={x['accelerators']}*{a('embodied_kg_per_accelerator')}/MAX({a('lifetime_months')},1)"
        if hosted
        else f"={x['queries']}*{a('api_embodied_kg_per_query')}"
    )
    f["emissions_fine_tuning_kg"] = f"=IF({m}=0,{a('fine_tuning_kg')},0)"
    f["emissions_kg"] = (
        f"={x['emissions_operational_kg']}+{x['emissions_embodied_kg']}+{x['emissions_fine_tuning_kg']}"
    )
    onprem = dep == "on-prem"
    f["electricity_price"] = (
        f"={a('electricity_price')}*(1+{a('electricity_escalation')})^({m}/12)" if onprem else 0
    )
    if onprem:
        up = a("unit_price")
        res = a("residual_value")
        retire = f"{x['accelerators_retired']}*{up}*{res}"
        f["capex_cost"] = f"={x['accelerators_purchased']}*{up}"
        f["residual_cost"] = f"=-({retire}+SUM({x.whole('book_value_at_end')}))" if last else f"=-{retire}"
        f["energy_cost"] = f"={x['energy_facility_kwh']}*{x['electricity_price']}"
        f["maintenance_cost"] = f"={x['accelerators']}*{up}*{a('maintenance')}/12"
        f["colocation_cost"] = (
            f"={x['accelerators']}*({a('max_power_kw')}+{a('host_power_kw')})*{a('colocation_per_kw_month')}"
        )
        f["depreciation_cost"] = f"={x['accelerators']}*{up}*(1-{res})/{life}"
    else:
        for k in (
            "capex_cost",
            "residual_cost",
            "energy_cost",
            "maintenance_cost",
            "colocation_cost",
            "depreciation_cost",
        ):
            f[k] = 0
    f["cloud_cost"] = (
        f"={x['accelerators']}*{g('hours_per_month')}*{a('cloud_price_per_hour')}" if dep == "cloud" else 0
    )
    f["api_cost"] = f"={x['queries']}*{a('api_cost_per_query')}" if dep == "api" else 0
    f["other_opex_cost"] = f"={a('other_opex_per_month')}"
    f["fine_tuning_cost"] = f"=IF({m}=0,{a('fine_tuning_cost')},0)"
    f["carbon_cost"] = f"={x['emissions_kg']}*{a('carbon_price_per_kg')}"
    f["total_cost"] = f"=SUM({x['capex_cost']}:{x['carbon_cost']})"
    f["discount_factor"] = f"=(1+{g('discount_rate')})^(-{m}/12)"
    f["total_cost_discounted"] = f"={x['total_cost']}*{x['discount_factor']}"
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


def _projection_values(
    o: OptionInputs, results: Any, rc: c.ReportContent, baseline: str
) -> dict[str, list[Any]]:
    """The value of every projection column, month by month, as the formulas compute it (cached values)."""
    per = rc.per_period
    mine = per[per["option"] == o.id].reset_index(drop=True)
    base = per[per["option"] == baseline].reset_index(drop=True)
    months = len(mine)
    m = np.arange(months, dtype=float)
    w = results.resolved.workload
    growth = (1.0 + _scalar(w.annual_growth)) ** (m / 12.0)
    out: dict[str, list[Any]] = {k: list(mine[k]) for k in COLUMNS if k in mine.columns}
    out["growth_factor"] = list(growth)
    out["peak_qps"] = list(_scalar(w.queries_per_day) * growth / SECONDS_PER_DAY * _scalar(w.peak_to_average))
    hosted = o.deployment != "api"
    acc = mine["accelerators"].to_numpy(dtype=float) if hosted else np.zeros(months)
    bought = mine["accelerators_purchased"].to_numpy(dtype=float) if hosted else np.zeros(months)
    if not hosted:
        needed = np.zeros(months)
    elif not np.isnan(o.fixed_fleet):
        needed = np.full(months, _scalar(o.fixed_fleet))
    else:
        needed = mine["replicas"].to_numpy(dtype=float) * _scalar(o.accelerators_per_replica)
    out["accelerators_needed"] = list(needed)
    out["provisioned_hours"] = list(acc * HOURS_PER_MONTH)
    if o.deployment == "on-prem":
        life = max(math.floor(_scalar(o.lifetime_months) + 0.5), 1)  # Excel's ROUND: halves away from 0
        in_service = acc - bought
        retired = np.array([bought[t - life] if t >= life else 0.0 for t in range(months)])
        left = np.minimum(months - m, life) / life
        book = np.where(
            m + life >= months,
            bought * _scalar(o.unit_price) * (1 - (1 - _scalar(o.residual_value)) * left),
            0.0,
        )
    else:
        in_service = retired = book = np.zeros(months)
    out["accelerators_in_service"] = list(in_service)
    out["accelerators_retired"] = list(retired)
    out["book_value_at_end"] = list(book)
    if not hosted:
        for k in ("replicas", "accelerators", "accelerators_purchased", "busy_accelerator_hours"):
            out[k] = [0] * months
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

    for t in range(months):
        r = FIRST_ROW + t
        row = _formulas(o, a, g, _Row(letters, r, FIRST_ROW, last), t, months, base_sheet)
        row["date"] = dates[t]
        for j, k in enumerate(keys, start=1):
            cell = ws.cell(row=r, column=j, value=row[k])
            if cache is not None and values is not None and k in values and isinstance(row[k], str):
                cache[(ws.title, cell.coordinate)] = values[k][t]
            if k.endswith("_cost") or k.startswith("cumulative_cost") or k == "book_value_at_end":
                cell.number_format = MONEY_FORMAT
            elif k in ("queries", "queries_discounted"):
                cell.number_format = COUNT_FORMAT
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
            "energy_kwh": f"=SUM({rng('energy_facility_kwh')})+{inputs(o.id, 'fine_tuning_kwh')}",
            "wh_per_query": "=" + per_q.format(f"{me('energy_kwh')}*1000"),
            "emissions_kg": f"=SUM({rng('emissions_kg')})",
            "emissions_operational_kg": f"=SUM({rng('emissions_operational_kg')})",
            "emissions_embodied_kg": f"=SUM({rng('emissions_embodied_kg')})",
            "g_per_query": "=" + per_q.format(f"{me('emissions_kg')}*1000"),
            "accelerators_peak": f"=MAX({rng('accelerators')})",
            "accelerators_initial": f"={sh}!${letters['accelerators']}${first}",
            "accelerators_purchased": f"=SUM({rng('accelerators_purchased')})",
            "capex_cost": f"=SUM({rng('capex_cost')})",
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


def _scenario_sheet(ws: Worksheet, rc: c.ReportContent) -> None:
    from tco.presentation.reports.markdown import scenario_lines

    ws["A1"] = rc.title
    ws["A1"].font = TITLE
    r = 3
    if rc.answer:
        ws.cell(row=r, column=1, value="The answer").font = BOLD
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
                "Summary: totals and per-query figures as formulas over the projections.",
                "Sources: every assumption in display units with its source.",
                "Yearly, Analysis <name>: static values from slm-tco (not formulas).",
                "Every formula cell also holds its value, for readers that do not recalculate.",
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
    baseline = rc.scenario["baseline"]
    for o in options:
        values = _projection_values(o, results, rc, baseline) if cache is not None else None
        letters = _projection_sheet(
            wb.create_sheet(sheets[o.id]), o, inputs, rc, dates, base_sheet, values, cache
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
_SHEET_REL = re.compile(r'<sheet [^>]*name="([^"]*)"[^>]*r:id="([^"]*)"')
_REL = re.compile(
    r'<Relationship [^>]*Id="([^"]*)"[^>]*Target="([^"]*)"|<Relationship [^>]*Target="([^"]*)"[^>]*Id="([^"]*)"'
)


def _cell_xml(coord: str, attrs: str, formula: str, value: Any) -> str:
    attrs = re.sub(r' t="[^"]*"', "", attrs)
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
