"""A hosted option (on-prem or cloud): a model profile on hardware at a site, resolved step by step."""

from __future__ import annotations

from tco.engine.fleet import default_policy, policy
from tco.engine.inputs import OptionInputs
from tco.scenario.resolve.context import Context, hardware, lookup, region, site_value
from tco.scenario.resolve.finance import cloud_finance, on_prem_finance
from tco.scenario.resolve.fine_tuning import fine_tuning
from tco.scenario.resolve.hardware import embodied, fixed_fleet, power, power_budget
from tco.scenario.resolve.impacts import impact_inputs
from tco.scenario.resolve.operating_point import Operating, operating_point
from tco.scenario.resolve.prices import cloud_price, on_demand_price, purchase_price
from tco.scenario.resolve.quality import quality
from tco.scenario.resolve.site import electricity_price, grid_intensity, money_inputs, site_fields
from tco.scenario.schema import Fleet, ModelProfile, Option
from tco.scenario.units import convert


def resolve_hosted(
    ctx: Context, opt: Option, i: int, carbon_price_kg: float, profile: ModelProfile | None = None
) -> OptionInputs:
    """Engine inputs of a hosted option; each step records the assumptions it makes. `profile`: the
    option's profile reduced to one parallel configuration (tco.scenario.resolve.parallelism)."""
    if profile is None:
        profile = lookup(ctx, ctx.repo.models, opt.profile, f"options[{i}].profile", "model profile")
    hw = hardware(ctx, profile.hardware, f"options[{i}].profile")
    site = site_fields(ctx, opt, i)
    region_id, _, _ = site_value(ctx, opt, "region")
    where = region(ctx, region_id, f"options[{i}].region")
    intensity = grid_intensity(ctx, opt, where)
    price = electricity_price(ctx, opt, i, where) if opt.deployment == "on-prem" else 0.0
    op = operating_point(ctx, opt, i, profile, hw)
    watts = power(ctx, opt, hw)
    _below_idle(ctx, opt, op, watts.idle_kw * profile.accelerators)
    scaling = _scaling(ctx, opt)
    level = site["embodied"]
    embodied_kg = embodied(ctx, opt, hw, level)
    unit_price = purchase_price(ctx, opt, i, hw) if opt.deployment == "on-prem" else 0.0
    rent = 0.0
    tier = "purchase" if hw.prices.purchase is not None else "quote"
    if opt.deployment == "on-prem":
        money = on_prem_finance(ctx, opt, i, site["lifetime"])
        if site_value(ctx, opt, "hardware_price")[0] is not None:
            tier = "quote"
    else:
        cloud = cloud_price(ctx, opt, i, hw, site["pricing"])
        rent, tier = cloud.price, cloud.tier or "quote"
        money = cloud_finance(ctx, opt, i, cloud)
        if cloud.pricing == "committed":
            money["cloud_on_demand_price_per_hour"] = on_demand_price(ctx, opt, hw, cloud)
    fixed = fixed_fleet(ctx, opt, i, profile)
    budget = power_budget(ctx, opt)
    q = quality(ctx, opt, profile.quality_for(ctx.s.workload.task))
    ft = fine_tuning(ctx, opt, i, site["pue"], intensity, site["lifetime"], level)
    return OptionInputs(
        id=opt.id,
        name=opt.name or opt.id,
        deployment=opt.deployment,
        energy_per_query_kwh=op.energy_per_query_kwh,
        throughput_qps=op.throughput_qps,
        accelerators_per_replica=profile.accelerators,
        fixed_fleet=fixed,
        min_replicas=int(site["min_replicas"]),
        utilisation=site["utilisation"],
        idle_power_kw=watts.idle_kw,
        max_power_kw=watts.max_kw,
        host_power_kw=watts.host_kw,
        pue=site["pue"],
        grid_intensity_kg_per_kwh=intensity,
        grid_decarbonisation=site["grid_decarbonisation"],
        renewable_share=site["renewable_share"],
        electricity_price=price,
        electricity_escalation=site["electricity_escalation"],
        unit_price=unit_price,
        lifetime_months=site["lifetime"],
        residual_value=site["residual_value"],
        maintenance=site["maintenance"],
        **money_inputs(site),
        cloud_price_per_hour=rent,
        embodied_kg_per_accelerator=embodied_kg,
        fine_tuning_cost=ft.cost,
        fine_tuning_kwh=ft.kwh,
        fine_tuning_kg=ft.kg,
        carbon_price_per_kg=carbon_price_kg,
        **impact_inputs(ctx, opt, where, site),
        quality=q.value if q else float("nan"),
        quality_metric=q.metric if q else None,
        latency_p95_s=op.latency_p95_s if op.latency_p95_s is not None else float("nan"),
        slo_met=op.slo_met,
        batch_size=int(op.point.concurrency),
        **money,
        sweep_throughput=op.throughput,
        sweep_energy=op.energy,
        sweep_latency_p95_s=op.latency_p95,
        sweep_batch=op.batch,
        serving_points=op.points,
        scaling=scaling,
        extra={
            "profile": profile.id,
            "model": profile.model.name,
            "hardware": hw.name,
            "hardware_id": hw.id,
            "region": where.id,
            "region_name": where.name,
            "method": profile.provenance.method,
            "fine_tuned": profile.model.fine_tuned,
            "parameters": profile.model.parameters,
            "configuration": profile.configuration_keys()[0],
            "targets_missed": op.missed,
            "price_tier": tier,
            "power_budget_kw": budget,
        },
    )


def _scaling(ctx: Context, opt: Option) -> str:
    """The option's fleet policy (its `scaling`, else its deployment's default), recorded; and, for a fixed
    fleet under a policy that sizes the fleet itself, the policy the fixed fleet runs under instead."""
    default = default_policy(opt.deployment)
    scaling = opt.scaling or default.name
    src = (
        f"scenario option {opt.id}"
        if opt.scaling
        else f"slm-tco default for {opt.deployment}: {default.why_default}"
    )
    ctx.rec.add(opt.id, "scaling", scaling, "", src, None)
    runs = policy(scaling).for_fixed_fleet()
    if isinstance(opt.fleet, Fleet) and runs.name != scaling:
        held = "rented whole, 24/7" if opt.deployment == "cloud" else "kept whole, all day"
        ctx.rec.add(
            opt.id,
            "scaling: not applied",
            scaling,
            "",
            f"scenario option {opt.id}; a fixed fleet is {held} ({runs.name})",
            None,
        )
    return scaling


def _below_idle(ctx: Context, opt: Option, op: Operating, idle_kw: float) -> None:
    """Record sweep points whose power (energy per query x throughput) is below the replica's idle power:
    the engine raises them to idle (a busy replica never draws less than an idle one)."""
    for p, x, e in zip(op.sweep, op.throughput, op.energy, strict=True):
        watts = convert(e * op.energy_per_query_kwh * x * op.throughput_qps, "kWh", "J")  # per s: W
        idle_w = convert(idle_kw, "kW", "W")
        if watts < idle_w:
            ctx.rec.add(
                opt.id,
                f"power at batch {p.concurrency:g}: raised to idle",
                idle_w,
                "W/replica",
                f"energy per query x throughput gives {watts:.4g} W, below the hardware's idle power",
                None,
            )
