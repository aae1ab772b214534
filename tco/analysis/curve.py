"""Load curves of a scenario's options: cost and energy per query from 1 % to 100 % of one replica."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tco.engine.curve import INTERACTIVITY_COLUMNS, interactivity_curve, load_curve
from tco.errors import InputError
from tco.scenario.resolve import Resolved

DEFAULT_LOADS = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])


def load_curves(
    resolved: Resolved, options: list[str] | None = None, loads: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per (option, load): load_pct, queries/s, cost per 1k queries and per 1M output tokens,
    Wh per query, accelerator power per replica and p95 latency."""
    known = [o.id for o in resolved.options]
    wanted = options or known
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise InputError(f"unknown option {unknown[0]!r}, expected one of {', '.join(known)}", field="option")
    grid = DEFAULT_LOADS if loads is None else np.asarray(loads, dtype=float)
    frames = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for o in resolved.options:
            if o.id not in wanted:
                continue
            c = load_curve(o, resolved.workload, resolved.finance, grid)
            frame = pd.DataFrame(c)
            frame.insert(0, "option", o.id)
            frame.insert(1, "deployment", o.deployment)
            frame.insert(2, "load_pct", frame.pop("load") * 100.0)
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    cur = resolved.finance.currency
    out.attrs = {
        "units": {
            "load_pct": "% of one replica's capacity",
            "queries_per_second": "query/s",
            "cost_per_1k_queries": f"{cur}/1k queries",
            "cost_per_1m_tokens": f"{cur}/1M output tokens",
            "wh_per_query": "Wh/query",
            "power_per_replica_w": "W",
            "latency_p95_s": "s",
        },
        "currency": cur,
        "tokens_out": resolved.workload.tokens_out,
    }
    return out


def interactivity_curves(resolved: Resolved, options: list[str] | None = None) -> pd.DataFrame:
    """One row per (hosted option, concurrency of its sweep): tokens per second per user, output tokens per
    second per accelerator, cost per 1M output tokens and Wh per query of one replica at full load at that
    concurrency, and the latencies; `capacity` marks each option's capacity point (tco.engine.curve)."""
    known = [o.id for o in resolved.options]
    wanted = options or known
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise InputError(f"unknown option {unknown[0]!r}, expected one of {', '.join(known)}", field="option")
    frames = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for o in resolved.options:
            if o.id not in wanted or o.deployment == "api":
                continue
            frame = pd.DataFrame(interactivity_curve(o, resolved.workload, resolved.finance))
            frame.insert(0, "option", o.id)
            frame.insert(1, "deployment", o.deployment)
            frame["capacity"] = frame["capacity"].astype(bool)
            frames.append(frame)
    columns = ["option", "deployment", *INTERACTIVITY_COLUMNS]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    cur = resolved.finance.currency
    out.attrs = {
        "units": {
            "concurrency": "requests in flight",
            "tokens_per_second_per_user": "token/s per user",
            "output_tokens_per_second_per_accelerator": "token/s per accelerator",
            "cost_per_1m_tokens": f"{cur}/1M output tokens",
            "wh_per_query": "Wh/query",
            "ttft_p95_s": "s",
            "tpot_p95_s": "s",
            "latency_p95_s": "s",
        },
        "currency": cur,
        "tokens_in": resolved.workload.tokens_in,
        "tokens_out": resolved.workload.tokens_out,
    }
    return out


def hourly_frame(resolved: Resolved, option: str, month: int = 0) -> pd.DataFrame:
    """The representative day of one month (0-based) of a hosted option, hour by hour: replicas serving,
    load per replica, batch size, power, energy, Wh per query and p95 latency."""
    from tco.engine.operations import hourly_view

    found = next((o for o in resolved.options if o.id == option), None)
    if found is None:
        known = ", ".join(o.id for o in resolved.options)
        raise InputError(f"unknown option {option!r}, expected one of {known}", field="option")
    try:
        day = hourly_view(found, resolved.workload, resolved.finance, month)
    except ValueError as e:
        raise InputError(str(e), field="option") from None
    frame = pd.DataFrame(day)
    frame.attrs = {
        "units": {
            "queries_per_hour": "query",
            "replica_load": "fraction of capacity",
            "power_per_replica_w": "W",
            "energy_facility_kwh": "kWh",
            "wh_per_query": "Wh/query",
            "latency_p95_s": "s",
        },
        "option": option,
        "month": month,
    }
    return frame
