"""The measurement sweep: idle baseline, then per batch size warm-up, cooled-down windows, statistics.

A window runs whole batches until it holds at least `min_queries` queries *and* lasts at least
`max(min_window_s, meter.min_window_s)`; CUDA is synchronised at both edges so the meter's window is the
work's window. Energy per query is the window's energy over its queries (gross), and the same minus
idle power x window length (net). An out-of-memory batch size is recorded as `oom` and the sweep goes on.
Quality is scored afterwards on every prompt, with natural (not forced) output lengths.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from measure import stats
from measure.meters.base import Meter, MeterError
from measure.models import BatchResult, Engine, is_out_of_memory
from measure.tasks import Prompt, QualityScore, Task, score

log = logging.getLogger(__name__)


class Progress(Protocol):
    """What the runner needs of a progress bar (tqdm fits)."""

    def update(self, n: int = 1) -> object: ...

    def set_description(self, desc: str | None = None, refresh: bool = True) -> object: ...


@dataclass(frozen=True)
class SweepConfig:
    """How to measure. Durations in s."""

    batch_sizes: tuple[int, ...]
    min_queries: int = 32  # per window
    min_window_s: float = 5.0
    windows: int = 3
    warmup_queries: int = 4
    cooldown_s: float = 2.0
    idle_s: float = 3.0

    def window_s(self, meter: Meter) -> float:
        """Shortest window for `meter`, in s."""
        return max(self.min_window_s, meter.min_window_s)


@dataclass
class WindowResult:
    """One measurement window at one batch size."""

    queries: int
    energy_j: float  # gross, all scopes
    meter_s: float  # window length by the meter's clock
    wall_s: float  # window length by the runner's clock (for throughput)
    batches: list[BatchResult] = field(default_factory=list)


@dataclass
class PointResult:
    """All windows of one batch size, and what they mean per query."""

    batch_size: int
    status: Literal["ok", "oom", "error"] = "ok"
    windows: list[WindowResult] = field(default_factory=list)
    peak_memory_gb: float | None = None
    note: str | None = None
    idle_power_w: float = 0.0

    def energy_per_query_j(self) -> list[float]:
        """Gross energy per query of each window, J."""
        return [w.energy_j / w.queries for w in self.windows]

    def net_energy_per_query_j(self) -> list[float]:
        """Energy per query net of idle power over the window, J (not below 0)."""
        return [max(0.0, (w.energy_j - self.idle_power_w * w.meter_s) / w.queries) for w in self.windows]

    def latencies_s(self) -> list[float]:
        """Per-query end-to-end latency: each query waits for its whole batch."""
        return [b.latency_s for w in self.windows for b in w.batches for _ in b.outputs]

    def throughput_qps(self) -> float:
        return sum(w.queries for w in self.windows) / sum(w.wall_s for w in self.windows)

    def tokens_per_second(self) -> float:
        out = sum(sum(b.output_tokens) for w in self.windows for b in w.batches)
        return out / sum(w.wall_s for w in self.windows)

    def mean_tokens(self, which: Literal["input", "output"]) -> float:
        counts = [
            n
            for w in self.windows
            for b in w.batches
            for n in (b.input_tokens if which == "input" else b.output_tokens)
        ]
        return stats.mean(counts)

    def ttft_p50_s(self) -> float | None:
        xs = [b.ttft_s for w in self.windows for b in w.batches if b.ttft_s is not None]
        return stats.median(xs) if xs else None

    def tpot_p50_s(self) -> float | None:
        xs = [b.tpot_s for w in self.windows for b in w.batches if b.tpot_s is not None]
        return stats.median(xs) if xs else None


@dataclass
class SweepResult:
    """Everything a sweep measured."""

    idle_power_w: float
    idle_s: float
    points: list[PointResult]
    quality: QualityScore | None
    quality_batch_size: int | None = None

    def window_lengths_s(self) -> list[float]:
        return [w.wall_s for p in self.points for w in p.windows]


def _cycle(prompts: Sequence[Prompt], start: int, n: int) -> list[Prompt]:
    return [prompts[(start + i) % len(prompts)] for i in range(n)]


def measure_idle(
    meter: Meter, engine: Engine, idle_s: float, sleep: Callable[[float], None]
) -> tuple[float, float]:
    """Idle power in W over `idle_s` seconds with nothing running, and the measured length in s."""
    engine.synchronize()
    meter.start()
    sleep(idle_s)
    reading = meter.stop()
    return reading.mean_power_w, reading.duration_s


def run_sweep(
    engine: Engine,
    prompts: Sequence[Prompt],
    task: Task,
    meter: Meter,
    config: SweepConfig,
    *,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
) -> SweepResult:
    """Measure `engine` on `prompts` at every batch size of `config` with `meter`."""
    if not prompts:
        raise ValueError("no prompts to run")
    if progress:
        progress.set_description("idle baseline")
    idle_w, idle_s = measure_idle(meter, engine, config.idle_s, sleep)
    log.info("idle power %.2f W over %.2f s", idle_w, idle_s)
    if progress:
        progress.update(1)
    points: list[PointResult] = []
    for b in config.batch_sizes:
        if progress:
            progress.set_description(f"batch size {b}")
        point = _measure_point(engine, prompts, meter, config, b, idle_w, progress, sleep, clock)
        points.append(point)
    ok = [p for p in points if p.status == "ok"]
    quality: QualityScore | None = None
    qb: int | None = None
    if ok:
        if progress:
            progress.set_description("quality")
        qb = min(p.batch_size for p in ok)
        outputs: list[str] = []
        for i in range(0, len(prompts), qb):
            outputs += engine.run(prompts[i : i + qb], fixed_output_length=False).outputs
        quality = score(task, prompts, outputs)
    if progress:
        progress.update(1)
    return SweepResult(idle_w, idle_s, points, quality, qb)


def _measure_point(
    engine: Engine,
    prompts: Sequence[Prompt],
    meter: Meter,
    config: SweepConfig,
    b: int,
    idle_w: float,
    progress: Progress | None,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> PointResult:
    point = PointResult(batch_size=b, idle_power_w=idle_w)
    window_s = config.window_s(meter)
    cursor = 0
    in_window = False
    done_windows = 0
    try:
        engine.reset_peak_memory()
        warm = 0
        while warm < max(config.warmup_queries, 1):  # at least one batch: allocations, kernels, caches
            engine.run(_cycle(prompts, cursor, b))
            cursor += b
            warm += b
        for _ in range(config.windows):
            sleep(config.cooldown_s)
            engine.synchronize()
            meter.start()
            in_window = True
            t0 = clock()
            window = WindowResult(queries=0, energy_j=0.0, meter_s=0.0, wall_s=0.0)
            while window.queries < config.min_queries or clock() - t0 < window_s:
                window.batches.append(engine.run(_cycle(prompts, cursor, b)))
                cursor += b
                window.queries += b
            engine.synchronize()
            reading = meter.stop()
            in_window = False
            window.wall_s = clock() - t0
            window.energy_j = reading.total_j
            window.meter_s = reading.duration_s
            point.windows.append(window)
            done_windows += 1
            if progress:
                progress.update(1)
        point.peak_memory_gb = engine.peak_memory_gb()
    except MeterError:
        raise  # a broken meter invalidates every number: stop the sweep
    except Exception as e:
        if in_window:
            try:
                meter.stop()
            except Exception as stop_error:  # the window is lost anyway; the first error is the one to report
                log.debug("meter.stop after failure: %s", stop_error)
        if not is_out_of_memory(e) and not isinstance(e, RuntimeError | ValueError):
            raise
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        point.status = "oom" if is_out_of_memory(e) else "error"
        point.note = f"{type(e).__name__}: {first}"
        point.windows = []
        log.warning("batch size %d: %s", b, point.note)
        _free_memory(engine)
        if progress:
            progress.update(config.windows - done_windows)
    return point


def _free_memory(engine: Engine) -> None:
    gc.collect()
    if engine.cuda:
        import torch

        torch.cuda.empty_cache()
