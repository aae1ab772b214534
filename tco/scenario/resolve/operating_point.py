"""Step: the operating point a hosted option runs at, scaled to the workload's output length."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tco.scenario.resolve.context import J_PER_KWH, Context
from tco.scenario.schema import ModelProfile, OperatingPoint, Option


@dataclass(frozen=True)
class Operating:
    """What the engine needs from the chosen point, already scaled to the workload."""

    point: OperatingPoint
    energy_per_query_kwh: float  # accelerators, gross (idle included), per query
    throughput_qps: float  # queries per second per replica
    latency_p95_s: float | None
    slo_met: bool


def output_scale(ctx: Context, profile: ModelProfile, point: OperatingPoint) -> float:
    """How much longer (or shorter) the workload's answers are than the profile's, for generative models."""
    tokens_out = ctx.s.workload.tokens_out
    if tokens_out is None or profile.model.kind == "classifier" or not point.output_tokens:
        return 1.0
    return tokens_out / point.output_tokens


def p95_of(p: OperatingPoint) -> float | None:
    """A point's p95 latency in s, its p50 where no p95 was recorded."""
    return p.latency_p95 if p.latency_p95 is not None else p.latency_p50


def pick_point(ctx: Context, opt: Option, i: int, profile: ModelProfile) -> OperatingPoint:
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
        v = p95_of(p)
        return v * output_scale(ctx, profile, p) if v is not None else math.inf

    def throughput(p: OperatingPoint) -> float:
        return (p.throughput or 0.0) / output_scale(ctx, profile, p)

    slo = ctx.s.workload.latency_slo_p95
    meeting = [p for p in ok if slo is None or p95(p) <= slo]
    if meeting:
        return max(meeting, key=throughput)
    return min(ok, key=p95)


def operating_point(ctx: Context, opt: Option, i: int, profile: ModelProfile) -> Operating:
    """The chosen point's energy, throughput and latency at the workload's output length, recorded."""
    rec = ctx.rec
    point = pick_point(ctx, opt, i, profile)
    psrc = profile.provenance.source or profile.provenance.method
    prov = f"profile {profile.id} ({profile.provenance.method}): {psrc}"
    year = profile.provenance.year
    scale = output_scale(ctx, profile, point)
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
    energy_kwh = (point.energy_per_query or 0.0) * scale / J_PER_KWH
    thr = (point.throughput or 0.0) / scale
    p95 = p95_of(point)
    p95 = p95 * scale if p95 is not None else None
    slo = ctx.s.workload.latency_slo_p95
    slo_met = slo is None or (p95 is not None and p95 <= slo)
    rec.add(opt.id, "batch size", point.batch_size, "", prov, year)
    rec.add(opt.id, "energy per query (accelerators, gross)", energy_kwh * 1000.0, "Wh", prov, year)
    rec.add(opt.id, "throughput per replica", thr, "query/s", prov, year)
    rec.add(opt.id, "accelerators per replica", profile.accelerators, "", prov, year)
    if p95 is not None:
        rec.add(opt.id, "latency p95", p95, "s", prov, year)
    return Operating(point, energy_kwh, thr, p95, slo_met)
