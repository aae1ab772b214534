"""Fleet block of a projection month: replicas and accelerators (the on-prem fleet with replacement at end of
life, SUMIFS over earlier purchases), provisioned, powered and busy hours, queries served and unserved, the
busiest hour's load per replica and whether the fleet falls short of it.

A hosted option reads its day from its Load sheet (`Month.load`); an API has no fleet (zeros) and serves
every query asked for."""

from __future__ import annotations

from typing import Any

import numpy as np

from tco.presentation.reports.xlsx.layout import Month

API_ZEROS = (
    "replicas",
    "accelerators_needed",
    "accelerators_in_service",
    "accelerators_purchased",
    "accelerators",
    "accelerators_retired",
    "provisioned_hours",
    "accelerator_hours",
    "busy_accelerator_hours",
    "peak_replica_load",
    "queries_unserved",
)


def fixed(m: Month) -> bool:
    return not np.isnan(m.option.fixed_fleet)


def spare(m: Month) -> str:
    """Accelerators of a fixed fleet beyond its whole replicas (powered, idle), as a formula term."""
    a, x = m.a, m.x
    return f"({a('fixed_fleet')}-{x['replicas']}*{a('accelerators_per_replica')})" if fixed(m) else "0"


def day_hours(m: Month) -> str:
    """Hours of the month each hour of the representative day stands for."""
    return f"{m.g('hours_per_month')}/{m.g('hours_per_day')}"


def fleet_cells(m: Month) -> dict[str, Any]:
    a, g, x, o = m.a, m.g, m.x, m.option
    f: dict[str, Any] = {}
    if not m.hosted:
        f.update(dict.fromkeys(API_ZEROS, 0))
        f["queries"] = f"={g('queries_per_day')}*{g('days_per_month')}*{x['growth_factor']}"
        f["capacity_shortfall"] = False
        return f
    load = m.load
    assert load is not None
    apr = a("accelerators_per_replica")
    hour = day_hours(m)
    life, mi = m.life, m.m
    if fixed(m):
        f["replicas"] = f"=FLOOR({a('fixed_fleet')}/{apr},1)"
        f["accelerators_needed"] = f"={a('fixed_fleet')}"
    else:
        ratio = f"{x['peak_qps']}/({a('throughput_qps')}*{a('utilisation')})-1E-9"
        f["replicas"] = (
            f"={load('fleet_peak')}"
            if o.fleet_scaling() == "hourly"
            else f"=MAX(CEILING(MAX({ratio},0),1),{a('min_replicas')})"
        )
        f["accelerators_needed"] = f"={x['replicas']}*{apr}"
    if o.deployment == "on-prem":
        f["accelerators_in_service"] = (
            0
            if m.first
            else f'=SUMIFS({x.above("accelerators_purchased")},{x.above("month")},">="&({mi}-{life}+1))'
        )
        f["accelerators_purchased"] = f"=MAX({x['accelerators_needed']}-{x['accelerators_in_service']},0)"
        f["accelerators"] = f"={x['accelerators_in_service']}+{x['accelerators_purchased']}"
        f["accelerators_retired"] = (
            0 if m.first else f"=SUMIFS({x.above('accelerators_purchased')},{x.above('month')},{mi}-{life})"
        )
    else:
        f["accelerators_in_service"] = 0
        f["accelerators_purchased"] = 0
        f["accelerators"] = f"={x['accelerators_needed']}"
        f["accelerators_retired"] = 0
    f["provisioned_hours"] = f"={x['accelerators']}*{g('hours_per_month')}"
    served = f"{hour}*{a('throughput_qps')}*3600*{load('sum_nl')}"
    f["queries_unserved"] = f"=IF({served}>={x['queries_demand']}*(1-1E-9),0,{x['queries_demand']}-{served})"
    f["queries"] = (
        f"={g('queries_per_day')}*{g('days_per_month')}*{x['growth_factor']}-{x['queries_unserved']}"
    )
    f["accelerator_hours"] = (
        f"={apr}*{hour}*({load('sum_n')}+{load('standby')})+{spare(m)}*{g('hours_per_month')}"
    )
    f["busy_accelerator_hours"] = f"={apr}*{hour}*{load('sum_nw')}"
    f["peak_replica_load"] = f"={load('peak')}"
    f["capacity_shortfall"] = f"={x['peak_replica_load']}>1+1E-9"
    return f
