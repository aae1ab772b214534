"""Energy block of a projection month: accelerators busy (power along the sweep, from the Load sheet) and
idle, host servers, IT, facility (PUE) and the fine-tuning job (first month)."""

from __future__ import annotations

from typing import Any

from tco.presentation.reports.xlsx.fleet import day_hours, spare
from tco.presentation.reports.xlsx.layout import Month


def energy_cells(m: Month) -> dict[str, Any]:
    a, g, x = m.a, m.g, m.x
    f: dict[str, Any] = {}
    if not m.hosted:
        f["energy_accelerator_kwh"] = f"={x['queries']}*{a('energy_per_query_kwh')}"
        f["energy_idle_kwh"] = f["energy_host_kwh"] = 0
    else:
        load = m.load
        assert load is not None
        hour = day_hours(m)
        idle = f"{a('idle_power_kw')}*{a('accelerators_per_replica')}"
        f["energy_accelerator_kwh"] = (
            f"={hour}*({load('sum_np')}-{idle}*{load('sum_n')}+{idle}*{load('sum_nw')})"
        )
        f["energy_idle_kwh"] = (
            f"={hour}*{idle}*({load('sum_n')}-{load('sum_nw')}+{load('standby')})"
            f"+{a('idle_power_kw')}*{spare(m)}*{g('hours_per_month')}"
        )
        f["energy_host_kwh"] = f"={a('host_power_kw')}*{x['accelerator_hours']}"
    f["energy_it_kwh"] = f"={x['energy_accelerator_kwh']}+{x['energy_idle_kwh']}+{x['energy_host_kwh']}"
    f["energy_facility_kwh"] = f"={x['energy_it_kwh']}*{a('pue')}"
    f["energy_fine_tuning_kwh"] = f"=IF({m.m}=0,{a('fine_tuning_kwh')},0)"
    f["energy_kwh"] = f"={x['energy_facility_kwh']}+{x['energy_fine_tuning_kwh']}"
    return f
