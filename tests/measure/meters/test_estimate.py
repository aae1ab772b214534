from __future__ import annotations

import os
from pathlib import Path

import pytest

from measure.meters.base import MeterReadError
from measure.meters.estimate import VCPU_IDLE_W, VCPU_MAX_W, EstimateMeter, pid_cpu_seconds
from measure.meters.factory import open_meter


def test_linear_power_between_idle_and_max_at_process_utilisation() -> None:
    clock = iter([10.0, 12.0])  # a 2 s window
    cpu = iter([100.0, 103.0])  # 3 CPU-seconds over 2 s on 4 cores: 37.5 % utilisation
    meter = EstimateMeter(80.0, 20.0, cores=4, cpu_seconds=lambda: next(cpu), clock=lambda: next(clock))
    meter.start()
    reading = meter.stop()
    assert reading.energy_mj == {"cpu0": pytest.approx(85_000.0)}  # (20 + 0.375 x 60) W x 2 s
    assert meter.last_utilisation == pytest.approx(0.375)
    assert meter.method == "estimated"
    assert meter.describe() == (
        "energy estimated as idle 20 W + utilisation x (max 80 W - idle), with process CPU utilisation "
        "over 4 core(s); no energy counter was readable"
    )


def test_cpu_estimate_scales_with_the_cores_used_not_a_whole_server() -> None:
    # 2 vCPUs fully busy for 10 s: 2 x 2.474 W = 4.95 W, about 49.5 J -- not a 634 W server's share
    clock = iter([0.0, 10.0])
    cpu = iter([0.0, 20.0])
    meter = EstimateMeter.for_cpu_cores(2, cpu_seconds=lambda: next(cpu), clock=lambda: next(clock))
    meter.start()
    reading = meter.stop()
    assert pytest.approx(2.474) == VCPU_MAX_W
    assert pytest.approx(1.254) == VCPU_IDLE_W
    assert reading.mean_power_w == pytest.approx(2 * 2.474)
    assert reading.total_j == pytest.approx(49.48)


def test_idle_cpu_estimate_reads_the_idle_share() -> None:
    clock = iter([0.0, 10.0])
    cpu = iter([5.0, 5.0])  # nothing ran
    meter = EstimateMeter.for_cpu_cores(2, cpu_seconds=lambda: next(cpu), clock=lambda: next(clock))
    meter.start()
    assert meter.stop().mean_power_w == pytest.approx(2 * 1.254)
    assert meter.assumed_idle_power_w is None  # it observes idleness itself


def test_cpu_estimate_of_the_machine_defaults_to_usable_cores(tmp_path: Path) -> None:
    meter = open_meter("estimate", device="cpu", rapl_root=tmp_path)
    assert isinstance(meter, EstimateMeter)
    assert meter.cores == len(os.sched_getaffinity(0))
    assert meter.max_w == pytest.approx(meter.cores * VCPU_MAX_W)


def test_gpu_estimate_has_an_idle_baseline_below_tdp() -> None:
    clock = iter([0.0, 5.0])
    meter = EstimateMeter(
        300.0, 33.0, scope="gpu0", device_name="GPU", utilisation=1.0, clock=lambda: next(clock)
    )
    meter.start()
    assert meter.stop().energy_mj == {"gpu0": 1_500_000.0}
    assert meter.assumed_idle_power_w == 33.0
    assert meter.devices() == ["gpu0: GPU"]


def test_gpu_estimate_from_factory_takes_hardware_idle_or_the_ccf_ratio() -> None:
    m = open_meter("estimate", device="cuda", tdp_w=700.0, idle_w=77.0, gpu_name="H100")
    assert (m.assumed_idle_power_w, m.tdp_w) == (77.0, 700.0)  # type: ignore[attr-defined]
    m2 = open_meter("estimate", device="cuda", tdp_w=407.0)
    assert m2.assumed_idle_power_w == pytest.approx(46.0)


def test_pid_cpu_seconds_reads_proc_stat(tmp_path: Path) -> None:
    (tmp_path / "42").mkdir()
    # fields after the command name: state is field 3; utime and stime are fields 14 and 15
    (tmp_path / "42" / "stat").write_text("42 (my server) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0\n")
    ticks = os.sysconf("SC_CLK_TCK")
    assert pid_cpu_seconds(42, tmp_path) == pytest.approx(400 / ticks)
    with pytest.raises(MeterReadError, match=r"^cannot read the CPU time of process 7: "):
        pid_cpu_seconds(7, tmp_path)


def test_non_positive_power_rejected() -> None:
    with pytest.raises(MeterReadError) as e:
        EstimateMeter(0.0)
    assert str(e.value) == "estimate meter needs a power above 0 W, got 0 W"
