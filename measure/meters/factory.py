"""Pick an energy meter: the best one that works here, with a one-line reason for every fallback.

Order on a GPU: NVML energy counter, NVML sampled power, estimate. On CPU: RAPL, estimate. A meter asked
for by name (`--meter rapl`) is not replaced: if it cannot run, the caller gets MeterUnavailable.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal

from measure.meters.base import Meter, MeterError, MeterUnavailable
from measure.meters.estimate import DEFAULT_GPU_TDP_W, EstimateMeter, usable_cores
from measure.meters.nvml_counter import NvmlCounterMeter
from measure.meters.nvml_sampled import NvmlSampledMeter
from measure.meters.process_tree import tree_cpu_seconds
from measure.meters.rapl import POWERCAP_ROOT, RaplMeter

log = logging.getLogger(__name__)

METER_NAMES = ("auto", "nvml-counter", "nvml-sampled", "rapl", "estimate")
# idle / max power of a GPU without a sourced idle figure: Cloud Carbon Footprint's A100 46 / 407 W (2023),
# the ratio profiles/hardware.yaml uses for the same purpose
GPU_IDLE_FRACTION = 46 / 407
DeviceKind = Literal["cpu", "cuda"]


@dataclass
class MeterChoice:
    """The meter picked and, one line each, why better ones were not."""

    meter: Meter
    fallbacks: list[str] = field(default_factory=list)


def cpu_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU model name ("Intel(R) Xeon(R) ..."), or the platform's processor string."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def open_meter(
    name: str,
    *,
    device: DeviceKind = "cpu",
    cuda_ordinals: Sequence[int] = (0,),
    cuda_uuids: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    nvml: ModuleType | None = None,
    rapl_root: Path = POWERCAP_ROOT,
    tdp_w: float | None = None,
    idle_w: float | None = None,
    gpu_name: str = "GPU",
    cpu_pid: int | None = None,
    cores: int | None = None,
    probe_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Meter:
    """Open the meter called `name` (one of METER_NAMES except "auto"), or raise MeterUnavailable.

    `cuda_uuids` (torch's device UUIDs, one per ordinal) map devices to NVML exactly; `cpu_pid` makes the
    CPU estimate follow another process (a local server) and all its descendants instead of this one;
    `cores` overrides the usable-core count of the CPU estimate.
    """
    env = os.environ if env is None else env
    if name == "nvml-counter":
        return NvmlCounterMeter.open(
            cuda_ordinals, env=env, nvml=nvml, probe_s=probe_s, sleep=sleep, uuids=cuda_uuids
        )
    if name == "nvml-sampled":
        return NvmlSampledMeter.open(cuda_ordinals, env=env, nvml=nvml, uuids=cuda_uuids)
    if name == "rapl":
        return RaplMeter.open(rapl_root, probe_s=min(probe_s, 0.2), sleep=sleep)
    if name == "estimate":
        if device == "cuda":
            tdp = tdp_w if tdp_w is not None else DEFAULT_GPU_TDP_W
            return EstimateMeter(
                tdp,
                idle_w if idle_w is not None else tdp * GPU_IDLE_FRACTION,
                scope="gpu0",
                device_name=gpu_name,
                utilisation=1.0,
                basis="TDP from the hardware data" if tdp_w is not None else "a default 300 W TDP",
            )
        pid = cpu_pid
        extra: dict[str, object] = {"cpu_seconds": lambda: tree_cpu_seconds(pid)} if pid is not None else {}
        if pid is not None:
            tree_cpu_seconds(pid)  # fails now, in one line, if the process cannot be read
        return EstimateMeter.for_cpu_cores(
            cores if cores is not None else usable_cores(), max_w=tdp_w, device_name=cpu_name(), **extra
        )
    raise MeterUnavailable(f"unknown meter {name!r}, expected one of {', '.join(METER_NAMES)}")


def choose_meter(requested: str = "auto", *, device: DeviceKind = "cpu", **kwargs: object) -> MeterChoice:
    """The meter to use for a model on `device`; `kwargs` go to `open_meter`.

    With `requested="auto"`, failures fall back down the order, each recorded as one line in
    `fallbacks` (never a traceback); a named meter that fails raises MeterUnavailable.
    """
    if requested not in METER_NAMES:
        raise MeterUnavailable(f"unknown meter {requested!r}, expected one of {', '.join(METER_NAMES)}")
    if requested != "auto":
        try:
            return MeterChoice(open_meter(requested, device=device, **kwargs))  # type: ignore[arg-type]
        except MeterError as e:
            raise MeterUnavailable(f"meter {requested!r} unavailable: {e}") from e
    order = ["nvml-counter", "nvml-sampled", "estimate"] if device == "cuda" else ["rapl", "estimate"]
    fallbacks: list[str] = []
    for name in order:
        try:
            meter = open_meter(name, device=device, **kwargs)  # type: ignore[arg-type]
        except MeterError as e:
            fallbacks.append(f"{name}: {e}")
        except Exception as e:  # a vendor library failing in a way it does not document
            fallbacks.append(f"{name}: {type(e).__name__}: {e}")
        else:
            for line in fallbacks:
                log.info("meter fallback: %s", line)
            return MeterChoice(meter, fallbacks)
    raise MeterUnavailable("no energy meter works here: " + "; ".join(fallbacks))  # pragma: no cover
