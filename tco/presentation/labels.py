"""Names people read for the engine's cost columns, shared by charts, reports and the app."""

from __future__ import annotations

# Accounting view: depreciation stands for capex and residual value.
COST_LABELS: dict[str, str] = {
    "depreciation_cost": "Capex (depreciation)",
    "energy_cost": "Energy",
    "cloud_cost": "Cloud rental",
    "api_cost": "API fees",
    "maintenance_cost": "Maintenance",
    "colocation_cost": "Colocation",
    "other_opex_cost": "Other opex",
    "fine_tuning_cost": "Fine-tuning",
    "carbon_cost": "Carbon price",
}
