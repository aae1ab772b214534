"""Estimate: power = idle + utilisation x (max - idle), integrated over the window (the linear model Cloud
Carbon Footprint uses with no counter). Never a measurement: profiles written with it say
`method: estimated` and state how.

On CPU the power figures are *per vCPU* and scaled by the cores this process may actually use (its
affinity), not by a whole server's TDP: a 2-vCPU VM draws a few watts, not a 256-vCPU server's 634 W. The
utilisation is the CPU time of the process (this one, or the server's with `pid`) over wall time x those
cores. On a GPU without any NVML reading the utilisation is assumed to be 1 while work runs; such a meter
cannot see idleness, so it reports its idle power as `assumed_idle_power_w` for the runner's baseline.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from measure.meters.base import Meter, MeterReadError, Reading

# W per vCPU, Cloud Carbon Footprint coefficients (AWS, AMD EPYC 2nd gen: min 0.47, max 1.69 W per vCPU;
# memory 0.392 W/GB), packages/aws/src/domain/AwsFootprintEstimationConstants.ts, Apache-2.0, 2023; plus a
# 2 GB memory share per vCPU (the 512 GB / 256 vCPU ratio of cpu-epyc-2s): 0.784 W. Same figures as the
# `cpu-vcpu` entry of profiles/hardware.yaml.
VCPU_MAX_W = 1.69 + 2 * 0.392
VCPU_IDLE_W = 0.47 + 2 * 0.392
DEFAULT_GPU_TDP_W = 300.0  # W, a common data-centre GPU board power; used only when no TDP is known
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # /proc/<pid>/stat units


def process_cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children, in s."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def pid_cpu_seconds(pid: int, proc: Path = Path("/proc")) -> float:
    """User + system CPU time of process `pid` (Linux /proc/<pid>/stat, fields 14 and 15), in s."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError as e:
        raise MeterReadError(f"cannot read the CPU time of process {pid}: {e.strerror or e}") from e
    fields = text.rsplit(")", 1)[1].split()  # the command name may hold spaces; fields after it
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def usable_cores() -> int:
    """Cores this process may run on (affinity where the OS tells, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def estimated_power_w(max_w: float, idle_w: float, utilisation: float) -> float:
    """Power in W at `utilisation` (0..1) between `idle_w` and `max_w` (W)."""
    return idle_w + utilisation * (max_w - idle_w)


class EstimateMeter(Meter):
    """Energy = (idle_w + utilisation x (max_w - idle_w)) x window length.

    `utilisation="process-cpu"` measures it from CPU time over `cores`; a float fixes it.
    """

    name = "estimate"
    method = "estimated"

    def __init__(
        self,
        max_w: float,
        idle_w: float = 0.0,
        *,
        scope: str = "cpu0",
        device_name: str = "CPU",
        utilisation: str | float = "process-cpu",
        cores: int | None = None,
        cpu_seconds: Callable[[], float] = process_cpu_seconds,
        clock: Callable[[], float] = time.perf_counter,
        min_window_s: float = 1.0,
        basis: str = "",
    ) -> None:
        if not max_w > 0:
            raise MeterReadError(f"estimate meter needs a power above 0 W, got {max_w:g} W")
        if not 0 <= idle_w <= max_w:
            raise MeterReadError(
                f"estimate meter needs an idle power between 0 and {max_w:g} W, got {idle_w:g} W"
            )
        self.max_w = max_w
        self.idle_w = idle_w
        self.scope = scope
        self.device_name = device_name
        self.utilisation = utilisation
        self.cores = cores if cores is not None else usable_cores()
        self._cpu_seconds = cpu_seconds
        self._clock = clock
        self.min_window_s = min_window_s
        self.basis = basis
        self._start: tuple[float, float] | None = None
        self.last_utilisation: float | None = None
        if utilisation != "process-cpu":
            self.assumed_idle_power_w = idle_w

    @classmethod
    def for_cpu_cores(
        cls, cores: int, *, max_w: float | None = None, device_name: str = "CPU", **kwargs: object
    ) -> EstimateMeter:
        """The CPU estimate for `cores` vCPUs: VCPU_MAX_W and VCPU_IDLE_W each, or `max_w` in all
        (idle scaled by the same idle/max ratio)."""
        if cores < 1:
            raise MeterReadError(f"estimate meter needs at least 1 core, got {cores}")
        full = max_w if max_w is not None else cores * VCPU_MAX_W
        idle = full * VCPU_IDLE_W / VCPU_MAX_W
        basis = (
            f"{cores} vCPU x {VCPU_MAX_W:.3g} W max / {VCPU_IDLE_W:.3g} W idle per vCPU (Cloud Carbon "
            "Footprint AMD EPYC 2nd gen coefficients with a 2 GB memory share)"
            if max_w is None
            else f"{max_w:g} W max for {cores} vCPU (given)"
        )
        return cls(full, idle, device_name=device_name, cores=cores, basis=basis, **kwargs)  # type: ignore[arg-type]

    @property
    def tdp_w(self) -> float:
        """Power at full utilisation, W (kept for callers that think in TDP)."""
        return self.max_w

    def describe(self) -> str:
        """How the estimate is made, for the profile's provenance notes."""
        if self.utilisation == "process-cpu":
            how = f"process CPU utilisation over {self.cores} core(s)"
        else:
            how = f"an assumed utilisation of {float(self.utilisation):g} while working"
        basis = f" ({self.basis})" if self.basis else ""
        return (
            f"energy estimated as idle {self.idle_w:.3g} W + utilisation x (max {self.max_w:.3g} W - idle){basis}, "
            f"with {how}; no energy counter was readable"
        )

    def start(self) -> None:
        self._start = (self._clock(), self._cpu_seconds())

    def _reading(self, close: bool) -> Reading:
        if self._start is None:
            raise MeterReadError("stop() called without start()")
        t0, c0 = self._start
        if close:
            self._start = None
        duration_s = self._clock() - t0
        if self.utilisation == "process-cpu":
            busy_s = self._cpu_seconds() - c0
            util = busy_s / (duration_s * self.cores) if duration_s > 0 else 0.0
        else:
            util = float(self.utilisation)
        util = min(max(util, 0.0), 1.0)
        self.last_utilisation = util
        energy_mj = estimated_power_w(self.max_w, self.idle_w, util) * duration_s * 1000.0
        return Reading(energy_mj={self.scope: energy_mj}, duration_s=duration_s)

    def stop(self) -> Reading:
        return self._reading(close=True)

    def peek(self) -> Reading:
        return self._reading(close=False)

    def devices(self) -> list[str]:
        return [f"{self.scope}: {self.device_name}"]
