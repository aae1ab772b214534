"""Operations: what one option does each month: queries served, fleet, energy and emissions.

Pure numpy, no I/O. Inputs may carry a leading sample axis (Monte Carlo); every array is (samples, months).
Each month is a representative day of 24 hourly loads (`tco.engine.formulas.hourly_shape`); a hosted
replica's power follows its load along its batch sweep (see `tco.engine.formulas`), and the fleet follows
the hours as its fleet policy says (`scaling`, tco.engine.fleet; `day_of_fleet`). Money is not computed here
(see tco.engine.components).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tco.engine import fleet
from tco.engine import formulas as f
from tco.engine.constants import HOURS_PER_DAY, HOURS_PER_MONTH, W_PER_KW, WH_PER_KWH
from tco.engine.inputs import (
    FinanceInputs,
    OptionInputs,
    WorkloadInputs,
    as_column,
)


@dataclass
class Operations:
    """Physical quantities of one option per month, each (samples, months) or broadcastable to `shape`."""

    shape: tuple[int, ...]
    t: np.ndarray  # month index (1, months)
    queries: np.ndarray  # queries served
    queries_demand: np.ndarray  # queries asked for
    queries_unserved: np.ndarray  # asked for but beyond the fleet's capacity (fixed fleets only)
    replicas: np.ndarray  # replicas of the fleet (cloud hourly: in the busiest hour)
    provisioned: (
        np.ndarray
    )  # accelerators in service (owned on-prem, rented in the cloud at the busiest hour)
    owned: np.ndarray  # on-prem units owned (= provisioned); zeros for API
    purchases: np.ndarray  # on-prem units bought
    retired: np.ndarray  # on-prem units retired at end of life
    accelerator_hours: np.ndarray  # accelerator-hours powered on (cloud: rented)
    # replicas serving and on standby in each hour of the representative day (samples, months, 24); None
    # when the whole fleet is on all day (see `accelerators_by_hour`)
    serving_by_hour: np.ndarray | None
    standby_by_hour: np.ndarray | None
    spare: float  # accelerators of a fixed fleet beyond whole replicas (on, idle)
    accelerators_per_replica: float
    busy_hours: np.ndarray  # accelerator-hours busy serving
    shortfall: np.ndarray  # bool: demand above the fleet's capacity in some hour
    peak_load: np.ndarray  # load of a replica in the busiest hour, as a fraction of its capacity
    latency_p95_s: np.ndarray  # p95 latency at the busiest hour's concurrency
    accel_kwh: np.ndarray
    idle_kwh: np.ndarray
    host_kwh: np.ndarray
    it_kwh: np.ndarray
    facility_kwh: np.ndarray
    fine_tuning_kwh: np.ndarray  # facility energy of the fine-tuning job (first month)
    energy_kwh: np.ndarray  # facility + fine-tuning
    intensity: np.ndarray  # kgCO2e/kWh
    emissions_operational_location_kg: np.ndarray
    emissions_operational_kg: np.ndarray
    emissions_embodied_kg: np.ndarray
    emissions_fine_tuning_kg: np.ndarray
    emissions_kg: np.ndarray

    def accelerators_by_hour(self) -> np.ndarray | None:
        """Accelerators powered on (cloud: rented) in each hour of the representative day, (samples,
        months, 24), built when asked for; None when the same all day (`provisioned`)."""
        if self.serving_by_hour is None or self.standby_by_hour is None:
            return None
        return (self.serving_by_hour + self.standby_by_hour) * self.accelerators_per_replica + self.spare


@dataclass
class Hours:
    """A hosted fleet's day, summed over its 24 hours (each hour standing for 1/24 of the month), each
    (samples, months): replica-hours busy (the busy share of the sweep's first segment), replica-hours of
    capacity used (queries served / capacity), kWh above idle power (sum of slopes x `segment_ramps`),
    replica-hours serving (or ready to) and powered on but held idle."""

    busy: np.ndarray
    served: np.ndarray
    climb: np.ndarray
    active: np.ndarray
    standby: np.ndarray
    replicas: np.ndarray  # the fleet (hourly scaling: the busiest hour's)
    peak_load: np.ndarray  # per replica, relative to capacity, in the busiest hour
    # replicas serving and on standby in each hour (samples, months, 24); None when the fleet is on all day
    serving_by_hour: np.ndarray | None = None
    standby_by_hour: np.ndarray | None = None


def sweep_grid(option: OptionInputs) -> np.ndarray:
    """Relative loads of the sweep's points, with 0 first: (0, g_1, ..., g_K = 1)."""
    return np.concatenate([[0.0], np.asarray(option.sweep_throughput, dtype=float)])


def _sums(
    ramps_of: Callable[[np.ndarray], np.ndarray], grid: np.ndarray, points: np.ndarray, idle: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(busy, served, climb) from `ramps_of(weights)` = sum over hours of weights (m, K) @ segment ramps.

    When every sample's sweep power is one curve scaled (P = P_cap x rel, the usual case: energy and
    throughput factors scale the whole sweep), the kWh above idle is P_cap x sum(rel slopes x ramps) - idle x
    ramp_1 / g_1: three weighted sums whatever the number of points; otherwise one per segment."""
    k = grid.size - 1
    width = np.diff(grid)
    first = np.zeros(k)
    first[0] = 1.0 / grid[1]
    cap = points[..., -1:]
    rel = np.divide(points, cap, out=np.zeros(np.broadcast_shapes(points.shape, cap.shape)), where=cap > 0)
    if np.ptp(rel, axis=0).max() <= 1e-12 * max(1.0, float(np.abs(rel).max())):
        rel_slopes = np.diff(np.concatenate([[0.0], rel[0]])) / width
        busy, served, above = ramps_of(np.stack([first, np.ones(k), rel_slopes]))
        return busy, served, cap * above - idle * busy
    busy, served, *per_segment = ramps_of(np.vstack([first, np.ones(k), np.eye(k)]))
    slopes = f.segment_slopes(points, idle, grid)  # (samples or 1, K)
    climb = sum((slopes[:, j : j + 1] * per_segment[j] for j in range(k)), start=np.zeros(1))
    return busy, served, climb


def fleet_policy(option: OptionInputs) -> fleet.FleetPolicy:
    """The option's fleet policy (`scaling`, else its deployment's default), as a fixed fleet runs it."""
    chosen = fleet.policy(option.fleet_scaling())
    return chosen if np.isnan(option.fixed_fleet) else chosen.for_fixed_fleet()


def day_of_fleet(
    option: OptionInputs,
    mean_load: np.ndarray,
    replicas: np.ndarray,
    shape_day: np.ndarray,
    utilisation: np.ndarray,
    points: np.ndarray,
    idle: np.ndarray,
) -> Hours:
    """How the fleet carries a day whose mean load is `mean_load` replica-capacities (samples, months),
    for a replica drawing `points` kW (samples or 1, K) along its sweep and `idle` kW when idle.

    The option's fleet policy (tco.engine.fleet) says which replicas serve each hour. The hour axis is
    built only where needed: a policy that spreads the load evenly over the whole fleet, with one daily
    shape, is summed exactly without it (`ramp_sums_over_day`).
    """
    grid = sweep_grid(option)
    policy = fleet_policy(option)
    day = float(HOURS_PER_DAY)
    if policy.even:
        a = np.divide(
            mean_load,
            replicas,
            out=np.zeros(np.broadcast_shapes(mean_load.shape, replicas.shape)),
            where=replicas > 0,
        )
        if shape_day.shape[0] == 1:

            def ramps_of(weights: np.ndarray) -> np.ndarray:
                return f.ramp_sums_over_day(a, shape_day, grid, weights)

        else:
            loads = a[..., None] * shape_day[:, None, :]

            def ramps_of(weights: np.ndarray) -> np.ndarray:
                return f.weighted_ramp_sums(loads, grid, weights)

        busy, served, climb = _sums(ramps_of, grid, points, idle)
        active = replicas * day
        return Hours(
            replicas * busy,
            replicas * served,
            replicas * climb,
            active,
            np.zeros_like(active),
            replicas,
            a * shape_day.max(axis=1)[:, None],
        )
    n, per, standby, replicas = hour_by_hour(option, policy.name, mean_load, replicas, shape_day, utilisation)

    def ramps_of_hours(weights: np.ndarray) -> np.ndarray:
        return f.weighted_ramp_sums(per, grid, weights, n)

    busy, served, climb = _sums(ramps_of_hours, grid, points, idle)
    return Hours(
        busy, served, climb, n.sum(axis=-1), standby.sum(axis=-1), replicas, per.max(axis=-1), n, standby
    )


def hour_by_hour(
    option: OptionInputs,
    scaling: str,
    mean_load: np.ndarray,
    replicas: np.ndarray,
    shape_day: np.ndarray,
    utilisation: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per hour (samples, months, 24): replicas serving, each one's relative load, replicas on standby
    (powered, idle); and the fleet (hourly scaling: its busiest hour's), under the policy `scaling`."""
    lam = mean_load[..., None] * shape_day[:, None, :]
    day = fleet.policy(scaling).serve(lam, replicas, utilisation[..., None], option.min_replicas)
    n = day.serving
    per = np.divide(lam, n, out=np.zeros(np.broadcast_shapes(lam.shape, n.shape)), where=n > 0)
    return n, per, day.standby, day.fleet


def _fleet(needed: np.ndarray, lifetime: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owned units, purchases and retirements per month when buying to cover `needed` (samples, months).

    Units bought in month b serve months b .. b+L-1 and retire at b+L, where they are replaced if still
    needed. Owned units are never sold early when demand falls.
    """
    s, t_count = needed.shape
    life = np.broadcast_to(f.life_months(lifetime).astype(int).reshape(-1), (s,))
    if s == 1:
        return _fleet_one(needed[0], int(life[0]))
    purchases = np.zeros((s, t_count))
    owned = np.zeros((s, t_count))
    retired = np.zeros((s, t_count))
    cum = np.zeros((s, t_count + 1))  # cum[:, k] = purchases in months < k
    rows = np.arange(s)
    for t in range(t_count):
        start = t - life + 1
        alive = cum[:, t] - cum[rows, np.maximum(start, 0)]
        gone = t - life
        retired[:, t] = np.where(gone >= 0, purchases[rows, np.maximum(gone, 0)], 0.0)
        buy = np.maximum(needed[:, t] - alive, 0.0)
        purchases[:, t] = buy
        owned[:, t] = alive + buy
        cum[:, t + 1] = cum[:, t] + buy
    return owned, purchases, retired


def _fleet_one(needed: np.ndarray, life: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_fleet` for a single sample, in plain Python: the deterministic case the app recomputes."""
    t_count = needed.shape[0]
    need = needed.tolist()
    purchases = [0.0] * t_count
    owned = [0.0] * t_count
    retired = [0.0] * t_count
    alive = 0.0
    for t in range(t_count):
        if t - life >= 0:
            retired[t] = purchases[t - life]
            alive -= retired[t]
        buy = max(need[t] - alive, 0.0)
        purchases[t] = buy
        alive += buy
        owned[t] = alive
    return np.array([owned]), np.array([purchases]), np.array([retired])


def operate(
    option: OptionInputs, c: dict[str, np.ndarray], workload: WorkloadInputs, finance: FinanceInputs
) -> Operations:
    """Queries, fleet, energy and emissions per month; `c` holds the option's numeric fields as columns."""
    w_qpd = as_column(workload.queries_per_day)
    t = f.month_index(finance.months)
    growth = f.growth_factor(as_column(workload.annual_growth), t)
    demand = f.queries_per_month(w_qpd, growth)
    shape_day = f.hourly_shape(workload.peak_to_average, workload.daily_profile)  # (1 or samples, 24)
    rows = (shape_day.shape[0], 1) if option.deployment != "api" else (1, 1)
    shape = np.broadcast_shapes(demand.shape, *(a.shape for a in c.values()), (1, finance.months), rows)
    zeros = np.zeros(shape)
    demand = np.broadcast_to(demand, shape)
    dep = option.deployment
    apr = float(option.accelerators_per_replica)
    h = HOURS_PER_MONTH / HOURS_PER_DAY  # hours of the month each hour of the representative day stands for

    if dep == "api":
        queries = demand
        replicas = purchases = retired = owned = provisioned = zeros
        acc_hours = busy_hours = peak_load = zeros
        serving_by_hour = standby_by_hour = None
        spare = 0.0
        shortfall = np.zeros(shape, dtype=bool)
        it_kwh = queries * c["energy_per_query_kwh"]
        accel_kwh = it_kwh
        idle_kwh = host_kwh = zeros
        latency = np.broadcast_to(np.asarray(option.latency_p95_s, dtype=float), shape)
    else:
        peak_qps = f.peak_queries_per_second(w_qpd, growth, shape_day.max(axis=1)[:, None])
        x = c["throughput_qps"]
        if np.isnan(option.fixed_fleet):
            sized = f.replicas_needed(peak_qps, x, c["utilisation"], option.min_replicas)
            sized = np.broadcast_to(sized, shape)
            spare = 0.0
        else:
            sized = np.full(shape, np.floor(option.fixed_fleet / apr))
            spare = option.fixed_fleet - sized[0, 0] * apr  # accelerators beyond whole replicas: idle
        mean_load = np.broadcast_to(w_qpd * growth / f.SECONDS_PER_DAY / x, shape)
        grid = sweep_grid(option)
        idle_replica = c["idle_power_kw"] * apr
        points = f.point_power_kw(
            c["energy_per_query_kwh"] * np.asarray(option.sweep_energy),
            x * np.asarray(option.sweep_throughput),
            idle_replica,
        )
        day = day_of_fleet(option, mean_load, sized, shape_day, c["utilisation"], points, idle_replica)
        replicas = np.broadcast_to(day.replicas, shape)
        accelerators = replicas * apr + spare
        if dep == "on-prem":
            owned, purchases, retired = _fleet(
                np.array(accelerators, dtype=float), c["lifetime_months"][:, 0]
            )
        else:
            owned, purchases, retired = np.array(accelerators, dtype=float), zeros, zeros
        provisioned = owned
        # of the day; never above the replica-hours serving (a rounding error would make idle energy negative)
        busy_replica_hours = np.minimum(day.busy, day.active)
        queries = day.served * (h * f.SECONDS_PER_HOUR) * x
        # served in full unless short by more than rounding
        queries = np.where(queries >= demand * (1 - 1e-9), demand, queries)
        busy_hours = np.broadcast_to(busy_replica_hours * (h * apr), shape)
        accel_kwh = np.broadcast_to(h * (idle_replica * busy_replica_hours + day.climb), shape)
        idle_day = day.active - busy_replica_hours + day.standby
        idle_kwh = np.broadcast_to(
            h * idle_replica * idle_day + c["idle_power_kw"] * spare * HOURS_PER_MONTH, shape
        )
        acc_hours = np.broadcast_to(h * apr * (day.active + day.standby) + spare * HOURS_PER_MONTH, shape)
        serving_by_hour, standby_by_hour = day.serving_by_hour, day.standby_by_hour
        host_kwh = c["host_power_kw"] * acc_hours
        it_kwh = accel_kwh + idle_kwh + host_kwh
        peak_load = np.broadcast_to(day.peak_load, shape)
        shortfall = np.broadcast_to(peak_load > 1.0 + 1e-9, shape)
        if option.sweep_latency_p95_s:
            latency = f.interpolate_on_grid(peak_load, grid, option.sweep_latency_p95_s)
        else:
            latency = np.broadcast_to(np.asarray(option.latency_p95_s, dtype=float), shape)

    facility_kwh = it_kwh * c["pue"]
    first = (t == 0).astype(float)
    ft_kwh = first * c["fine_tuning_kwh"]
    intensity = f.grid_intensity(c["grid_intensity_kg_per_kwh"], c["grid_decarbonisation"], t)
    operational_location = facility_kwh * intensity
    operational = operational_location * (1.0 - c["renewable_share"])
    life = f.life_months(c["lifetime_months"])
    if dep == "api":
        embodied = queries * c["api_embodied_kg_per_query"]
    elif dep == "cloud":
        embodied = acc_hours / HOURS_PER_MONTH * c["embodied_kg_per_accelerator"] / life
    else:
        embodied = provisioned * c["embodied_kg_per_accelerator"] / life
    ft_kg = first * c["fine_tuning_kg"]
    emissions = operational + embodied + ft_kg
    return Operations(
        shape=shape,
        t=t,
        queries=queries,
        queries_demand=demand,
        queries_unserved=np.maximum(demand - queries, 0.0),
        replicas=replicas,
        provisioned=provisioned,
        owned=owned,
        purchases=purchases,
        retired=retired,
        accelerator_hours=acc_hours,
        serving_by_hour=serving_by_hour,
        standby_by_hour=standby_by_hour,
        spare=float(spare),
        accelerators_per_replica=apr,
        busy_hours=busy_hours,
        shortfall=shortfall,
        peak_load=peak_load,
        latency_p95_s=latency,
        accel_kwh=accel_kwh,
        idle_kwh=idle_kwh,
        host_kwh=host_kwh,
        it_kwh=it_kwh,
        facility_kwh=facility_kwh,
        fine_tuning_kwh=ft_kwh,
        energy_kwh=facility_kwh + ft_kwh,
        intensity=intensity,
        emissions_operational_location_kg=operational_location,
        emissions_operational_kg=operational,
        emissions_embodied_kg=embodied,
        emissions_fine_tuning_kg=ft_kg,
        emissions_kg=emissions,
    )


def hourly_view(
    option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs, month: int
) -> dict[str, np.ndarray]:
    """The representative day of one month (0-based), hour by hour, for the first sample: 24 values per key.

    Each hour stands for 1/24 of the month, so `x 730.5 / 24` of any energy or query column, summed over
    the 24 hours, gives the month's total in `tco.engine.core.simulate` (fixed fleets' spare accelerators
    and fine-tuning aside)."""
    if option.deployment == "api":
        raise ValueError("an API option has no fleet: its cost and energy are per query at any load")
    if not 0 <= month < finance.months:
        raise ValueError(f"month {month} is outside the horizon, expected 0 to {finance.months - 1}")
    c = {name: as_column(getattr(option, name))[:1] for name in option.numeric_fields()}
    one = WorkloadInputs(
        queries_per_day=float(np.asarray(workload.queries_per_day, dtype=float).reshape(-1)[0]),
        annual_growth=float(np.asarray(workload.annual_growth, dtype=float).reshape(-1)[0]),
        peak_to_average=float(np.asarray(workload.peak_to_average, dtype=float).reshape(-1)[0]),
        daily_profile=workload.daily_profile,
    )
    t = np.array([[float(month)]])
    growth = f.growth_factor(as_column(one.annual_growth), t)
    x = c["throughput_qps"]
    mean_load = one.queries_per_day * growth / f.SECONDS_PER_DAY / x
    shape_day = f.hourly_shape(one.peak_to_average, one.daily_profile)
    replicas = np.array([[np.floor(option.fixed_fleet / option.accelerators_per_replica)]])
    if np.isnan(option.fixed_fleet):
        peak_qps = f.peak_queries_per_second(one.queries_per_day, growth, shape_day.max())
        replicas = f.replicas_needed(peak_qps, x, c["utilisation"], option.min_replicas)
    scaling = fleet_policy(option).name
    n, per, standby, _ = hour_by_hour(option, scaling, mean_load, replicas, shape_day, c["utilisation"])
    n, per, standby = n[0, 0], per[0, 0], standby[0, 0]
    grid = sweep_grid(option)
    apr = float(option.accelerators_per_replica)
    idle = float(c["idle_power_kw"][0, 0]) * apr
    points = f.point_power_kw(
        c["energy_per_query_kwh"][0, 0] * np.asarray(option.sweep_energy),
        x[0, 0] * np.asarray(option.sweep_throughput),
        np.asarray(idle),
    )
    slopes = f.segment_slopes(points, np.asarray(idle), grid)
    ramps = f.segment_ramps(per, grid)  # (K, 24)
    power = idle + (slopes[:, None] * ramps).sum(axis=0)  # kW per serving replica
    served = n * np.minimum(per, 1.0) * x[0, 0] * f.SECONDS_PER_HOUR  # queries in one hour
    accel = n * power + standby * idle
    host = float(c["host_power_kw"][0, 0]) * apr * (n + standby)
    it = accel + host
    facility = it * float(c["pue"][0, 0])
    lat = (
        f.interpolate_on_grid(per, grid, option.sweep_latency_p95_s)
        if option.sweep_latency_p95_s
        else np.full(24, option.latency_p95_s)
    )
    batch = (
        f.interpolate_on_grid(per, grid, option.sweep_batch) if option.sweep_batch else np.full(24, np.nan)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        wh_per_query = np.where(served > 0, facility * WH_PER_KWH / served, np.nan)
    return {
        "hour": np.arange(HOURS_PER_DAY),
        "queries_per_hour": served,
        "replicas_serving": n,
        "replicas_standby": standby,
        "replica_load": per,
        "batch_size": batch,
        "power_per_replica_w": power * W_PER_KW,
        "energy_accelerator_kwh": accel,
        "energy_host_kwh": host,
        "energy_it_kwh": it,
        "energy_facility_kwh": facility,
        "wh_per_query": wh_per_query,
        "latency_p95_s": lat,
    }
