"""The estimated Llama 3.1 8B profiles (A100, L40S, L4) are exactly what scripts/estimate_profiles.py computes."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tco.scenario.repository import load_model_profile
from tco.scenario.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "profiles" / "models"


def _load_script() -> ModuleType:
    path = ROOT / "scripts" / "estimate_profiles.py"
    spec = importlib.util.spec_from_file_location("estimate_profiles", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


est = _load_script()
TARGETS: dict[str, str] = est.TARGETS


@pytest.fixture(scope="module")
def built() -> dict[str, str]:
    return est.build()


def test_targets_are_the_three_gpus() -> None:
    assert TARGETS == {
        "llama-3.1-8b-a100": "a100-80gb",
        "llama-3.1-8b-l40s": "l40s",
        "llama-3.1-8b-l4": "l4",
    }


@pytest.mark.parametrize("profile_id", sorted(TARGETS))
def test_shipped_file_is_reproduced(built: dict[str, str], profile_id: str) -> None:
    name = f"{profile_id}.yaml"
    shipped = (MODELS / name).read_text(encoding="utf-8")
    assert built[name] == shipped, f"{name} is stale: run .venv/bin/python scripts/estimate_profiles.py"


def test_check_mode_passes_and_writes_nothing() -> None:
    before = {p.name: p.stat().st_mtime_ns for p in MODELS.glob("*.yaml")}
    assert est.main(["--check"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in MODELS.glob("*.yaml")} == before


def test_write_to_another_folder(tmp_path: Path) -> None:
    root = tmp_path / "profiles"
    (root / "models").mkdir(parents=True)
    for rel in ("hardware.yaml", "models/llama-3.1-8b-h100.yaml"):
        (root / rel).write_bytes((ROOT / "profiles" / rel).read_bytes())
    assert est.main(["--profiles", str(root)]) == 0
    for profile_id in TARGETS:
        name = f"{profile_id}.yaml"
        assert (root / "models" / name).read_text(encoding="utf-8") == (MODELS / name).read_text(
            encoding="utf-8"
        )


@pytest.mark.parametrize("profile_id", sorted(TARGETS))
def test_profiles_are_labelled_estimated(profile_id: str) -> None:
    path = MODELS / f"{profile_id}.yaml"
    profile = load_model_profile(path)
    assert profile.id == path.stem
    assert profile.hardware == TARGETS[profile_id]
    assert profile.provenance.method == "estimated"
    assert "ESTIMATED" in (profile.provenance.notes or "")
    assert path.read_text(encoding="utf-8").startswith("# ESTIMATED profile")
    source = load_model_profile(MODELS / "llama-3.1-8b-h100.yaml")
    assert profile.quality == source.quality
    assert profile.model == source.model


def _independent_fit(batch: int, output_tokens: float, memory_gb: float) -> bool:
    """The memory check written out again: bf16 weights + KV cache within 90 % of the GPU's memory."""
    weights = 8.03e9 * 2
    kv_per_token = 32 * 8 * 128 * 2 * 2
    assert kv_per_token == 131_072
    return weights + kv_per_token * batch * (300 + output_tokens) <= 0.9 * memory_gb * 1e9


@pytest.mark.parametrize("profile_id", sorted(TARGETS))
def test_oom_points_are_exactly_those_that_do_not_fit(profile_id: str) -> None:
    profile = load_model_profile(MODELS / f"{profile_id}.yaml")
    hardware = {h["id"]: h for h in read_yaml(ROOT / "profiles" / "hardware.yaml")["hardware"]}
    memory_gb = float(str(hardware[profile.hardware]["memory"]).split()[0])
    source = load_model_profile(MODELS / "llama-3.1-8b-h100.yaml")
    assert [p.batch_size for p in profile.points] == [p.batch_size for p in source.ok_points()]
    for p in profile.points:
        assert p.output_tokens is not None
        fit = _independent_fit(p.batch_size, p.output_tokens, memory_gb)
        assert (p.status == "ok") == fit, f"batch {p.batch_size}"
        assert p.status in ("ok", "oom")
        if p.status == "oom":
            assert p.energy_per_query is None and p.throughput is None


def test_expected_oom_batches() -> None:
    oom = {
        pid: [p.batch_size for p in load_model_profile(MODELS / f"{pid}.yaml").points if p.status == "oom"]
        for pid in TARGETS
    }
    assert oom == {
        "llama-3.1-8b-a100": [],
        "llama-3.1-8b-l40s": [512],
        "llama-3.1-8b-l4": [64, 128, 256, 512],
    }


BANDWIDTH_TBPS = {"a100-80gb": 2.039, "l40s": 0.864, "l4": 0.300}
TDP_W = {"a100-80gb": 407.0, "l40s": 350.0, "l4": 72.0}  # profiles/hardware.yaml power.max


@pytest.mark.parametrize("profile_id", sorted(TARGETS))
def test_numbers_follow_the_method(profile_id: str) -> None:
    """Each ok point against the stated formulas, to the 4 significant figures written."""
    profile = load_model_profile(MODELS / f"{profile_id}.yaml")
    source = {p.batch_size: p for p in load_model_profile(MODELS / "llama-3.1-8b-h100.yaml").points}
    hw = profile.hardware
    r = 3.35 / BANDWIDTH_TBPS[hw]
    for p in profile.ok_points():
        h = source[p.batch_size]
        assert h.throughput is not None and h.energy_per_query is not None
        assert p.throughput is not None and p.energy_per_query is not None
        power = h.energy_per_query * h.throughput / 700.0 * TDP_W[hw]
        assert math.isclose(p.throughput, h.throughput / r, rel_tol=6e-4)
        assert math.isclose(p.energy_per_query, power / (h.throughput / r), rel_tol=6e-4)
        for field in ("latency_p50", "latency_p95", "tpot_p50"):
            assert math.isclose(getattr(p, field), getattr(h, field) * r, rel_tol=6e-4), field
        assert p.output_tokens == h.output_tokens
