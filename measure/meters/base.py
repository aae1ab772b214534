"""The one small interface every energy meter implements, its reading and its errors.

A meter measures the energy of a *window*: `start()` opens it, `stop()` closes it and returns a `Reading`
with the energy of each device scope in mJ and the window's length in s. Backends (one module each):
NVML energy counter, NVML sampled power, RAPL, estimate. `measure.meters.factory` picks one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from tco.errors import TcoError

Method = Literal["measured", "estimated"]


class MeterError(TcoError, RuntimeError):
    """An energy meter cannot be used or failed while measuring."""


class MeterUnavailable(MeterError):
    """A meter backend cannot run here; the message is the one-line reason (what to do, where known)."""


class MeterReadError(MeterError):
    """A meter that was available failed, or read an impossible value, during a window."""


@dataclass(frozen=True)
class Reading:
    """Energy of one window: mJ per device scope (e.g. "gpu0", "cpu0-package") and the window length."""

    energy_mj: dict[str, float]
    duration_s: float
    notes: tuple[str, ...] = field(default=())

    @property
    def total_mj(self) -> float:
        """Energy summed over all scopes, in mJ."""
        return float(sum(self.energy_mj.values()))

    @property
    def total_j(self) -> float:
        """Energy summed over all scopes, in J."""
        return self.total_mj / 1000.0

    @property
    def mean_power_w(self) -> float:
        """Mean power over the window in W (0 for an empty window)."""
        return self.total_j / self.duration_s if self.duration_s > 0 else 0.0


class Meter(ABC):
    """An energy meter: open a window with `start()`, close it with `stop()`.

    Subclasses set `name` (as written into profiles), `method` ("measured" for a real counter or power
    reading, "estimated" otherwise) and `min_window_s`, the shortest window the meter measures faithfully.
    """

    name: str = "meter"
    method: Method = "measured"
    min_window_s: float = 1.0
    # W; set by meters that cannot observe idleness (an estimate at a fixed utilisation): the runner uses
    # it as the idle baseline instead of measuring one, which such a meter would read as busy
    assumed_idle_power_w: float | None = None

    @abstractmethod
    def start(self) -> None:
        """Open a measurement window."""

    @abstractmethod
    def stop(self) -> Reading:
        """Close the window opened by `start()` and return its energy."""

    @abstractmethod
    def peek(self) -> Reading:
        """Energy since `start()` so far, without closing the window (for power timelines)."""

    @abstractmethod
    def devices(self) -> list[str]:
        """Human-readable names of what is measured, one per scope ("gpu0: NVIDIA L4")."""

    def scopes(self) -> dict[str, str]:
        """Meter and method per scope, for the profile's provenance."""
        return {d.split(":", 1)[0]: f"{self.name} ({self.method})" for d in self.devices()}

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release the backend (threads, library handles). Idempotent."""

    def __enter__(self) -> Meter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
