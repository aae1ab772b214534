"""A scripted meter for runner and CLI tests: each window returns the next (energy_mj, duration_s)."""

from __future__ import annotations

from measure.meters.base import Meter, MeterReadError, Reading


class ScriptedMeter(Meter):
    name = "scripted"
    method = "measured"
    min_window_s = 0.0

    def __init__(self, readings: list[tuple[float, float]]) -> None:
        self.readings = list(readings)
        self.started = 0
        self.open = False
        self.closed = False

    def start(self) -> None:
        if self.open:
            raise MeterReadError("start() called twice")
        self.open = True
        self.started += 1

    def stop(self) -> Reading:
        if not self.open:
            raise MeterReadError("stop() called without start()")
        self.open = False
        energy_mj, duration_s = self.readings.pop(0)
        return Reading(energy_mj={"fake0": energy_mj}, duration_s=duration_s)

    def peek(self) -> Reading:
        """Nothing is known until the window closes: no energy yet."""
        if not self.open:
            raise MeterReadError("peek() called without start()")
        return Reading(energy_mj={"fake0": 0.0}, duration_s=0.0)

    def devices(self) -> list[str]:
        return ["fake0: Scripted Meter"]

    def close(self) -> None:
        self.closed = True
