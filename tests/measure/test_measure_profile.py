from __future__ import annotations

from pathlib import Path

import pytest

from measure.profile import hardware_id_for, profile_id_from_path, write_profile
from tco.errors import InputError


@pytest.mark.parametrize(
    ("names", "hid"),
    [
        (["NVIDIA H100 80GB HBM3"], "h100-sxm"),
        (["NVIDIA H100 PCIe"], "h100-pcie"),
        (["NVIDIA H100 NVL"], "h100-pcie"),
        (["NVIDIA H200"], "h200"),
        (["NVIDIA A100-SXM4-80GB"], "a100-80gb"),
        (["NVIDIA A100 80GB PCIe"], "a100-80gb"),
        (["NVIDIA L40S"], "l40s"),
        (["NVIDIA L4", "NVIDIA L4"], "l4"),
        (["NVIDIA A10G"], "a10g"),
        (["Tesla T4"], "t4"),
        ([], "cpu-vcpu"),
        (["NVIDIA B200"], "b200"),
        (["NVIDIA A100-SXM4-40GB"], None),
        (["NVIDIA L4", "Tesla T4"], None),
    ],
)
def test_hardware_ids_from_nvml_names(names: list[str], hid: str | None) -> None:
    assert hardware_id_for(names) == hid


def test_profile_id_from_file_name() -> None:
    assert profile_id_from_path("profiles/models/My Model_L4.yaml") == "my-model_l4"
    with pytest.raises(InputError) as e:
        profile_id_from_path("out/___.yaml")
    assert (
        str(e.value)
        == "id: cannot make a profile id from file name '___.yaml', expected letters or digits; pass --id"
    )


def test_invalid_profile_is_not_written(tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    data = {
        "id": "p",
        "model": {"name": "m", "kind": "causal-lm", "parameters": 10},
        "hardware": "l4",
        "points": [{"batch_size": 1, "energy_per_query": "0 J", "throughput": "1 1/s"}],
        "provenance": {"method": "estimated", "notes": "test"},
    }
    with pytest.raises(InputError) as e:
        write_profile(out, data)
    assert (
        str(e.value)
        == f"{out}: points[0]: energy_per_query is 0 J: a meter that reads 0 is broken, not efficient"
    )
    assert list(tmp_path.iterdir()) == []
