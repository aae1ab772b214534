"""Resolve a scenario against reference data into plain-number engine inputs, recording every assumption.

This is where references (region, profile, hardware, API offering) are looked up, currencies converted,
defaults applied and the operating point chosen. Each number the engine will use is written to the
assumptions table with where it came from, so reports and the app can show it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from tco.engine.formulas import ceil_power_of_two
from tco.engine.inputs import HOURS_PER_MONTH, FinanceInputs, OptionInputs, WorkloadInputs
from tco.errors import InputError, ScenarioError, UnitError
from tco.repository import Repository
from tco.schema import (
    Fleet,
    Hardware,
    ModelProfile,
    OperatingPoint,
    Option,
    Quality,
    Region,
    Scenario,
    SiteFields,
)
from tco.units import Money, parse_rate

J_PER_KWH = 3.6e6
T = TypeVar("T")


@dataclass
class Resolved:
    """Engine inputs of a whole scenario, and the assumptions behind them."""

    options: list[OptionInputs]
    workload: WorkloadInputs
    finance: FinanceInputs
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    baseline: str | None = None


class _Recorder:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, option: str, parameter: str, value: Any, unit: str, source: str, year: Any = None) -> None:
        self.rows.append(
            {
                "option": option,
                "parameter": parameter,
                "value": value,
                "unit": unit,
                "source": source,
                "year": year,
            }
        )


def _rates(scenario: Scenario, file: str) -> dict[str, float]:
    rep = scenario.currency.reporting
    out: dict[str, float] = {}
    for cur, text in scenario.currency.rates.items():
        try:
            out[cur] = parse_rate(text, rep, cur)
        except UnitError as e:
            raise e.located(file=file, field=f"currency.rates.{cur}") from e
    return out


class _Context:
    def __init__(self, scenario: Scenario, repo: Repository, file: str) -> None:
        self.s = scenario
        self.repo = repo
        self.file = file
        self.rates = _rates(scenario, file)
        self.cur = scenario.currency.reporting
        self.rec = _Recorder()

    def money(self, m: Money, where: str) -> float:
        try:
            return m.to(self.cur, self.rates)
        except UnitError as e:
            raise e.located(file=self.file, field=where) from e

    def error(self, where: str, msg: str) -> ScenarioError:
        return ScenarioError(msg, file=self.file, field=where)


def _site(ctx: _Context, opt: Option, i: int, name: str) -> tuple[Any, str, Any]:
    """Value of a site field for an option: the option's own, the scenario default, or the built-in one."""
    own = getattr(opt, name)
    if own is not None:
        return own, f"scenario option {opt.id}", None
    shared = getattr(ctx.s.defaults, name)
    if shared is not None:
        return shared, "scenario defaults", None
    builtin = ctx.repo.defaults.for_deployment(opt.deployment).get(name)
    if builtin is None:
        return None, "", None
    return _builtin_value(name, builtin.value), builtin.source, builtin.year


@lru_cache(maxsize=512)
def _builtin_value(name: str, text: str) -> Any:
    return getattr(SiteFields.model_validate({name: text}), name)


def _output_scale(ctx: _Context, profile: ModelProfile, point: OperatingPoint) -> float:
    """How much longer (or shorter) the workload's answers are than the profile's, for generative models."""
    tokens_out = ctx.s.workload.tokens_out
    if tokens_out is None or profile.model.kind == "classifier" or not point.output_tokens:
        return 1.0
    return tokens_out / point.output_tokens


def _pick_point(ctx: _Context, opt: Option, i: int, profile: ModelProfile) -> OperatingPoint:
    """The operating point an option runs at: its batch size, else the highest-throughput one whose p95
    latency (scaled to the workload's output length) meets the SLO, else the lowest-latency one."""
    where = f"options[{i}].batch_size"
    ok = profile.ok_points()
    if opt.batch_size is not None:
        point = next((p for p in profile.points if p.batch_size == opt.batch_size), None)
        if point is None:
            sizes = ", ".join(str(p.batch_size) for p in ok)
            raise ctx.error(
                where, f"profile {profile.id!r} has no batch size {opt.batch_size}, expected one of {sizes}"
            )
        if point.status != "ok":
            raise ctx.error(
                where, f"profile {profile.id!r} recorded batch size {opt.batch_size} as {point.status}"
            )
        return point

    def p95(p: OperatingPoint) -> float:
        v = _p95(p)
        return v * _output_scale(ctx, profile, p) if v is not None else math.inf

    def throughput(p: OperatingPoint) -> float:
        return (p.throughput or 0.0) / _output_scale(ctx, profile, p)

    slo = ctx.s.workload.latency_slo_p95
    meeting = [p for p in ok if slo is None or p95(p) <= slo]
    if meeting:
        return max(meeting, key=throughput)
    return min(ok, key=p95)


def _p95(p: OperatingPoint) -> float | None:
    return p.latency_p95 if p.latency_p95 is not None else p.latency_p50


def _lookup(ctx: _Context, table: Mapping[str, T], key: str | None, where: str, what: str) -> T:
    """An entry of the reference data by id, or one line naming the field and the ids that exist."""
    if key is None:
        raise ctx.error(where, f"missing: set `{where.rsplit('.', 1)[-1]}` on the option or in `defaults`")
    found = table.get(key)
    if found is None:
        known = ", ".join(sorted(table)) or "(none)"
        raise ctx.error(where, f"unknown {what} {key!r}, expected one of {known}")
    return found


def _region(ctx: _Context, region_id: str | None, where: str) -> Region:
    return _lookup(ctx, ctx.repo.regions, region_id, where, "region")


def _hardware(ctx: _Context, hw_id: str, where: str) -> Hardware:
    return _lookup(ctx, ctx.repo.hardware, hw_id, where, "hardware")


def _grid_and_price(ctx: _Context, opt: Option, i: int, region: Region) -> tuple[float, float]:
    rec = ctx.rec
    gi, src, yr = _site(ctx, opt, i, "grid_intensity")
    if gi is None:
        gi, src, yr = region.grid.intensity, region.grid.source, region.grid.year
    rec.add(opt.id, "grid intensity", gi, "gCO2e/kWh", f"{region.name}: {src}", yr)
    price_m, psrc, pyr = _site(ctx, opt, i, "electricity_price")
    if price_m is None:
        price_m, psrc, pyr = region.electricity.price, region.electricity.source, region.electricity.year
    price = ctx.money(price_m, f"options[{i}].electricity_price")
    rec.add(opt.id, "electricity price", price, f"{ctx.cur}/kWh", f"{region.name}: {psrc}", pyr)
    return gi / 1000.0, price


def _quality(ctx: _Context, opt: Option, found: Quality | None) -> Quality | None:
    q = opt.quality or found
    if q is not None:
        ctx.rec.add(opt.id, f"quality ({q.task}, {q.metric})", q.value, "", q.source, q.year)
    return q


def _common(ctx: _Context, opt: Option, i: int) -> dict[str, Any]:
    """Site fields every deployment uses, recorded."""
    out: dict[str, Any] = {}
    units = {
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
    for name, unit in units.items():
        v, src, yr = _site(ctx, opt, i, name)
        out[name] = v
        ctx.rec.add(opt.id, name.replace("_", " "), v, unit, src, yr)
    for name, unit in (("colocation", "/kW/month"), ("other_opex", "/month")):
        m, src, yr = _site(ctx, opt, i, name)
        out[name] = ctx.money(m, f"options[{i}].{name}")
        ctx.rec.add(opt.id, name.replace("_", " "), out[name], f"{ctx.cur}{unit}", src, yr)
    return out


def _fine_tuning(
    ctx: _Context, opt: Option, i: int, pue: float, intensity: float, lifetime_m: float, level: str
) -> tuple[float, float, float]:
    ft = opt.fine_tuning
    if ft is None:
        return 0.0, 0.0, 0.0
    where = f"options[{i}].fine_tuning"
    if ft.region is not None:
        region = _region(ctx, ft.region, f"{where}.region")
        intensity = region.grid.intensity / 1000.0
    embodied_kg = 0.0
    cost = 0.0
    if ft.gpu_hours is not None:
        hw = _hardware(ctx, ft.hardware or "", f"{where}.hardware")
        it_kwh = ft.energy if ft.energy is not None else ft.gpu_hours * hw.power.max / 1000.0
        per_acc = hw.embodied.pick(level) + hw.server.embodied.pick(level) / hw.server.accelerators
        embodied_kg = ft.gpu_hours / (lifetime_m * HOURS_PER_MONTH) * per_acc
        if ft.cost is None:
            if hw.cloud is None:
                raise ctx.error(
                    f"{where}.cost", f"missing, and hardware {hw.id!r} has no cloud price to derive it"
                )
            cost = ft.gpu_hours * ctx.money(hw.cloud.on_demand, f"{where}.hardware")
    else:
        it_kwh = ft.energy or 0.0
    if ft.cost is not None:
        cost = ctx.money(ft.cost, f"{where}.cost")
    kwh = it_kwh * pue
    kg = kwh * intensity + embodied_kg
    ctx.rec.add(opt.id, "fine-tuning energy (facility)", kwh, "kWh", ft.source or "scenario", None)
    ctx.rec.add(opt.id, "fine-tuning emissions", kg, "kgCO2e", ft.source or "scenario", None)
    ctx.rec.add(opt.id, "fine-tuning cost", cost, ctx.cur, ft.source or "scenario", None)
    return cost, kwh, kg


def _resolve_hosted(ctx: _Context, opt: Option, i: int, carbon_price_kg: float) -> OptionInputs:
    rec = ctx.rec
    profile = _lookup(ctx, ctx.repo.models, opt.profile, f"options[{i}].profile", "model profile")
    hw = _hardware(ctx, profile.hardware, f"options[{i}].profile")
    common = _common(ctx, opt, i)
    region_id, _, _ = _site(ctx, opt, i, "region")
    region = _region(ctx, region_id, f"options[{i}].region")
    intensity, price = _grid_and_price(ctx, opt, i, region)
    point = _pick_point(ctx, opt, i, profile)
    psrc = profile.provenance.source or profile.provenance.method
    prov = f"profile {profile.id} ({profile.provenance.method}): {psrc}"
    energy_j = point.energy_per_query or 0.0
    thr = point.throughput or 0.0
    p95 = _p95(point)
    scale = _output_scale(ctx, profile, point)
    tokens_out = ctx.s.workload.tokens_out
    if scale != 1.0 and tokens_out is not None and point.output_tokens:
        rec.add(
            opt.id,
            "output-length scaling",
            scale,
            "x",
            f"workload tokens_out {tokens_out:g} / profile output tokens {point.output_tokens:g}: energy and "
            "latency scale with output length, throughput inversely (decode-bound generation)",
            None,
        )
    energy_kwh = energy_j * scale / J_PER_KWH
    thr = thr / scale
    p95 = p95 * scale if p95 is not None else None
    slo = ctx.s.workload.latency_slo_p95
    slo_met = slo is None or (p95 is not None and p95 <= slo)
    rec.add(opt.id, "batch size", point.batch_size, "", prov, profile.provenance.year)
    rec.add(
        opt.id,
        "energy per query (accelerators, gross)",
        energy_kwh * 1000.0,
        "Wh",
        prov,
        profile.provenance.year,
    )
    rec.add(opt.id, "throughput per replica", thr, "query/s", prov, profile.provenance.year)
    rec.add(opt.id, "accelerators per replica", profile.accelerators, "", prov, profile.provenance.year)
    if p95 is not None:
        rec.add(opt.id, "latency p95", p95, "s", prov, profile.provenance.year)
    rec.add(opt.id, "idle power", hw.power.idle, "W/accelerator", hw.power.source, hw.power.year)
    rec.add(opt.id, "max power", hw.power.max, "W/accelerator", hw.power.source, hw.power.year)
    host_w = hw.server.power / hw.server.accelerators
    rec.add(opt.id, "host power", host_w, "W/accelerator", hw.server.source, hw.server.year)
    level = common["embodied"]
    embodied = hw.embodied.pick(level) + hw.server.embodied.pick(level) / hw.server.accelerators
    rec.add(
        opt.id,
        f"embodied emissions ({level})",
        embodied,
        "kgCO2e/accelerator",
        f"{hw.embodied.source}; host: {hw.server.embodied.source}",
        hw.embodied.year,
    )
    unit_price = 0.0
    cloud_price = 0.0
    if opt.deployment == "on-prem":
        quote, qsrc, _ = _site(ctx, opt, i, "hardware_price")
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
            rec.add(
                opt.id, "host price share", host, f"{ctx.cur}/accelerator", hw.server.source, hw.server.year
            )
    else:
        pricing = common["pricing"]
        quote, qsrc, _ = _site(ctx, opt, i, "cloud_price")
        if quote is not None:
            cloud_price = ctx.money(quote, f"options[{i}].cloud_price")
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
            cloud_price = ctx.money(m, f"hardware {hw.id}.cloud")
            src, year = hw.cloud.source, hw.cloud.year
        rec.add(opt.id, f"cloud price ({pricing})", cloud_price, f"{ctx.cur}/accelerator-hour", src, year)
    fixed = float("nan")
    if isinstance(opt.fleet, Fleet):
        fixed = float(opt.fleet.accelerators)
        if fixed < profile.accelerators:
            raise ctx.error(
                f"options[{i}].fleet.accelerators",
                f"{fixed:g} is fewer than one replica needs ({profile.accelerators})",
            )
        rec.add(opt.id, "fleet (fixed)", fixed, "accelerators", f"scenario option {opt.id}", None)
    quality = _quality(ctx, opt, profile.quality_for(ctx.s.workload.task))
    ft_cost, ft_kwh, ft_kg = _fine_tuning(ctx, opt, i, common["pue"], intensity, common["lifetime"], level)
    return OptionInputs(
        id=opt.id,
        name=opt.name or opt.id,
        deployment=opt.deployment,
        energy_per_query_kwh=energy_kwh,
        throughput_qps=thr,
        accelerators_per_replica=profile.accelerators,
        fixed_fleet=fixed,
        min_replicas=int(common["min_replicas"]),
        utilisation=common["utilisation"],
        idle_power_kw=hw.power.idle / 1000.0,
        max_power_kw=hw.power.max / 1000.0,
        host_power_kw=host_w / 1000.0,
        pue=common["pue"],
        grid_intensity_kg_per_kwh=intensity,
        grid_decarbonisation=common["grid_decarbonisation"],
        renewable_share=common["renewable_share"],
        electricity_price=price if opt.deployment == "on-prem" else 0.0,
        electricity_escalation=common["electricity_escalation"],
        unit_price=unit_price,
        lifetime_months=common["lifetime"],
        residual_value=common["residual_value"],
        maintenance=common["maintenance"],
        colocation_per_kw_month=common["colocation"],
        other_opex_per_month=common["other_opex"],
        cloud_price_per_hour=cloud_price,
        embodied_kg_per_accelerator=embodied,
        fine_tuning_cost=ft_cost,
        fine_tuning_kwh=ft_kwh,
        fine_tuning_kg=ft_kg,
        carbon_price_per_kg=carbon_price_kg,
        quality=quality.value if quality else float("nan"),
        quality_metric=quality.metric if quality else None,
        latency_p95_s=p95 if p95 is not None else float("nan"),
        slo_met=slo_met,
        batch_size=point.batch_size,
        extra={
            "profile": profile.id,
            "model": profile.model.name,
            "hardware": hw.name,
            "hardware_id": hw.id,
            "region": region.id,
            "region_name": region.name,
            "method": profile.provenance.method,
            "fine_tuned": profile.model.fine_tuned,
            "parameters": profile.model.parameters,
        },
    )


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
    p_active = active / 1e9
    p_total = parameters / 1e9
    gpus = ceil_power_of_two(m.memory_overhead * p_total * bits / 8.0 / m.gpu_memory)
    gpu_wh_per_token = m.gpu_energy_a * math.exp(m.gpu_energy_b * m.batch_size) * p_active + m.gpu_energy_g
    gpu_wh = tokens_out * gpu_wh_per_token * gpus
    server_s = api_latency_s(m, active, tokens_out) / m.batch_size
    server_wh = server_s * m.server_power * gpus / m.server_gpus / 3600.0
    return (gpu_wh + server_wh) / 1000.0, server_s, gpus


def api_latency_s(m: Any, active: float, tokens_out: float) -> float:
    """Generation latency of one API request in seconds (EcoLogits' latency fit)."""
    return tokens_out * (m.latency_a * active / 1e9 + m.latency_b)


def _resolve_api(ctx: _Context, opt: Option, i: int, carbon_price_kg: float) -> OptionInputs:
    rec = ctx.rec
    offer = _lookup(ctx, ctx.repo.apis, opt.api, f"options[{i}].api", "API offering")
    common = _common(ctx, opt, i)
    region = _region(ctx, opt.region or offer.region, f"options[{i}].region")
    intensity, _ = _grid_and_price(ctx, opt, i, region)
    pue = opt.pue if opt.pue is not None else offer.pue
    w = ctx.s.workload
    t_in = (
        w.tokens_in
        if w.tokens_in is not None
        else (offer.tokens_in if offer.tokens_in is not None else 300.0)
    )
    t_out = (
        w.tokens_out
        if w.tokens_out is not None
        else (offer.tokens_out if offer.tokens_out is not None else 300.0)
    )
    p_in = ctx.money(offer.price.input, f"apis {offer.id}.price.input")
    p_out = ctx.money(offer.price.output, f"apis {offer.id}.price.output")
    cost_q = t_in * p_in + t_out * p_out
    active = offer.model.active_parameters or offer.model.parameters
    m = ctx.repo.api_energy
    kwh, server_s, gpus = api_energy_per_query(
        m, offer.model.parameters, active, offer.model.quantization_bits, t_out
    )
    latency = api_latency_s(m, active, t_out)
    level = common["embodied"]
    life_h = m.lifetime * HOURS_PER_MONTH
    emb_q = server_s / 3600.0 / life_h * (gpus * m.gpu_embodied + gpus / m.server_gpus * m.server_embodied)
    rec.add(
        opt.id,
        "tokens per query (in, out)",
        f"{t_in:g}, {t_out:g}",
        "token",
        "workload" if w.tokens_out else "default",
        None,
    )
    rec.add(
        opt.id,
        "API price",
        f"{p_in * 1e6:.4g} in / {p_out * 1e6:.4g} out",
        f"{ctx.cur}/Mtoken",
        offer.price.source,
        offer.price.year,
    )
    rec.add(opt.id, "API cost per query", cost_q, ctx.cur, "tokens x price", None)
    rec.add(opt.id, "API energy per query (IT, estimated)", kwh * 1000.0, "Wh", m.source, m.year)
    rec.add(opt.id, "API GPUs per request (estimated)", gpus, "", m.source, m.year)
    rec.add(opt.id, "API embodied per query (estimated)", emb_q * 1000.0, "gCO2e", m.source, m.year)
    rec.add(opt.id, "pue (api)", pue, "", "option" if opt.pue is not None else f"offering {offer.id}", None)
    quality = _quality(ctx, opt, offer.quality_for(w.task))
    ft_cost, ft_kwh, ft_kg = _fine_tuning(ctx, opt, i, pue, intensity, common["lifetime"], level)
    slo = w.latency_slo_p95
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
        other_opex_per_month=common["other_opex"],
        api_cost_per_query=cost_q,
        api_embodied_kg_per_query=emb_q,
        fine_tuning_cost=ft_cost,
        fine_tuning_kwh=ft_kwh,
        fine_tuning_kg=ft_kg,
        carbon_price_per_kg=carbon_price_kg,
        quality=quality.value if quality else float("nan"),
        quality_metric=quality.metric if quality else None,
        latency_p95_s=latency,
        slo_met=slo is None or latency <= slo,
        extra={
            "api": offer.id,
            "model": offer.name,
            "hardware": f"{gpus} GPU (estimated)",
            "region": region.id,
            "region_name": region.name,
            "method": "estimated",
            "fine_tuned": False,
            "parameters": offer.model.parameters,
        },
    )


def resolve(scenario: Scenario, repo: Repository, *, file: str = "scenario") -> Resolved:
    """Turn a validated scenario into engine inputs, or raise one ScenarioError naming file and field."""
    ctx = _Context(scenario, repo, file)
    carbon = ctx.money(scenario.carbon_price, "carbon_price") / 1000.0 if scenario.carbon_price else 0.0
    options: list[OptionInputs] = []
    for i, opt in enumerate(scenario.options):
        try:
            if opt.deployment == "api":
                options.append(_resolve_api(ctx, opt, i, carbon))
            else:
                options.append(_resolve_hosted(ctx, opt, i, carbon))
        except InputError as e:
            if isinstance(e, ScenarioError) or (e.field or "").startswith(f"options[{i}]"):
                raise
            raise e.located(file=file, field=f"options[{i}]") from e
    w = scenario.workload
    floor = w.quality_floor if w.quality_floor is not None else float("nan")
    workload = WorkloadInputs(
        queries_per_day=w.queries_per_day,
        annual_growth=w.annual_growth,
        peak_to_average=w.peak_factor(),
        quality_floor=floor,
        task=w.task,
    )
    finance = FinanceInputs(
        months=int(scenario.horizon),
        discount_rate=scenario.discount_rate,
        start=scenario.start,
        currency=scenario.currency.reporting,
    )
    rec = ctx.rec
    rec.add("(all)", "queries per day", w.queries_per_day, "query/day", "scenario workload", None)
    rec.add("(all)", "annual growth", w.annual_growth, "/year", "scenario workload", None)
    rec.add(
        "(all)",
        "peak to average",
        workload.peak_to_average,
        "",
        "scenario workload" if (w.peak_to_average or w.daily_profile) else "slm-tco default",
        None,
    )
    rec.add("(all)", "horizon", finance.months, "month", "scenario", None)
    rec.add("(all)", "discount rate", scenario.discount_rate, "/year", "scenario", None)
    rec.add(
        "(all)",
        "carbon price",
        carbon * 1000.0,
        f"{ctx.cur}/tCO2e",
        "scenario" if scenario.carbon_price else "none",
        None,
    )
    for cur, rate in ctx.rates.items():
        rec.add("(all)", f"exchange rate {cur}", rate, f"{ctx.cur}/{cur}", "scenario currency.rates", None)
    return Resolved(options, workload, finance, rec.rows, scenario.baseline)
