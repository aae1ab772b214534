"""The README's comparison with SemiAnalysis / InferenceMAX ("Price tiers"), recomputed from its scenario file:
the numbers quoted there are the engine's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tco.analysis.curve import load_curves
from tco.analysis.evaluate import evaluate
from tco.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "docs" / "comparisons" / "h100-semianalysis.yaml"


@pytest.fixture(scope="module")
def full_load() -> dict[str, dict[str, float]]:
    loaded = load_scenario(str(CASE))
    frame = load_curves(loaded.resolved, loads=np.array([1.0]))
    return {str(r["option"]): dict(r) for _, r in frame.iterrows()}


def per_gpu_hour(row: dict[str, float]) -> float:
    return row["cost_per_1k_queries"] / 1000.0 * row["queries_per_second"] * 3600.0


def test_owned_h100_per_gpu_hour_is_the_readmes(full_load: dict[str, dict[str, float]]) -> None:
    assert per_gpu_hour(full_load["owned"]) == pytest.approx(1.27, abs=0.005)
    assert per_gpu_hour(full_load["owned-no-maintenance"]) == pytest.approx(1.13, abs=0.005)
    # the parts the README names: GPU capex, 4 % maintenance, colocation on TDP + host, electricity
    parts = 30_000 / (48 * 730.5) + 0.04 * 30_000 / 8766 + 0.85 * 150 / 730.5 + 0.70 * 1.56 * 0.0892
    assert per_gpu_hour(full_load["owned"]) == pytest.approx(parts, rel=0.01)


def test_rented_tiers_cost_per_million_output_tokens_are_the_readmes(
    full_load: dict[str, dict[str, float]],
) -> None:
    assert per_gpu_hour(full_load["gpu-cloud"]) == pytest.approx(2.50)
    assert full_load["gpu-cloud"]["cost_per_1m_tokens"] == pytest.approx(0.864, abs=0.0005)
    assert full_load["owner-tier"]["cost_per_1m_tokens"] == pytest.approx(0.449, abs=0.0005)
    # 804 output tokens/s: the profile's batch-8 point
    assert full_load["gpu-cloud"]["queries_per_second"] * 1780.7 == pytest.approx(803.95, abs=0.05)


def test_provisioned_power_and_tokens_per_mw_are_the_readmes() -> None:
    s = evaluate(load_scenario(str(CASE))).summary
    per_gpu_kw = s.loc["owned", "provisioned_kw"] / s.loc["owned", "accelerators_peak"]
    assert per_gpu_kw == pytest.approx((0.70 + 0.15) * 1.56)
    assert s.loc["owned", "tokens_per_s_per_provisioned_mw"] == pytest.approx(606_297, abs=1)
