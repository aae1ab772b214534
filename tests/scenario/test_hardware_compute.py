"""The hardware `compute` block: peak dense tensor FLOP/s per precision and memory bandwidth, per accelerator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tco.errors import InputError
from tco.scenario.repository import Repository, load_repository
from tco.scenario.schema import Compute

TEST_PROFILES = Path(__file__).resolve().parents[1] / "data" / "profiles"

# Every GPU shipped before issue 21, with the datasheet figures README and SOURCES quote (dense, TFLOP/s; TB/s).
SHIPPED = {
    "h100-sxm": {"bf16": 989, "fp8": 1979, "fp4": None, "memory_bandwidth": 3.35},
    "h100-pcie": {"bf16": 756, "fp8": 1513, "fp4": None, "memory_bandwidth": 2.0},
    "h200": {"bf16": 989, "fp8": 1979, "fp4": None, "memory_bandwidth": 4.8},
    "b200": {"bf16": 2250, "fp8": 4500, "fp4": 9000, "memory_bandwidth": 7.7},
    "a100-80gb": {"bf16": 312, "fp8": None, "fp4": None, "memory_bandwidth": 2.039},
    "l40s": {"bf16": 362.05, "fp8": 733, "fp4": None, "memory_bandwidth": 0.864},
    "l4": {"bf16": 121, "fp8": 242.5, "fp4": None, "memory_bandwidth": 0.3},
    "a10g": {"bf16": None, "fp8": None, "fp4": None, "memory_bandwidth": 0.6},
    "t4": {"bf16": None, "fp8": None, "fp4": None, "memory_bandwidth": 0.32},
}


@pytest.mark.parametrize("hid", sorted(SHIPPED))
def test_every_shipped_gpu_carries_its_datasheet_compute_block(shipped_repo: Repository, hid: str) -> None:
    compute = shipped_repo.hardware[hid].compute
    assert compute is not None, f"{hid} has no compute block"
    for field, expected in SHIPPED[hid].items():
        got = getattr(compute, field)
        assert got == (pytest.approx(expected) if expected is not None else None), (hid, field)
    assert compute.source and compute.year >= 2019


def test_t4_has_fp16_but_no_bf16_so_peak_says_none_for_a_missing_precision(shipped_repo: Repository) -> None:
    t4 = shipped_repo.hardware["t4"].compute
    assert t4 is not None
    assert t4.peak("fp16") == pytest.approx(65.0)
    assert t4.peak("bf16") is None
    with pytest.raises(ValueError, match="unknown precision 'int3', expected one of fp16, bf16, fp8, fp4"):
        t4.peak("int3")


def test_cpu_entries_have_no_compute_block(shipped_repo: Repository) -> None:
    assert all(hw.compute is None for hw in shipped_repo.hardware.values() if hw.type == "cpu")


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("9 PFLOP/s", "bf16", 9000.0),  # any prefix, stored in TFLOP/s
        ("1e15 FLOPs/s", "fp8", 1000.0),
        ("989.4 TFLOP/s", "fp16", 989.4),
        ("2039 GB/s", "memory_bandwidth", 2.039),  # stored in TB/s
        ("3.35 TB/s", "memory_bandwidth", 3.35),
    ],
)
def test_compute_values_are_read_in_any_unit_of_the_right_dimension(
    text: str, field: str, expected: float
) -> None:
    data: dict[str, object] = {"memory_bandwidth": "1 TB/s", "source": "test", "year": 2026, field: text}
    assert getattr(Compute.model_validate(data), field) == pytest.approx(expected)


def _profiles_with(tmp_path: Path, compute_yaml: str) -> Path:
    """A copy of the test profiles whose test GPU carries `compute_yaml` (indented block lines)."""
    root = tmp_path / "profiles"
    shutil.copytree(TEST_PROFILES, root)
    hw = root / "hardware.yaml"
    text = hw.read_text(encoding="utf-8")
    marker = "    server:\n      accelerators: 4\n"
    assert marker in text
    hw.write_text(text.replace(marker, compute_yaml + marker, 1), encoding="utf-8")
    return root


def test_a_compute_block_in_a_profiles_folder_loads(tmp_path: Path) -> None:
    root = _profiles_with(
        tmp_path,
        "    compute: {bf16: 1000 TFLOP/s, fp8: 2 PFLOP/s, memory_bandwidth: 2000 GB/s, source: test, year: 2026}\n",
    )
    compute = load_repository(root).hardware["testgpu"].compute
    assert compute is not None
    assert (compute.bf16, compute.fp8, compute.fp4, compute.memory_bandwidth) == (1000.0, 2000.0, None, 2.0)


@pytest.mark.parametrize(
    ("block", "field", "message"),
    [
        (
            "{bf16: 989 W, memory_bandwidth: 3 TB/s, source: test, year: 2026}",
            "hardware[0].compute.bf16",
            "got '989 W', expected a quantity convertible to TFLOP/s",
        ),
        (
            "{bf16: -5 TFLOP/s, memory_bandwidth: 3 TB/s, source: test, year: 2026}",
            "hardware[0].compute.bf16",
            "got '-5 TFLOP/s', expected at least 0 TFLOP/s",
        ),
        (
            "{bf16: 0 TFLOP/s, memory_bandwidth: 3 TB/s, source: test, year: 2026}",
            "hardware[0].compute",
            "bf16 is 0 TFLOP/s, expected more than 0",
        ),
        (
            "{bf16: 989 TFLOP/s, memory_bandwidth: 3 TB/s, int3: 5 TFLOP/s, source: test, year: 2026}",
            "hardware[0].compute.int3",
            "unknown field",
        ),
        (
            "{bf16: 989 TFLOP/s, source: test, year: 2026}",
            "hardware[0].compute.memory_bandwidth",
            "missing, this field is required",
        ),
        (
            "{bf16: 989 TFLOP/s, memory_bandwidth: 3 TB/s}",
            "hardware[0].compute.source",
            "missing, this field is required",
        ),
    ],
)
def test_a_bad_compute_value_is_refused_naming_file_and_field(
    tmp_path: Path, block: str, field: str, message: str
) -> None:
    root = _profiles_with(tmp_path, f"    compute: {block}\n")
    with pytest.raises(InputError) as err:
        load_repository(root)
    assert err.value.file == str(root / "hardware.yaml")
    assert err.value.field == field
    assert message in err.value.detail
    assert str(err.value).startswith(f"{root / 'hardware.yaml'}: {field}: ")
