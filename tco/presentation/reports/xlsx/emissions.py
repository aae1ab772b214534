"""Emissions block of a projection month: grid intensity with decarbonisation, operational emissions
(location-based, then less the renewable share), embodied emissions (owned units over their lifetime, rented
accelerator-months, or per API query) and the fine-tuning job's."""

from __future__ import annotations

from typing import Any

from tco.presentation.reports.xlsx.layout import Month


def emissions_cells(m: Month) -> dict[str, Any]:
    a, g, x = m.a, m.g, m.x
    dep = m.option.deployment
    f: dict[str, Any] = {
        "grid_intensity_kg_per_kwh": f"={a('grid_intensity_kg_per_kwh')}*(1-{a('grid_decarbonisation')})^({m.m}/12)"
    }
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
    f["emissions_fine_tuning_kg"] = f"=IF({m.m}=0,{a('fine_tuning_kg')},0)"
    f["emissions_kg"] = (
        f"={x['emissions_operational_kg']}+{x['emissions_embodied_kg']}+{x['emissions_fine_tuning_kg']}"
    )
    return f
