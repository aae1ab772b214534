"""The Assumptions sheet: one row per engine input per option (option, parameter, value, unit, source), in the
engine's units (kWh, kW, kgCO2e, months, money in the reporting currency), plus the workload, the discount
rate and the engine's constants under option `(all)`. Every formula of the workbook reads these cells."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from openpyxl import Workbook

from tco.engine.finance import DISCOUNT_OFFSETS
from tco.engine.formulas import SECONDS_PER_DAY
from tco.engine.inputs import DAYS_PER_MONTH, HOURS_PER_DAY, HOURS_PER_MONTH, OptionInputs
from tco.presentation.reports import content as c
from tco.presentation.reports.xlsx.impacts import API_FIELDS as IMPACT_API
from tco.presentation.reports.xlsx.impacts import COMMON_FIELDS as IMPACT_COMMON
from tco.presentation.reports.xlsx.impacts import IMPACT_FIELDS
from tco.presentation.reports.xlsx.impacts import SCALE as IMPACT_SCALE
from tco.presentation.reports.xlsx.layout import FIRST_ROW, INPUT_FILL, TITLE, Inputs, header_row

if TYPE_CHECKING:
    from tco.analysis.workbook import WorkbookValues

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
    **IMPACT_FIELDS,
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
    *IMPACT_COMMON,
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
    "api": [*_COMMON, "api_cost_per_query", "api_embodied_kg_per_query", "api_price_trend", *IMPACT_API],
}
SPOT_FIELDS = ["spot_discount", "spot_overprovisioning"]


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


def assumptions_sheet(
    wb: Workbook, rc: c.ReportContent, options: list[OptionInputs], values: WorkbookValues
) -> Inputs:
    """The Assumptions sheet: every engine input the formulas read, in the engine's units, with its source;
    returns where each input lives."""
    ws = wb.create_sheet("Assumptions")
    ws["A1"] = "Assumptions: the engine's inputs, in the engine's units"
    ws["A1"].font = TITLE
    ws["A2"] = (
        "Edit the values in column C (shaded): the projection sheets and the Summary are formulas of "
        "these cells. Display units and full sources: sheet Sources."
    )
    header_row(ws, FIRST_ROW - 1, ["option", "parameter", "value", "unit", "source"])
    cur = rc.currency
    w = rc.view.results.resolved.workload
    fin = rc.view.results.resolved.finance
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
            for hour, v in enumerate(values.day_shape)
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
            v = _scalar(getattr(o, name)) * IMPACT_SCALE.get(name, 1.0)
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
    return Inputs(refs)
