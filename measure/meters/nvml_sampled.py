"""NVML sampled power, polled in a background thread and integrated (trapezoid rule).

The fallback where the energy counter is not supported. It reads *instantaneous* power,
`nvmlDeviceGetFieldValues(handle, [NVML_FI_DEV_POWER_INSTANT])` (mW, driver 535 and newer), where the GPU
supports it, and otherwise `nvmlDeviceGetPowerUsage` (mW), which on Ampere (non-GA100) and newer GPUs is
the power *averaged over the last ~1 s*: a query shorter than that cannot be measured alone, so windows are
at least `min_window_s` (5 s, several averaging periods) long, and `describe()` says which reading was
used. A single failed or NotSupported reading during a window (drivers return one now and then under load)
is skipped and counted, not fatal; a window where more than MAX_SKIPPED_FRACTION of the readings failed is
an error. Sampling at 10 Hz costs well under 1% of throughput (see benchmarks/meter_overhead.py).
"""

from __future__ import annotations

import itertools
import logging
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

log = logging.getLogger(__name__)

POWER_AVERAGING_S = 1.0  # s, averaging window of nvmlDeviceGetPowerUsage on Ampere+ (NVML API reference)
DEFAULT_INTERVAL_S = 0.1  # s between samples (10 Hz)
NVML_FI_DEV_POWER_INSTANT = 186  # pynvml.NVML_FI_DEV_POWER_INSTANT (nvml.h), used if pynvml lacks it
MAX_SKIPPED_FRACTION = 0.1  # a window with more failed readings than this is an error


def read_instant_power_mw(nvml: ModuleType, handle: object) -> int:
    """Instantaneous board power in mW through the field-value API; raises the NVMLError of the field
    (NotSupported on GPUs or drivers without it), as pynvml itself would."""
    field_id = getattr(nvml, "NVML_FI_DEV_POWER_INSTANT", NVML_FI_DEV_POWER_INSTANT)
    (value,) = nvml.nvmlDeviceGetFieldValues(handle, [field_id])
    if value.nvmlReturn != getattr(nvml, "NVML_SUCCESS", 0):
        raise nvml.NVMLError(value.nvmlReturn)
    return int(value.value.uiVal)


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
        instant: bool = True,
    ) -> None:
        NvmlMeterBase.__init__(self, nvml, gpus)
        self.interval_s = interval_s
        self.min_window_s = min_window_s
        self.instant = instant  # read NVML_FI_DEV_POWER_INSTANT; False: nvmlDeviceGetPowerUsage
        self.fallback_reason: str | None = None
        self.skipped = 0  # readings skipped in the current window (all GPUs)
        self.attempted = 0
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
        uuids: Sequence[str] | None = None,
        expected_names: Sequence[str] | None = None,
        instant: bool = True,
    ) -> NvmlSampledMeter:
        """Open the power readings of the GPUs behind `cuda:N`, checking that they read more than 0 mW.

        With `instant`, probe the instantaneous reading on every GPU and fall back to the 1 s average
        (saying why in `fallback_reason`) where it is not supported."""
        nvml = nvml if nvml is not None else import_pynvml()
        gpus = open_gpus(
            nvml,
            cuda_ordinals,
            os.environ if env is None else env,
            uuids=uuids,
            expected_names=expected_names,
        )
        meter = cls(nvml, gpus, interval_s=interval_s, instant=instant)
        power: dict[str, int] = {}
        if instant:
            try:
                power = {gpu.scope: read_instant_power_mw(nvml, gpu.handle) for gpu in gpus}
            except Exception as e:
                if not is_nvml_error(nvml, e) and not isinstance(e, AttributeError):
                    meter.close()
                    raise
                why = nvml_reason(nvml, e, "field value") if is_nvml_error(nvml, e) else "pynvml lacks it"
                meter.instant = False
                meter.fallback_reason = (
                    f"instantaneous power (NVML_FI_DEV_POWER_INSTANT) unavailable: {why}; "
                    "read nvmlDeviceGetPowerUsage, a 1 s average on Ampere and newer"
                )
                power = {}
        if not power:
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

    def describe(self) -> str:
        """Which reading was integrated, for the profile's provenance notes."""
        if self.instant:
            return "sampled instantaneous power (NVML_FI_DEV_POWER_INSTANT)"
        return self.fallback_reason or "sampled nvmlDeviceGetPowerUsage (1 s average on Ampere and newer)"

    def _read_one_mw(self, gpu: Gpu) -> int:
        if self.instant:
            return read_instant_power_mw(self.nvml, gpu.handle)
        return int(self.nvml.nvmlDeviceGetPowerUsage(gpu.handle))

    def _read_mw(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for gpu in self.gpus:
            try:
                out[gpu.scope] = self._read_one_mw(gpu)
            except Exception as e:
                if is_not_supported(self.nvml, e):
                    raise MeterReadError(f"power reading of {gpu.scope} ({gpu.name}) is not supported") from e
                if is_nvml_error(self.nvml, e):
                    raise MeterReadError(nvml_reason(self.nvml, e, f"power reading of {gpu.scope}")) from e
                raise
        return out

    def _sample(self, *, tolerate: bool = True) -> float:
        """Read every GPU once; a failed NVML reading is skipped (counted) when `tolerate`."""
        t = self._clock()
        for gpu in self.gpus:
            self.attempted += 1
            try:
                p = self._read_one_mw(gpu)
            except Exception as e:
                if not (tolerate and is_nvml_error(self.nvml, e)):
                    raise
                self.skipped += 1
                log.debug("skipped a power reading of %s: %s", gpu.scope, e)
                continue
            self._samples[gpu.scope].append((t, float(p)))
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
        self.skipped = self.attempted = 0
        self._error = None
        self._stop_event.clear()
        self._t0 = self._sample(tolerate=False)  # the window runs from the first sample to the last
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
        duration_s = self._sample(tolerate=False) - self._t0
        if self.skipped > MAX_SKIPPED_FRACTION * self.attempted:
            raise MeterReadError(
                f"{self.skipped} of {self.attempted} power readings failed in a {duration_s:.2f} s window; "
                "too many to integrate"
            )
        energy_mj = {scope: integrate_power_mw(s) for scope, s in self._samples.items()}
        notes = (f"{self.skipped} power reading(s) skipped",) if self.skipped else ()
        return Reading(energy_mj=energy_mj, duration_s=duration_s, notes=notes)

    def peek(self) -> Reading:
        if self._thread is None:
            raise MeterReadError("peek() called without start()")
        samples = {scope: list(s) for scope, s in self._samples.items()}
        last = max((s[-1][0] for s in samples.values() if s), default=self._t0)
        energy_mj = {scope: integrate_power_mw(s) for scope, s in samples.items()}
        return Reading(energy_mj=energy_mj, duration_s=last - self._t0)

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
