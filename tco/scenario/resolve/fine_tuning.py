"""Step: a one-off fine-tuning job: its cost, facility energy and emissions (operational and embodied)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tco.engine.formulas import life_months
from tco.scenario.resolve.context import Context, hardware, region
from tco.scenario.resolve.hardware import embodied_per_accelerator
from tco.scenario.resolve.prices import default_hourly_price
from tco.scenario.schema import Option
from tco.scenario.units import convert


@dataclass(frozen=True)
class FineTuning:
    cost: float = 0.0  # reporting currency
    kwh: float = 0.0  # facility energy (IT x PUE)
    kg: float = 0.0  # kgCO2e, operational + embodied share of the GPUs used


def fine_tuning(
    ctx: Context, opt: Option, i: int, pue: float, intensity: float, lifetime_m: float, level: str
) -> FineTuning:
    """The option's fine-tuning job (nothing when it has none), recorded.

    `intensity` is the serving site's kgCO2e/kWh, replaced by the job's own region when it names one;
    embodied emissions are the GPU-hours' share of the accelerators' life (`lifetime_m`, in whole months as
    everywhere: `life_months`).
    """
    ft = opt.fine_tuning
    if ft is None:
        return FineTuning()
    where = f"options[{i}].fine_tuning"
    if ft.region is not None:
        intensity = convert(
            region(ctx, ft.region, f"{where}.region").grid.intensity, "gCO2e/kWh", "kgCO2e/kWh"
        )
    embodied_kg = 0.0
    cost = 0.0
    if ft.gpu_hours is not None:
        hw = hardware(ctx, ft.hardware or "", f"{where}.hardware")
        it_kwh = ft.energy if ft.energy is not None else convert(ft.gpu_hours * hw.power.max, "Wh", "kWh")
        life_h = convert(float(life_months(np.asarray(lifetime_m))), "month", "h")
        embodied_kg = ft.gpu_hours / life_h * embodied_per_accelerator(hw, level)
        if ft.cost is None:
            found = default_hourly_price(hw)
            if found is None:
                raise ctx.error(
                    f"{where}.cost", f"missing, and hardware {hw.id!r} has no cloud price to derive it"
                )
            tier_name, tier = found
            cost = ft.gpu_hours * ctx.money(tier.price, f"{where}.hardware")
            ctx.rec.add(
                opt.id,
                f"fine-tuning rent ({tier_name} tier)",
                ctx.money(tier.price, f"{where}.hardware"),
                f"{ctx.cur}/accelerator-hour",
                tier.source,
                tier.year,
            )
    else:
        it_kwh = ft.energy or 0.0
    if ft.cost is not None:
        cost = ctx.money(ft.cost, f"{where}.cost")
    kwh = it_kwh * pue
    kg = kwh * intensity + embodied_kg
    ctx.rec.add(opt.id, "fine-tuning energy (facility)", kwh, "kWh", ft.source or "scenario", None)
    ctx.rec.add(opt.id, "fine-tuning emissions", kg, "kgCO2e", ft.source or "scenario", None)
    ctx.rec.add(opt.id, "fine-tuning cost", cost, ctx.cur, ft.source or "scenario", None)
    return FineTuning(cost, kwh, kg)
