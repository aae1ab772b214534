"""NVML energy counter: `nvmlDeviceGetTotalEnergyConsumption`, mJ since the driver was loaded (Volta and newer).

The default meter on NVIDIA GPUs. The counter updates about every 100 ms, so windows are kept at least
`min_window_s` (1 s) long, and the runner synchronises CUDA at both window edges. On pre-Volta GPUs and some
vGPUs the call succeeds but the counter never moves: `open()` probes for that and refuses (the factory then
falls back to sampled power), and a window that reads 0 mJ is an error, never "no energy".
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType

from measure.meters.base import Meter, MeterReadError, MeterUnavailable, Reading
from measure.meters.nvml_common import (
    Gpu,
    NvmlMeterBase,
    import_pynvml,
    is_not_supported,
    is_nvml_error,
    nvml_reason,
    open_gpus,
)

COUNTER_UPDATE_S = 0.1  # s, update period of the NVML energy counter (NVML API reference, ~10 Hz)


class NvmlCounterMeter(NvmlMeterBase, Meter):
    """Energy of the GPUs this process uses, from their NVML energy counters (summed over GPUs)."""

    name = "nvml-energy-counter"
    method = "measured"

    def __init__(self, nvml: ModuleType, gpus: Sequence[Gpu], *, min_window_s: float = 1.0) -> None:
        NvmlMeterBase.__init__(self, nvml, gpus)
        self.min_window_s = max(min_window_s, 10 * COUNTER_UPDATE_S)
        self._start_mj: dict[str, int] | None = None
        self._t0 = 0.0

    @classmethod
    def open(
        cls,
        cuda_ordinals: Sequence[int] = (0,),
        *,
        env: Mapping[str, str] | None = None,
        nvml: ModuleType | None = None,
        probe_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        uuids: Sequence[str] | None = None,
        expected_names: Sequence[str] | None = None,
    ) -> NvmlCounterMeter:
        """Open the counters of the GPUs behind `cuda:N` for N in `cuda_ordinals`, checking that they count.

        `probe_s` (s): how long to watch the counters move; keep it above COUNTER_UPDATE_S.
        """
        nvml = nvml if nvml is not None else import_pynvml()
        gpus = open_gpus(
            nvml,
            cuda_ordinals,
            os.environ if env is None else env,
            uuids=uuids,
            expected_names=expected_names,
        )
        meter = cls(nvml, gpus)
        try:
            first = meter._read_mj()
            sleep(probe_s)
            second = meter._read_mj()
        except MeterReadError as e:
            meter.close()
            raise MeterUnavailable(str(e)) from e
        for gpu in gpus:
            if second[gpu.scope] <= first[gpu.scope]:
                meter.close()
                raise MeterUnavailable(
                    f"energy counter of {gpu.scope} ({gpu.name}) did not advance over {probe_s:g} s "
                    "(it reads 0 on pre-Volta GPUs and some vGPUs)"
                )
        return meter

    def _read_mj(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for gpu in self.gpus:
            try:
                out[gpu.scope] = int(self.nvml.nvmlDeviceGetTotalEnergyConsumption(gpu.handle))
            except Exception as e:
                if is_not_supported(self.nvml, e):
                    raise MeterReadError(
                        f"energy counter of {gpu.scope} ({gpu.name}) is not supported (needs Volta or newer)"
                    ) from e
                if is_nvml_error(self.nvml, e):
                    raise MeterReadError(nvml_reason(self.nvml, e, f"energy counter of {gpu.scope}")) from e
                raise
        return out

    def start(self) -> None:
        self._start_mj = self._read_mj()
        self._t0 = time.perf_counter()

    def peek(self) -> Reading:
        if self._start_mj is None:
            raise MeterReadError("peek() called without start()")
        end = self._read_mj()
        duration_s = time.perf_counter() - self._t0
        return Reading(
            energy_mj={g.scope: float(end[g.scope] - self._start_mj[g.scope]) for g in self.gpus},
            duration_s=duration_s,
        )

    def stop(self) -> Reading:
        if self._start_mj is None:
            raise MeterReadError("stop() called without start()")
        end = self._read_mj()
        duration_s = time.perf_counter() - self._t0
        start, self._start_mj = self._start_mj, None
        energy_mj: dict[str, float] = {}
        for gpu in self.gpus:
            delta = end[gpu.scope] - start[gpu.scope]
            if delta < 0:
                raise MeterReadError(
                    f"energy counter of {gpu.scope} went backwards by {-delta} mJ (driver reloaded?)"
                )
            if delta == 0:
                raise MeterReadError(
                    f"energy counter of {gpu.scope} ({gpu.name}) read 0 mJ over a {duration_s:.2f} s window; "
                    "it does not count on this GPU, use --meter nvml-sampled"
                )
            energy_mj[gpu.scope] = float(delta)
        return Reading(energy_mj=energy_mj, duration_s=duration_s)

    def devices(self) -> list[str]:
        return self.gpu_devices()

    def close(self) -> None:
        self.close_nvml()
