"""One small function per quantity the engine computes. Arguments and results in the units named.

All functions are numpy-vectorised: arguments broadcast over (samples, months).
"""

from __future__ import annotations

import numpy as np

from tco.engine.inputs import DAYS_PER_MONTH, HOURS_PER_MONTH

SECONDS_PER_DAY = 86_400.0


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
    return queries / throughput_qps / 3600.0 * accelerators_per_replica


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


def ceil_power_of_two(x: float) -> int:
    """Smallest power of two >= x (at least 1)."""
    n = 1
    while n < x:
        n *= 2
    return n
