"""The measurement sweep: idle baseline, then per batch size warm-up, cooled-down windows, statistics.

Idle baseline: after the device has settled (`settle_s` with nothing running), idle power is measured
over `idle_s`, at least two of the meter's own minimum windows; it is re-checked before every batch size,
each point is netted against the check just before it, and the drift between checks is reported.

A window runs whole batches until it holds at least `min_queries` queries *and* lasts at least
`max(min_window_s, meter.min_window_s)`; CUDA is synchronised at both edges so the meter's window is the
work's window. Energy per query is pooled over a point's windows: total energy / total queries (gross),
and (total energy - idle power x total window length) / total queries (net), so that energy per query x
throughput is the mean power of the same windows. The per-window values give the confidence interval.
Every window keeps its power timeline. An out-of-memory batch size is recorded as `oom` and the sweep
goes on. Quality is scored afterwards on every prompt, with natural (not forced) output lengths.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from measure import stats
from measure.meters.base import Meter, MeterError, Reading
from measure.models import BatchResult, Engine, is_out_of_memory
from measure.tasks import Prompt, QualityScore, Task, score
from measure.timeline import DEFAULT_INTERVAL_S, Recorder, Timeline

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
    idle_s: float = 10.0
    settle_s: float = 5.0  # nothing running before an idle measurement
    recheck_idle: bool = True  # measure idle again before every batch size
    prefill: bool = False  # generative models: a prefill-only pass at the largest batch that ran (CLI: on)
    timeline_interval_s: float | None = DEFAULT_INTERVAL_S  # None: keep no timeline

    def window_s(self, meter: Meter) -> float:
        """Shortest window for `meter`, in s."""
        return max(self.min_window_s, meter.min_window_s)

    def idle_window_s(self, meter: Meter) -> float:
        """Length of an idle measurement, in s: `idle_s`, and at least two of the meter's minimum windows."""
        return max(self.idle_s, 2 * meter.min_window_s)


@dataclass
class WindowResult:
    """One measurement window at one batch size."""

    queries: int
    energy_j: float  # gross, all scopes
    meter_s: float  # window length by the meter's clock
    wall_s: float  # window length by the runner's clock (for throughput)
    batches: list[BatchResult] = field(default_factory=list)
    timeline: Timeline | None = None
    host_energy_j: float | None = None  # host CPU/DRAM (RAPL) over the same window, not in energy_j


@dataclass
class PointResult:
    """All windows of one batch size, and what they mean per query."""

    batch_size: int
    status: Literal["ok", "oom", "error"] = "ok"
    windows: list[WindowResult] = field(default_factory=list)
    peak_memory_gb: float | None = None
    note: str | None = None
    idle_power_w: float = 0.0

    def window_energy_per_query_j(self) -> list[float]:
        """Gross energy per query of each window, J (for the confidence interval)."""
        return [w.energy_j / w.queries for w in self.windows]

    def energy_per_query_j(self) -> float:
        """Gross energy per query pooled over the windows: total energy / total queries, J."""
        return sum(w.energy_j for w in self.windows) / sum(w.queries for w in self.windows)

    def net_energy_per_query_j(self) -> float:
        """Pooled energy per query net of idle power over the windows' length, J (not below 0)."""
        idle_j = self.idle_power_w * sum(w.meter_s for w in self.windows)
        return max(
            0.0, (sum(w.energy_j for w in self.windows) - idle_j) / sum(w.queries for w in self.windows)
        )

    def host_energy_per_query_j(self) -> float | None:
        """Host CPU/DRAM energy per query pooled over the windows, J; None without a host meter."""
        if not self.windows or any(w.host_energy_j is None for w in self.windows):
            return None
        return sum(w.host_energy_j or 0.0 for w in self.windows) / sum(w.queries for w in self.windows)

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

    def ttft_s(self, q: float = 50.0) -> float | None:
        """q-th percentile of the batches' time to first token, s (None for classifiers)."""
        xs = [b.ttft_s for w in self.windows for b in w.batches if b.ttft_s is not None]
        return stats.percentile(xs, q) if xs else None

    def tpot_s(self, q: float = 50.0) -> float | None:
        """q-th percentile of the batches' time per output token, s (None for classifiers)."""
        xs = [b.tpot_s for w in self.windows for b in w.batches if b.tpot_s is not None]
        return stats.percentile(xs, q) if xs else None

    def output_tokens_percentile(self, q: float) -> float:
        """q-th percentile of output tokens per query."""
        return stats.percentile([n for w in self.windows for b in w.batches for n in b.output_tokens], q)


@dataclass
class PrefillResult:
    """Prefill-only passes (prompts processed, nothing generated) at one batch size: replica time and
    gross energy per prompt token."""

    batch_size: int
    input_tokens: int = 0  # prompt tokens processed in the windows (padding not counted)
    prompts: int = 0
    wall_s: float = 0.0
    energy_j: float = 0.0
    idle_power_w: float = 0.0
    windows: int = 0

    def seconds_per_token(self) -> float:
        return self.wall_s / self.input_tokens

    def energy_per_token_j(self) -> float:
        return self.energy_j / self.input_tokens

    def mean_input_tokens(self) -> float:
        return self.input_tokens / self.prompts if self.prompts else 0.0


@dataclass(frozen=True)
class IdleCheck:
    """One idle-power measurement: mean power in W over `duration_s`, taken before `before`."""

    power_w: float
    duration_s: float
    before: str  # "batch 8", "concurrency 4", "end"
    timeline: Timeline | None = None


def idle_drift_w(checks: Sequence[IdleCheck]) -> float:
    """Largest minus smallest idle power of the checks, W (0 for fewer than two)."""
    if len(checks) < 2:
        return 0.0
    return max(c.power_w for c in checks) - min(c.power_w for c in checks)


def describe_idle(checks: Sequence[IdleCheck]) -> str:
    """One line on the idle baseline and its drift, for notes and the terminal."""
    if not checks:
        return "no idle baseline"
    if len(checks) == 1:
        c = checks[0]
        return f"idle power {c.power_w:.4g} W over {c.duration_s:.3g} s"
    lo = min(c.power_w for c in checks)
    hi = max(c.power_w for c in checks)
    rel = (hi - lo) / lo * 100 if lo > 0 else 0.0
    return (
        f"idle power checked {len(checks)} times: {lo:.4g} to {hi:.4g} W "
        f"(drift {hi - lo:.3g} W, {rel:.1f} %); each point is netted against the check before it"
    )


@dataclass
class SweepResult:
    """Everything a sweep measured."""

    idle_power_w: float  # the first idle check
    idle_s: float
    points: list[PointResult]
    quality: QualityScore | None
    quality_batch_size: int | None = None
    idle_checks: list[IdleCheck] = field(default_factory=list)
    prefill: PrefillResult | None = None

    def window_lengths_s(self) -> list[float]:
        return [w.wall_s for p in self.points for w in p.windows]

    def timelines(self) -> list[Timeline]:
        """Every window's power timeline, idle checks included, in the order measured."""
        out: list[Timeline] = []
        checks = iter(self.idle_checks)
        first = next(checks, None)
        if first is not None and first.timeline is not None:
            out.append(first.timeline)
        for p in self.points:
            out += [w.timeline for w in p.windows if w.timeline is not None]
            nxt = next(checks, None)
            if nxt is not None and nxt.timeline is not None:
                out.append(nxt.timeline)
        return out


def _cycle(prompts: Sequence[Prompt], start: int, n: int) -> list[Prompt]:
    return [prompts[(start + i) % len(prompts)] for i in range(n)]


def open_window(meter: Meter, config: SweepConfig, phase: str, window: int) -> Recorder | None:
    """Start `meter` and, if the config keeps timelines, a recorder of its power timeline."""
    meter.start()
    if config.timeline_interval_s is None:
        return None
    rec = Recorder(meter, Timeline(phase, window), config.timeline_interval_s)
    rec.start()
    return rec


def close_window(meter: Meter, rec: Recorder | None) -> tuple[Reading, Timeline | None]:
    """Stop the recorder, then the meter; the timeline ends on the meter's final reading."""
    if rec is not None:
        rec.stop()
    reading = meter.stop()
    return reading, rec.finish(reading) if rec is not None else None


def measure_idle(
    meter: Meter,
    config: SweepConfig,
    sleep: Callable[[float], None],
    *,
    before: str,
    synchronize: Callable[[], None] = lambda: None,
) -> IdleCheck:
    """Idle power with nothing running: wait `settle_s`, then measure over `idle_window_s`.

    A meter that cannot observe idleness (`assumed_idle_power_w`) gives its assumed figure instead."""
    if meter.assumed_idle_power_w is not None:
        return IdleCheck(meter.assumed_idle_power_w, 0.0, before)
    synchronize()
    sleep(config.settle_s)
    rec = open_window(meter, config, f"idle before {before}", 0)
    sleep(config.idle_window_s(meter))
    reading, timeline = close_window(meter, rec)
    return IdleCheck(reading.mean_power_w, reading.duration_s, before, timeline)


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
    host_meter: Meter | None = None,
) -> SweepResult:
    """Measure `engine` on `prompts` at every batch size of `config` with `meter`; `host_meter` (RAPL)
    measures the host CPU/DRAM over the same windows, kept apart from the accelerator energy."""
    if not prompts:
        raise ValueError("no prompts to run")
    if progress:
        progress.set_description("idle baseline")
    checks: list[IdleCheck] = []
    points: list[PointResult] = []
    for k, b in enumerate(config.batch_sizes):
        if k == 0 or config.recheck_idle:
            if progress and k > 0:
                progress.set_description(f"idle before batch size {b}")
            check = measure_idle(meter, config, sleep, before=f"batch {b}", synchronize=engine.synchronize)
            checks.append(check)
            log.info("idle power %.2f W over %.2f s", check.power_w, check.duration_s)
        if progress and k == 0:
            progress.update(1)
        if progress:
            progress.set_description(f"batch size {b}")
        point = _measure_point(
            engine, prompts, meter, config, b, checks[-1].power_w, progress, sleep, clock, host_meter
        )
        points.append(point)
    ok = [p for p in points if p.status == "ok"]
    prefill: PrefillResult | None = None
    if ok and config.prefill and engine.loaded.kind != "classifier":
        if progress:
            progress.set_description("prefill-only pass")
        b = max(p.batch_size for p in ok)
        prefill = _measure_prefill(engine, prompts, meter, config, b, checks[-1].power_w, sleep, clock)
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
    return SweepResult(checks[0].power_w, checks[0].duration_s, points, quality, qb, checks, prefill)


def _measure_prefill(
    engine: Engine,
    prompts: Sequence[Prompt],
    meter: Meter,
    config: SweepConfig,
    b: int,
    idle_w: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> PrefillResult | None:
    """Prefill-only windows at batch size `b`, as a point's windows are measured (warm-up, cool-down, at
    least `min_queries` prompts and the meter's window); None when the pass fails (the sweep stands)."""
    result = PrefillResult(batch_size=b, idle_power_w=idle_w)
    window_s = config.window_s(meter)
    cursor = 0
    try:
        engine.prefill(_cycle(prompts, cursor, b))
        for w in range(config.windows):
            sleep(config.cooldown_s)
            engine.synchronize()
            rec = open_window(meter, config, f"prefill batch {b}", w + 1)
            t0 = clock()
            prompts_done = 0
            try:
                while prompts_done < config.min_queries or clock() - t0 < window_s:
                    tokens, _ = engine.prefill(_cycle(prompts, cursor, b))
                    cursor += b
                    prompts_done += b
                    result.input_tokens += tokens
                engine.synchronize()
            finally:
                reading, _ = close_window(meter, rec)
            result.wall_s += clock() - t0
            result.energy_j += reading.total_j
            result.prompts += prompts_done
            result.windows += 1
    except MeterError:
        raise
    except (RuntimeError, ValueError, TypeError) as e:
        log.warning("prefill-only pass at batch size %d failed, left out: %s", b, e)
        _free_memory(engine)
        return None
    return result if result.input_tokens > 0 else None


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
    host_meter: Meter | None = None,
) -> PointResult:
    point = PointResult(batch_size=b, idle_power_w=idle_w)
    window_s = config.window_s(meter)
    cursor = 0
    in_window = False
    rec: Recorder | None = None
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
            if host_meter is not None:
                host_meter.start()
            rec = open_window(meter, config, f"batch {b}", len(point.windows) + 1)
            in_window = True
            t0 = clock()
            window = WindowResult(queries=0, energy_j=0.0, meter_s=0.0, wall_s=0.0)
            while window.queries < config.min_queries or clock() - t0 < window_s:
                window.batches.append(engine.run(_cycle(prompts, cursor, b)))
                cursor += b
                window.queries += b
            engine.synchronize()
            reading, window.timeline = close_window(meter, rec)
            if host_meter is not None:
                window.host_energy_j = host_meter.stop().total_j
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
                if rec is not None:
                    rec.stop()
                meter.stop()
                if host_meter is not None:
                    host_meter.stop()
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
