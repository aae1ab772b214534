"""Step: the site an option runs at: its site fields (PUE, lifetime, ...) and its region's grid and price."""

from __future__ import annotations

from typing import Any

from tco.scenario.resolve.context import Context, site_value
from tco.scenario.schema import Option, Region

# Site fields every deployment reads, with the unit recorded in the assumptions.
SITE_FIELDS = {
    "pue": "",
    "utilisation": "",
    "lifetime": "month",
    "residual_value": "",
    "maintenance": "/year",
    "electricity_escalation": "/year",
    "grid_decarbonisation": "/year",
    "renewable_share": "",
    "min_replicas": "replicas",
    "embodied": "",
    "pricing": "",
}
MONEY_SITE_FIELDS = {"colocation": "/kW/month", "other_opex": "/month"}


def site_fields(ctx: Context, opt: Option, i: int) -> dict[str, Any]:
    """Site fields every deployment uses (money in the reporting currency), recorded."""
    out: dict[str, Any] = {}
    for name, unit in SITE_FIELDS.items():
        v, src, yr = site_value(ctx, opt, name)
        out[name] = v
        ctx.rec.add(opt.id, name.replace("_", " "), v, unit, src, yr)
    for name, unit in MONEY_SITE_FIELDS.items():
        m, src, yr = site_value(ctx, opt, name)
        out[name] = ctx.money(m, f"options[{i}].{name}")
        ctx.rec.add(opt.id, name.replace("_", " "), out[name], f"{ctx.cur}{unit}", src, yr)
    return out


def grid_and_price(ctx: Context, opt: Option, i: int, region: Region) -> tuple[float, float]:
    """(grid intensity in kgCO2e/kWh, electricity price per kWh in the reporting currency), recorded."""
    rec = ctx.rec
    gi, src, yr = site_value(ctx, opt, "grid_intensity")
    if gi is None:
        gi, src, yr = region.grid.intensity, region.grid.source, region.grid.year
    rec.add(opt.id, "grid intensity", gi, "gCO2e/kWh", f"{region.name}: {src}", yr)
    price_m, psrc, pyr = site_value(ctx, opt, "electricity_price")
    if price_m is None:
        price_m, psrc, pyr = region.electricity.price, region.electricity.source, region.electricity.year
    price = ctx.money(price_m, f"options[{i}].electricity_price")
    rec.add(opt.id, "electricity price", price, f"{ctx.cur}/kWh", f"{region.name}: {psrc}", pyr)
    return gi / 1000.0, price
