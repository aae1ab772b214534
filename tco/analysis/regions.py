"""The region view: one option evaluated in every region, everything else unchanged.

Each region brings its own grid intensity and electricity price (the option's overrides of those are dropped,
and scenario-wide `defaults` overrides are replaced by the region's values), written into the scenario with
`tco.scenario.edit` and evaluated like any scenario, so every row is what `tco report` says of that edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from tco.analysis.evaluate import evaluate
from tco.engine.constants import G_PER_KG
from tco.errors import InputError, TcoError
from tco.scenario.edit import number_text, option_entry, set_option_region
from tco.scenario.load import LoadedScenario, scenario_from_dict

REGION_COLUMNS = [
    "region",
    "region_name",
    "grid_intensity_g_per_kwh",
    "electricity_price",
    "tco_cost",
    "npv_cost",
    "levelised_cost_per_1k_queries",
    "g_per_query",
    "emissions_kg",
    "current",
]


def _region_of(loaded: LoadedScenario, option_id: str) -> tuple[str, str]:
    """The region an option is evaluated in now, and its deployment."""
    spec = next((o for o in loaded.spec.options if o.id == option_id), None)
    if spec is None:
        raise InputError(f"no option {option_id!r}", field="options")
    inputs = next(o for o in loaded.resolved.options if o.id == option_id)
    return str(inputs.extra.get("region")), spec.deployment


def region_sweep(
    loaded: LoadedScenario, option_id: str, regions: Iterable[str] | None = None
) -> pd.DataFrame:
    """The same option evaluated in every region (or the given ones), everything else unchanged.

    One row per region, columns REGION_COLUMNS; attrs["units"] names the units, attrs["option"] the option and
    attrs["deployment"] its deployment. Regions the option cannot be evaluated in (for instance a missing
    exchange rate) are left out and listed in attrs["skipped"] with the reason.
    """
    current, deployment = _region_of(loaded, option_id)
    ids = list(regions) if regions is not None else sorted(loaded.repo.regions)
    rows = []
    skipped: dict[str, str] = {}
    units: dict[str, str] = {}
    found = loaded.raw.get("defaults")
    defaults: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    for rid in ids:
        raw = set_option_region(loaded.raw, option_id, rid)
        region = loaded.repo.regions.get(rid)
        if region is None:
            skipped[rid] = "unknown region"
            continue
        opt = option_entry(raw, option_id)
        if defaults and "grid_intensity" in defaults:
            opt["grid_intensity"] = f"{number_text(region.grid.intensity)} gCO2e/kWh"
        if defaults and "electricity_price" in defaults:
            p = region.electricity.price
            opt["electricity_price"] = f"{number_text(p.value)} {p.currency}/kWh"
        try:
            res = evaluate(
                scenario_from_dict(raw, file=loaded.file, repo=loaded.repo, base_dir=loaded.base_dir)
            )
        except TcoError as e:
            skipped[rid] = str(e)
            continue
        row: dict[Any, Any] = res.summary.loc[option_id].to_dict()
        inputs = {o.id: o for o in res.resolved.options}[option_id]
        units = res.units
        rows.append(
            {
                "region": rid,
                "region_name": region.name,
                "grid_intensity_g_per_kwh": float(inputs.grid_intensity_kg_per_kwh) * G_PER_KG,
                "electricity_price": float(inputs.electricity_price),
                "tco_cost": float(row["tco_cost"]),
                "npv_cost": float(row["npv_cost"]),
                "levelised_cost_per_1k_queries": float(row["levelised_cost_per_1k_queries"]),
                "g_per_query": float(row["g_per_query"]),
                "emissions_kg": float(row["emissions_kg"]),
                "current": rid == current,
            }
        )
    out = pd.DataFrame(rows, columns=REGION_COLUMNS)
    out.attrs = {
        "units": {**units, "grid_intensity_g_per_kwh": "gCO2e/kWh"},
        "option": option_id,
        "deployment": deployment,
        "skipped": skipped,
    }
    return out
