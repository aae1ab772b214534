"""Finance: what one option's operations cost each month, in cash and in accounting terms, and discounting.

Pure numpy, no I/O. Cash view: capex when units are bought, residual value back when they retire or at the
end of the horizon at book value; depreciation is reported beside it (accounting view), and over a unit's
whole life both add up to the same amount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tco.engine import formulas as f
from tco.engine.inputs import FinanceInputs, OptionInputs, as_column
from tco.engine.operations import Operations

COST_COMPONENTS = (
    "capex",
    "residual",
    "energy",
    "cloud",
    "api",
    "maintenance",
    "colocation",
    "other_opex",
    "fine_tuning",
    "carbon",
)


@dataclass
class CashFlows:
    """Monthly costs by component (reporting currency), depreciation, the electricity price paid and the
    discount factor, each (samples, months) or broadcastable to the operations' shape."""

    costs: dict[str, np.ndarray]
    total: np.ndarray
    depreciation: np.ndarray
    electricity_price: np.ndarray
    discount: np.ndarray


def _book_value_at_end(
    purchases: np.ndarray, lifetime: np.ndarray, unit_price: np.ndarray, residual: np.ndarray
) -> np.ndarray:
    """Book value, at the end of the horizon, of the units still in service (straight-line to residual)."""
    t_count = purchases.shape[1]
    bought = np.arange(t_count)[None, :]
    life = np.maximum(np.round(lifetime), 1)
    age = t_count - bought  # months depreciated by the end of the horizon
    in_service = (bought + life) >= t_count
    value = unit_price * (1.0 - (1.0 - residual) * np.minimum(age, life) / life)
    return np.sum(np.where(in_service, purchases * value, 0.0), axis=1)


def cash_flows(
    option: OptionInputs, c: dict[str, np.ndarray], op: Operations, finance: FinanceInputs
) -> CashFlows:
    """Costs of the operations `op` per month; `c` holds the option's numeric fields as columns."""
    t, shape, dep = op.t, op.shape, option.deployment
    zeros = np.zeros(shape)
    price = f.escalated_price(c["electricity_price"], c["electricity_escalation"], t)
    unit_price = c["unit_price"]
    life = np.maximum(np.round(c["lifetime_months"]), 1.0)
    costs: dict[str, np.ndarray] = {}
    if dep == "on-prem":
        costs["capex"] = op.purchases * unit_price
        residual = op.retired * unit_price * c["residual_value"]
        end_value = _book_value_at_end(op.purchases, c["lifetime_months"], unit_price, c["residual_value"])
        residual = residual + np.where(t == finance.months - 1, end_value[:, None], 0.0)
        costs["residual"] = -residual
        costs["energy"] = op.facility_kwh * price
        costs["maintenance"] = op.owned * unit_price * c["maintenance"] / 12.0
        costs["colocation"] = (
            op.owned * (c["max_power_kw"] + c["host_power_kw"]) * c["colocation_per_kw_month"]
        )
        depreciation = op.owned * unit_price * (1.0 - c["residual_value"]) / life
    else:
        costs["capex"] = costs["residual"] = costs["energy"] = costs["maintenance"] = costs["colocation"] = (
            zeros
        )
        depreciation = zeros
    costs["cloud"] = op.accelerator_hours * c["cloud_price_per_hour"] if dep == "cloud" else zeros
    costs["api"] = op.queries * c["api_cost_per_query"] if dep == "api" else zeros
    costs["other_opex"] = np.broadcast_to(c["other_opex_per_month"], shape)
    first = (t == 0).astype(float)
    costs["fine_tuning"] = first * c["fine_tuning_cost"]
    costs["carbon"] = op.emissions_kg * c["carbon_price_per_kg"]
    total = zeros.copy()
    for k in COST_COMPONENTS:
        total = total + costs[k]
    discount = f.discount_factor(as_column(finance.discount_rate), t)
    return CashFlows(costs, total, depreciation, price, discount)
