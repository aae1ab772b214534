from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
from fake_meter import ScriptedMeter

from measure.meters.base import MeterReadError
from measure.models import BatchResult, Engine, load_model
from measure.runner import SweepConfig, run_sweep
from measure.tasks import Prompt, get_task, load_shipped_prompts


def config(*sizes: int, windows: int = 2) -> SweepConfig:
    # no minimum length: a window is exactly min_queries rounded up to whole batches
    return SweepConfig(
        batch_sizes=sizes,
        min_queries=4,
        min_window_s=0.0,
        windows=windows,
        warmup_queries=2,
        cooldown_s=0.0,
        idle_s=0.0,
    )


@pytest.fixture(scope="module")
def engine(tiny_models: dict[str, Path]) -> Engine:
    return Engine(
        load_model(str(tiny_models["causal-lm"])),
        get_task("sentiment"),
        max_new_tokens=3,
        fixed_output_length=True,
    )


def test_energy_per_query_gross_and_net_of_idle(engine: Engine) -> None:
    task = get_task("sentiment")
    prompts = load_shipped_prompts(task)
    # idle: 2 J over 1 s = 2 W; then two windows at batch 2 (4 queries each), 10 J / 2 s and 12 J / 2 s
    meter = ScriptedMeter([(2_000.0, 1.0), (10_000.0, 2.0), (12_000.0, 2.0)])
    sleeps: list[float] = []
    result = run_sweep(engine, prompts, task, meter, config(2), sleep=sleeps.append)
    assert result.idle_power_w == 2.0
    (point,) = result.points
    assert point.status == "ok"
    assert [w.queries for w in point.windows] == [4, 4]
    assert [len(w.batches) for w in point.windows] == [2, 2]
    assert point.energy_per_query_j() == [2.5, 3.0]
    assert point.net_energy_per_query_j() == [1.5, 2.0]  # (10 J - 2 W x 2 s) / 4, (12 - 4) / 4
    assert point.mean_tokens("output") == 3.0
    assert len(point.latencies_s()) == 8
    assert sleeps == [0.0, 0.0, 0.0]  # idle baseline, then a cooldown before each window
    assert result.quality is not None
    assert (result.quality.task, result.quality.metric, result.quality.n) == ("sentiment", "accuracy", 24)
    assert meter.started == 3


class OomAbove(Engine):
    """Runs like the real engine but runs out of CUDA memory at batch sizes of `limit` and more."""

    limit = 4

    def run(self, prompts: Sequence[Prompt], *, fixed_output_length: bool | None = None) -> BatchResult:
        if len(prompts) >= self.limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return super().run(prompts, fixed_output_length=fixed_output_length)


def test_oom_is_recorded_and_the_sweep_goes_on(engine: Engine) -> None:
    oom = OomAbove(engine.loaded, engine.task, max_new_tokens=2)
    task = get_task("sentiment")
    meter = ScriptedMeter([(1_000.0, 1.0), (4_000.0, 1.0), (8_000.0, 1.0)])  # batch 4 fails in warm-up
    result = run_sweep(oom, load_shipped_prompts(task), task, meter, config(1, 4, 2, windows=1))
    assert [(p.batch_size, p.status) for p in result.points] == [(1, "ok"), (4, "oom"), (2, "ok")]
    assert result.points[1].note == "OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert result.points[0].energy_per_query_j() == [1.0]
    assert result.points[2].energy_per_query_j() == [2.0]
    assert result.quality_batch_size == 1


def test_oom_inside_a_window_closes_the_window(engine: Engine) -> None:
    class OomOnSecondBatch(Engine):
        calls = 0

        def run(self, prompts: Sequence[Prompt], *, fixed_output_length: bool | None = None) -> BatchResult:
            self.calls += 1
            if self.calls == 3:  # warm-up, first window batch, then OOM
                raise MemoryError("cannot allocate")
            return super().run(prompts, fixed_output_length=fixed_output_length)

    e = OomOnSecondBatch(engine.loaded, engine.task, max_new_tokens=2)
    task = get_task("sentiment")
    meter = ScriptedMeter([(1_000.0, 1.0), (9.0, 1.0)])
    result = run_sweep(e, load_shipped_prompts(task), task, meter, config(2, windows=1))
    assert result.points[0].status == "oom"
    assert meter.open is False
    assert result.quality is None


def test_a_broken_meter_stops_the_sweep(engine: Engine) -> None:
    class Broken(ScriptedMeter):
        def stop(self):  # type: ignore[no-untyped-def]
            r = super().stop()
            if self.started > 1:
                raise MeterReadError("energy counter of gpu0 read 0 mJ")
            return r

    task = get_task("sentiment")
    with pytest.raises(MeterReadError, match=r"^energy counter of gpu0 read 0 mJ$"):
        run_sweep(engine, load_shipped_prompts(task), task, Broken([(1.0, 1.0), (1.0, 1.0)]), config(1))
