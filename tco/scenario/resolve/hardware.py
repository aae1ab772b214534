"""Steps: a hosted option's hardware: power draw, embodied emissions, and a fixed fleet if one is given."""

from __future__ import annotations

from dataclasses import dataclass

from tco.scenario.resolve.context import Context, site_value
from tco.scenario.schema import Fleet, Hardware, ModelProfile, Option
from tco.scenario.units import convert


@dataclass(frozen=True)
class Power:
    """Power per accelerator in kW: idle and at full load, and its share of the host server's power."""

    idle_kw: float
    max_kw: float
    host_kw: float


def power(ctx: Context, opt: Option, hw: Hardware) -> Power:
    """Idle, maximum and host power per accelerator, recorded in W."""
    rec = ctx.rec
    rec.add(opt.id, "idle power", hw.power.idle, "W/accelerator", hw.power.source, hw.power.year)
    rec.add(opt.id, "max power", hw.power.max, "W/accelerator", hw.power.source, hw.power.year)
    host_w = hw.server.power / hw.server.accelerators
    rec.add(opt.id, "host power", host_w, "W/accelerator", hw.server.source, hw.server.year)
    return Power(
        convert(hw.power.idle, "W", "kW"), convert(hw.power.max, "W", "kW"), convert(host_w, "W", "kW")
    )


def embodied_per_accelerator(hw: Hardware, level: str) -> float:
    """Embodied emissions of one accelerator and its share of the host, kgCO2e (low, central or high)."""
    return hw.embodied.pick(level) + hw.server.embodied.pick(level) / hw.server.accelerators


def embodied(ctx: Context, opt: Option, hw: Hardware, level: str) -> float:
    """Embodied kgCO2e per accelerator at the scenario's level, recorded."""
    kg = embodied_per_accelerator(hw, level)
    ctx.rec.add(
        opt.id,
        f"embodied emissions ({level})",
        kg,
        "kgCO2e/accelerator",
        f"{hw.embodied.source}; host: {hw.server.embodied.source}",
        hw.embodied.year,
    )
    return kg


def fixed_fleet(ctx: Context, opt: Option, i: int, profile: ModelProfile) -> float:
    """Accelerators of a fixed fleet, NaN when the fleet follows demand; at least one replica."""
    if not isinstance(opt.fleet, Fleet):
        return float("nan")
    fixed = float(opt.fleet.accelerators)
    if fixed < profile.accelerators:
        raise ctx.error(
            f"options[{i}].fleet.accelerators",
            f"{fixed:g} is fewer than one replica needs ({profile.accelerators})",
        )
    ctx.rec.add(opt.id, "fleet (fixed)", fixed, "accelerators", f"scenario option {opt.id}", None)
    return fixed


def power_budget(ctx: Context, opt: Option) -> float:
    """The site's power budget in kW (provisioned facility power it can supply), recorded; NaN when none."""
    budget, src, yr = site_value(ctx, opt, "power_budget")
    if budget is None:
        return float("nan")
    ctx.rec.add(opt.id, "power budget", budget, "kW provisioned", src, yr)
    return float(budget)
