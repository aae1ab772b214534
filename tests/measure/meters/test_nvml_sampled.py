from __future__ import annotations

import fake_pynvml
import pytest

from measure.meters.base import MeterReadError, MeterUnavailable
from measure.meters.nvml_sampled import NvmlSampledMeter, integrate_power_mw


def test_trapezoid_integration_golden() -> None:
    # 100 W for 1 s, then a ramp to 300 W over 2 s: 100 J + 400 J
    samples = [(0.0, 100_000.0), (1.0, 100_000.0), (3.0, 300_000.0)]
    assert integrate_power_mw(samples) == pytest.approx(500_000.0)
    assert integrate_power_mw([(0.0, 5.0)]) == 0.0


def test_window_integrates_constant_power_over_its_length(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].supports_energy = False  # the case this meter exists for
    meter = NvmlSampledMeter.open((0, 1), env=fake_pynvml.PCI_ORDER, interval_s=0.001)
    meter.start()
    reading = meter.stop()
    meter.close()
    # constant 35 W and 40 W: energy = power x the window's own length, exactly
    assert reading.energy_mj["gpu0"] == pytest.approx(35_000 * reading.duration_s)
    assert reading.energy_mj["gpu1"] == pytest.approx(40_000 * reading.duration_s)
    assert meter.sample_count() >= 2


def test_fake_clock_golden_values(fake_nvml: fake_pynvml.FakeNvml) -> None:
    times = iter([0.0, 2.0])  # first sample (window start), last sample (window end)
    fake_nvml.devices[0].supports_instant = False  # the 1 s-average path
    fake_nvml.devices[0].power_trace_mw = [50_000, 50_000, 150_000]  # probe, first, last
    meter = NvmlSampledMeter.open((0,), env=fake_pynvml.PCI_ORDER, interval_s=60.0)
    meter._clock = lambda: next(times)
    meter.start()
    reading = meter.stop()
    meter.close()
    assert reading.energy_mj == {"gpu0": pytest.approx(200_000.0)}  # mean 100 W over 2 s
    assert reading.duration_s == 2.0
    assert reading.mean_power_w == pytest.approx(100.0)


def test_zero_power_is_refused(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].power_mw = 0
    with pytest.raises(MeterUnavailable) as e:
        NvmlSampledMeter.open((0,), env=fake_pynvml.PCI_ORDER)
    assert str(e.value) == "power reading of gpu0 (NVIDIA L4) is 0 mW (not a real reading)"


def test_power_not_supported(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].supports_power = False
    fake_nvml.devices[0].supports_instant = False
    with pytest.raises(MeterUnavailable) as e:
        NvmlSampledMeter.open((0,), env=fake_pynvml.PCI_ORDER)
    assert str(e.value) == "power reading of gpu0 (NVIDIA L4) is not supported"
    assert fake_nvml.initialised == 0


def test_reads_instantaneous_power_where_supported(fake_nvml: fake_pynvml.FakeNvml) -> None:
    times = iter([0.0, 2.0])
    fake_nvml.devices[0].power_mw = 999_000  # the 1 s average: must not be used
    fake_nvml.devices[0].instant_trace_mw = [60_000, 50_000, 150_000]  # probe, first, last
    meter = NvmlSampledMeter.open((0,), env=fake_pynvml.PCI_ORDER, interval_s=60.0)
    meter._clock = lambda: next(times)
    meter.start()
    reading = meter.stop()
    meter.close()
    assert meter.instant
    assert reading.energy_mj == {"gpu0": pytest.approx(200_000.0)}
    assert meter.describe() == "sampled instantaneous power (NVML_FI_DEV_POWER_INSTANT)"


def test_falls_back_to_average_power_and_says_so(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].supports_instant = False
    meter = NvmlSampledMeter.open((0,), env=fake_pynvml.PCI_ORDER)
    meter.close()
    assert not meter.instant
    assert meter.describe() == (
        "instantaneous power (NVML_FI_DEV_POWER_INSTANT) unavailable: field value: not supported; "
        "read nvmlDeviceGetPowerUsage, a 1 s average on Ampere and newer"
    )


def test_transient_not_supported_reading_is_skipped_not_fatal(fake_nvml: fake_pynvml.FakeNvml) -> None:
    times = iter([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0])
    # probe, window start, then 10 polls of which one NotSupported, then the window's last sample
    fake_nvml.devices[0].instant_trace_mw = [100_000, 100_000, *[100_000] * 4, None, *[100_000] * 5, 100_000]
    meter = NvmlSampledMeter.open((0,), env=fake_pynvml.PCI_ORDER, interval_s=60.0)
    meter._clock = lambda: next(times)
    meter.start()
    for _ in range(10):  # the poller sleeps 60 s: the samples come from here
        meter._sample()
    reading = meter.stop()
    meter.close()
    assert reading.notes == ("1 power reading(s) skipped",)
    assert reading.energy_mj["gpu0"] == pytest.approx(100_000 * reading.duration_s)


def test_too_many_failed_readings_fail_the_window(fake_nvml: fake_pynvml.FakeNvml) -> None:
    fake_nvml.devices[0].instant_trace_mw = [100_000, 100_000, None, None, 100_000]
    meter = NvmlSampledMeter.open((0,), env=fake_pynvml.PCI_ORDER, interval_s=60.0)
    meter.start()
    meter._sample()
    meter._sample()
    with pytest.raises(
        MeterReadError, match=r"^2 of 4 power readings failed in a .* window; too many to integrate$"
    ):
        meter.stop()
    meter.close()
