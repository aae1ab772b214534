"""An API option: a provider's model priced per token, with energy and latency estimated the EcoLogits way."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tco.engine.formulas import ceil_power_of_two, life_months
from tco.engine.inputs import OptionInputs
from tco.scenario.names import option_name
from tco.scenario.resolve.context import Context, lookup, region
from tco.scenario.resolve.finance import api_finance
from tco.scenario.resolve.fine_tuning import fine_tuning
from tco.scenario.resolve.quality import quality
from tco.scenario.resolve.site import grid_intensity, money_inputs, site_fields
from tco.scenario.schema import Option
from tco.scenario.units import convert


def api_energy_per_query(
    ctx_method: Any, parameters: float, active: float, bits: int, tokens_out: float
) -> tuple[float, float, int]:
    """EcoLogits-style estimate: (IT energy per query in kWh, server time per query in s, GPUs used).

    GPU energy per output token is EcoLogits' batched fit. The generation latency of one request is shared
    by the `batch_size` requests in flight on the same GPUs, so each request is charged latency / batch of
    server time (for the host's power and for embodied emissions); the latency itself is also returned
    for the SLO check via `api_latency_s`.
    """
    m = ctx_method
    p_active = convert(active, "", "billion")
    p_total = convert(parameters, "", "billion")
    gpus = ceil_power_of_two(m.memory_overhead * p_total * bits / 8.0 / m.gpu_memory)
    gpu_wh_per_token = m.gpu_energy_a * math.exp(m.gpu_energy_b * m.batch_size) * p_active + m.gpu_energy_g
    gpu_wh = tokens_out * gpu_wh_per_token * gpus
    server_s = api_latency_s(m, active, tokens_out) / m.batch_size
    server_wh = convert(server_s * m.server_power * gpus / m.server_gpus, "J", "Wh")
    return convert(gpu_wh + server_wh, "Wh", "kWh"), server_s, gpus


def api_latency_s(m: Any, active: float, tokens_out: float) -> float:
    """Generation latency of one API request in seconds (EcoLogits' latency fit)."""
    return tokens_out * (convert(m.latency_a * active, "", "billion") + m.latency_b)


def per_mtoken(price_per_token: float) -> float:
    return convert(price_per_token, "USD/token", "USD/Mtoken")


def resolve_api(ctx: Context, opt: Option, i: int, carbon_price_kg: float) -> OptionInputs:
    """Engine inputs of an API option: price per token, estimated energy, embodied share and latency."""
    rec = ctx.rec
    offer = lookup(ctx, ctx.repo.apis, opt.api, f"options[{i}].api", "API offering")
    needed = ("lifetime", "embodied") if opt.fine_tuning is not None else ()
    common = site_fields(ctx, opt, i, needed=needed)
    where = region(ctx, opt.region or offer.region, f"options[{i}].region")
    rec.add(
        opt.id,
        "region (provider)",
        where.id,
        "",
        f"scenario option {opt.id}" if opt.region else f"offering {offer.id}: where the provider serves it",
        None,
    )
    intensity = grid_intensity(ctx, opt, where)
    pue = opt.pue if opt.pue is not None else offer.pue
    w = ctx.s.workload
    t_in, t_out = ctx.tokens_in, ctx.tokens_out
    quote = opt.api_price
    p_in = (
        ctx.money(quote.input, f"options[{i}].api_price.input")
        if quote is not None and quote.input is not None
        else ctx.money(offer.price.input, f"apis {offer.id}.price.input")
    )
    p_out = (
        ctx.money(quote.output, f"options[{i}].api_price.output")
        if quote is not None and quote.output is not None
        else ctx.money(offer.price.output, f"apis {offer.id}.price.output")
    )
    quoted = [side for side in ("input", "output") if quote is not None and getattr(quote, side) is not None]
    cost_q = t_in * p_in + t_out * p_out
    active = offer.model.active_parameters or offer.model.parameters
    m = ctx.repo.api_energy
    kwh, server_s, gpus = api_energy_per_query(
        m, offer.model.parameters, active, offer.model.quantization_bits, t_out
    )
    latency = api_latency_s(m, active, t_out)
    level = common["embodied"]
    life_h = convert(float(life_months(np.asarray(m.lifetime))), "month", "h")
    emb_q = (
        convert(server_s, "s", "h")
        / life_h
        * (gpus * m.gpu_embodied + gpus / m.server_gpus * m.server_embodied)
    )
    rec.add(
        opt.id,
        "API price",
        f"{per_mtoken(p_in):.4g} in / {per_mtoken(p_out):.4g} out",
        f"{ctx.cur}/Mtoken",
        f"scenario option {opt.id} (api_price: {' and '.join(quoted)}); otherwise {offer.price.source}"
        if quoted
        else offer.price.source,
        None if quoted else offer.price.year,
    )
    rec.add(opt.id, "API cost per query", cost_q, ctx.cur, "tokens x price", None)
    rec.add(opt.id, "API energy per query (IT, estimated)", convert(kwh, "kWh", "Wh"), "Wh", m.source, m.year)
    rec.add(opt.id, "API GPUs per request (estimated)", gpus, "", m.source, m.year)
    rec.add(
        opt.id,
        "API embodied per query (estimated)",
        convert(emb_q, "kgCO2e", "gCO2e"),
        "gCO2e",
        m.source,
        m.year,
    )
    rec.add(opt.id, "pue (api)", pue, "", "option" if opt.pue is not None else f"offering {offer.id}", None)
    q = quality(ctx, opt, offer.quality_for(w.task))
    ft = fine_tuning(ctx, opt, i, pue, intensity, common["lifetime"], level)
    slo = w.latency_slo_p95
    money = api_finance(ctx, opt)
    return OptionInputs(
        id=opt.id,
        name=option_name(opt.name or offer.name, deployment="api"),
        deployment="api",
        energy_per_query_kwh=kwh,
        throughput_qps=float("nan"),
        accelerators_per_replica=gpus,
        min_replicas=0,
        pue=pue,
        grid_intensity_kg_per_kwh=intensity,
        grid_decarbonisation=common["grid_decarbonisation"],
        renewable_share=common["renewable_share"],
        lifetime_months=m.lifetime,
        **money_inputs(common),
        api_cost_per_query=cost_q,
        api_embodied_kg_per_query=emb_q,
        fine_tuning_cost=ft.cost,
        fine_tuning_kwh=ft.kwh,
        fine_tuning_kg=ft.kg,
        carbon_price_per_kg=carbon_price_kg,
        quality=q.value if q else float("nan"),
        quality_metric=q.metric if q else None,
        latency_p95_s=latency,
        slo_met=slo is None or latency <= slo,
        **money,
        extra={
            "api": offer.id,
            "model": offer.name,
            "hardware": f"{gpus} GPU (estimated)",
            "region": where.id,
            "region_name": where.name,
            "method": "estimated",
            "fine_tuned": False,
            "parameters": offer.model.parameters,
        },
    )
