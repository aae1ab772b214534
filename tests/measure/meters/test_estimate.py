from __future__ import annotations

import pytest

from measure.meters.base import MeterReadError
from measure.meters.estimate import EstimateMeter


def test_tdp_times_process_utilisation() -> None:
    clock = iter([10.0, 12.0])  # a 2 s window
    cpu = iter([100.0, 103.0])  # 3 CPU-seconds over 2 s on 4 cores: 37.5 % utilisation
    meter = EstimateMeter(80.0, cores=4, cpu_seconds=lambda: next(cpu), clock=lambda: next(clock))
    meter.start()
    reading = meter.stop()
    assert reading.energy_mj == {"cpu0": pytest.approx(60_000.0)}  # 80 W x 0.375 x 2 s
    assert meter.last_utilisation == pytest.approx(0.375)
    assert meter.method == "estimated"
    assert meter.describe() == (
        "energy estimated as TDP 80 W x process CPU utilisation over 4 core(s); no energy counter was readable"
    )


def test_fixed_utilisation_for_gpus() -> None:
    clock = iter([0.0, 5.0])
    meter = EstimateMeter(300.0, scope="gpu0", device_name="GPU", utilisation=1.0, clock=lambda: next(clock))
    meter.start()
    assert meter.stop().energy_mj == {"gpu0": 1_500_000.0}
    assert meter.devices() == ["gpu0: GPU"]


def test_non_positive_tdp_rejected() -> None:
    with pytest.raises(MeterReadError) as e:
        EstimateMeter(0.0)
    assert str(e.value) == "estimate meter needs a TDP above 0 W, got 0 W"
