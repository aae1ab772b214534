"""Demand block of a projection month: the month's index, year, growth factor, queries asked for and the peak
load of the representative day (queries per second in its busiest hour)."""

from __future__ import annotations

from typing import Any

from tco.presentation.reports.xlsx.layout import Month


def demand_cells(m: Month) -> dict[str, Any]:
    g, x = m.g, m.x  # the demand is the scenario's, the same for every option
    return {
        "month": m.t,
        "date": None,  # filled by the projection sheet
        "year": f"=INT({m.m}/12)+1",
        "growth_factor": f"=(1+{g('annual_growth')})^({m.m}/12)",
        "queries_demand": f"={g('queries_per_day')}*{g('days_per_month')}*{x['growth_factor']}",
        "peak_qps": (
            f"={g('queries_per_day')}*{x['growth_factor']}/{g('seconds_per_day')}*MAX({g('hourly_load_00')}:"
            f"{g('hourly_load_23').split('!')[1]})"
        ),
    }
