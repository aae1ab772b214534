"""Impacts block of a projection month beside CO2e (tco.engine.impacts): water, abiotic depletion (ADPe)
and primary energy (PE), each a formula of the month's energy, its queries and the Assumptions sheet."""

from __future__ import annotations

from typing import Any

from tco.presentation.reports.xlsx.layout import Month

# Engine inputs the block reads -> (unit, assumption parameter), added to the Assumptions sheet's fields.
IMPACT_FIELDS: dict[str, tuple[str, str]] = {
    "wue_l_per_kwh": ("L/kWh (IT)", "wue"),
    "grid_water_l_per_kwh": ("L/kWh", "grid water (off-site)"),
    "grid_adpe_kg_per_kwh": ("kgSbeq/kWh", "grid ADPe"),
    "grid_pe_mj_per_kwh": ("MJ/kWh", "grid PE"),
    "api_embodied_adpe_kg_per_query": ("mgSbeq/query", "API ADPe per query"),
    "api_embodied_pe_mj_per_query": ("MJ/query", "API PE per query"),
}
# Inputs written in a smaller unit than the engine's (x scale), so that a spreadsheet keeps their digits
# (around 1e-11 kgSbeq per query some evaluators round away); the formula divides again.
SCALE: dict[str, float] = {"api_embodied_adpe_kg_per_query": 1e6}
COMMON_FIELDS = ["wue_l_per_kwh", "grid_water_l_per_kwh", "grid_adpe_kg_per_kwh", "grid_pe_mj_per_kwh"]
API_FIELDS = ["api_embodied_adpe_kg_per_query", "api_embodied_pe_mj_per_query"]
COLUMNS: dict[str, str] = {"water_l": "L", "adpe_kgsbeq": "kgSbeq", "pe_mj": "MJ"}


def impact_cells(m: Month) -> dict[str, Any]:
    a, x = m.a, m.x
    it = f"({x['energy_it_kwh']}+{x['energy_fine_tuning_kwh']}/{a('pue')})"
    f: dict[str, Any] = {
        "water_l": f"={it}*{a('wue_l_per_kwh')}+{x['energy_kwh']}*{a('grid_water_l_per_kwh')}",
        "adpe_kgsbeq": f"={x['energy_kwh']}*{a('grid_adpe_kg_per_kwh')}",
        "pe_mj": f"={x['energy_kwh']}*{a('grid_pe_mj_per_kwh')}",
    }
    if m.option.deployment == "api":
        f["adpe_kgsbeq"] += f"+{x['queries']}*{a('api_embodied_adpe_kg_per_query')}/1000000"
        f["pe_mj"] += f"+{x['queries']}*{a('api_embodied_pe_mj_per_query')}"
    return f
