"""An API option: a provider's model priced per token, with energy and latency estimated the EcoLogits way."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tco.engine.formulas import ceil_power_of_two, life_months
from tco.engine.inputs import OptionInputs
from tco.scenario.resolve.context import Context, lookup, region
from tco.scenario.resolve.finance import api_finance
from tco.scenario.resolve.fine_tuning import fine_tuning
from tco.scenario.resolve.impacts import grid_impacts
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


@dataclass(frozen=True)
class RequestImpacts:
    """EcoLogits' impacts of one API request (its `compute_llm_impacts` at scalar inputs)."""

    gpus: int
    latency_s: float
    it_kwh: float  # GPUs + the server's share, before the data centre's overhead
    energy_kwh: float  # x PUE
    gwp_usage_kg: float
    gwp_embodied_kg: float
    adpe_usage_kg: float  # kgSbeq
    adpe_embodied_kg: float
    pe_usage_mj: float
    pe_embodied_mj: float
    water_l: float

    @property
    def gwp_kg(self) -> float:
        return self.gwp_usage_kg + self.gwp_embodied_kg

    @property
    def adpe_kg(self) -> float:
        return self.adpe_usage_kg + self.adpe_embodied_kg

    @property
    def pe_mj(self) -> float:
        return self.pe_usage_mj + self.pe_embodied_mj


def request_impacts(
    m: Any,
    parameters: float,
    active: float,
    bits: int,
    tokens_out: float,
    pue: float,
    wue: float,
    grid: dict[str, float],
) -> RequestImpacts:
    """Impacts of one request the EcoLogits way (README "API options"): parameter counts as counts, `wue`
    in L per IT kWh, `grid` with `gwp` (kgCO2e/kWh), `adpe` (kgSbeq/kWh), `pe` (MJ/kWh), `water` (L/kWh)."""
    it_kwh, server_s, gpus = api_energy_per_query(m, parameters, active, bits, tokens_out)
    life_s = convert(convert(float(life_months(np.asarray(m.lifetime))), "month", "h"), "h", "s")
    share = server_s / life_s  # of the server's lifetime, per request
    energy = pue * it_kwh
    return RequestImpacts(
        gpus=gpus,
        latency_s=api_latency_s(m, active, tokens_out),
        it_kwh=it_kwh,
        energy_kwh=energy,
        gwp_usage_kg=energy * grid["gwp"],
        gwp_embodied_kg=share * (gpus * m.gpu_embodied + gpus / m.server_gpus * m.server_embodied),
        adpe_usage_kg=energy * grid["adpe"],
        adpe_embodied_kg=share * (gpus * m.gpu_embodied_adpe + gpus / m.server_gpus * m.server_embodied_adpe),
        pe_usage_mj=energy * grid["pe"],
        pe_embodied_mj=share * (gpus * m.gpu_embodied_pe + gpus / m.server_gpus * m.server_embodied_pe),
        water_l=it_kwh * (wue + pue * grid["water"]),
    )


def request_impact_range(
    m: Any,
    parameters: tuple[float, float],
    active: tuple[float, float],
    bits: int,
    tokens_out: float,
    pue: tuple[float, float],
    wue: tuple[float, float],
    grid: dict[str, float],
) -> tuple[RequestImpacts, RequestImpacts]:
    """(low, high) impacts of a request whose inputs are ranges (low, high), as EcoLogits' RangeValue
    arithmetic gives them: every impact grows with each input, so the low end is every input at its low
    end and the high end every input at its high end."""
    low = request_impacts(m, parameters[0], active[0], bits, tokens_out, pue[0], wue[0], grid)
    high = request_impacts(m, parameters[1], active[1], bits, tokens_out, pue[1], wue[1], grid)
    return low, high


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
    pue_range = (opt.pue, opt.pue) if opt.pue is not None else (offer.pue, offer.pue_max or offer.pue)
    wue_range, wue_src = _wue(ctx, opt, offer, common)
    w = ctx.s.workload
    t_in, t_out = ctx.tokens_in, ctx.tokens_out
    p_in = ctx.money(offer.price.input, f"apis {offer.id}.price.input")
    p_out = ctx.money(offer.price.output, f"apis {offer.id}.price.output")
    cost_q = t_in * p_in + t_out * p_out
    total_range = (offer.model.parameters, offer.model.parameters_max or offer.model.parameters)
    if offer.model.active_parameters is None:
        active_range = total_range
    else:
        a = offer.model.active_parameters
        active_range = (a, offer.model.active_parameters_max or a)
    m = ctx.repo.api_energy
    grid = {"gwp": intensity, **_grid(ctx, opt, where)}
    bits = offer.model.quantization_bits

    def mid(r: tuple[float, float]) -> float:
        return (r[0] + r[1]) / 2.0

    pue = mid(pue_range)
    central = request_impacts(m, mid(total_range), mid(active_range), bits, t_out, pue, mid(wue_range), grid)
    kwh, gpus, latency, emb_q = central.it_kwh, central.gpus, central.latency_s, central.gwp_embodied_kg
    level = common["embodied"]
    low, high = request_impact_range(m, total_range, active_range, bits, t_out, pue_range, wue_range, grid)
    rec.add(
        opt.id,
        "pue (api)",
        _range_text(pue_range),
        "",
        "option" if opt.pue is not None else f"offering {offer.id}",
        None,
    )
    rec.add(opt.id, "wue (api, on-site)", _range_text(wue_range), "L/kWh", wue_src, None)
    ranged = any(r[0] != r[1] for r in (pue_range, wue_range, total_range, active_range))
    _record_range(ctx, opt.id, low, high, m, ranged)
    rec.add(
        opt.id,
        "API price",
        f"{per_mtoken(p_in):.4g} in / {per_mtoken(p_out):.4g} out",
        f"{ctx.cur}/Mtoken",
        offer.price.source,
        offer.price.year,
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
    q = quality(ctx, opt, offer.quality_for(w.task))
    ft = fine_tuning(ctx, opt, i, pue, intensity, common["lifetime"], level)
    slo = w.latency_slo_p95
    money = api_finance(ctx, opt)
    return OptionInputs(
        id=opt.id,
        name=opt.name or opt.id,
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
        api_embodied_adpe_kg_per_query=central.adpe_embodied_kg,
        api_embodied_pe_mj_per_query=central.pe_embodied_mj,
        wue_l_per_kwh=mid(wue_range),
        grid_water_l_per_kwh=grid["water"],
        grid_adpe_kg_per_kwh=grid["adpe"],
        grid_pe_mj_per_kwh=grid["pe"],
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


def _grid(ctx: Context, opt: Option, where: Any) -> dict[str, float]:
    g = grid_impacts(ctx, opt, where)
    return {
        "water": g["grid_water_l_per_kwh"],
        "adpe": g["grid_adpe_kg_per_kwh"],
        "pe": g["grid_pe_mj_per_kwh"],
    }


def _wue(ctx: Context, opt: Option, offer: Any, common: dict[str, Any]) -> tuple[tuple[float, float], str]:
    """On-site WUE range of an API option: the option's own, else the offering's, else the site default."""
    if opt.wue is None and offer.wue is not None:
        return (offer.wue, offer.wue_max or offer.wue), f"offering {offer.id}"
    v = float(common["wue"])
    return (v, v), "option" if opt.wue is not None else "site default (see wue)"


def _range_text(r: tuple[float, float]) -> float | str:
    return r[0] if r[0] == r[1] else f"{r[0]:.4g}-{r[1]:.4g}"


def _record_range(
    ctx: Context, option: str, low: RequestImpacts, high: RequestImpacts, m: Any, ranged: bool
) -> None:
    """Per-request impacts at the ends of the input ranges (EcoLogits' min-max), in the assumptions."""
    what = "range (EcoLogits min-max)" if ranged else "(EcoLogits, no range: inputs exact)"
    for name, unit, lo, hi in (
        ("energy", "Wh", convert(low.energy_kwh, "kWh", "Wh"), convert(high.energy_kwh, "kWh", "Wh")),
        ("GWP", "gCO2e", low.gwp_kg * 1e3, high.gwp_kg * 1e3),
        ("ADPe", "mgSbeq", low.adpe_kg * 1e6, high.adpe_kg * 1e6),
        ("PE", "kJ", low.pe_mj * 1e3, high.pe_mj * 1e3),
        ("water", "mL", low.water_l * 1e3, high.water_l * 1e3),
    ):
        value: float | str = lo if not ranged else f"{lo:.4g}-{hi:.4g}"
        ctx.rec.add(option, f"API {name} per query {what}", value, unit, m.source, m.year)
