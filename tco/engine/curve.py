"""The load curve of one option: what a query costs and takes in energy at each load of one replica.

Computed by the engine itself, not by a formula of its own: each load level is one sample of a workload that
keeps one replica (a fixed fleet of one) at that steady load, every hour of every month of the horizon,
with no growth; totals are divided by the queries served. So the curve shows the under-utilisation penalty
of the same model the scenario uses: idle power and fixed costs (capex, rent) shared by fewer queries.
The one-off fine-tuning job is left out (it is not a cost of serving at a load). An API option's cost and
energy per query do not depend on load: its curve is flat.
"""

from __future__ import annotations

import numpy as np

from tco.engine.constants import (
    DAYS_PER_MONTH,
    HOURS_PER_DAY,
    J_PER_KWH,
    SECONDS_PER_DAY,
    W_PER_KW,
    WH_PER_KWH,
)
from tco.engine.core import simulate
from tco.engine.fleet import default_policy
from tco.engine.formulas import interpolate_on_grid
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.engine.operations import sweep_grid

# the columns of `interactivity_curve`, in order
INTERACTIVITY_COLUMNS = (
    "concurrency",
    "tokens_per_second_per_user",
    "output_tokens_per_second_per_accelerator",
    "cost_per_1m_tokens",
    "wh_per_query",
    "ttft_p95_s",
    "tpot_p95_s",
    "latency_p95_s",
    "capacity",
)
API_QUERIES_PER_DAY = 1e6  # any demand: an API's cost per query does not depend on it


def load_curve(
    option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs, loads: np.ndarray
) -> dict[str, np.ndarray]:
    """Per load level (fractions of one replica's capacity, (n,)): queries/s, cost per 1k queries and per
    1M output tokens (reporting currency, undiscounted over the horizon), facility Wh per query, accelerator
    power per replica (W) and p95 latency (s)."""
    loads = np.asarray(loads, dtype=float)
    one = option.with_values(fine_tuning_cost=0.0, fine_tuning_kwh=0.0, fine_tuning_kg=0.0)
    flat = (1.0,) * HOURS_PER_DAY
    if option.deployment == "api":
        qpd: float | np.ndarray = API_QUERIES_PER_DAY
    else:
        x = np.asarray(option.throughput_qps, dtype=float).reshape(-1)[0]
        qpd = loads * x * SECONDS_PER_DAY
        one = one.with_values(
            fixed_fleet=float(option.accelerators_per_replica),
            scaling=default_policy(option.deployment).name,  # every replica on, the load shared evenly
        )
    w = WorkloadInputs(queries_per_day=qpd, annual_growth=0.0, daily_profile=flat)
    s = simulate(one, w, finance)
    q = s["queries"].sum(axis=1)
    safe = np.where(q > 0, q, np.nan)
    cost = s["total_cost"].sum(axis=1) / safe
    wh = s["energy_facility_kwh"].sum(axis=1) * WH_PER_KWH / safe
    hours = s["accelerator_hours"].sum(axis=1)
    accel_kwh = (s["energy_accelerator_kwh"] + s["energy_idle_kwh"]).sum(axis=1)
    per_replica = option.accelerators_per_replica if option.deployment != "api" else 1
    power_w = np.where(
        hours > 0, accel_kwh / np.where(hours > 0, hours, 1.0) * per_replica * W_PER_KW, np.nan
    )
    n = loads.shape[0]
    if option.deployment == "api" or not option.sweep_latency_p95_s:
        latency = np.full(n, float(np.asarray(option.latency_p95_s, dtype=float).reshape(-1)[0]))
    else:
        latency = interpolate_on_grid(loads, sweep_grid(option), option.sweep_latency_p95_s)
    tokens = option.answer_tokens(workload.tokens_out)

    def full(v: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()

    served = q / (finance.months * DAYS_PER_MONTH * SECONDS_PER_DAY)
    return {
        "load": loads,
        "queries_per_second": full(served) if option.deployment != "api" else np.full(n, np.nan),
        "cost_per_1k_queries": full(cost * 1000.0),
        "cost_per_1m_tokens": full(cost / tokens * 1e6) if tokens > 0 else np.full(n, np.nan),
        "wh_per_query": full(wh),
        "power_per_replica_w": full(power_w) if option.deployment != "api" else np.full(n, np.nan),
        "latency_p95_s": latency,
    }


def interactivity_curve(
    option: OptionInputs, workload: WorkloadInputs, finance: FinanceInputs
) -> dict[str, np.ndarray]:
    """Cost against interactivity, the chart serving benchmarks draw: per concurrency of the option's
    sweep (`serving_points`, at the workload's lengths), one replica held at that concurrency at full load
    over the horizon (as `load_curve` at 100 %): tokens per second per user (1 / median time per output
    token), output tokens per second per accelerator, cost per 1M output tokens, facility Wh per query, and
    the latencies; `capacity` marks the option's capacity point. Empty arrays for an API (no replica)."""
    points = option.serving_points if option.deployment != "api" else ()
    one = {"load": np.array([1.0])}
    rows: dict[str, list[float]] = {k: [] for k in INTERACTIVITY_COLUMNS}
    for p in points:
        at = option.with_values(
            throughput_qps=p.throughput_qps,
            energy_per_query_kwh=p.energy_j / J_PER_KWH,
            sweep_throughput=(1.0,),
            sweep_energy=(1.0,),
            sweep_latency_p95_s=(p.latency_p95_s,) if not np.isnan(p.latency_p95_s) else (),
            sweep_batch=(p.concurrency,),
            latency_p95_s=p.latency_p95_s,
        )
        c = load_curve(at, workload, finance, one["load"])
        rows["concurrency"].append(p.concurrency)
        rows["tokens_per_second_per_user"].append(p.tokens_per_second_per_user())
        rows["output_tokens_per_second_per_accelerator"].append(
            p.throughput_qps * p.output_tokens / option.accelerators_per_replica
        )
        rows["cost_per_1m_tokens"].append(float(c["cost_per_1m_tokens"][0]))
        rows["wh_per_query"].append(float(c["wh_per_query"][0]))
        rows["ttft_p95_s"].append(p.ttft_p95_s)
        rows["tpot_p95_s"].append(p.tpot_p95_s)
        rows["latency_p95_s"].append(p.latency_p95_s)
        rows["capacity"].append(float(p.concurrency == option.batch_size))
    return {k: np.asarray(v, dtype=float) for k, v in rows.items()}
