"""NVML sampled power: `nvmlDeviceGetPowerUsage` (mW) polled in a background thread and integrated.

The fallback where the energy counter is not supported. Know its limits: on Ampere and newer GPUs (and
recent drivers on older ones) the reading is the power *averaged over the last ~1 s*, not an instantaneous
value, so a query shorter than that cannot be measured alone. The runner therefore measures windows of
many queries, at least `min_window_s` (5 s, several averaging periods) long, and divides by the number of
queries. Sampling at 10 Hz costs well under 1% of throughput (see benchmarks/meter_overhead.py).
"""

from __future__ import annotations

import itertools
import os
import threading
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

POWER_AVERAGING_S = 1.0  # s, averaging window of nvmlDeviceGetPowerUsage on Ampere+ (NVML API reference)
DEFAULT_INTERVAL_S = 0.1  # s between samples (10 Hz)


def integrate_power_mw(samples: Sequence[tuple[float, float]]) -> float:
    """Energy in mJ of power samples `(time_s, power_mw)` by the trapezoid rule (mW x s = mJ)."""
    energy_mj = 0.0
    for (t0, p0), (t1, p1) in itertools.pairwise(samples):
        energy_mj += 0.5 * (p0 + p1) * (t1 - t0)
    return energy_mj


class NvmlSampledMeter(NvmlMeterBase, Meter):
    """Energy of the GPUs this process uses, integrated from NVML power readings (summed over GPUs)."""

    name = "nvml-sampled-power"
    method = "measured"

    def __init__(
        self,
        nvml: ModuleType,
        gpus: Sequence[Gpu],
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        min_window_s: float = 5 * POWER_AVERAGING_S,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        NvmlMeterBase.__init__(self, nvml, gpus)
        self.interval_s = interval_s
        self.min_window_s = min_window_s
        self._clock = clock
        self._samples: dict[str, list[tuple[float, float]]] = {}
        self._error: BaseException | None = None
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    @classmethod
    def open(
        cls,
        cuda_ordinals: Sequence[int] = (0,),
        *,
        env: Mapping[str, str] | None = None,
        nvml: ModuleType | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
    ) -> NvmlSampledMeter:
        """Open the power readings of the GPUs behind `cuda:N`, checking that they read more than 0 mW."""
        nvml = nvml if nvml is not None else import_pynvml()
        gpus = open_gpus(nvml, cuda_ordinals, os.environ if env is None else env)
        meter = cls(nvml, gpus, interval_s=interval_s)
        try:
            power = meter._read_mw()
        except MeterReadError as e:
            meter.close()
            raise MeterUnavailable(str(e)) from e
        for gpu in gpus:
            if power[gpu.scope] <= 0:
                meter.close()
                raise MeterUnavailable(
                    f"power reading of {gpu.scope} ({gpu.name}) is 0 mW (not a real reading)"
                )
        return meter

    def _read_mw(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for gpu in self.gpus:
            try:
                out[gpu.scope] = int(self.nvml.nvmlDeviceGetPowerUsage(gpu.handle))
            except Exception as e:
                if is_not_supported(self.nvml, e):
                    raise MeterReadError(f"power reading of {gpu.scope} ({gpu.name}) is not supported") from e
                if is_nvml_error(self.nvml, e):
                    raise MeterReadError(nvml_reason(self.nvml, e, f"power reading of {gpu.scope}")) from e
                raise
        return out

    def _sample(self) -> float:
        t = self._clock()
        for scope, p in self._read_mw().items():
            self._samples[scope].append((t, float(p)))
        return t

    def _poll(self) -> None:
        try:
            while not self._stop_event.wait(self.interval_s):
                self._sample()
        except BaseException as e:  # reported by stop(), in the caller's thread
            self._error = e

    def start(self) -> None:
        if self._thread is not None:
            raise MeterReadError("start() called twice without stop()")
        self._samples = {g.scope: [] for g in self.gpus}
        self._error = None
        self._stop_event.clear()
        self._t0 = self._sample()  # the window runs from the first sample to the last
        self._thread = threading.Thread(target=self._poll, name="nvml-power-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> Reading:
        if self._thread is None:
            raise MeterReadError("stop() called without start()")
        self._stop_event.set()
        self._thread.join()
        self._thread = None
        if self._error is not None:
            err, self._error = self._error, None
            if isinstance(err, MeterReadError):
                raise err
            raise MeterReadError(f"power sampling failed: {err}") from err
        duration_s = self._sample() - self._t0
        energy_mj = {scope: integrate_power_mw(s) for scope, s in self._samples.items()}
        return Reading(energy_mj=energy_mj, duration_s=duration_s)

    def sample_count(self) -> int:
        """Samples taken in the last window, per GPU (for reports and tests)."""
        return min((len(s) for s in self._samples.values()), default=0)

    def devices(self) -> list[str]:
        return self.gpu_devices()

    def close(self) -> None:
        if self._thread is not None:
            self._stop_event.set()
            self._thread.join()
            self._thread = None
        self.close_nvml()
