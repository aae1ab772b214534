"""Step: the sweep a hosted option runs along, at the workload's input and output lengths.

A profile measures a replica at several concurrencies (its batch sweep), for requests of one input length
or several (`input_tokens` on its points). `serving_points` moves every measured concurrency to the
workload's input and output tokens (tco.engine.serving: output scaling, interpolation between measured
input lengths, the prefill model beyond them). The option's capacity point is the concurrency it may not
exceed (`batch_size`, like a server's maximum number of sequences in flight), by default the
highest-throughput concurrency meeting every latency target (request p95, time to first token, time per
output token), interpolated between measured points. Below it the replica runs at whatever concurrency
the arrivals produce: the engine moves along the points up to the capacity point (tco.engine.formulas).
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, replace
from typing import Any

from tco.engine.constants import WH_PER_KWH
from tco.engine.serving import (
    THROUGHPUT_TIE,
    Measured,
    ServingPoint,
    Targets,
    across_inputs,
    at_lengths,
    capacity_concurrency,
    context_seconds_per_token,
    point_at,
    prefill_seconds_per_token,
)
from tco.scenario.resolve.context import J_PER_KWH, Context
from tco.scenario.schema import Hardware, ModelProfile, OperatingPoint, Option, sweep_key

DEFAULT_TOKENS = 300.0  # tokens per query in and out when neither the workload nor any option gives them
NAN = math.nan
PRECISIONS = ("fp4", "fp8", "bf16", "fp16")  # narrowest first: a part without one uses the next wider


@dataclass(frozen=True)
class Prefill:
    """The replica's prefill time per input token (tau_p) and what one input token adds to each output token
    after it (kappa), s; nan when unknown; and how they were obtained."""

    seconds_per_token: float
    context_seconds: float
    how: str
    source: str
    year: int | None = None


@dataclass(frozen=True)
class Operating:
    """What the engine needs from the sweep, already at the workload's lengths."""

    point: ServingPoint  # the capacity point
    missed: tuple[str, ...]  # latency targets the capacity point misses
    energy_per_query_kwh: float  # at the capacity point: accelerators, gross (idle included), per query
    throughput_qps: float  # at the capacity point: queries per second per replica
    latency_p95_s: float | None  # at the capacity point
    slo_met: bool
    sweep: list[ServingPoint]  # the points used, capacity point last
    throughput: tuple[float, ...]  # per point, relative to the capacity point
    energy: tuple[float, ...]
    latency_p95: tuple[float, ...]  # per point, s; () when a point has no latency
    batch: tuple[float, ...]
    points: tuple[ServingPoint, ...]  # every measured concurrency at the workload's lengths


def _nan(v: float | None) -> float:
    return NAN if v is None else float(v)


def _first(*values: float | None) -> float:
    return next((float(v) for v in values if v is not None), NAN)


def measured(p: OperatingPoint, input_tokens: float) -> Measured:
    """A profile point as the serving model reads it (p95s fall back to p50s, as request latency always did)."""
    return Measured(
        concurrency=float(p.batch_size),
        throughput_qps=float(p.throughput or 0.0),
        energy_j=float(p.energy_per_query or 0.0),
        input_tokens=input_tokens,
        output_tokens=_nan(p.output_tokens),
        output_tokens_p95=_nan(p.output_tokens_p95),
        latency_p95_s=_first(p.latency_p95, p.latency_p50),
        ttft_p95_s=_first(p.ttft_p95, p.ttft_p50),
        tpot_p50_s=_first(p.tpot_p50, p.tpot_p95),
        tpot_p95_s=_first(p.tpot_p95, p.tpot_p50),
        latency_p95_measured=p.latency_basis == "requests" and p.latency_p95 is not None,
    )


def dataset_input_tokens(ctx: Context, profile: ModelProfile) -> tuple[float, str] | None:
    """The input length of a profile that records none: the benchmark task its provenance names."""
    serving = ctx.repo.serving
    if serving is None:
        return None
    prov = profile.provenance
    text = " ".join([prov.source or "", prov.notes or "", *(prov.imported_from or [])])
    for d in serving.dataset_input_tokens:
        if re.search(rf"(?<![a-z0-9-]){re.escape(d.task)}(?![a-z0-9-])", text):
            return float(d.tokens), f"{d.task} ({d.basis}): {d.source}"
    return None


@dataclass(frozen=True)
class Sweep:
    """The points of one profile measured at one input length (and nominal output length)."""

    input_tokens: float  # mean per query; nan when unknown
    output_tokens: float  # nominal, else the median of the points'
    points: tuple[OperatingPoint, ...]


def sweeps(ctx: Context, profile: ModelProfile) -> tuple[list[Sweep], str]:
    """The profile's sweeps, one per measured input length (for several nominal output lengths at one input
    length, the one nearest the workload's), ascending input; and where their input lengths come from."""
    groups: dict[tuple[float | None, float | None], list[OperatingPoint]] = {}
    for p in profile.ok_points():
        groups.setdefault(sweep_key(p), []).append(p)
    default = dataset_input_tokens(ctx, profile)
    found: list[Sweep] = []
    for (_, out_nominal), pts in groups.items():
        ins = [_nan(p.input_tokens) for p in pts if p.input_tokens is not None]
        if ins:
            i = statistics.fmean(ins)
        else:
            nominal = pts[0].input_tokens_nominal
            i = float(nominal) if nominal is not None else (default[0] if default else NAN)
        outs = [_nan(p.output_tokens) for p in pts if p.output_tokens]
        o = float(out_nominal) if out_nominal is not None else (statistics.median(outs) if outs else NAN)
        found.append(Sweep(i, o, tuple(sorted(pts, key=lambda p: p.batch_size))))
    want = ctx.tokens_out
    by_input: dict[float, Sweep] = {}
    for s in found:
        key = s.input_tokens if not math.isnan(s.input_tokens) else -1.0
        best = by_input.get(key)
        if best is None or _distance(s.output_tokens, want) < _distance(best.output_tokens, want):
            by_input[key] = s
    chosen = sorted(by_input.values(), key=lambda s: s.input_tokens if not math.isnan(s.input_tokens) else -1)
    if all(
        any(p.input_tokens is not None or p.input_tokens_nominal is not None for p in s.points)
        for s in chosen
    ):
        where = "recorded on the profile's points"
    elif default is not None:
        where = f"not recorded; the benchmark's mean prompt, {default[1]}"
    else:
        where = "not recorded and unknown: no input-length correction"
    return chosen, where


def _distance(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b) or a <= 0 or b <= 0:
        return math.inf if not (math.isnan(a) and math.isnan(b)) else 0.0
    return abs(math.log(a / b))


def compute_precision(ctx: Context, profile: ModelProfile) -> str:
    """The precision prefill computes in: the profile's `compute_precision`, else its dtype's (README)."""
    if profile.compute_precision is not None:
        return profile.compute_precision
    serving = ctx.repo.serving
    table = serving.compute_precision if serving is not None else {}
    return table.get((profile.dtype or "").lower(), "bf16")


def peak_flops(hw: Hardware, precision: str) -> tuple[float, str] | None:
    """Peak dense FLOP/s per accelerator at `precision`, else at the next wider precision the part has
    (fp4 -> fp8 -> bf16 -> fp16: a T4 has fp16 only)."""
    if hw.compute is None:
        return None
    for p in PRECISIONS[PRECISIONS.index(precision) :]:
        tflops = hw.compute.peak(p)
        if tflops:
            return float(tflops) * 1e12, p
    return None


def prefill_rate(ctx: Context, profile: ModelProfile, hw: Hardware) -> Prefill:
    """tau_p and kappa of one replica: the prefill model (2 x active parameters FLOPs per token at the
    calibrated fractions of the hardware's peak); tau_p measured by a prefill-only pass where the profile has
    one (kappa then from the model, 0 without compute data)."""
    if profile.model.kind == "classifier":
        return Prefill(NAN, NAN, "classifier: time per query as measured (no input-length model)", "", None)
    serving = ctx.repo.serving
    want = compute_precision(ctx, profile)
    peak = peak_flops(hw, want)
    active = profile.model.active_parameters or profile.model.parameters
    kappa, model = NAN, ""
    if serving is not None and peak is not None:
        flops, used = peak
        cal = serving.prefill
        tau_p = prefill_seconds_per_token(flops, cal.prefill_fraction, active, profile.accelerators)
        kappa = context_seconds_per_token(flops, cal.context_cost, active, profile.accelerators)
        wider = "" if used == want else f", {want} not in its compute data: the next wider"
        model = (
            f"2 x {active:.3g} active parameters at {flops / 1e12:g} TFLOP/s {used}{wider} x {profile.accelerators}: "
            f"prefill at {cal.prefill_fraction:g} of peak ({1.0 / tau_p:,.0f} input tokens/s per replica), "
            f"context {cal.context_cost:g} x peak time per output token ({kappa * 1e9:.3g} ns)"
        )
    if profile.prefill is not None:
        tau = profile.prefill.seconds_per_token
        how = f"measured by a prefill-only pass ({1.0 / tau:,.0f} input tokens/s per replica)"
        how += f"; context cost from the model: {model}" if model else "; no context cost (no compute data)"
        return Prefill(tau, kappa if model else 0.0, how, f"profile {profile.id} prefill", None)
    if serving is None:
        return Prefill(NAN, NAN, "no prefill model (methods/serving.yaml missing)", "", None)
    if peak is None:
        return Prefill(NAN, NAN, f"no prefill model: hardware {hw.id} has no compute data", "", None)
    src = f"methods/serving.yaml prefill ({serving.prefill.source}); hardware {hw.id} compute"
    return Prefill(tau_p, kappa, model, src, serving.prefill.year)


def serving_points(
    ctx: Context,
    profile: ModelProfile,
    prefill: Prefill,
    input_tokens: float,
    output_tokens: float,
    chosen: list[Sweep],
) -> list[ServingPoint]:
    """Every measured concurrency of the profile for queries of `input_tokens` in and `output_tokens` out,
    ascending concurrency (the per-query lengths are arguments: an option may have its own)."""
    by_batch: dict[int, list[tuple[float, OperatingPoint]]] = {}
    for s in chosen:
        for p in s.points:
            by_batch.setdefault(p.batch_size, []).append((s.input_tokens, p))
    out: list[ServingPoint] = []
    tau, kappa = prefill.seconds_per_token, prefill.context_seconds
    classifier = profile.model.kind == "classifier"
    o = NAN if classifier else output_tokens
    for b in sorted(by_batch):
        rows = by_batch[b]
        if len(rows) == 1 or any(math.isnan(i) for i, _ in rows):
            i_m, p = rows[0]
            point = at_lengths(measured(p, i_m), input_tokens, o, tau, kappa)
        else:
            point = across_inputs([(i, measured(p, i)) for i, p in rows], input_tokens, o, tau, kappa)
        if math.isnan(point.ttft_p95_s) and not math.isnan(tau):  # TTFT not recorded: the prompt alone
            point = replace(point, ttft_p95_s=input_tokens * tau)
        out.append(point)
    return out


def targets(ctx: Context) -> Targets:
    """The workload's latency targets (tokens_per_second_per_user is 1 / tpot_p95)."""
    w = ctx.s.workload
    tpot = w.tpot_p95
    if tpot is None and w.tokens_per_second_per_user:
        tpot = 1.0 / w.tokens_per_second_per_user
    return Targets(_nan(w.latency_slo_p95), _nan(w.ttft_p95), _nan(tpot))


def pick_point(
    ctx: Context, opt: Option, i: int, profile: ModelProfile, points: list[ServingPoint]
) -> ServingPoint:
    """The capacity point: the option's batch size (a measured one, or a whole concurrency between two,
    interpolated), else `capacity_concurrency` for the workload's targets, else (none met) the measured point
    nearest to meeting them (smallest worst ratio of metric to target)."""
    where = f"options[{i}].batch_size"
    if opt.batch_size is not None:
        point = next((p for p in profile.points if p.batch_size == opt.batch_size), None)
        if point is not None and point.status != "ok":
            raise ctx.error(
                where, f"profile {profile.id!r} recorded batch size {opt.batch_size} as {point.status}"
            )
        lo, hi = points[0].concurrency, points[-1].concurrency
        if not lo <= opt.batch_size <= hi:
            sizes = ", ".join(f"{p.concurrency:g}" for p in points)
            raise ctx.error(
                where,
                f"profile {profile.id!r} has no batch size {opt.batch_size}, expected one of {sizes} "
                "or a whole number between two of them",
            )
        return point_at(points, float(opt.batch_size))
    goal = targets(ctx)
    best = capacity_concurrency(points, goal)
    if best is not None:
        return point_at(points, best)
    checks = goal.checks()

    def worst(p: ServingPoint) -> float:
        ratios = [f(p) / t if t > 0 else math.inf for _, t, f in checks]
        return max((r for r in ratios if not math.isnan(r)), default=math.inf)

    return min(points, key=worst)


def sweep_points(points: list[ServingPoint], cap: ServingPoint) -> list[ServingPoint]:
    """The points below the capacity point a replica passes through as its load rises: smaller concurrencies
    with a lower throughput than every larger kept one, ascending, the capacity point last."""
    below = [p for p in points if p.concurrency < cap.concurrency and p.throughput_qps < cap.throughput_qps]
    kept: list[ServingPoint] = []
    for p in below:
        if not kept or p.throughput_qps > kept[-1].throughput_qps:
            kept.append(p)
    return [*kept, cap]


_CACHE_SIZE = 256
_cache: dict[tuple[int, int, int, float, float], tuple[tuple[object, ...], Any]] = {}


def _serving(
    ctx: Context, profile: ModelProfile, hw: Hardware
) -> tuple[Prefill, list[Sweep], str, list[ServingPoint]]:
    """The prefill model, the sweeps and the serving points of a profile at the context's lengths: a pure
    function of the profile, the hardware, the serving method and the lengths, remembered for the options
    and the portfolio's tasks that ask for the same (a bounded cache keyed by object identity, checked)."""
    serving = ctx.repo.serving
    key = (id(profile), id(hw), id(serving), ctx.tokens_in, ctx.tokens_out)
    hit = _cache.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], (profile, hw, serving), strict=True)):
        return hit[1]  # type: ignore[no-any-return]
    prefill = prefill_rate(ctx, profile, hw)
    chosen, where = sweeps(ctx, profile)
    points = serving_points(ctx, profile, prefill, ctx.tokens_in, ctx.tokens_out, chosen)
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    _cache[key] = ((profile, hw, serving), (prefill, chosen, where, points))
    return prefill, chosen, where, points


def operating_point(ctx: Context, opt: Option, i: int, profile: ModelProfile, hw: Hardware) -> Operating:
    """The sweep's energy, throughput and latency at the workload's input and output lengths, recorded."""
    rec = ctx.rec
    psrc = profile.provenance.source or profile.provenance.method
    prov = f"profile {profile.id} ({profile.provenance.method}): {psrc}"
    year = profile.provenance.year
    prefill, chosen, where, points = _serving(ctx, profile, hw)
    cap = pick_point(ctx, opt, i, profile, points)
    goal = targets(ctx)
    slo_met = goal.met(cap)
    generative = profile.model.kind != "classifier"
    lengths = ", ".join(
        f"{s.input_tokens:g}" if not math.isnan(s.input_tokens) else "unknown" for s in chosen
    )
    if generative:
        rec.add(
            opt.id,
            "input tokens of the profile's sweep(s)",
            lengths,
            "token",
            f"{prov}; {where}",
            year,
        )
        rec.add(
            opt.id,
            "prefill time per input token",
            prefill.seconds_per_token * 1e6 if not math.isnan(prefill.seconds_per_token) else "n/a",
            "us/token",
            f"{prefill.how}; {prefill.source}" if prefill.source else prefill.how,
            prefill.year,
        )
        measured_out = [s.output_tokens for s in chosen if not math.isnan(s.output_tokens)]
        if measured_out and any(abs(ctx.tokens_out - o) > 1e-9 for o in measured_out):
            rec.add(
                opt.id,
                "output-length scaling",
                ctx.tokens_out / measured_out[0],
                "x",
                f"{'option' if opt.tokens_out is not None else 'workload'} tokens_out {ctx.tokens_out:g} / "
                "profile output tokens "
                f"{', '.join(f'{o:g}' for o in measured_out)}: time and energy per query scale with output "
                "length, per-token latencies do not",
                None,
            )
        rec.add(
            opt.id,
            "input-length model at capacity",
            cap.basis,
            "",
            f"workload tokens_in {ctx.tokens_in:g}; README: the operating point",
            None,
        )
    points_kept = sweep_points(points, cap)
    energy = [p.energy_j / J_PER_KWH for p in points_kept]
    thr = [p.throughput_qps for p in points_kept]
    lat = [p.latency_p95_s for p in points_kept]
    energy_kwh, cap_x = energy[-1], thr[-1]
    p95 = None if math.isnan(cap.latency_p95_s) else cap.latency_p95_s
    basis = "capacity point" if opt.batch_size is None else f"scenario option {opt.id} batch_size"
    rec.add(
        opt.id,
        "batch size (capacity point)",
        cap.concurrency,
        "",
        f"{prov}; {basis}: {_why(goal, cap, opt, points)}",
        year,
    )
    rec.add(
        opt.id,
        "energy per query at capacity (accelerators, gross)",
        energy_kwh * WH_PER_KWH,
        "Wh",
        prov,
        year,
    )
    rec.add(opt.id, "throughput per replica at capacity", cap_x, "query/s", prov, year)
    rec.add(opt.id, "accelerators per replica", profile.accelerators, "", prov, year)
    if p95 is not None:
        rec.add(
            opt.id,
            "latency p95 at capacity (request level)",
            p95,
            "s",
            f"{prov}; {_latency_method(profile)}",
            year,
        )
    for name, target, metric in goal.checks():
        value = metric(cap)
        rec.add(
            opt.id,
            f"{name} at capacity",
            value if not math.isnan(value) else "unknown",
            "s",
            f"target {target:.4g} s: {'met' if not math.isnan(value) and value <= target * (1 + 1e-12) else 'MISSED'}",
            None,
        )
    rec.add(
        opt.id,
        "batch sweep (load model)",
        "; ".join(
            f"batch {p.concurrency:g}: {p.throughput_qps:.4g} query/s, {p.energy_j:.4g} J/query, {p.power_w:.4g} W"
            for p in points_kept
        ),
        "",
        f"{prov}; power is interpolated linearly in load between these points and idle power at zero load",
        year,
    )
    latencies = tuple(float(v) for v in lat if not math.isnan(v))
    return Operating(
        point=cap,
        missed=tuple(n for n, t, f in goal.checks() if not (f(cap) <= t * (1 + 1e-12))),
        energy_per_query_kwh=energy_kwh,
        throughput_qps=cap_x,
        latency_p95_s=p95,
        slo_met=slo_met,
        sweep=points_kept,
        throughput=tuple(x / cap_x for x in thr),
        energy=tuple(e / energy_kwh for e in energy),
        latency_p95=latencies if len(latencies) == len(points_kept) else (),
        batch=tuple(p.concurrency for p in points_kept),
        points=tuple(sorted([*points, cap] if cap not in points else points, key=lambda p: p.concurrency)),
    )


def _why(goal: Targets, cap: ServingPoint, opt: Option, points: list[ServingPoint]) -> str:
    if opt.batch_size is not None:
        return cap.basis
    tied = [
        f"{p.concurrency:g}"
        for p in points
        if p.concurrency != cap.concurrency
        and abs(p.throughput_qps - cap.throughput_qps) <= THROUGHPUT_TIE * cap.throughput_qps
        and goal.met(p)
        and goal.met(cap)
    ]
    tie = (
        f"; the same throughput at batch {', '.join(tied)}: the least energy per query, then the larger"
        if tied
        else ""
    )
    if not goal.any():
        return f"no latency target: the highest-throughput concurrency{tie}"
    names = ", ".join(n for n, _, _ in goal.checks())
    met = "meeting" if goal.met(cap) else "none meets; nearest to"
    return f"highest-throughput whole concurrency {met} {names} ({cap.basis}){tie}"


def _latency_method(profile: ModelProfile) -> str:
    p = profile.ok_points()[-1]
    if p.output_tokens_p95 is not None and (p.tpot_p95 or p.tpot_p50) is not None:
        return "p95 output length x p95 inter-token latency + p95 time to first token"
    return "recorded p95 latency (mean output length x p95 inter-token latency where so published)"
