"""Step: the batch sweep a hosted option runs along, scaled to the workload's output length.

The option's capacity point is the batch size it may not exceed (`batch_size`, like a server's maximum
number of sequences in flight), by default the highest-throughput point whose request-level p95 latency
meets the SLO. Below it the replica runs at whatever concurrency the arrivals produce: the engine moves
along the sweep of measured points up to the capacity point (see tco.engine.formulas), so every point
with a smaller batch and a lower throughput is kept, in order of batch size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tco.scenario.resolve.context import J_PER_KWH, Context
from tco.scenario.schema import ModelProfile, OperatingPoint, Option

DEFAULT_TOKENS = 300.0  # tokens per query in and out when neither the workload nor any option gives them


@dataclass(frozen=True)
class Operating:
    """What the engine needs from the sweep, already scaled to the workload."""

    point: OperatingPoint  # the capacity point
    energy_per_query_kwh: float  # at the capacity point: accelerators, gross (idle included), per query
    throughput_qps: float  # at the capacity point: queries per second per replica
    latency_p95_s: float | None  # at the capacity point
    slo_met: bool
    sweep: list[OperatingPoint]  # the points used, capacity point last
    throughput: tuple[float, ...]  # per point, relative to the capacity point
    energy: tuple[float, ...]
    latency_p95: tuple[float, ...]  # per point, s; () when a point has no latency
    batch: tuple[float, ...]


def output_scale(ctx: Context, profile: ModelProfile, point: OperatingPoint) -> float:
    """How much longer (or shorter) the workload's answers are than the profile's, for generative models."""
    tokens_out = ctx.tokens_out
    if profile.model.kind == "classifier" or not point.output_tokens:
        return 1.0
    return tokens_out / point.output_tokens


def request_p95(p: OperatingPoint, scale: float) -> float | None:
    """A point's request-level p95 latency in s at `scale` x its output length.

    With the output-length distribution: p95 length x p95 inter-token latency + p95 time to first token;
    without it, the recorded p95 (else p50) latency scaled with the output length."""
    tpot = p.tpot_p95 if p.tpot_p95 is not None else p.tpot_p50
    if p.output_tokens_p95 is not None and tpot is not None:
        ttft = p.ttft_p95 if p.ttft_p95 is not None else (p.ttft_p50 or 0.0)
        return p.output_tokens_p95 * scale * tpot + ttft
    v = p.latency_p95 if p.latency_p95 is not None else p.latency_p50
    return v * scale if v is not None else None


def p95_of(p: OperatingPoint) -> float | None:
    """A point's p95 latency in s, its p50 where no p95 was recorded."""
    return p.latency_p95 if p.latency_p95 is not None else p.latency_p50


def pick_point(ctx: Context, opt: Option, i: int, profile: ModelProfile) -> OperatingPoint:
    """The capacity point: the option's batch size, else the highest-throughput one whose request-level p95
    latency (at the workload's output length) meets the SLO, else the lowest-latency one."""
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
        v = request_p95(p, output_scale(ctx, profile, p))
        return v if v is not None else math.inf

    def throughput(p: OperatingPoint) -> float:
        return (p.throughput or 0.0) / output_scale(ctx, profile, p)

    slo = ctx.s.workload.latency_slo_p95
    meeting = [p for p in ok if slo is None or p95(p) <= slo]
    if meeting:
        return max(meeting, key=throughput)
    return min(ok, key=p95)


def sweep_points(profile: ModelProfile, cap: OperatingPoint) -> list[OperatingPoint]:
    """The points below the capacity point a replica passes through as its load rises: smaller batches
    with a lower throughput than every larger kept one, in batch order, the capacity point last."""
    cap_x = cap.throughput or 0.0
    below = sorted(
        (p for p in profile.ok_points() if p.batch_size < cap.batch_size and (p.throughput or 0.0) < cap_x),
        key=lambda p: p.batch_size,
    )
    kept: list[OperatingPoint] = []
    for p in below:
        if not kept or (p.throughput or 0.0) > (kept[-1].throughput or 0.0):
            kept.append(p)
    return [*kept, cap]


def operating_point(ctx: Context, opt: Option, i: int, profile: ModelProfile) -> Operating:
    """The sweep's energy, throughput and latency at the workload's output length, recorded."""
    rec = ctx.rec
    point = pick_point(ctx, opt, i, profile)
    psrc = profile.provenance.source or profile.provenance.method
    prov = f"profile {profile.id} ({profile.provenance.method}): {psrc}"
    year = profile.provenance.year
    scale = output_scale(ctx, profile, point)
    if scale != 1.0 and point.output_tokens:
        rec.add(
            opt.id,
            "output-length scaling",
            scale,
            "x",
            f"workload tokens_out {ctx.tokens_out:g} / profile output tokens {point.output_tokens:g}: energy and "
            "latency scale with output length, throughput inversely (decode-bound generation)",
            None,
        )
    points = sweep_points(profile, point)
    scales = [output_scale(ctx, profile, p) for p in points]
    energy = [(p.energy_per_query or 0.0) * s / J_PER_KWH for p, s in zip(points, scales, strict=True)]
    thr = [(p.throughput or 0.0) / s for p, s in zip(points, scales, strict=True)]
    lat = [request_p95(p, s) for p, s in zip(points, scales, strict=True)]
    energy_kwh, cap_x = energy[-1], thr[-1]
    p95 = lat[-1]
    slo = ctx.s.workload.latency_slo_p95
    slo_met = slo is None or (p95 is not None and p95 <= slo)
    method = (
        "p95 output length x p95 inter-token latency + p95 time to first token"
        if point.output_tokens_p95 is not None and (point.tpot_p95 or point.tpot_p50) is not None
        else "recorded p95 latency (mean output length x p95 inter-token latency where so published)"
    )
    rec.add(opt.id, "batch size (capacity point)", point.batch_size, "", prov, year)
    rec.add(
        opt.id, "energy per query at capacity (accelerators, gross)", energy_kwh * 1000.0, "Wh", prov, year
    )
    rec.add(opt.id, "throughput per replica at capacity", cap_x, "query/s", prov, year)
    rec.add(opt.id, "accelerators per replica", profile.accelerators, "", prov, year)
    if p95 is not None:
        rec.add(opt.id, "latency p95 at capacity (request level)", p95, "s", f"{prov}; {method}", year)
    rec.add(
        opt.id,
        "batch sweep (load model)",
        "; ".join(
            f"batch {p.batch_size}: {x:.4g} query/s, {e * J_PER_KWH:.4g} J/query, {e * x * J_PER_KWH:.4g} W"
            for p, x, e in zip(points, thr, energy, strict=True)
        ),
        "",
        f"{prov}; power is interpolated linearly in load between these points and idle power at zero load",
        year,
    )
    latencies = tuple(float(v) for v in lat if v is not None)
    return Operating(
        point=point,
        energy_per_query_kwh=energy_kwh,
        throughput_qps=cap_x,
        latency_p95_s=p95,
        slo_met=slo_met,
        sweep=points,
        throughput=tuple(x / cap_x for x in thr),
        energy=tuple(e / energy_kwh for e in energy),
        latency_p95=latencies if len(latencies) == len(points) else (),
        batch=tuple(float(p.batch_size) for p in points),
    )
