"""Estimate: power = TDP x utilisation, integrated over the window (as CodeCarbon and others do with no
counter). Never a measurement: profiles written with it say `method: estimated` and state how.

On CPU the utilisation is this process's CPU time over the window divided by wall time x usable cores; on
a GPU without any NVML reading it is assumed to be 1 (the device busy for the whole window).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from measure.meters.base import Meter, MeterReadError, Reading

DEFAULT_CPU_TDP_W = 65.0  # W, a common desktop/server CPU TDP class; used only when no TDP is known
DEFAULT_GPU_TDP_W = 300.0  # W, a common data-centre GPU board power; used only when no TDP is known


def process_cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children, in s."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def usable_cores() -> int:
    """Cores this process may run on (affinity where the OS tells, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class EstimateMeter(Meter):
    """Energy = `tdp_w` x utilisation x window length. `utilisation="process-cpu"` or a fixed fraction."""

    name = "estimate"
    method = "estimated"

    def __init__(
        self,
        tdp_w: float,
        *,
        scope: str = "cpu0",
        device_name: str = "CPU",
        utilisation: str | float = "process-cpu",
        cores: int | None = None,
        cpu_seconds: Callable[[], float] = process_cpu_seconds,
        clock: Callable[[], float] = time.perf_counter,
        min_window_s: float = 1.0,
    ) -> None:
        if not tdp_w > 0:
            raise MeterReadError(f"estimate meter needs a TDP above 0 W, got {tdp_w:g} W")
        self.tdp_w = tdp_w
        self.scope = scope
        self.device_name = device_name
        self.utilisation = utilisation
        self.cores = cores if cores is not None else usable_cores()
        self._cpu_seconds = cpu_seconds
        self._clock = clock
        self.min_window_s = min_window_s
        self._start: tuple[float, float] | None = None
        self.last_utilisation: float | None = None

    def describe(self) -> str:
        """How the estimate is made, for the profile's provenance notes."""
        if self.utilisation == "process-cpu":
            how = f"process CPU utilisation over {self.cores} core(s)"
        else:
            how = f"an assumed utilisation of {float(self.utilisation):g}"
        return f"energy estimated as TDP {self.tdp_w:g} W x {how}; no energy counter was readable"

    def start(self) -> None:
        self._start = (self._clock(), self._cpu_seconds())

    def stop(self) -> Reading:
        if self._start is None:
            raise MeterReadError("stop() called without start()")
        (t0, c0), self._start = self._start, None
        duration_s = self._clock() - t0
        if self.utilisation == "process-cpu":
            busy_s = self._cpu_seconds() - c0
            util = busy_s / (duration_s * self.cores) if duration_s > 0 else 0.0
        else:
            util = float(self.utilisation)
        util = min(max(util, 0.0), 1.0)
        self.last_utilisation = util
        energy_mj = self.tdp_w * util * duration_s * 1000.0
        return Reading(energy_mj={self.scope: energy_mj}, duration_s=duration_s)

    def devices(self) -> list[str]:
        return [f"{self.scope}: {self.device_name}"]
