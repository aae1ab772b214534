"""One small function per quantity the engine computes. Arguments and results in the units named.

All functions are numpy-vectorised: arguments broadcast over (samples, months), and over a trailing axis of
24 hours of a representative day where the load matters.

The load model (README, "How the numbers are computed"): a replica's power is piecewise linear in its
load, through (0, idle) and each measured point (throughput X_k, power P_k = energy per query x X_k), and
capped at its capacity (the last point); load is written relative to that capacity, so the points sit at
g_k = X_k / X_cap on a fixed grid g_0 = 0 < g_1 < ... < g_K = 1. Below the smallest point a replica is busy a
fraction load / g_1 of the time and idle the rest. On segment k the power rises by `segment_slopes` x the
`segment_ramps` of the load, so that sums over hours are sums of ramps.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tco.engine.constants import (
    DAYS_PER_MONTH,
    HOURS_PER_DAY,
    HOURS_PER_MONTH,
)
from tco.engine.constants import SECONDS_PER_DAY as SECONDS_PER_DAY
from tco.engine.constants import SECONDS_PER_HOUR as SECONDS_PER_HOUR

PEAK_HOUR = 14  # the default daily shape peaks at 14:00 and is lowest at 02:00 (slm-tco default)
MAX_PEAK_TO_AVERAGE = 24.0  # a peak hour can carry at most the whole day's load


def life_months(lifetime: np.ndarray) -> np.ndarray:
    """A lifetime (or a term) in whole months: rounded to the nearest (halves to even: 30.5 -> 30), at
    least 1. Every rule that uses a lifetime uses it: replacement, depreciation, book value, embodied
    emissions."""
    return np.maximum(np.round(lifetime), 1.0)


def month_index(months: int) -> np.ndarray:
    """Months since the start, as a (1, months) row: 0, 1, ..., months-1."""
    return np.arange(months, dtype=float)[None, :]


def growth_factor(annual_growth: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Demand multiplier in month t for compound annual growth (fraction per year)."""
    return (1.0 + annual_growth) ** (t / 12.0)


def queries_per_month(queries_per_day: np.ndarray, growth: np.ndarray) -> np.ndarray:
    """Queries served in a month: queries/day x days per month x growth factor."""
    return queries_per_day * DAYS_PER_MONTH * growth


def peak_queries_per_second(
    queries_per_day: np.ndarray, growth: np.ndarray, peak_to_average: np.ndarray
) -> np.ndarray:
    """Peak load in queries/s: the average rate times the peak-to-average ratio."""
    return queries_per_day * growth / SECONDS_PER_DAY * peak_to_average


def replicas_needed(
    peak_qps: np.ndarray, throughput_qps: np.ndarray, utilisation: np.ndarray, minimum: int
) -> np.ndarray:
    """Replicas to carry the peak at the target utilisation, rounded up, at least `minimum`."""
    raw = np.ceil(peak_qps / (throughput_qps * utilisation) - 1e-9)
    return np.maximum(raw, float(minimum))


def busy_accelerator_hours(
    queries: np.ndarray, throughput_qps: np.ndarray, accelerators_per_replica: float
) -> np.ndarray:
    """Accelerator-hours spent serving `queries` at the replica's throughput."""
    return queries / throughput_qps / SECONDS_PER_HOUR * accelerators_per_replica


def idle_energy_kwh(
    idle_power_kw: np.ndarray, provisioned_hours: np.ndarray, busy_hours: np.ndarray
) -> np.ndarray:
    """Energy of provisioned accelerators while not serving: idle power x idle hours (never negative)."""
    return idle_power_kw * np.maximum(provisioned_hours - busy_hours, 0.0)


def grid_intensity(start_intensity: np.ndarray, decarbonisation: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Grid intensity in month t (kgCO2e/kWh), falling by `decarbonisation` (fraction) per year."""
    return start_intensity * (1.0 - decarbonisation) ** (t / 12.0)


def escalated_price(start_price: np.ndarray, escalation: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Electricity price in month t with compound annual escalation (fraction per year)."""
    return start_price * (1.0 + escalation) ** (t / 12.0)


def discount_factor(rate: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Present-value factor of a cash flow at the start of month t for an annual discount rate."""
    return (1.0 + rate) ** (-t / 12.0)


def provisioned_hours(accelerators: np.ndarray) -> np.ndarray:
    """Accelerator-hours of a month for a fleet."""
    return accelerators * HOURS_PER_MONTH


def provisioned_power_kw(
    accelerators: np.ndarray, max_power_kw: np.ndarray, host_power_kw: np.ndarray, pue: np.ndarray
) -> np.ndarray:
    """Facility power provisioned for a fleet, kW: accelerators x (TDP + host share per accelerator) x PUE.

    What a site must be able to supply at the fleet's peak (capacity planners size datacentres by it);
    average draw is lower (energy / hours). Networking and storage outside the host are not counted.
    """
    return accelerators * (max_power_kw + host_power_kw) * pue


def tokens_per_s_per_provisioned_mw(
    throughput_qps: np.ndarray,
    accelerators_per_replica: float,
    tokens_out: float,
    max_power_kw: np.ndarray,
    host_power_kw: np.ndarray,
    pue: np.ndarray,
) -> np.ndarray:
    """Output tokens per second one provisioned MW serves at the operating point, token/s/MW: a replica's
    throughput (query/s) x output tokens per query / its accelerators, over the provisioned MW of one
    accelerator ((TDP + host share) x PUE / 1000). NaN where nothing is provisioned (an API option)."""
    per_acc_mw = provisioned_power_kw(np.ones(1), max_power_kw, host_power_kw, pue) / 1000.0
    tok_s = np.asarray(throughput_qps, dtype=float) * tokens_out / accelerators_per_replica
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(per_acc_mw > 0, tok_s / per_acc_mw, np.nan)


def ceil_power_of_two(x: float) -> int:
    """Smallest power of two >= x (at least 1)."""
    n = 1
    while n < x:
        n *= 2
    return n


def default_daily_shape(peak_to_average: np.ndarray) -> np.ndarray:
    """Hourly loads relative to the daily mean, (n, 24) for ratios (n, 1): mean 1, peak hour = ratio.

    A clipped cosine max(0, m + (p - m) cos(2 pi (h - 14) / 24)) peaking at 14:00: a plain cosine (m = 1,
    lowest hour 2 - p) up to p = 2; above, night hours reach zero and m is solved (bisection) for a mean of 1.
    """
    p = np.minimum(np.asarray(peak_to_average, dtype=float).reshape(-1, 1), MAX_PEAK_TO_AVERAGE)
    cos = np.cos(2.0 * np.pi * (np.arange(HOURS_PER_DAY) - PEAK_HOUR) / HOURS_PER_DAY)[None, :]
    if (p <= 2.0).all():
        return 1.0 + (p - 1.0) * cos
    lo, hi = -30.0 * p, np.ones_like(p)  # mean below 1 at lo (only the peak hour is positive), above at hi
    for _ in range(64):  # the bracket shrinks to 30 p x 2^-64: below a double's resolution of m
        mid = 0.5 * (lo + hi)
        too_high = np.maximum(mid + (p - mid) * cos, 0.0).mean(axis=1, keepdims=True) > 1.0
        lo, hi = np.where(too_high, lo, mid), np.where(too_high, mid, hi)
    m = np.where(p <= 2.0, 1.0, 0.5 * (lo + hi))
    return np.maximum(m + (p - m) * cos, 0.0)


def hourly_shape(peak_to_average: np.ndarray, daily_profile: tuple[float, ...] | None) -> np.ndarray:
    """Hourly loads relative to the daily mean, (1 or samples, 24): the profile scaled to mean 1, else
    `default_daily_shape` of the peak-to-average ratio (one row when the ratio is not sampled)."""
    if daily_profile is not None:
        w = np.asarray(daily_profile, dtype=float)[None, :]
        return w / w.mean()
    p = np.asarray(peak_to_average, dtype=float).reshape(-1)
    if p.size > 1 and (p == p[0]).all():
        p = p[:1]
    return _default_shape_of(p.tobytes())


@lru_cache(maxsize=8)
def _default_shape_of(ratios: bytes) -> np.ndarray:
    """`default_daily_shape` of the ratios given as float64 bytes, computed once for all options (read-only)."""
    shape = default_daily_shape(np.frombuffer(ratios, dtype=float)[:, None])
    shape.setflags(write=False)
    return shape


def point_power_kw(
    energy_per_query_kwh: np.ndarray, throughput_qps: np.ndarray, idle_kw: np.ndarray
) -> np.ndarray:
    """Power of a replica at each point of its sweep, kW: energy per query (kWh) x throughput (query/s) x
    3600 s/h, never below idle power nor below a smaller point's (busy power never lowers the bill).
    Points on the last axis."""
    raw = np.maximum(energy_per_query_kwh * throughput_qps * SECONDS_PER_HOUR, idle_kw)
    return np.maximum.accumulate(raw, axis=-1)


def segment_slopes(power_kw: np.ndarray, idle_kw: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """kW per unit of relative load on each segment of the power curve (K segments on the last axis):
    (P_k - P_{k-1}) / (g_k - g_{k-1}) with P_0 = idle power, power (..., K), grid (K + 1,)."""
    full = np.concatenate([np.broadcast_to(idle_kw, (*power_kw.shape[:-1], 1)), power_kw], axis=-1)
    return np.diff(full, axis=-1) / np.diff(grid)


def segment_ramps(load: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """How far a relative load runs along each segment of the grid: clip(load - g_{k-1}, 0, g_k - g_{k-1}),
    (K, *load.shape). They sum to min(load, 1); power = idle + sum of slopes x ramps."""
    lo = grid[:-1].reshape((-1,) + (1,) * np.ndim(load))
    width = np.diff(grid).reshape(lo.shape)
    return np.clip(np.asarray(load)[None] - lo, 0.0, width)


def weighted_ramp_sums(
    load: np.ndarray, grid: np.ndarray, weights: np.ndarray, replicas: np.ndarray | None = None
) -> np.ndarray:
    """Sum over the last (hour) axis of `replicas` x weights (m, K) @ `segment_ramps(load)`: (m, *load.shape[:-1]).
    Without a segment axis: each weighted sum of ramps is the piecewise-linear function through
    (g_k, sum_{j<=k} w_j (g_j - g_{j-1})), so one interpolation per row of weights."""
    values = np.concatenate(
        [np.zeros((weights.shape[0], 1)), np.cumsum(weights * np.diff(grid), axis=1)], axis=1
    )
    out = []
    for v in values:
        ramp = np.interp(load, grid, v)
        out.append((ramp if replicas is None else ramp * replicas).sum(axis=-1))
    return np.stack(out)


def ramp_sums_over_day(
    mean_load: np.ndarray, shape: np.ndarray, grid: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Weighted sums over the 24 hours of `segment_ramps(mean_load x shape_h)`: weights (m, K) @ ramps,
    (m, *mean_load.shape), for one shared daily `shape` (1, 24). Exact and without an hour axis: each sum is
    piecewise linear in the mean load, with breakpoints where some hour crosses a grid point, so it is
    tabulated there and interpolated."""
    s = shape.reshape(-1)
    pos = s[s > 0]
    top = grid[-1] / pos.min() if pos.size else 1.0
    knots = np.unique(np.concatenate([[0.0, top], (grid[1:, None] / pos[None, :]).ravel()]))
    table = weights @ segment_ramps(knots[:, None] * s[None, :], grid).sum(axis=-1)  # (m, knots)
    return np.stack([np.interp(mean_load, knots, row) for row in table])


def interpolate_on_grid(load: np.ndarray, grid: np.ndarray, values: tuple[float, ...]) -> np.ndarray:
    """A per-point quantity (latency, batch size) at a relative load: linear between measured points, the
    smallest point's value below it, the capacity point's above it (never extrapolated)."""
    v = np.asarray(values, dtype=float)
    return np.interp(np.clip(load, grid[1], grid[-1]), grid[1:], v)
