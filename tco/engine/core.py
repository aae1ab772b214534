"""The engine: monthly cost, energy and emissions of one option over the horizon.

Pure numpy, no I/O. Inputs may carry a leading sample axis (Monte Carlo); every output is a
(samples, months) array. Two steps: what the option does (`tco.engine.operations`: queries, fleet, energy,
emissions) and what that costs (`tco.engine.finance`: cash flows, depreciation, discounting).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tco.engine import components as cc
from tco.engine.components import COST_COMPONENTS, CostComponent, cash_flows
from tco.engine.impacts import impacts
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs, as_column
from tco.engine.operations import operate

__all__ = ["COST_COMPONENTS", "simulate"]


def simulate(
    option: OptionInputs,
    workload: WorkloadInputs,
    finance: FinanceInputs,
    components: Sequence[CostComponent] | None = None,
) -> dict[str, np.ndarray]:
    """Monthly projections of one option: a dict of (samples, months) arrays, units in the key names.

    `components`: the cost components to compute (default: `tco.engine.components.COMPONENTS`, read when
    called), one `{name}_cost` column each, summed into `total_cost`."""
    table = cc.COMPONENTS if components is None else components
    c = {name: as_column(getattr(option, name)) for name in option.numeric_fields()}
    op = operate(option, c, workload, finance)
    cash = cash_flows(option, c, op, finance, table)
    # a varied finance input (discount rate) alone gives samples that operations do not have
    shape = np.broadcast_shapes(op.shape, cash.total.shape, cash.discount.shape)

    def full(x: np.ndarray) -> np.ndarray:
        return x if x.shape == shape else np.broadcast_to(x, shape)

    out = {
        "queries": full(op.queries),
        "queries_demand": full(op.queries_demand),
        "queries_unserved": full(op.queries_unserved),
        "replicas": full(op.replicas),
        "accelerators": full(op.provisioned),
        "accelerators_purchased": full(op.purchases),
        "accelerator_hours": full(op.accelerator_hours),
        "busy_accelerator_hours": full(op.busy_hours),
        "capacity_shortfall": full(op.shortfall),
        "peak_replica_load": full(op.peak_load),
        "latency_p95_peak_s": full(op.latency_p95_s),
        "energy_accelerator_kwh": full(op.accel_kwh),
        "energy_idle_kwh": full(op.idle_kwh),
        "energy_host_kwh": full(op.host_kwh),
        "energy_it_kwh": full(op.it_kwh),
        "energy_facility_kwh": full(op.facility_kwh),
        "energy_fine_tuning_kwh": full(op.fine_tuning_kwh),
        "energy_kwh": full(op.energy_kwh),
        "grid_intensity_kg_per_kwh": full(op.intensity),
        "emissions_operational_location_kg": full(op.emissions_operational_location_kg),
        "emissions_operational_kg": full(op.emissions_operational_kg),
        "emissions_embodied_kg": full(op.emissions_embodied_kg),
        "emissions_fine_tuning_kg": full(op.emissions_fine_tuning_kg),
        "emissions_kg": full(op.emissions_kg),
        **{k: full(v) for k, v in impacts(option, c, op).items()},
        **{a.column: full(cash.accounting[a.name]) for a in cc.ACCOUNTING_LINES},
        "electricity_price": full(cash.electricity_price),
        "discount_factor": full(cash.discount),
    }
    for k in table:
        out[k.column] = full(cash.costs[k.name])
    out["total_cost"] = full(cash.total)
    out["total_cost_discounted"] = full(cash.total * cash.discount)
    out["queries_discounted"] = full(op.queries * cash.discount)
    out["tax_saving"] = full(cash.tax_saving)
    out["total_cost_after_tax"] = full(cash.total_after_tax)
    out["total_cost_after_tax_discounted"] = full(cash.total_after_tax * cash.discount)
    return out
