"""Hand-checkable engine inputs and a scenario folder with a made-up model profile for analysis tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs

MONTHS = 12
HOURS_PER_MONTH = 730.5
DAYS_PER_MONTH = 30.4375


def cloud_option(oid: str = "cloud", *, fleet: float = 2.0, price: float = 2.0) -> OptionInputs:
    """A rented fixed fleet: TCO = fleet x 730.5 h x months x price, whatever the demand."""
    return OptionInputs(
        id=oid,
        name=oid,
        deployment="cloud",
        energy_per_query_kwh=0.001,
        throughput_qps=100.0,
        accelerators_per_replica=1,
        fixed_fleet=fleet,
        cloud_price_per_hour=price,
    )


def api_option(oid: str = "api", *, cost: float = 0.001) -> OptionInputs:
    """Priced per query: TCO = queries/day x 30.4375 x months x cost."""
    return OptionInputs(
        id=oid,
        name=oid,
        deployment="api",
        energy_per_query_kwh=0.0001,
        throughput_qps=float("nan"),
        accelerators_per_replica=1,
        min_replicas=0,
        api_cost_per_query=cost,
        grid_intensity_kg_per_kwh=0.1,
    )


@pytest.fixture
def workload() -> WorkloadInputs:
    return WorkloadInputs(queries_per_day=10_000.0, annual_growth=0.0, peak_to_average=1.0)


@pytest.fixture
def finance() -> FinanceInputs:
    return FinanceInputs(months=MONTHS)


PROFILE = """\
id: {id}
model: {{name: toy/{id}, kind: causal-lm, parameters: 1 billion}}
hardware: h100-sxm
points:
  - {{batch_size: 1, energy_per_query: 360 J, throughput: 2 1/s, latency_p95: {p95} s}}
quality:
  - {{task: qa, metric: accuracy, value: {quality}, source: "made up for tests"}}
provenance: {{method: estimated, notes: "made up for tests"}}
"""


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A folder with two made-up profiles (toy-fast: p95 1 s, quality 0.9; toy-slow: p95 5 s, quality 0.7)."""
    (tmp_path / "toy-fast.yaml").write_text(PROFILE.format(id="toy-fast", p95=1, quality=0.9))
    (tmp_path / "toy-slow.yaml").write_text(PROFILE.format(id="toy-slow", p95=5, quality=0.7))
    return tmp_path


def base_raw(**extra: Any) -> dict[str, Any]:
    """A scenario using the two toy profiles, every site field that matters set explicitly."""
    raw: dict[str, Any] = {
        "name": "toy",
        "horizon": "12 months",
        "workload": {"task": "qa", "queries_per_day": "10000 query/day", "peak_to_average": 1},
        "defaults": {
            "region": "fr",
            "pue": 1.2,
            "grid_intensity": "100 gCO2e/kWh",
            "electricity_price": "0.1 USD/kWh",
            "utilisation": "50 %",
        },
        "profile_files": ["toy-fast.yaml", "toy-slow.yaml"],
        "options": [{"id": "fast-cloud", "deployment": "cloud", "profile": "toy-fast"}],
    }
    raw.update(extra)
    return raw
