"""The serving model of one replica: time, energy and latency per query as functions of a query's input
and output tokens and of the replica's concurrency. Pure numbers, no I/O (README, "How the numbers are
computed": the operating point).

A profile measures a replica at concurrencies b (its batch sweep) for requests of input length I_m and
output length O_m. Serving engines batch continuously and prefill in chunks that share iterations with
decode (vLLM's chunked prefill), so at concurrency b a query occupies the replica for

    T(I, O) = (O / O_m) x T_m + (I - I_m) x tau(O),     never below I x tau_p,

replica-seconds (T_m = 1 / measured throughput): the measured time, scaled with the output length as before,
plus what each input token more than measured costs: its prefill, tau_p, and for each of the O output tokens
generated after it, kappa (each decode step reads its KV cache, and its cache leaves room for fewer requests
in flight): tau(O) = tau_p + kappa x O. An input token fewer than measured saves its prefill tau_p only. The
replica's power at that concurrency is the measured one (P_m = E_m / T_m), so energy per query is
P_m x T(I, O). By Little's law a request then lasts b x T: its own prefill adds (I - I_m) x tau_p to its time
to first token and the rest, b (I - I_m) tau(O) - (I - I_m) tau_p, spreads over its O output tokens as time
per output token. Where a profile measures several input lengths, every quantity is linear in I between them
and the prefill model runs only beyond them.

tau_p and kappa come from the prefill model (`prefill_seconds_per_token`, `context_seconds_per_token`):
2 x active parameters FLOPs per input token at calibrated fractions of the replica's peak dense throughput.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

FLOPS_PER_PARAMETER_PER_TOKEN = (
    2.0  # a forward pass: one multiply and one add per weight (Kaplan et al. 2020)
)
THROUGHPUT_TIE = 1e-12  # relative: throughputs closer than this are equal (rounding of the same time)


@dataclass(frozen=True)
class ServingPoint:
    """A replica at one concurrency, for queries of `input_tokens` in and `output_tokens` out.

    Times in s, energy in J (gross, all the replica's accelerators), throughput in queries per second. A
    latency that is not known is nan. `basis` says how the point was obtained (measured, scaled,
    interpolated between input lengths, prefill model)."""

    concurrency: float
    throughput_qps: float
    energy_j: float
    latency_p95_s: float  # request level
    ttft_p95_s: float
    tpot_p50_s: float
    tpot_p95_s: float
    input_tokens: float
    output_tokens: float
    basis: str = "measured"
    output_tokens_p95: float = math.nan  # p95 answer length, for the request-level latency

    @property
    def power_w(self) -> float:
        """Mean power of the replica at this concurrency, W."""
        return self.energy_j * self.throughput_qps

    @property
    def seconds_per_query(self) -> float:
        """Replica-seconds a query occupies: 1 / throughput."""
        return 1.0 / self.throughput_qps

    def tokens_per_second_per_user(self) -> float:
        """Interactivity: 1 / median time per output token (1 / p95 where no median is known), token/s."""
        tpot = self.tpot_p50_s if not math.isnan(self.tpot_p50_s) else self.tpot_p95_s
        return 1.0 / tpot if tpot > 0 else math.nan


@dataclass(frozen=True)
class Measured:
    """What a profile recorded at one concurrency: the inputs of `at_lengths`. Unknown values are nan; a p95
    that was not recorded is the p50 where that was (the request-latency rule of the output-only model)."""

    concurrency: float
    throughput_qps: float
    energy_j: float
    input_tokens: float  # mean per query; nan when the profile does not say
    output_tokens: float  # mean per query; nan for classifiers and profiles that do not say
    output_tokens_p95: float
    latency_p95_s: float  # recorded request p95 (else p50), nan when none
    ttft_p95_s: float  # recorded p95 (else p50), nan when none
    tpot_p50_s: float
    tpot_p95_s: float
    # latency_p95_s is the p95 of the requests' own end-to-end latencies (a point with `latency_basis:
    # requests`): the request latency at the measured length, not one rebuilt from lengths and token latencies
    latency_p95_measured: bool = False


def token_seconds_at_peak(peak_flops: float, active_parameters: float, accelerators: int) -> float:
    """Replica-seconds one token's forward pass takes at the replica's peak dense throughput:
    2 x active parameters FLOPs / (`peak_flops` FLOP/s per accelerator x `accelerators`)."""
    return FLOPS_PER_PARAMETER_PER_TOKEN * active_parameters / (peak_flops * accelerators)


def prefill_seconds_per_token(
    peak_flops: float, prefill_fraction: float, active_parameters: float, accelerators: int
) -> float:
    """tau_p, replica-seconds per input token of prefill: a token's time at peak / `prefill_fraction`."""
    return token_seconds_at_peak(peak_flops, active_parameters, accelerators) / prefill_fraction


def context_seconds_per_token(
    peak_flops: float, context_cost: float, active_parameters: float, accelerators: int
) -> float:
    """kappa, replica-seconds one input token adds to each output token generated after it: `context_cost`
    x its time at peak (fitted with the prefill fraction, README)."""
    return context_cost * token_seconds_at_peak(peak_flops, active_parameters, accelerators)


def input_token_seconds(tau_p: float, kappa: float, output_tokens: float, input_delta: float) -> float:
    """tau(O): replica-seconds per input token more than measured, tau_p + kappa x O; per input token fewer,
    tau_p (its prefill only)."""
    if input_delta <= 0 or math.isnan(kappa) or math.isnan(output_tokens):
        return tau_p
    return tau_p + kappa * output_tokens


def output_scale(output_tokens: float, measured_output_tokens: float) -> float:
    """O / O_m: how much longer the answers are than measured (1 when either is unknown: a classifier)."""
    if math.isnan(measured_output_tokens) or measured_output_tokens <= 0 or math.isnan(output_tokens):
        return 1.0
    return output_tokens / measured_output_tokens


def query_seconds(scaled_s: float, added_s: float, own_prefill_s: float) -> float:
    """T: the output-scaled measured time plus what the input-length change adds (or saves), never below
    the query's own prefill time (nor 0)."""
    return max(scaled_s + added_s, own_prefill_s, 1e-9 * scaled_s)


def scaled(m: Measured, output_tokens: float, basis: str = "measured") -> ServingPoint:
    """The measured point for answers of `output_tokens` (the output-only model): time and energy per query
    x O / O_m, per-token latencies unchanged, request latency from the scaled output length."""
    s = output_scale(output_tokens, m.output_tokens)
    out = output_tokens if not math.isnan(output_tokens) else m.output_tokens
    return ServingPoint(
        concurrency=m.concurrency,
        throughput_qps=m.throughput_qps / s,
        energy_j=m.energy_j * s,
        latency_p95_s=request_p95(m, s),
        ttft_p95_s=m.ttft_p95_s,
        tpot_p50_s=m.tpot_p50_s,
        tpot_p95_s=m.tpot_p95_s,
        input_tokens=m.input_tokens,
        output_tokens=out,
        basis=basis,
        output_tokens_p95=m.output_tokens_p95 * s,
    )


def request_p95(m: Measured, scale: float) -> float:
    """Request-level p95 latency, s, for answers `scale` x as long as measured.

    A p95 measured over the requests themselves is kept at the measured length, its decode part scaled
    with the output length: TTFT p95 + (latency p95 - TTFT p95) x scale (TTFT 0 where none was recorded).
    Otherwise: p95 output length x scale x p95 time per output token + p95 time to first token when the
    point has the output-length distribution; else the recorded p95 (or p50) latency x scale (nan when
    none)."""
    ttft = m.ttft_p95_s if not math.isnan(m.ttft_p95_s) else 0.0
    if m.latency_p95_measured and not math.isnan(m.latency_p95_s):
        return ttft + max(m.latency_p95_s - ttft, 0.0) * scale
    if not math.isnan(m.output_tokens_p95) and not math.isnan(m.tpot_p95_s):
        return m.output_tokens_p95 * scale * m.tpot_p95_s + ttft
    return m.latency_p95_s * scale if not math.isnan(m.latency_p95_s) else math.nan


def shift_input(p: ServingPoint, input_tokens: float, tau_p: float, kappa: float, basis: str) -> ServingPoint:
    """`p` for queries of `input_tokens` in (see the module doc): time per query T + (I - I_p) tau(O) (never
    below I tau_p), energy at the point's power, TTFT + (I - I_p) tau_p, time per output token + the rest of
    b (I - I_p) tau(O) over the O output tokens, request latency recomposed from them (else + b (I - I_p) tau(O))."""
    d_in = input_tokens - p.input_tokens
    tau = input_token_seconds(tau_p, kappa, p.output_tokens, d_in)
    t = query_seconds(p.seconds_per_query, d_in * tau, input_tokens * tau_p)
    own = d_in * tau_p  # the request's own prefill
    whole = p.concurrency * d_in * tau  # Little's law: what the request's time grows by
    per_token = (whole - own) / p.output_tokens if p.output_tokens > 0 else 0.0

    def shifted(v: float, by: float) -> float:
        return max(v + by, 0.0) if not math.isnan(v) else math.nan

    tpot95 = shifted(p.tpot_p95_s, per_token)
    if math.isnan(p.latency_p95_s):
        latency = math.nan
    elif not math.isnan(p.output_tokens_p95) and not math.isnan(tpot95):
        latency = max(p.latency_p95_s + p.output_tokens_p95 * (tpot95 - p.tpot_p95_s) + own, 0.0)
    else:
        latency = max(p.latency_p95_s + whole, 0.0)
    return replace(
        p,
        throughput_qps=1.0 / t,
        energy_j=p.power_w * t,
        latency_p95_s=latency,
        ttft_p95_s=shifted(p.ttft_p95_s, own),
        tpot_p50_s=shifted(p.tpot_p50_s, per_token),
        tpot_p95_s=tpot95,
        input_tokens=input_tokens,
        basis=basis,
    )


def at_lengths(
    m: Measured, input_tokens: float, output_tokens: float, tau_p: float, kappa: float = 0.0
) -> ServingPoint:
    """The measured point moved to `output_tokens` (scaled) and then to `input_tokens` (shifted by the
    prefill model). With no known measured input length or no prefill model (nan), only the output scaling
    applies: the output-only model."""
    p = scaled(m, output_tokens)
    if math.isnan(m.input_tokens) or math.isnan(tau_p) or math.isnan(input_tokens):
        return replace(p, input_tokens=input_tokens, basis="output scaling only")
    how = (
        "measured"
        if input_tokens == m.input_tokens
        else f"prefill model from {m.input_tokens:g} input tokens"
    )
    return shift_input(p, input_tokens, tau_p, kappa, how)


def lerp_points(a: ServingPoint, b: ServingPoint, w: float, basis: str) -> ServingPoint:
    """The point a fraction `w` of the way from `a` to `b`: every quantity linear (concurrency, time per
    query, energy, latencies, lengths). Time per query, not throughput, is linear, so a query between two
    measured input lengths takes the weighted time of both."""
    t = _mix(a.seconds_per_query, b.seconds_per_query, w)
    return ServingPoint(
        concurrency=_mix(a.concurrency, b.concurrency, w),
        throughput_qps=1.0 / t,
        energy_j=_mix(a.energy_j, b.energy_j, w),
        latency_p95_s=_mix(a.latency_p95_s, b.latency_p95_s, w),
        ttft_p95_s=_mix(a.ttft_p95_s, b.ttft_p95_s, w),
        tpot_p50_s=_mix(a.tpot_p50_s, b.tpot_p50_s, w),
        tpot_p95_s=_mix(a.tpot_p95_s, b.tpot_p95_s, w),
        input_tokens=_mix(a.input_tokens, b.input_tokens, w),
        output_tokens=_mix(a.output_tokens, b.output_tokens, w),
        basis=basis,
        output_tokens_p95=_mix(a.output_tokens_p95, b.output_tokens_p95, w),
    )


def across_inputs(
    measured: Sequence[tuple[float, Measured]],
    input_tokens: float,
    output_tokens: float,
    tau_p: float,
    kappa: float = 0.0,
) -> ServingPoint:
    """One concurrency measured at several input lengths ((I_j, point), I_j ascending and distinct): the
    point at `input_tokens`. Each measured point is first scaled to `output_tokens` and made no faster and
    no cheaper than a shorter input's (`monotone_in_input`); between two measured lengths every quantity is
    linear in I; beyond them the nearest one moves by the prefill model (`shift_input`)."""
    if len(measured) == 1:
        return at_lengths(measured[0][1], input_tokens, output_tokens, tau_p, kappa)
    points = [scaled(m, output_tokens) for _, m in measured]
    if not math.isnan(tau_p):  # the floor of the query's own prefill time, as at one input length
        points = [
            shift_input(p, i_j, tau_p, kappa, "measured")
            for (i_j, _), p in zip(measured, points, strict=True)
        ]
    points = monotone_in_input(points)
    lengths = [i for i, _ in measured]
    for i_j, p in zip(lengths, points, strict=True):
        if input_tokens == i_j:
            return p
    if input_tokens < lengths[0] or input_tokens > lengths[-1]:
        j = 0 if input_tokens < lengths[0] else len(points) - 1
        if math.isnan(tau_p):
            return replace(points[j], input_tokens=input_tokens, basis="nearest measured input length")
        how = f"prefill model from {lengths[j]:g} input tokens"
        return shift_input(points[j], input_tokens, tau_p, kappa, how)
    k = next(n for n in range(1, len(lengths)) if lengths[n] > input_tokens)
    w = (input_tokens - lengths[k - 1]) / (lengths[k] - lengths[k - 1])
    how = f"interpolated between {lengths[k - 1]:g} and {lengths[k]:g} input tokens"
    return replace(lerp_points(points[k - 1], points[k], w, how), input_tokens=input_tokens)


def monotone_in_input(points: Sequence[ServingPoint]) -> list[ServingPoint]:
    """Points of one concurrency at ascending input lengths, each no faster and no cheaper than a shorter
    input's: a longer prompt never serves in less time or energy (measurement noise is raised, not trusted)."""
    out: list[ServingPoint] = []
    for p in points:
        if out:
            prev = out[-1]
            if p.seconds_per_query < prev.seconds_per_query or p.energy_j < prev.energy_j:
                t = max(p.seconds_per_query, prev.seconds_per_query)
                p = replace(p, throughput_qps=1.0 / t, energy_j=max(p.energy_j, prev.energy_j))
        out.append(p)
    return out


@dataclass(frozen=True)
class Targets:
    """Latency targets a capacity point must meet, s (nan = no target)."""

    latency_p95_s: float = math.nan  # request level
    ttft_p95_s: float = math.nan
    tpot_p95_s: float = math.nan  # also 1 / tokens_per_second_per_user

    def any(self) -> bool:
        return not all(math.isnan(v) for v in (self.latency_p95_s, self.ttft_p95_s, self.tpot_p95_s))

    def checks(self) -> list[tuple[str, float, Callable[[ServingPoint], float]]]:
        """(name, target, metric of a point) for each target set."""
        out: list[tuple[str, float, Callable[[ServingPoint], float]]] = []
        if not math.isnan(self.latency_p95_s):
            out.append(("latency_slo_p95", self.latency_p95_s, lambda p: p.latency_p95_s))
        if not math.isnan(self.ttft_p95_s):
            out.append(("ttft_p95", self.ttft_p95_s, lambda p: p.ttft_p95_s))
        if not math.isnan(self.tpot_p95_s):
            out.append(("tpot_p95", self.tpot_p95_s, lambda p: p.tpot_p95_s))
        return out

    def met(self, p: ServingPoint) -> bool:
        """Every target met (an unknown metric never meets a target)."""
        return all(not math.isnan(f(p)) and f(p) <= t * (1 + 1e-12) for _, t, f in self.checks())


def _mix(x: float, y: float, w: float) -> float:
    """(1 - w) x + w y; nan when either is unknown."""
    return math.nan if math.isnan(x) or math.isnan(y) else (1.0 - w) * x + w * y


def point_at(points: Sequence[ServingPoint], concurrency: float) -> ServingPoint:
    """The point at a concurrency between two of `points` (ascending concurrency): linear in concurrency
    (throughput, power, latencies), so it lies on the segment the engine's load model runs along."""
    if concurrency <= points[0].concurrency:
        return points[0]
    for a, b in itertools.pairwise(points):
        if concurrency < b.concurrency:
            w = (concurrency - a.concurrency) / (b.concurrency - a.concurrency)
            x = _mix(a.throughput_qps, b.throughput_qps, w)
            return ServingPoint(
                concurrency=concurrency,
                throughput_qps=x,
                energy_j=_mix(a.power_w, b.power_w, w) / x,
                latency_p95_s=_mix(a.latency_p95_s, b.latency_p95_s, w),
                ttft_p95_s=_mix(a.ttft_p95_s, b.ttft_p95_s, w),
                tpot_p50_s=_mix(a.tpot_p50_s, b.tpot_p50_s, w),
                tpot_p95_s=_mix(a.tpot_p95_s, b.tpot_p95_s, w),
                input_tokens=a.input_tokens,
                output_tokens=a.output_tokens,
                basis=(a.basis if a.basis == b.basis else f"{a.basis} / {b.basis}")
                + f"; concurrency interpolated between {a.concurrency:g} and {b.concurrency:g}",
                output_tokens_p95=_mix(a.output_tokens_p95, b.output_tokens_p95, w),
            )
        if concurrency == b.concurrency:
            return b
    return points[-1]


def capacity_concurrency(points: Sequence[ServingPoint], targets: Targets) -> float | None:
    """The concurrency to run at: the highest-throughput one meeting every target, linear between points
    (ascending concurrency), whole (a server's max_num_seqs); for throughput rising with concurrency, the
    largest concurrency meeting them. None when not even the smallest point meets them. Without targets: the
    highest-throughput point. On a tie in throughput (to rounding, `THROUGHPUT_TIE`) the one with the least
    energy per query, then the larger concurrency: where the query's own prefill time binds at every
    concurrency they all serve at I x tau_p, and a smaller, lower-power concurrency that reaches the same
    throughput is where the replica runs (the load model keeps such a point once its throughput falls even
    slightly below the capacity point's, so preferring the larger one would raise the power as the lengths
    fall)."""
    candidates = {p.concurrency for p in points}
    for _, target, metric in targets.checks():
        for a, b in itertools.pairwise(points):
            ya, yb = metric(a), metric(b)
            if math.isnan(ya) or math.isnan(yb) or ya == yb:
                continue
            w = (target - ya) / (yb - ya)
            if 0.0 < w < 1.0:
                crossing = a.concurrency + w * (b.concurrency - a.concurrency)
                candidates.add(float(math.floor(crossing + 1e-6)))
    lo, hi = points[0].concurrency, points[-1].concurrency
    feasible = [point_at(points, c) for c in candidates if lo <= c <= hi and targets.met(point_at(points, c))]
    if not feasible:
        return None
    top = max(p.throughput_qps for p in feasible)
    tied = [p for p in feasible if p.throughput_qps >= top * (1.0 - THROUGHPUT_TIE)]
    return min(tied, key=lambda p: (p.energy_j, -p.concurrency)).concurrency
