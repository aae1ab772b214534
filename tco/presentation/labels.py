"""Names people read for the engine's cost columns, shared by charts, reports and the app."""

from __future__ import annotations

# Accounting view: depreciation stands for capex and residual value, interest or lease payments for the
# financing cash flows, the loss (gain: negative) against book value for the end-of-horizon credit.
COST_LABELS: dict[str, str] = {
    "depreciation_cost": "Capex (depreciation)",
    "financing_accounting_cost": "Financing (interest or lease)",
    "end_value_accounting_cost": "Loss on end-of-horizon sale",
    "energy_cost": "Energy",
    "cloud_cost": "Cloud rental",
    "api_cost": "API fees",
    "maintenance_cost": "Maintenance",
    "colocation_cost": "Colocation",
    "other_opex_cost": "Other opex",
    "fine_tuning_cost": "Fine-tuning",
    "carbon_cost": "Carbon price",
}
