"""Operations: what one option does each month: queries served, fleet, energy and emissions.

Pure numpy, no I/O. Inputs may carry a leading sample axis (Monte Carlo); every array is (samples, months).
Money is not computed here (see tco.engine.finance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tco.engine import formulas as f
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs, as_column


@dataclass
class Operations:
    """Physical quantities of one option per month, each (samples, months) or broadcastable to `shape`."""

    shape: tuple[int, ...]
    t: np.ndarray  # month index (1, months)
    queries: np.ndarray
    replicas: np.ndarray
    provisioned: np.ndarray  # accelerators in service (owned on-prem, rented in the cloud)
    owned: np.ndarray  # on-prem units owned (= provisioned); zeros for API
    purchases: np.ndarray  # on-prem units bought
    retired: np.ndarray  # on-prem units retired at end of life
    busy_hours: np.ndarray  # accelerator-hours busy serving
    shortfall: np.ndarray  # bool: demand above the fleet's capacity
    accel_kwh: np.ndarray
    idle_kwh: np.ndarray
    host_kwh: np.ndarray
    it_kwh: np.ndarray
    facility_kwh: np.ndarray
    intensity: np.ndarray  # kgCO2e/kWh
    emissions_operational_location_kg: np.ndarray
    emissions_operational_kg: np.ndarray
    emissions_embodied_kg: np.ndarray
    emissions_fine_tuning_kg: np.ndarray
    emissions_kg: np.ndarray


def _fleet(needed: np.ndarray, lifetime: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owned units, purchases and retirements per month when buying to cover `needed` (samples, months).

    Units bought in month b serve months b .. b+L-1 and retire at b+L, where they are replaced if still
    needed. Owned units are never sold early when demand falls.
    """
    s, t_count = needed.shape
    life = np.broadcast_to(np.maximum(np.round(lifetime), 1).astype(int).reshape(-1), (s,))
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
    w_growth = as_column(workload.annual_growth)
    w_peak = as_column(workload.peak_to_average)
    t = f.month_index(finance.months)
    growth = f.growth_factor(w_growth, t)
    queries = f.queries_per_month(w_qpd, growth)
    peak_qps = f.peak_queries_per_second(w_qpd, growth, w_peak)

    shape = np.broadcast_shapes(queries.shape, *(a.shape for a in c.values()), (1, finance.months))
    zeros = np.zeros(shape)
    queries = np.broadcast_to(queries, shape)
    dep = option.deployment
    acc_per_replica = float(option.accelerators_per_replica)

    if dep == "api":
        replicas = zeros
        purchases = retired = owned = zeros
        provisioned = zeros
        busy_hours = zeros
        shortfall = np.zeros(shape, dtype=bool)
        it_kwh = queries * c["energy_per_query_kwh"]
        accel_kwh = it_kwh
        idle_kwh = host_kwh = zeros
    else:
        if np.isnan(option.fixed_fleet):
            replicas = f.replicas_needed(peak_qps, c["throughput_qps"], c["utilisation"], option.min_replicas)
            replicas = np.broadcast_to(replicas, shape)
            accelerators = replicas * acc_per_replica
        else:
            accelerators = np.full(shape, float(option.fixed_fleet))
            replicas = np.floor(accelerators / acc_per_replica)
        if dep == "on-prem":
            owned, purchases, retired = _fleet(
                np.array(accelerators, dtype=float), c["lifetime_months"][:, 0]
            )
        else:
            owned, purchases, retired = np.array(accelerators, dtype=float), zeros, zeros
        provisioned = owned
        prov_hours = f.provisioned_hours(provisioned)
        needed_hours = f.busy_accelerator_hours(queries, c["throughput_qps"], acc_per_replica)
        shortfall = needed_hours > prov_hours + 1e-9
        busy_hours = np.minimum(needed_hours, prov_hours)
        accel_kwh = queries * c["energy_per_query_kwh"]
        idle_kwh = f.idle_energy_kwh(c["idle_power_kw"], prov_hours, busy_hours)
        host_kwh = c["host_power_kw"] * prov_hours
        it_kwh = accel_kwh + idle_kwh + host_kwh

    facility_kwh = it_kwh * c["pue"]
    intensity = f.grid_intensity(c["grid_intensity_kg_per_kwh"], c["grid_decarbonisation"], t)
    operational_location = facility_kwh * intensity
    operational = operational_location * (1.0 - c["renewable_share"])
    if dep == "api":
        embodied = queries * c["api_embodied_kg_per_query"]
    else:
        embodied = provisioned * c["embodied_kg_per_accelerator"] / np.maximum(c["lifetime_months"], 1.0)
    first = (t == 0).astype(float)
    ft_kg = first * c["fine_tuning_kg"]
    emissions = operational + embodied + ft_kg
    return Operations(
        shape=shape,
        t=t,
        queries=queries,
        replicas=replicas,
        provisioned=provisioned,
        owned=owned,
        purchases=purchases,
        retired=retired,
        busy_hours=busy_hours,
        shortfall=shortfall,
        accel_kwh=accel_kwh,
        idle_kwh=idle_kwh,
        host_kwh=host_kwh,
        it_kwh=it_kwh,
        facility_kwh=facility_kwh,
        intensity=intensity,
        emissions_operational_location_kg=operational_location,
        emissions_operational_kg=operational,
        emissions_embodied_kg=embodied,
        emissions_fine_tuning_kg=ft_kg,
        emissions_kg=emissions,
    )
