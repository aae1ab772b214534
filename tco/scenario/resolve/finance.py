"""Step: an option's finance choices (end-of-horizon value, financing, price trends, cloud commitment or spot)
and the scenario's (discounting convention, tax rate, carbon price trend), recorded with their sources.

Only the choices that matter for the option's deployment are recorded: an on-prem option shows its
end value and financing, a cloud option its pricing, an API option its price trend.
"""

from __future__ import annotations

from typing import Any

from tco.scenario.resolve.context import Context, site_value
from tco.scenario.resolve.prices import CloudRent
from tco.scenario.schema import Option


def _recorded(ctx: Context, opt: Option, name: str, label: str, unit: str) -> Any:
    v, src, yr = site_value(ctx, opt, name)
    ctx.rec.add(opt.id, label, v, unit, src, yr)
    return v


def on_prem_finance(ctx: Context, opt: Option, i: int, lifetime: float) -> dict[str, Any]:
    """OptionInputs fields of an on-prem option's end value, price trend and financing."""
    out: dict[str, Any] = {}
    mode = _recorded(ctx, opt, "end_value", "end-of-horizon value", "")
    out["end_value"] = mode
    if mode == "resale":
        curve, src, yr = site_value(ctx, opt, "resale_curve")
        if curve is None:
            raise ctx.error(
                f"options[{i}].resale_curve",
                "missing: end_value resale needs resale_curve, e.g. "
                "[{age: 12 months, value: 60 %}, {age: 36 months, value: 25 %}]",
            )
        points = tuple((float(p.age), float(p.value)) for p in curve)
        text = ", ".join(f"{a:g} months: {v:.0%}" for a, v in points)
        ctx.rec.add(opt.id, "resale value by age", text, "of purchase price", src, yr)
        out["resale_curve"] = points
    out["hardware_price_trend"] = _recorded(ctx, opt, "hardware_price_trend", "hardware price trend", "/year")
    financing = _recorded(ctx, opt, "financing", "financing", "")
    out["financing"] = financing
    if financing != "cash":
        rate, src, yr = site_value(ctx, opt, "financing_rate")
        if rate is None:
            raise ctx.error(
                f"options[{i}].financing_rate", f"missing: financing {financing} needs a rate such as '6 %'"
            )
        ctx.rec.add(opt.id, f"{financing} rate", rate, "/year", src, yr)
        term, src, yr = site_value(ctx, opt, "financing_term")
        if term is None:
            term, src, yr = lifetime, "the units' lifetime", None
        elif financing == "lease" and round(term) != round(lifetime):
            raise ctx.error(
                f"options[{i}].financing_term",
                f"a lease runs for the units' lifetime ({lifetime:g} months), got {term:g} months: "
                "set lifetime instead",
            )
        ctx.rec.add(opt.id, f"{financing} term", term, "month", src, yr)
        out["financing_rate"] = rate
        out["financing_term_months"] = term
    return out


def cloud_finance(ctx: Context, opt: Option, i: int, rent: CloudRent) -> dict[str, Any]:
    """OptionInputs fields of a cloud option's rent trend and commitment or spot terms.

    A committed tier's own term and upfront share apply unless the scenario sets commitment_term or
    commitment_upfront; a spot tier is already a spot price, so no spot discount is taken off it.
    """
    pricing = rent.pricing
    out: dict[str, Any] = {"cloud_pricing": pricing}
    out["cloud_price_trend"] = _recorded(ctx, opt, "cloud_price_trend", "cloud price trend", "/year")
    if site_value(ctx, opt, "pricing")[0] != pricing:
        ctx.rec.add(opt.id, "pricing (as the tier implies)", pricing, "", f"cloud_tier {rent.tier}", None)
    if pricing == "committed":
        term, src, yr = site_value(ctx, opt, "commitment_term")
        if not _own(ctx, opt, "commitment_term") and rent.term_months is not None:
            term, src, yr = rent.term_months, f"the {rent.tier} tier's term", None
        ctx.rec.add(opt.id, "commitment term", term, "month", src, yr)
        units, src, _ = site_value(ctx, opt, "commitment_accelerators")
        if units is None:
            ctx.rec.add(opt.id, "committed accelerators", "the first month's fleet", "", "slm-tco default")
            out["commitment_accelerators"] = float("nan")
        else:
            ctx.rec.add(opt.id, "committed accelerators", units, "accelerator", src)
            out["commitment_accelerators"] = float(units)
        out["commitment_term_months"] = term
        if not _own(ctx, opt, "commitment_upfront") and rent.upfront is not None:
            out["commitment_upfront"] = rent.upfront
            ctx.rec.add(
                opt.id, "commitment paid upfront", rent.upfront, "", f"the {rent.tier} tier's contract", None
            )
        else:
            out["commitment_upfront"] = _recorded(
                ctx, opt, "commitment_upfront", "commitment paid upfront", ""
            )
    elif pricing == "spot":
        if rent.tier == "spot":
            out["spot_discount"] = 0.0
            ctx.rec.add(opt.id, "spot discount", 0.0, "off on-demand", "none: the spot tier is a spot price")
        else:
            out["spot_discount"] = _recorded(ctx, opt, "spot_discount", "spot discount", "off on-demand")
        out["spot_overprovisioning"] = _recorded(
            ctx, opt, "spot_overprovisioning", "spot over-provisioning", "extra accelerators"
        )
    return out


def _own(ctx: Context, opt: Option, name: str) -> bool:
    return getattr(opt, name) is not None or getattr(ctx.s.defaults, name) is not None


def api_finance(ctx: Context, opt: Option) -> dict[str, Any]:
    """OptionInputs fields of an API option's price trend."""
    return {"api_price_trend": _recorded(ctx, opt, "api_price_trend", "API price trend", "/year")}
