from __future__ import annotations

import fake_pynvml
import pytest

from measure.meters.base import MeterReadError, MeterUnavailable
from measure.meters.nvml_counter import NvmlCounterMeter


def no_sleep(_s: float) -> None:
    pass


def test_window_energy_is_counter_difference_per_gpu(fake_nvml: fake_pynvml.FakeNvml) -> None:
    meter = NvmlCounterMeter.open((0, 1), env=fake_pynvml.PCI_ORDER, sleep=no_sleep)
    meter.start()
    fake_nvml.devices[0].energy_mj += 12_000  # 12 J spent on GPU 0 during the window
    fake_nvml.devices[1].energy_mj += 30_000
    reading = meter.stop()
    # each read also advances the counter by its step (500 and 700 mJ)
    assert reading.energy_mj == {"gpu0": 12_500.0, "gpu1": 30_700.0}
    assert reading.total_j == pytest.approx(43.2)
    assert meter.devices() == ["gpu0: NVIDIA L4", "gpu1: NVIDIA L4"]
    assert meter.scopes() == {
        "gpu0": "nvml-energy-counter (measured)",
        "gpu1": "nvml-energy-counter (measured)",
    }
    meter.close()
    assert fake_nvml.initialised == 0


def test_respects_cuda_visible_devices(fake_nvml: fake_pynvml.FakeNvml) -> None:
    meter = NvmlCounterMeter.open(
        (0,), env={**fake_pynvml.PCI_ORDER, "CUDA_VISIBLE_DEVICES": "1"}, sleep=no_sleep
    )
    assert meter.devices() == ["gpu1: NVIDIA L4"]
    meter.close()


def test_cuda_visible_devices_by_uuid(fake_nvml: fake_pynvml.FakeNvml) -> None:
    uuid = fake_nvml.devices[1].uuid
    meter = NvmlCounterMeter.open((0,), env={"CUDA_VISIBLE_DEVICES": uuid}, sleep=no_sleep)
    assert meter.devices() == ["gpu-00000001: NVIDIA L4"]
    meter.close()


def test_empty_cuda_visible_devices_is_a_clear_reason(fake_nvml: fake_pynvml.FakeNvml) -> None:
    with pytest.raises(MeterUnavailable) as e:
        NvmlCounterMeter.open((0,), env={"CUDA_VISIBLE_DEVICES": ""}, sleep=no_sleep)
    assert str(e.value) == (
        "CUDA_VISIBLE_DEVICES is empty or invalid, so this process uses no GPU; unset it or list the GPUs"
    )


def test_ordinal_outside_visible_devices(fake_nvml: fake_pynvml.FakeNvml) -> None:
    with pytest.raises(MeterUnavailable, match=r"^cuda:1 is not among CUDA_VISIBLE_DEVICES='0'$"):
        NvmlCounterMeter.open(
            (0, 1), env={**fake_pynvml.PCI_ORDER, "CUDA_VISIBLE_DEVICES": "0"}, sleep=no_sleep
        )
    assert fake_nvml.initialised == 0  # the failed open shut NVML down again


def test_counter_that_never_moves_is_refused(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].energy_step_mj = 0  # pre-Volta / vGPU: succeeds but reads a constant
    with pytest.raises(MeterUnavailable) as e:
        NvmlCounterMeter.open((0,), env=fake_pynvml.PCI_ORDER, sleep=no_sleep, probe_s=0.5)
    assert str(e.value) == (
        "energy counter of gpu0 (NVIDIA L4) did not advance over 0.5 s (it reads 0 on pre-Volta GPUs and some vGPUs)"
    )
    assert fake_nvml.initialised == 0


def test_not_supported_counter(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].supports_energy = False
    with pytest.raises(MeterUnavailable, match=r"^energy counter of gpu0 \(NVIDIA L4\) is not supported"):
        NvmlCounterMeter.open((0,), env=fake_pynvml.PCI_ORDER, sleep=no_sleep)


def test_zero_window_is_an_error_not_zero_energy(fake_nvml: fake_pynvml.FakeNvml) -> None:
    meter = NvmlCounterMeter.open((0,), env=fake_pynvml.PCI_ORDER, sleep=no_sleep)
    fake_nvml.devices[0].energy_step_mj = 0
    meter.start()
    with pytest.raises(MeterReadError, match=r"^energy counter of gpu0 \(NVIDIA L4\) read 0 mJ over a "):
        meter.stop()


def test_driver_not_loaded_is_one_line(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.init_error = 9
    with pytest.raises(MeterUnavailable) as e:
        NvmlCounterMeter.open((0,), env=fake_pynvml.PCI_ORDER, sleep=no_sleep)
    assert str(e.value) == "NVML: the NVIDIA driver is not loaded"


def test_mig_is_flagged(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].mig_mode = 1
    fake_nvml.devices[1].mig_mode = None  # pre-Ampere: MIG query not supported, means no MIG
    meter = NvmlCounterMeter.open((0, 1), env=fake_pynvml.PCI_ORDER, sleep=no_sleep)
    assert meter.mig is True
    assert meter.devices() == ["gpu0: NVIDIA L4 (MIG: whole-GPU reading)", "gpu1: NVIDIA L4"]
    assert meter.driver() == "550.54.15"
    meter.close()


def test_mig_instance_uuid_reads_parent_gpu(fake_nvml: fake_pynvml.FakeNvml) -> None:
    mig_uuid = "MIG-" + fake_nvml.devices[1].uuid[4:]
    meter = NvmlCounterMeter.open((0,), env={"CUDA_VISIBLE_DEVICES": mig_uuid}, sleep=no_sleep)
    assert meter.devices() == ["gpu-00000001: NVIDIA L4 (MIG: whole-GPU reading)"]
    meter.close()


def test_maps_torch_devices_to_nvml_by_uuid_whatever_the_order(fake_nvml: fake_pynvml.FakeNvml) -> None:
    # CUDA orders fastest-first: torch's cuda:0 may be NVML's GPU 1; the UUID says which it is
    torch_uuid = fake_nvml.devices[1].uuid.removeprefix("GPU-")  # torch prints it without the prefix
    meter = NvmlCounterMeter.open((0,), env={}, sleep=no_sleep, uuids=[torch_uuid])
    assert meter.devices() == ["gpu1: NVIDIA L4"]
    meter.close()


def test_unknown_uuid_is_refused(fake_nvml: fake_pynvml.FakeNvml) -> None:
    with pytest.raises(MeterUnavailable, match=r"^NVML has no device with UUID GPU-feed$"):
        NvmlCounterMeter.open((0,), env={}, sleep=no_sleep, uuids=["feed"])


def test_index_without_uuid_or_pci_order_is_refused_on_many_gpus(fake_nvml: fake_pynvml.FakeNvml) -> None:
    with pytest.raises(MeterUnavailable) as e:
        NvmlCounterMeter.open((0,), env={}, sleep=no_sleep)
    assert str(e.value) == (
        "cannot tell which of 2 GPUs is cuda:0 without its UUID or name; set CUDA_DEVICE_ORDER=PCI_BUS_ID"
    )


def test_index_whose_name_differs_from_torch_is_refused(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].name = "NVIDIA A100-SXM4-80GB"
    with pytest.raises(MeterUnavailable) as e:
        NvmlCounterMeter.open((0,), env={}, sleep=no_sleep, expected_names=["NVIDIA L4"])
    assert str(e.value) == (
        "cuda:0 is 'NVIDIA L4' for torch but NVML's gpu0 is 'NVIDIA A100-SXM4-80GB'; "
        "set CUDA_DEVICE_ORDER=PCI_BUS_ID so that both number GPUs alike"
    )


def test_gpus_of_a_server_process(fake_nvml: fake_pynvml.FakeNvml) -> None:
    from measure.meters.nvml_common import gpus_of_process

    fake_nvml.devices[1].processes = [fake_pynvml.FakeProcess(4242)]
    assert gpus_of_process(fake_nvml.module, 4242) == [1]
    with pytest.raises(MeterUnavailable, match=r"^process 77 runs on no GPU NVML can see$"):
        gpus_of_process(fake_nvml.module, 77)
    assert fake_nvml.initialised == 0


def test_peek_reads_the_window_so_far(fake_nvml: fake_pynvml.FakeNvml) -> None:
    meter = NvmlCounterMeter.open((0,), env=fake_pynvml.PCI_ORDER, sleep=no_sleep)
    meter.start()
    fake_nvml.devices[0].energy_mj += 4_000
    assert meter.peek().energy_mj == {"gpu0": 4_500.0}
    fake_nvml.devices[0].energy_mj += 1_000
    assert meter.stop().energy_mj == {"gpu0": 6_000.0}
    meter.close()


def test_gpus_of_a_server_are_those_any_process_of_its_tree_holds(fake_nvml: fake_pynvml.FakeNvml) -> None:
    """vLLM's engine core (a child of the API server) holds the GPU, not the PID the user gives."""
    from measure.meters.nvml_common import gpus_of_process

    fake_nvml.devices[0].processes = [fake_pynvml.FakeProcess(9000)]  # someone else's job
    fake_nvml.devices[1].processes = [fake_pynvml.FakeProcess(4243)]  # the server's child
    assert gpus_of_process(fake_nvml.module, [4242, 4243]) == [1]
    with pytest.raises(MeterUnavailable, match=r"^none of processes 77, 78 runs on a GPU NVML can see$"):
        gpus_of_process(fake_nvml.module, [78, 77])
    assert fake_nvml.initialised == 0
