"""Power timelines: the meter's cumulative energy sampled every `interval_s` while a window is open, kept
for the CSV written next to a profile (and its plot), and for cutting a steady-state window out of a run
after the fact (`energy_between`).

A sample is (t_s since the window opened, cumulative mJ per scope). Power between two samples is the
energy difference over the time difference, so the timeline of a counter meter is exact in energy, and
a sum of its intervals equals the window's reading.
"""

from __future__ import annotations

import bisect
import csv
import io
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from measure.meters.base import Meter, MeterError, Reading
from tco.scenario.yamlio import write_atomic

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 0.5  # s between timeline samples
CSV_COLUMNS = ("phase", "window", "t_s", "scope", "energy_mj", "power_w")


@dataclass(frozen=True)
class Sample:
    """Cumulative energy per scope (mJ) at `t_s` seconds after the window opened."""

    t_s: float
    energy_mj: dict[str, float]

    @property
    def total_mj(self) -> float:
        return float(sum(self.energy_mj.values()))


@dataclass
class Timeline:
    """The samples of one window, labelled by what ran in it."""

    phase: str  # "idle", "batch 8", "concurrency 4"
    window: int
    samples: list[Sample] = field(default_factory=list)

    def total_mj_at(self, t_s: float) -> float:
        """Cumulative energy over all scopes at `t_s` (mJ), linear between samples, clamped at the ends."""
        if not self.samples:
            raise ValueError("an empty timeline has no energy")
        times = [s.t_s for s in self.samples]
        if t_s <= times[0]:
            return self.samples[0].total_mj
        if t_s >= times[-1]:
            return self.samples[-1].total_mj
        i = bisect.bisect_right(times, t_s)
        a, b = self.samples[i - 1], self.samples[i]
        frac = (t_s - a.t_s) / (b.t_s - a.t_s) if b.t_s > a.t_s else 1.0
        return a.total_mj + frac * (b.total_mj - a.total_mj)

    def energy_between_mj(self, t0_s: float, t1_s: float) -> float:
        """Energy over all scopes between `t0_s` and `t1_s` (s after the window opened), in mJ."""
        if t1_s < t0_s:
            raise ValueError(f"window ends ({t1_s:g} s) before it starts ({t0_s:g} s)")
        return self.total_mj_at(t1_s) - self.total_mj_at(t0_s)


class Recorder:
    """Samples `meter.peek()` every `interval_s` in a background thread while a window is open.

    Use: `meter.start(); rec.start(); ...; rec.stop(); reading = meter.stop(); rec.finish(reading)`.
    """

    def __init__(
        self,
        meter: Meter,
        timeline: Timeline,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.meter = meter
        self.timeline = timeline
        self.interval_s = interval_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _take(self) -> None:
        r = self.meter.peek()
        self.timeline.samples.append(Sample(r.duration_s, dict(r.energy_mj)))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._take()
            except MeterError as e:  # the window's own stop() reports a broken meter
                log.debug("timeline sample failed: %s", e)
                return

    def start(self) -> None:
        self.timeline.samples.append(Sample(0.0, {}))
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="power-timeline", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def finish(self, reading: Reading) -> Timeline:
        """Close the timeline with the window's final reading (its end point)."""
        self.stop()
        scopes = list(reading.energy_mj)
        self.timeline.samples[0] = Sample(0.0, dict.fromkeys(scopes, 0.0))
        self.timeline.samples.append(Sample(reading.duration_s, dict(reading.energy_mj)))
        return self.timeline


def timeline_csv(timelines: Sequence[Timeline]) -> str:
    """The timelines as CSV text: one row per sample and scope; power_w is the mean power since the
    previous sample of the same scope (empty on a window's first row)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for tl in timelines:
        prev: dict[str, tuple[float, float]] = {}
        for s in tl.samples:
            for scope in sorted(s.energy_mj):
                e = s.energy_mj[scope]
                power = ""
                if scope in prev and s.t_s > prev[scope][0]:
                    power = f"{(e - prev[scope][1]) / 1000.0 / (s.t_s - prev[scope][0]):.6g}"
                w.writerow([tl.phase, tl.window, f"{s.t_s:.4f}", scope, f"{e:.6g}", power])
                prev[scope] = (s.t_s, e)
    return out.getvalue()


def write_timeline(path: Path, timelines: Sequence[Timeline]) -> None:
    """Write the timelines' CSV atomically."""
    write_atomic(path, timeline_csv(timelines))


def timeline_png(csv_text: str, name: str) -> bytes:
    """A PNG plot of power over time per phase and scope, from the timeline CSV's text (altair, through
    vl-convert); `name` titles it."""
    import altair as alt
    import pandas as pd

    df = pd.read_csv(io.StringIO(csv_text)).dropna(subset=["power_w"])
    if df.empty:
        raise ValueError(f"{name} has no power samples to plot")
    df["series"] = df["phase"] + " #" + df["window"].astype(str) + " " + df["scope"]
    chart = (
        alt.Chart(df)
        .mark_line(interpolate="step-before")
        .encode(
            x=alt.X("t_s:Q", title="time in window (s)"),
            y=alt.Y("power_w:Q", title="power (W)"),
            color=alt.Color("series:N", title="window"),
        )
        .properties(width=640, height=320, title=f"Power timeline ({name})")
    )
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(chart.to_json(), scale=1))


def write_timeline_plot(csv_path: Path, png_path: Path) -> None:
    """Plot the timeline CSV at `csv_path` into `png_path` (see `timeline_png`)."""
    write_atomic(png_path, timeline_png(csv_path.read_text(encoding="utf-8"), csv_path.name))
