"""The factors of the impacts beside CO2e (tco.engine.impacts): on-site WUE and the grid's water, ADPe and
PE per kWh, each recorded with its source."""

from __future__ import annotations

from typing import Any

from tco.scenario.resolve.context import Context
from tco.scenario.schema import Option, Region

NOT_GIVEN = "not given: profiles/methods/electricity-impacts.yaml is missing, counted as 0"


def grid_impacts(ctx: Context, opt: Option, where: Region) -> dict[str, float]:
    """Engine inputs `grid_water_l_per_kwh`, `grid_adpe_kg_per_kwh`, `grid_pe_mj_per_kwh` of the region's
    country (the world average where the table lacks it), recorded."""
    table = ctx.repo.electricity_impacts
    if table is None:
        for name, unit in (("grid water", "L/kWh"), ("grid ADPe", "kgSbeq/kWh"), ("grid PE", "MJ/kWh")):
            ctx.rec.add(opt.id, name, 0.0, unit, NOT_GIVEN, None)
        return {"grid_water_l_per_kwh": 0.0, "grid_adpe_kg_per_kwh": 0.0, "grid_pe_mj_per_kwh": 0.0}
    g, which = table.for_country(where.country)
    src = f"{where.name}, country {which}: {table.source}"
    if g.world_default:
        src += f" (source's world default for {', '.join(g.world_default)})"
    ctx.rec.add(opt.id, "grid water (off-site)", g.water, "L/kWh", src, table.year)
    ctx.rec.add(opt.id, "grid ADPe", g.adpe, "kgSbeq/kWh", src, table.year)
    ctx.rec.add(opt.id, "grid PE", g.pe, "MJ/kWh", src, table.year)
    return {"grid_water_l_per_kwh": g.water, "grid_adpe_kg_per_kwh": g.adpe, "grid_pe_mj_per_kwh": g.pe}


def impact_inputs(ctx: Context, opt: Option, where: Region, site: dict[str, Any]) -> dict[str, Any]:
    """All impact factors of a hosted option: the site's WUE (a site field, recorded by `site_fields`) and
    the grid's factors."""
    return {"wue_l_per_kwh": float(site["wue"]), **grid_impacts(ctx, opt, where)}
