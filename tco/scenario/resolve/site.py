"""Step: the site an option runs at: its site fields (PUE, lifetime, ...) and its region's grid and price.

Only the fields a deployment uses are recorded in the assumptions; a field the user set explicitly (on the
option or in `defaults`) that the deployment does not use is recorded as not applied, with the reason.
"""

from __future__ import annotations

from typing import Any

from tco.scenario.resolve.context import Context, site_value
from tco.scenario.schema import Option, Region
from tco.scenario.units import PLACEHOLDER_CURRENCY, Money, convert

# Site fields, with the unit recorded in the assumptions.
SITE_FIELDS = {
    "pue": "",
    "utilisation": "",
    "lifetime": "month",
    "residual_value": "",
    "maintenance": "/year",
    "electricity_escalation": "/year",
    "grid_decarbonisation": "/year",
    "renewable_share": "",
    "wue": "L/kWh",
    "min_replicas": "replicas",
    "embodied": "",
    "pricing": "",
}
# Site fields that are money: the unit recorded after the currency, and the engine input each one sets
# (`money_inputs`), in the reporting currency. A field without a built-in default that is not set is 0.
MONEY_SITE_FIELDS: dict[str, tuple[str, str]] = {
    "colocation": ("/kW/month", "colocation_per_kw_month"),
    "other_opex": ("/month", "other_opex_per_month"),
}

# Fields a deployment does not use, and why (said in the assumptions when a user sets one).
NOT_APPLIED: dict[str, dict[str, str]] = {
    "on-prem": {
        "pricing": "on-prem hardware is bought, not rented",
        "cloud_price": "on-prem hardware is bought, not rented",
        "cloud_tier": "on-prem hardware is bought (the purchase tier), not rented",
    },
    "cloud": {
        "residual_value": "rented capacity has no resale value",
        "maintenance": "included in the rental price",
        "colocation": "included in the rental price",
        "electricity_price": "electricity is included in the rental price",
        "electricity_escalation": "electricity is included in the rental price",
        "hardware_price": "cloud capacity is rented, not bought",
    },
    "api": {
        "utilisation": "an API is priced per token: no fleet to size",
        "min_replicas": "an API is priced per token: no fleet to size",
        "pricing": "an API is priced per token",
        "residual_value": "an API is priced per token: nothing is bought",
        "maintenance": "an API is priced per token: nothing is bought",
        "colocation": "an API is priced per token: nothing is hosted",
        "electricity_price": "the provider pays the electricity; it is in the token price",
        "electricity_escalation": "the provider pays the electricity; it is in the token price",
        "hardware_price": "an API is priced per token: nothing is bought",
        "cloud_price": "an API is priced per token: nothing is rented",
        "cloud_tier": "an API is priced per token: nothing is rented",
        "power_budget": "an API runs in its provider's datacentre, not on a site of yours",
        "lifetime": "the provider's hardware lifetime comes from the API energy method",
        "embodied": "the embodied share per query comes from the API energy method",
    },
}


def applies(deployment: str, name: str) -> bool:
    """Whether a site field changes anything for a deployment."""
    return name not in NOT_APPLIED[deployment]


def site_fields(ctx: Context, opt: Option, i: int, *, needed: tuple[str, ...] = ()) -> dict[str, Any]:
    """Site fields the deployment uses (money in the reporting currency), recorded; `needed` adds fields the
    option uses although its deployment usually does not (an API option's fine-tuning job: lifetime,
    embodied)."""
    out: dict[str, Any] = {}
    dep = opt.deployment
    for name, unit in SITE_FIELDS.items():
        v, src, yr = site_value(ctx, opt, name)
        out[name] = v
        if dep == "api" and name == "pue":
            continue  # recorded by the API step: the option's own, else the offering's
        if applies(dep, name) or name in needed:
            ctx.rec.add(opt.id, name.replace("_", " "), v, unit, src, yr)
    for name, (unit, _) in MONEY_SITE_FIELDS.items():
        if not (applies(dep, name) or name in needed):
            out[name] = 0.0
            continue
        m, src, yr = site_value(ctx, opt, name)
        if m is None:
            m, src = Money(0.0, ctx.cur, f"USD{unit}"), "not set: none"
        out[name] = ctx.money(m, f"options[{i}].{name}")
        ctx.rec.add(opt.id, name.replace("_", " "), out[name], f"{ctx.cur}{unit}", src, yr)
    _not_applied(ctx, opt, needed)
    return out


def as_written(name: str, value: Any) -> tuple[Any, str]:
    """(value, unit) of a site field as the user gave it, for the assumptions: money in its own currency
    ("200", "EUR/kW/month"), a quantity in its field's unit, a choice as its word."""
    if isinstance(value, Money):
        return value.value, value.unit.replace(PLACEHOLDER_CURRENCY, value.currency)
    if isinstance(value, bool | str):
        return value, ""
    return value, SITE_FIELDS.get(name, "")


def money_inputs(site: dict[str, Any]) -> dict[str, Any]:
    """The engine inputs (`OptionInputs` fields) of the money site fields `site_fields` resolved."""
    return {engine: site[name] for name, (_, engine) in MONEY_SITE_FIELDS.items()}


def _not_applied(ctx: Context, opt: Option, needed: tuple[str, ...]) -> None:
    """Record each field the user set that this option does not use, with the reason."""
    dep = opt.deployment
    for name, why in NOT_APPLIED[dep].items():
        if name in needed:
            continue
        own = getattr(opt, name)
        shared = getattr(ctx.s.defaults, name)
        if own is not None:
            value, unit = as_written(name, own)
            ctx.rec.add(
                opt.id,
                f"{name.replace('_', ' ')}: not applied",
                value,
                unit,
                f"scenario option {opt.id}; {why}",
                None,
            )
        elif shared is not None and dep != "api":
            value, unit = as_written(name, shared)
            ctx.rec.add(
                opt.id,
                f"{name.replace('_', ' ')}: not applied",
                value,
                unit,
                f"scenario defaults; {why}",
                None,
            )
    if dep == "api":
        ignored = [n for n in type(ctx.s.defaults).model_fields if getattr(ctx.s.defaults, n) is not None]
        if ignored:
            ctx.rec.add(
                opt.id,
                "scenario defaults: not applied",
                ", ".join(ignored),
                "",
                "an API option runs in its provider's datacentre, not at your site: set a field on the "
                "option itself to change it",
                None,
            )


def grid_intensity(ctx: Context, opt: Option, region: Region) -> float:
    """Grid intensity in kgCO2e/kWh (the option's, else the region's), recorded."""
    gi, src, yr = site_value(ctx, opt, "grid_intensity")
    if gi is None:
        gi, src, yr = region.grid.intensity, region.grid.source, region.grid.year
    ctx.rec.add(opt.id, "grid intensity", gi, "gCO2e/kWh", f"{region.name}: {src}", yr)
    return convert(float(gi), "gCO2e/kWh", "kgCO2e/kWh")


def electricity_price(ctx: Context, opt: Option, i: int, region: Region) -> float:
    """Electricity price per kWh in the reporting currency (the option's, else the region's), recorded.
    Only options that pay for electricity (on-prem) ask for it: a currency rate is needed only then."""
    price_m, psrc, pyr = site_value(ctx, opt, "electricity_price")
    if price_m is None:
        price_m, psrc, pyr = region.electricity.price, region.electricity.source, region.electricity.year
    price = ctx.money(price_m, f"options[{i}].electricity_price")
    ctx.rec.add(opt.id, "electricity price", price, f"{ctx.cur}/kWh", f"{region.name}: {psrc}", pyr)
    return price
