"""The bill of materials of a plan: what a buyer orders for each fleet the plan uses, per GPU type and region.

One row per hosted deployment in use (README, "Bill of materials"):

- GPUs: the fleet's largest size in replicas x accelerators per replica;
- servers: ceil(GPUs / accelerators per server of the GPU type), whole servers;
- kW provisioned: GPUs x (TDP + host power per accelerator) x PUE, the engine's provisioned power;
- buy: GPUs bought in each month the fleet grows (month 1 = the horizon's first month);
- rent on-demand or spot: GPU-months rented over the horizon (sum over months of GPUs in service; for spot
  x (1 + spot over-provisioning), the extra share the engine rents and bills to ride out interruptions);
- committed: GPUs committed (the first month's fleet, the engine's default) for a term of so many months,
  renewed to the end of the horizon, plus on-demand GPU-months above the commitment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tco.engine.formulas import provisioned_power_kw
from tco.engine.inputs import OptionInputs


@dataclass(frozen=True)
class BomRow:
    """What one fleet of a plan needs."""

    deployment: str  # option id
    gpu: str  # hardware id
    region: str
    pay: str  # buy | on-demand | committed | spot
    tier: str  # the price tier ("" for a quote)
    gpus: int  # at the fleet's largest
    servers: int
    kw_provisioned: float
    purchases: tuple[tuple[int, int], ...] = ()  # buy: (month, GPUs bought), month 1 = the first
    gpu_months: float = 0.0  # rented GPU-months over the horizon (above the commitment, if committed)
    committed_gpus: int = 0
    term_months: float = math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "gpu": self.gpu,
            "region": self.region,
            "pay": self.pay,
            "tier": self.tier,
            "gpus": self.gpus,
            "servers": self.servers,
            "kw_provisioned": self.kw_provisioned,
            "purchases": [{"month": m, "gpus": n} for m, n in self.purchases],
            "rented_gpu_months": self.gpu_months,
            "committed_gpus": self.committed_gpus,
            "term_months": self.term_months if math.isfinite(self.term_months) else None,
        }


def _first(x: Any) -> float:
    return float(np.asarray(x, dtype=float).ravel()[0])


def bom_row(
    deployment: str,
    option: OptionInputs,
    in_service: tuple[int, ...],
    *,
    gpu: str,
    region: str,
    tier: str,
    per_server: int,
) -> BomRow:
    """The bill of materials of one fleet, from its replicas in service month by month."""
    per_replica = option.accelerators_per_replica
    path = [int(r) * per_replica for r in in_service] or [0]
    peak = max(path)
    servers = math.ceil(peak / per_server) if per_server > 0 else peak
    kw = float(
        provisioned_power_kw(
            np.array([float(peak)]),
            np.array([_first(option.max_power_kw)]),
            np.array([_first(option.host_power_kw)]),
            np.array([_first(option.pue)]),
        )[0]
    )
    if option.deployment == "on-prem":
        bought, held = [], 0
        for m, n in enumerate(path, start=1):
            if n > held:
                bought.append((m, n - held))
                held = n
        return BomRow(deployment, gpu, region, "buy", tier, peak, servers, kw, purchases=tuple(bought))
    pay = option.cloud_pricing
    if pay == "committed":
        committed = _first(option.commitment_accelerators)
        committed_n = path[0] if not math.isfinite(committed) else round(committed)
        above = float(sum(max(n - committed_n, 0) for n in path))
        return BomRow(
            deployment,
            gpu,
            region,
            pay,
            tier,
            peak,
            servers,
            kw,
            gpu_months=above,
            committed_gpus=committed_n,
            term_months=_first(option.commitment_term_months),
        )
    months = float(sum(path))
    if pay == "spot":  # the engine rents (1 + over-provisioning) x the fleet to ride out interruptions
        months *= 1.0 + _first(option.spot_overprovisioning)
    return BomRow(deployment, gpu, region, pay, tier, peak, servers, kw, gpu_months=months)


def bom_totals(rows: tuple[BomRow, ...]) -> dict[tuple[str, str], dict[str, float]]:
    """Per (GPU type, region): GPUs, servers and kW provisioned added over the fleets."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        t = out.setdefault((r.gpu, r.region), {"gpus": 0, "servers": 0, "kw_provisioned": 0.0})
        t["gpus"] += r.gpus
        t["servers"] += r.servers
        t["kw_provisioned"] += r.kw_provisioned
    return out


def bill_of_materials(
    in_service: Mapping[str, tuple[int, ...]],
    options: Mapping[str, OptionInputs],
    where: Mapping[str, tuple[str, str, str, int]],
) -> tuple[BomRow, ...]:
    """Rows for each hosted deployment of a plan (`in_service`: the plan's replicas per month), given each
    deployment's engine inputs and (GPU type, region, tier, accelerators per server)."""
    rows = []
    for d, path in in_service.items():
        if d not in options or d not in where:
            continue
        gpu, region, tier, per_server = where[d]
        rows.append(bom_row(d, options[d], path, gpu=gpu, region=region, tier=tier, per_server=per_server))
    return tuple(sorted(rows, key=lambda r: (r.gpu, r.region, r.deployment)))
