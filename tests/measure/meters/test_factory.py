from __future__ import annotations

import sys
from pathlib import Path

import fake_pynvml
import pytest

from measure.meters.base import MeterUnavailable
from measure.meters.estimate import EstimateMeter
from measure.meters.factory import choose_meter
from measure.meters.nvml_counter import NvmlCounterMeter
from measure.meters.nvml_sampled import NvmlSampledMeter
from measure.meters.rapl import RaplMeter


def no_sleep(_s: float) -> None:
    pass


def test_gpu_prefers_the_counter(fake_nvml: fake_pynvml.FakeNvml) -> None:
    choice = choose_meter(
        "auto", device="cuda", cuda_ordinals=(0,), env=fake_pynvml.PCI_ORDER, sleep=no_sleep
    )
    assert isinstance(choice.meter, NvmlCounterMeter)
    assert choice.fallbacks == []
    choice.meter.close()


def test_gpu_falls_back_to_sampled_when_counter_is_stuck(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].energy_step_mj = 0
    choice = choose_meter(
        "auto", device="cuda", cuda_ordinals=(0,), env=fake_pynvml.PCI_ORDER, sleep=no_sleep, probe_s=0.5
    )
    assert isinstance(choice.meter, NvmlSampledMeter)
    assert choice.fallbacks == [
        "nvml-counter: energy counter of gpu0 (NVIDIA L4) did not advance over 0.5 s "
        "(it reads 0 on pre-Volta GPUs and some vGPUs)"
    ]
    choice.meter.close()


def test_gpu_without_pynvml_estimates_with_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml raises ImportError
    choice = choose_meter(
        "auto", device="cuda", env=fake_pynvml.PCI_ORDER, tdp_w=72.0, gpu_name="NVIDIA L4", sleep=no_sleep
    )
    assert isinstance(choice.meter, EstimateMeter)
    assert choice.meter.tdp_w == 72.0
    assert choice.fallbacks == [
        "nvml-counter: pynvml is not installed (pip install nvidia-ml-py)",
        "nvml-sampled: pynvml is not installed (pip install nvidia-ml-py)",
    ]


def test_no_driver_falls_back_in_one_line_each(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.init_error = 12
    choice = choose_meter("auto", device="cuda", env=fake_pynvml.PCI_ORDER, sleep=no_sleep)
    assert choice.fallbacks == [
        "nvml-counter: NVML: NVML library not found (no NVIDIA driver on this machine)",
        "nvml-sampled: NVML: NVML library not found (no NVIDIA driver on this machine)",
    ]


def test_cpu_uses_rapl_when_readable(rapl_root: Path) -> None:
    def advance(_s: float) -> None:
        for zone in rapl_root.glob("intel-rapl:*"):
            f = zone / "energy_uj"
            f.write_text(str(int(f.read_text()) + 1000))

    choice = choose_meter("auto", device="cpu", rapl_root=rapl_root, sleep=advance)
    assert isinstance(choice.meter, RaplMeter)


def test_cpu_without_rapl_estimates(tmp_path: Path) -> None:
    choice = choose_meter("auto", device="cpu", rapl_root=tmp_path / "none", tdp_w=45.0)
    assert isinstance(choice.meter, EstimateMeter)
    assert choice.fallbacks == [
        f"rapl: {tmp_path / 'none'} does not exist (no RAPL: not Linux, or not an Intel/AMD CPU)"
    ]


def test_named_meter_is_not_replaced(tmp_path: Path) -> None:
    with pytest.raises(MeterUnavailable) as e:
        choose_meter("rapl", device="cpu", rapl_root=tmp_path / "none")
    assert str(e.value) == (
        f"meter 'rapl' unavailable: {tmp_path / 'none'} does not exist (no RAPL: not Linux, or not an Intel/AMD CPU)"
    )


def test_unknown_meter_name() -> None:
    with pytest.raises(MeterUnavailable) as e:
        choose_meter("wattmeter")
    assert (
        str(e.value)
        == "unknown meter 'wattmeter', expected one of auto, nvml-counter, nvml-sampled, rapl, estimate"
    )
