"""A small constructed scenario exercising every deployment kind, every cost component and the finance
choices that the xlsx report writes as live formulas (book and resale end values, price trends, spot
rent, tax, mid-month discounting)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tco.api import Results, evaluate, scenario_from_dict

SCENARIO: dict[str, Any] = {
    "name": "Report test scenario",
    "description": "Four options over 14 months: auto-sized and fixed on-prem fleets, cloud, API.",
    "currency": {"reporting": "USD", "rates": {"EUR": "1.08 USD/EUR"}},
    "start": "2026-11",
    "horizon": "14 months",
    "discount_rate": "8 %",
    "carbon_price": "50 USD/tCO2e",
    "carbon_price_trend": "10 %",
    "discounting": "middle",
    "tax_rate": "25 %",
    "workload": {
        "task": "sentiment",
        "queries_per_day": "60000000 query/day",
        "annual_growth": "60 %",
        "peak_to_average": 2,
        "tokens_out": 50,
        "quality_floor": 0.5,
    },
    "defaults": {
        "region": "us-va",
        "electricity_escalation": "3 %",
        "grid_decarbonisation": 0.05,
        "renewable_share": 0.2,
        "other_opex": "100 USD/month",
    },
    "options": [
        {
            "id": "onprem-auto",
            "name": "Llama 3.1 8B on own H100s",
            "deployment": "on-prem",
            "profile": "llama-3.1-8b-h100",
            "lifetime": "5 months",
            "residual_value": 0.1,
            "maintenance": 0.08,
            "pue": 1.3,
            "end_value": "book",
            "hardware_price_trend": "-20 %",
        },
        {
            "id": "onprem-fixed",
            "deployment": "on-prem",
            "profile": "llama-3.1-8b-h100",
            "fleet": {"accelerators": 3},
            "lifetime": "7 months",
            "residual_value": 0.2,
            "end_value": "resale",
            "resale_curve": [{"age": "0 months", "value": 0.9}, {"age": "12 months", "value": 0.5}],
        },
        {
            "id": "cloud-fr",
            "deployment": "cloud",
            "profile": "llama-3.1-8b-h100",
            "region": "fr",
            "pricing": "spot",
            "cloud_price_trend": "-10 %",
            "fine_tuning": {"gpu_hours": "10 h", "hardware": "h100-sxm", "source": "test"},
        },
        {"id": "api-8b", "deployment": "api", "api": "together-llama-3.1-8b", "api_price_trend": "-30 %"},
    ],
    "baseline": "onprem-auto",
}


def scenario_dict(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(SCENARIO)
    raw.update(changes)
    return raw


@pytest.fixture(scope="session")
def results() -> Results:
    return evaluate(scenario_from_dict(scenario_dict(), file="report-test.yaml"))
