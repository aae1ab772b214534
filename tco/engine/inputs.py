"""Plain-number inputs of the engine, already converted to the units it computes in.

Units inside the engine: energy kWh, power kW, emissions kgCO2e, time months (of 730.5 h) and hours, money in
the scenario's reporting currency. Every numeric field may be a float or a 1-D numpy array of samples
(Monte Carlo); the engine broadcasts them over a (samples, months) grid, and over a representative day of
24 hours where the load matters.

A hosted option's batch sweep is given relative to its capacity point (`throughput_qps`,
`energy_per_query_kwh`: the largest batch it may run at), so that a factor on energy or throughput moves the
whole curve: point k serves `throughput_qps x sweep_throughput[k]` queries/s at
`energy_per_query_kwh x sweep_energy[k]` kWh per query. The sweep is fixed (tuples); its anchors may be sampled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

# re-exported for older imports: defined in tco.engine.constants
from tco.engine.constants import DAYS_PER_MONTH as DAYS_PER_MONTH
from tco.engine.constants import HOURS_PER_DAY as HOURS_PER_DAY
from tco.engine.constants import HOURS_PER_MONTH as HOURS_PER_MONTH
from tco.engine.fleet import scalings
from tco.engine.serving import ServingPoint

Number = Any  # float or np.ndarray of shape (samples,)
# The busiest hour's load over the day's mean when a workload gives neither peak_to_average nor a
# daily_profile (slm-tco default: a daytime peak half again the mean)
DEFAULT_PEAK_TO_AVERAGE = 1.5


# How a fleet follows the hour-by-hour load (`OptionInputs.scaling`), per deployment, the default first:
# derived from the registered fleet policies (tco.engine.fleet).
SCALINGS = scalings()


@dataclass(frozen=True)
class OptionInputs:
    """One deployment option, resolved against reference data. Per-accelerator figures unless stated."""

    id: str
    name: str
    deployment: str  # "on-prem", "cloud" or "api"
    energy_per_query_kwh: Number  # gross accelerator energy of a replica per query (api: whole server, IT)
    throughput_qps: Number  # queries per second per replica at the chosen batch size (api: unused)
    accelerators_per_replica: int
    fixed_fleet: float = float("nan")  # accelerators; nan = auto-size from peak load
    min_replicas: int = 1
    utilisation: Number = 0.6
    idle_power_kw: Number = 0.0
    max_power_kw: Number = 0.0
    host_power_kw: Number = 0.0  # server power without accelerators, per accelerator
    pue: Number = 1.0
    grid_intensity_kg_per_kwh: Number = 0.0
    grid_decarbonisation: Number = 0.0  # fraction per year
    renewable_share: Number = 0.0
    electricity_price: Number = 0.0  # per kWh
    electricity_escalation: Number = 0.0  # fraction per year
    unit_price: Number = 0.0  # accelerator plus its share of the host
    lifetime_months: Number = 48.0
    residual_value: Number = 0.0  # fraction of unit price at end of life
    maintenance: Number = 0.0  # fraction of unit price per year
    colocation_per_kw_month: Number = 0.0
    other_opex_per_month: Number = 0.0
    cloud_price_per_hour: Number = 0.0  # per accelerator-hour
    api_cost_per_query: Number = 0.0
    api_embodied_kg_per_query: Number = 0.0
    # Impacts beside GWP (tco.engine.impacts): on-site water per IT kWh, and per facility kWh of the grid's
    # electricity its off-site water, abiotic depletion and primary energy; an API's embodied ADPe and PE
    wue_l_per_kwh: Number = 0.0  # L per kWh of IT energy (the site's water usage effectiveness)
    grid_water_l_per_kwh: Number = 0.0  # L per kWh drawn from the grid (water to generate it)
    grid_adpe_kg_per_kwh: Number = 0.0  # kgSbeq per kWh drawn from the grid
    grid_pe_mj_per_kwh: Number = 0.0  # MJ of primary energy per kWh drawn from the grid
    api_embodied_adpe_kg_per_query: Number = 0.0  # kgSbeq
    api_embodied_pe_mj_per_query: Number = 0.0  # MJ
    embodied_kg_per_accelerator: Number = 0.0  # accelerator plus its share of the host
    fine_tuning_cost: Number = 0.0
    fine_tuning_kwh: Number = 0.0  # facility energy
    fine_tuning_kg: Number = 0.0
    carbon_price_per_kg: Number = 0.0
    # Finance choices (tco.engine.finance). The engine's defaults keep the historical behaviour (book-value
    # credit, cash purchase, on-demand rent, flat prices); the resolver applies the scenario's choices.
    end_value: str = "book"  # "book", "resale" or "none": credit for on-prem units in service at the end
    resale_curve: tuple[tuple[float, float], ...] = ()  # (age in months, fraction of purchase price) points
    hardware_price_trend: Number = 0.0  # fraction per year: price of a unit bought in month t
    financing: str = "cash"  # on-prem purchases: "cash", "loan" or "lease"
    financing_rate: Number = 0.0  # loan or lease rate, fraction per year (nominal, compounded monthly)
    financing_term_months: Number = 0.0  # loan or lease term; 0 = the unit's lifetime
    cloud_pricing: str = "on-demand"  # "on-demand", "committed" or "spot"
    cloud_price_trend: Number = 0.0  # fraction per year
    cloud_on_demand_price_per_hour: Number = float("nan")  # above a commitment; nan = cloud_price_per_hour
    commitment_term_months: Number = 12.0
    commitment_accelerators: Number = float("nan")  # committed units; nan = the first month's fleet
    commitment_upfront: Number = 0.0  # fraction of each term's committed charge paid at its start
    spot_discount: Number = 0.0  # fraction off the on-demand price
    spot_overprovisioning: Number = 0.0  # extra share of accelerators rented to ride out interruptions
    api_price_trend: Number = 0.0  # fraction per year
    quality: float = float("nan")
    quality_metric: str | None = None
    latency_p95_s: float = float("nan")
    slo_met: bool = True
    batch_size: int | None = None
    # the batch sweep up to the capacity point, relative to it (see the module doc); one point = (1.0,)
    sweep_throughput: tuple[float, ...] = (1.0,)
    sweep_energy: tuple[float, ...] = (1.0,)
    sweep_latency_p95_s: tuple[float, ...] = ()  # absolute, per point; () = latency_p95_s at every load
    sweep_batch: tuple[float, ...] = ()  # batch size of each point (concurrency), descriptive
    # every measured concurrency at the workload's lengths (tco.engine.serving), for the interactivity curve
    serving_points: tuple[ServingPoint, ...] = ()
    scaling: str = ""  # a fleet policy of the deployment (tco.engine.fleet); "" = its default
    # output tokens per query of this option's answers, for per-token figures; nan = the workload's
    tokens_out: float = float("nan")
    extra: dict[str, Any] = field(default_factory=dict)  # descriptive, not used in arithmetic

    def numeric_fields(self) -> list[str]:
        skip = {
            "id",
            "name",
            "deployment",
            "quality_metric",
            "slo_met",
            "batch_size",
            "extra",
            "end_value",
            "resale_curve",
            "financing",
            "cloud_pricing",
            "sweep_throughput",
            "sweep_energy",
            "sweep_latency_p95_s",
            "sweep_batch",
            "serving_points",
            "scaling",
            "tokens_out",
        }
        return [f.name for f in fields(self) if f.name not in skip]

    def answer_tokens(self, workload_tokens_out: float) -> float:
        """Output tokens per query of this option: its own answer length, else the workload's."""
        return self.tokens_out if not math.isnan(self.tokens_out) else workload_tokens_out

    def fleet_scaling(self) -> str:
        """How the fleet follows the load: the option's `scaling`, else its deployment's default."""
        return self.scaling or scalings()[self.deployment][0]

    def with_values(self, **changes: Any) -> OptionInputs:
        return replace(self, **changes)


@dataclass(frozen=True)
class WorkloadInputs:
    """The demand every option serves. The day has 24 hourly loads: `daily_profile` (relative weights, any
    scale) when given, else a default shape whose peak hour is `peak_to_average` x the daily mean."""

    queries_per_day: Number
    annual_growth: Number = 0.0
    peak_to_average: Number = DEFAULT_PEAK_TO_AVERAGE
    quality_floor: float = float("nan")
    task: str = ""
    daily_profile: tuple[float, ...] | None = None
    latency_slo_p95_s: float = float("nan")
    tokens_out: float = float("nan")  # output tokens per query every option answers with (cost per 1M tokens)
    tokens_in: float = float("nan")  # input tokens per query (descriptive: the resolver applied them)


@dataclass(frozen=True)
class FinanceInputs:
    months: int
    discount_rate: Number = 0.0  # per year
    discounting: str = "start"  # when in the month cash flows are discounted: "start", "middle" or "end"
    tax_rate: Number = 0.0  # corporate income tax rate, for the after-tax view
    carbon_price_trend: Number = 0.0  # fraction per year
    start: str = "2026-01"
    currency: str = "USD"


def as_column(x: Number) -> np.ndarray:
    """A scalar or (samples,) array as a (samples or 1, 1) float column."""
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a[:, None]
    raise ValueError(f"expected a scalar or a 1-D array of samples, got shape {a.shape}")
