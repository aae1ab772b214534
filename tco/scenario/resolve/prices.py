"""Step: what a hosted option pays for its accelerators: a purchase price (on-prem) or an hourly rent (cloud)."""

from __future__ import annotations

from tco.scenario.resolve.context import Context, site_value
from tco.scenario.schema import Hardware, Option


def purchase_price(ctx: Context, opt: Option, i: int, hw: Hardware) -> float:
    """Price of one accelerator plus its share of the host server, reporting currency, recorded."""
    rec = ctx.rec
    quote, qsrc, _ = site_value(ctx, opt, "hardware_price")
    if quote is not None:
        unit_price = ctx.money(quote, f"options[{i}].hardware_price")
        src, year = qsrc, None
    elif hw.price is not None:
        unit_price = ctx.money(hw.price.purchase, f"hardware {hw.id}.price.purchase")
        src, year = hw.price.source, hw.price.year
    else:
        raise ctx.error(
            f"options[{i}].hardware_price",
            f"missing: hardware {hw.id!r} has no sourced purchase price; give a quote such as '2500 USD' "
            "or use deployment: cloud",
        )
    rec.add(opt.id, "accelerator price", unit_price, ctx.cur, src, year)
    if hw.server.price is not None:
        host = ctx.money(hw.server.price, f"hardware {hw.id}.server.price") / hw.server.accelerators
        unit_price += host
        rec.add(opt.id, "host price share", host, f"{ctx.cur}/accelerator", hw.server.source, hw.server.year)
    return unit_price


def cloud_price(ctx: Context, opt: Option, i: int, hw: Hardware, pricing: str) -> float:
    """Rent per accelerator-hour (on-demand or committed), reporting currency, recorded."""
    quote, qsrc, _ = site_value(ctx, opt, "cloud_price")
    if quote is not None:
        price = ctx.money(quote, f"options[{i}].cloud_price")
        src, year = qsrc, None
    else:
        if hw.cloud is None:
            raise ctx.error(
                f"options[{i}].cloud_price",
                f"missing: hardware {hw.id!r} has no sourced cloud price; give one such as '2.5 USD/h' "
                "or use deployment: on-prem",
            )
        m = hw.cloud.committed if pricing == "committed" else hw.cloud.on_demand
        if m is None:
            raise ctx.error(
                f"options[{i}].pricing", f"hardware {hw.id!r} has no committed price, use on-demand"
            )
        price = ctx.money(m, f"hardware {hw.id}.cloud")
        src, year = hw.cloud.source, hw.cloud.year
    label = (
        "cloud price (on-demand, before the spot discount)"
        if pricing == "spot"
        else f"cloud price ({pricing})"
    )
    ctx.rec.add(opt.id, label, price, f"{ctx.cur}/accelerator-hour", src, year)
    return price


def on_demand_price(ctx: Context, opt: Option, hw: Hardware) -> float:
    """On-demand rent for accelerators above a commitment, recorded; NaN (the same price) for a quote."""
    quote, _, _ = site_value(ctx, opt, "cloud_price")
    if quote is not None or hw.cloud is None:
        return float("nan")
    price = ctx.money(hw.cloud.on_demand, f"hardware {hw.id}.cloud.on_demand")
    ctx.rec.add(
        opt.id,
        "cloud price above the commitment (on-demand)",
        price,
        f"{ctx.cur}/accelerator-hour",
        hw.cloud.source,
        hw.cloud.year,
    )
    return price
