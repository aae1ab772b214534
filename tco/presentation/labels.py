"""Names people read for the engine's columns: one table shared by the app, the charts and every report.

A column the table does not know shows under its raw name, and the browser and report tests fail on any
raw `snake_case` header (`is_raw_name`): a new engine column gets its words here, in one place.

    >>> header("tco_cost", "USD")
    'Total cost of ownership (USD)'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from tco.engine.components import COMPONENTS, accounting_view
from tco.scenario.names import option_name  # an option's name from its current model, hardware and region

# Accounting view of yearly costs, in stacking order, in words: derived from the engine's declared cost
# components (tco.engine.components): depreciation stands for capex and residual value, interest or lease
# payments for the financing cash flows, the loss (gain: negative) against book value for the end-of-horizon
# credit, and every operating component is shown as paid.
COST_LABELS: dict[str, str] = {line.column: line.label for line in accounting_view()}

# Every column of Results.summary, Results.per_period, Results.yearly(), the region view and the analysis
# tables that people may see, in words (the unit is added by `header`).
LABELS: dict[str, str] = {
    # identity
    "option": "Option",
    "name": "Name",
    "deployment": "Deployment",
    "model": "Model",
    "hardware": "Hardware",
    "region": "Region",
    "region_name": "Region name",
    "profile_method": "Profile method",
    "batch_size": "Batch size",
    "price_tier": "Price tier",
    "provisioned_kw": "Provisioned power (peak fleet x (TDP + host) x PUE)",
    "average_draw_kw": "Average power draw",
    "power_budget_kw": "Site power budget",
    "within_power_budget": "Within the power budget",
    "tokens_per_s_per_provisioned_mw": "Output tokens per second per provisioned MW",
    "accelerators_per_replica": "Accelerators per replica",
    "is_baseline": "Baseline",
    "current": "Current region",
    # time
    "month": "Month",
    "date": "Month",
    "year": "Year",
    # totals and per-query figures
    "tco_cost": "Total cost of ownership",
    "npv_cost": "Net present cost",
    "queries": "Queries",
    "queries_discounted": "Queries (discounted)",
    "cost_per_1k_queries": "Cost per 1,000 queries",
    "levelised_cost_per_1k_queries": "Levelised cost per 1,000 queries",
    "cost_per_correct_1k": "Cost per 1,000 correct answers",
    "energy_kwh": "Energy",
    "wh_per_query": "Energy per query",
    "emissions_kg": "Emissions",
    "emissions_operational_kg": "Emissions, operational",
    "emissions_operational_location_kg": "Emissions, operational (location-based)",
    "emissions_embodied_kg": "Emissions, embodied",
    "emissions_fine_tuning_kg": "Emissions, fine-tuning",
    "g_per_query": "Emissions per query",
    "g_per_correct": "Emissions per correct answer",
    "tokens_out": "Answer length (tokens out)",
    "water_l": "Water",
    "ml_water_per_query": "Water per query",
    "adpe_kgsbeq": "Abiotic depletion (ADPe)",
    "mg_sb_per_query": "Abiotic depletion (ADPe) per query",
    "pe_mj": "Primary energy (PE)",
    "kj_pe_per_query": "Primary energy (PE) per query",
    "accelerators": "Accelerators",
    "accelerators_peak": "Accelerators at peak",
    "accelerators_initial": "Accelerators at start",
    "accelerators_purchased": "Accelerators bought",
    "replicas": "Replicas",
    "busy_accelerator_hours": "Busy accelerator-hours",
    "capacity_shortfall": "Fleet too small",
    "quality": "Quality",
    "quality_metric": "Quality metric",
    "meets_quality_floor": "Meets quality floor",
    "quality_floor": "Quality floor",
    "plan": "Plan",
    "plan_role": "Role",
    "task": "Task",
    "served_by": "Served by",
    "meets_limits": "Meets every floor and SLO",
    "replicas_at_peak": "Replicas at peak",
    "npv_carbon_cost": "Carbon price paid, net present",
    "npv_cost_without_carbon": "Net present cost without the carbon price",
    "npv_cost_with_carbon": "Net present cost with the carbon price",
    "latency_p95_s": "Latency p95",
    "slo_met": "Meets latency SLO",
    "break_even_month": "Break-even month vs baseline",
    "payback_month": "Payback month vs baseline (discounted)",
    "cost_ratio_to_baseline": "Cost vs baseline",
    "emissions_ratio_to_baseline": "Emissions vs baseline",
    "g_per_query_ratio_to_baseline": "Emissions per query vs baseline",
    "levelised_cost_ratio_to_baseline": "Levelised cost vs baseline",
    # monthly energy and emissions
    "energy_accelerator_kwh": "Energy, accelerators busy",
    "energy_idle_kwh": "Energy, accelerators idle",
    "energy_host_kwh": "Energy, host servers",
    "energy_it_kwh": "Energy, IT",
    "energy_facility_kwh": "Energy, facility",
    "grid_intensity_kg_per_kwh": "Grid intensity",
    "grid_intensity_g_per_kwh": "Grid intensity",
    "electricity_price": "Electricity price",
    "carbon_price": "Carbon price",
    "queries_per_day": "Queries per day",
    "cumulative_emissions_kg": "Cumulative emissions",
    # load model, finance and the hour-by-hour view
    "queries_unserved": "Queries not served",
    "queries_demand": "Queries asked",
    "accelerator_hours": "Accelerator-hours on",
    "peak_replica_load": "Load per replica at peak",
    "latency_p95_peak_s": "Latency p95 at peak",
    "energy_fine_tuning_kwh": "Energy, fine-tuning",
    "tax_saving": "Tax saving",
    "tco_after_tax_cost": "Total cost of ownership after tax",
    "npv_after_tax_cost": "Net present cost after tax",
    "total_cost_after_tax": "Total after tax",
    "total_cost_after_tax_discounted": "Total after tax (discounted)",
    "hour": "Hour",
    "queries_per_hour": "Queries in the hour",
    "replicas_serving": "Replicas serving",
    "replicas_standby": "Replicas on standby",
    "replica_load": "Load per replica",
    "power_per_replica_w": "Power per replica",
    "load_pct": "Load",
    "queries_per_second": "Queries per second",
    "cost_per_1m_tokens": "Cost per million output tokens",
    # money: every cost component of the cash view and every line of the accounting view
    **{c.column: c.label for c in COMPONENTS},
    **COST_LABELS,
    "total_cost": "Total (cash view)",
    "accounting_total_cost": "Total (accounting view)",
    "total_cost_discounted": "Total, discounted",
    "cumulative_cost": "Cumulative cost",
    "discount_factor": "Discount factor",
    # analysis tables (tco.analysis): ranking, tornado, Monte Carlo, win probabilities, break-even
    "rank": "Rank",
    "eligible": "Eligible",
    "why_not": "Why not eligible",
    "best": "Best at",
    "vs_baseline_pct": "TCO vs baseline",
    "vs_baseline_x": "TCO vs baseline",
    "tco_vs_baseline_pct": "TCO vs baseline",
    "emissions_vs_baseline_pct": "Emissions vs baseline",
    "procurement": "Procurement",
    "input": "Input (field name)",
    "label": "Input",
    "kind": "Range",
    "low_input": "Low value",
    "high_input": "High value",
    "tco_cost_base": "TCO at the scenario's value",
    "tco_cost_low": "TCO at the low value",
    "tco_cost_high": "TCO at the high value",
    "tco_cost_swing": "TCO swing",
    "npv_cost_base": "Net present cost at the scenario's value",
    "npv_cost_low": "Net present cost at the low value",
    "npv_cost_high": "Net present cost at the high value",
    "npv_cost_swing": "Net present cost swing",
    "emissions_kg_base": "Emissions at the scenario's value",
    "emissions_kg_low": "Emissions at the low value",
    "emissions_kg_high": "Emissions at the high value",
    "emissions_kg_swing": "Emissions swing",
    "rank_tco": "Rank by TCO swing",
    "rank_npv": "Rank by net present cost swing",
    "rank_emissions": "Rank by emissions swing",
    "metric": "Measure",
    "mean": "Mean",
    "p10": "P10",
    "p50": "P50 (median)",
    "p90": "P90",
    "option_a": "Option A",
    "option_b": "Option B",
    "p_a_cheaper": "Probability A is cheaper",
    "p_a_lower_emissions": "Probability A emits less",
    "break_even": "Break-even",
    "better_below": "Better below",
    "better_above": "Better above",
    # assumptions
    "parameter": "Parameter",
    "value": "Value",
    "unit": "Unit",
    "source": "Source",
    # a plan's bill of materials (tco.presentation.plan.bom_table)
    "gpu_type": "GPU type",
    "fleet": "Fleet",
    "pay": "Paid as",
    "gpus": "GPUs",
    "servers": "Servers",
    "kw_provisioned": "Power provisioned",
    "bought_or_rented": "Bought or rented",
}

# Units people read in headers, where the engine's unit string is terse.
UNIT_WORDS: dict[str, str] = {
    "x": "",  # ratios read as ×0.52
    "query": "queries",
    "accelerator": "accelerators",
    "replica": "replicas",
    "month": "months from start",
}

_RAW = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def label(column: str) -> str:
    """Words for a column; its raw name when the table does not know it (the tests catch those)."""
    return LABELS.get(str(column), str(column))


def unit_words(unit: str) -> str:
    return UNIT_WORDS.get(unit, unit)


def header(column: str, unit: str = "") -> str:
    """A column header in words with its unit: `Total cost of ownership (USD)`; bare when dimensionless."""
    text = label(column)
    u = unit_words(unit)
    if column in ("month", "break_even_month", "payback_month") and unit == "month":
        return text
    if u.lower() == text.lower():  # `Queries`, not `Queries (queries)`
        return text
    return f"{text} ({u})" if u else text


def headers(columns: Iterable[str], units: Mapping[str, str]) -> dict[str, str]:
    """Column -> header for a frame's columns, units from `units`."""
    return {str(c): header(str(c), units.get(str(c), "")) for c in columns}


def title(name: str) -> str:
    """A table's name for a section heading: `monte_carlo` -> `Monte carlo`."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def is_raw_name(text: str) -> bool:
    """True for a raw field name such as `tco_cost` or `g_per_query` (snake_case), which people should not read."""
    return bool(_RAW.match(str(text).strip()))


__all__ = [
    "COST_LABELS",
    "LABELS",
    "header",
    "headers",
    "is_raw_name",
    "label",
    "option_name",
    "title",
    "unit_words",
]
