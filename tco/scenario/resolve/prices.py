"""Step: what a hosted option pays for its accelerators: a purchase price (on-prem) or an hourly rent (cloud),
taken from one of the hardware's price tiers (README "Price tiers"), recorded with the tier, its date and
whether it is older than the scenario's `stale_price_age`.

Which tier a cloud option rents in follows from `cloud_tier` and `pricing` (`tier_for`); `priced_tiers`
lists every (hardware, tier) pair with a price, for planners that choose among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tco.scenario.resolve.context import Context, site_value
from tco.scenario.schema import (
    HOURLY_TIERS,
    TIER_LABELS,
    TIER_ON_DEMAND,
    TIER_TERM_MONTHS,
    TIERS,
    AnyTier,
    Hardware,
    HourlyTier,
    Option,
)

# The tier a cloud option rents in when nothing names one, and where the default falls back when the
# hardware has no price there (a part only hyperscalers rent out, such as the A10G or the T4).
DEFAULT_FALLBACK = {"gpu-cloud": "hyperscaler"}
# Committed tiers `pricing: committed` looks for, longest term first, by on-demand market.
COMMITTED_OF = {
    "gpu-cloud": ("gpu-cloud-3y", "gpu-cloud-1y"),
    "hyperscaler": ("hyperscaler-3y", "hyperscaler-1y"),
}


def priced_tiers(hardware: Mapping[str, Hardware]) -> list[tuple[str, str]]:
    """Every (hardware id, tier) pair with a price in the reference data, hardware in file order and tiers
    in TIERS order: the menu a planner may choose from (`purchase` for on-prem, the others for cloud)."""
    return [(hw_id, tier) for hw_id, hw in hardware.items() for tier, _ in hw.prices.items()]


def months_between(earlier: str, later: str) -> int:
    """Whole months from YYYY-MM `earlier` to YYYY-MM `later` (negative when `earlier` is later)."""
    y0, m0 = (int(x) for x in earlier.split("-"))
    y1, m1 = (int(x) for x in later.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)


def stale(tier: AnyTier, as_of: str, limit_months: float) -> bool:
    """A price is stale when it is dated more than `limit_months` before `as_of` (YYYY-MM)."""
    return months_between(tier.date, as_of) > limit_months


def _record_freshness(ctx: Context, opt: Option, name: str, tier: AnyTier) -> None:
    """An assumptions row flagging a price older than the scenario's stale_price_age."""
    limit = ctx.s.stale_price_age
    if stale(tier, ctx.s.start, limit):
        age = months_between(tier.date, ctx.s.start)
        ctx.rec.add(
            opt.id,
            f"stale price: {TIER_LABELS[name]}",
            f"price dated {tier.date}, {age} months before the scenario starts ({ctx.s.start})",
            "",
            f"slm-tco freshness check: prices older than stale_price_age ({limit:g} months) are flagged; "
            "GPU prices move by tens of percent a year, check a current quote",
            None,
        )


def _source(tier: AnyTier, name: str) -> str:
    where = f", {tier.region}" if tier.region else ""
    return f"{tier.source} [{name} tier, dated {tier.date}{where}; includes {tier.includes}]"


def purchase_price(ctx: Context, opt: Option, i: int, hw: Hardware) -> float:
    """Price of one accelerator plus its share of the host server, reporting currency, recorded."""
    rec = ctx.rec
    quote, qsrc, _ = site_value(ctx, opt, "hardware_price")
    tier = hw.prices.purchase
    if quote is not None:
        unit_price = ctx.money(quote, f"options[{i}].hardware_price")
        src, year, label = qsrc, None, "accelerator price (quote)"
    elif tier is not None:
        unit_price = ctx.money(tier.price, f"hardware {hw.id}.prices.purchase.price")
        src, year, label = _source(tier, "purchase"), tier.year, "accelerator price (purchase)"
        _record_freshness(ctx, opt, "purchase", tier)
    else:
        raise ctx.error(
            f"options[{i}].hardware_price",
            f"missing: hardware {hw.id!r} has no sourced purchase price; give a quote such as '2500 USD' "
            "or use deployment: cloud",
        )
    rec.add(opt.id, label, unit_price, ctx.cur, src, year)
    if hw.server.price is not None:
        host = ctx.money(hw.server.price, f"hardware {hw.id}.server.price") / hw.server.accelerators
        unit_price += host
        rec.add(opt.id, "host price share", host, f"{ctx.cur}/accelerator", hw.server.source, hw.server.year)
    return unit_price


@dataclass(frozen=True)
class CloudRent:
    """What a cloud option rents at: the price per accelerator-hour, the tier it came from (None for a
    quote without a tier), the pricing it is charged under, and a committed tier's own term and upfront."""

    price: float
    tier: str | None
    pricing: str
    term_months: float | None = None
    upfront: float | None = None
    on_demand_tier: str | None = None  # what accelerators above a commitment pay


def _explicit(ctx: Context, opt: Option, name: str) -> bool:
    return getattr(opt, name) is not None or getattr(ctx.s.defaults, name) is not None


def tier_for(ctx: Context, opt: Option, i: int, hw: Hardware, pricing: str) -> tuple[str | None, str]:
    """(tier, pricing) a cloud option rents under; the tier is None only where a quote stands in for it.

    - A committed tier (`hyperscaler-1y/-3y`, `gpu-cloud-1y/-3y`) means `pricing: committed`, and `spot`
      means `pricing: spot`; naming another pricing beside them is an error.
    - An on-demand tier (`owner`, `hyperscaler`, `gpu-cloud`) with `pricing: committed` rents in the
      longest committed tier of its market that has a price; with `pricing: spot`, in the `spot` tier if
      the hardware has one, else at the on-demand tier's price less `spot_discount`.
    - With no `cloud_tier` set, the built-in default (`gpu-cloud`) falls back to `hyperscaler` where the
      hardware has no gpu-cloud price; the assumptions say so.
    """
    where = f"options[{i}].cloud_tier"
    named, _, _ = site_value(ctx, opt, "cloud_tier")
    explicit_tier = _explicit(ctx, opt, "cloud_tier")
    explicit_pricing = _explicit(ctx, opt, "pricing")
    quote = site_value(ctx, opt, "cloud_price")[0] is not None
    have = {t for t, _ in hw.prices.items()}

    def need(tier: str) -> str:
        if tier in have or quote:
            return tier
        priced = [t for t in HOURLY_TIERS if t in have]
        raise ctx.error(
            where,
            f"missing: hardware {hw.id!r} has no {tier} price; its priced tiers are "
            f"{', '.join(priced) or '(none)'}; name one with cloud_tier or give cloud_price such as '2.5 USD/h'",
        )

    if named in TIER_TERM_MONTHS or named == "spot":
        implied = "spot" if named == "spot" else "committed"
        if explicit_pricing and pricing != implied:
            raise ctx.error(
                f"options[{i}].pricing",
                f"cloud_tier {named} is {implied} capacity but pricing is {pricing}: drop pricing or set "
                f"pricing: {implied}",
            )
        return need(named), implied
    base = named
    if not explicit_tier and named not in have and not quote:
        base = DEFAULT_FALLBACK.get(named, named)
        if base in have:
            ctx.rec.add(
                opt.id,
                "cloud tier: fallback",
                base,
                "",
                f"slm-tco default cloud_tier {named}: hardware {hw.id} has no {named} price, so the "
                f"{TIER_LABELS[base]} price is used",
                None,
            )
        else:
            base = named
    if pricing == "committed":
        if base == "owner":
            raise ctx.error(
                f"options[{i}].pricing", "cloud_tier owner is an owner's cost, not a contract: use on-demand"
            )
        markets = [base] if explicit_tier else [base, *[m for m in COMMITTED_OF if m != base]]
        for market in markets:
            for tier in COMMITTED_OF.get(market, ()):
                if tier in have:
                    return tier, "committed"
        if quote:
            return None, "committed"
        raise ctx.error(
            f"options[{i}].pricing",
            f"hardware {hw.id!r} has no committed price in {' or '.join(markets)}; its priced tiers are "
            f"{', '.join(t for t in HOURLY_TIERS if t in have) or '(none)'}: use on-demand or give cloud_price",
        )
    if pricing == "spot" and "spot" in have and not quote:
        return "spot", "spot"
    return need(base), pricing


def cloud_price(ctx: Context, opt: Option, i: int, hw: Hardware, pricing: str) -> CloudRent:
    """Rent per accelerator-hour in the option's tier (or a quote), reporting currency, recorded."""
    tier_name, pricing = tier_for(ctx, opt, i, hw, pricing)
    tier = hw.prices.get(tier_name) if tier_name is not None else None
    quote, qsrc, _ = site_value(ctx, opt, "cloud_price")
    label_tier = TIER_LABELS[tier_name] if tier_name is not None else "quote"
    if quote is not None:
        price = ctx.money(quote, f"options[{i}].cloud_price")
        src, year = qsrc, None
        label = f"cloud price (quote, in place of {label_tier})" if tier_name else "cloud price (quote)"
    else:
        assert isinstance(tier, HourlyTier)
        price = ctx.money(tier.price, f"hardware {hw.id}.prices.{tier_name}.price")
        src, year = _source(tier, str(tier_name)), tier.year
        label = f"cloud price ({label_tier})"
        if pricing == "spot" and tier_name != "spot":
            label = f"cloud price ({label_tier}, before the spot discount)"
        _record_freshness(ctx, opt, str(tier_name), tier)
    ctx.rec.add(opt.id, label, price, f"{ctx.cur}/accelerator-hour", src, year)
    term = upfront = None
    if isinstance(tier, HourlyTier) and tier_name in TIER_TERM_MONTHS:
        term = tier.term if tier.term is not None else TIER_TERM_MONTHS[tier_name]
        upfront = tier.upfront
    on_demand = TIER_ON_DEMAND.get(tier_name or "")
    return CloudRent(price, tier_name, pricing, term, upfront, on_demand)


def on_demand_price(ctx: Context, opt: Option, hw: Hardware, rent: CloudRent) -> float:
    """On-demand rent for accelerators above a commitment, recorded; NaN (the committed price) for a quote
    or where the market has no on-demand price."""
    quote, _, _ = site_value(ctx, opt, "cloud_price")
    tier = hw.prices.get(rent.on_demand_tier) if rent.on_demand_tier else None
    if quote is not None or tier is None:
        return float("nan")
    price = ctx.money(tier.price, f"hardware {hw.id}.prices.{rent.on_demand_tier}.price")
    ctx.rec.add(
        opt.id,
        f"cloud price above the commitment ({TIER_LABELS[str(rent.on_demand_tier)]})",
        price,
        f"{ctx.cur}/accelerator-hour",
        _source(tier, str(rent.on_demand_tier)),
        tier.year,
    )
    return price


def default_hourly_price(hw: Hardware, tier: str = "gpu-cloud") -> tuple[str, HourlyTier] | None:
    """The hourly tier a job priced at 'the hardware's cloud price' uses: `tier`, else its fallback."""
    for name in (tier, DEFAULT_FALLBACK.get(tier, tier)):
        found = hw.prices.get(name)
        if isinstance(found, HourlyTier):
            return name, found
    return None


assert set(TIER_LABELS) == set(TIERS)
