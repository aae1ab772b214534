from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
from fake_meter import ScriptedMeter

from measure.meters.base import MeterReadError
from measure.models import BatchResult, Engine, load_model
from measure.runner import SweepConfig, describe_idle, run_sweep
from measure.tasks import Prompt, get_task, load_shipped_prompts


def config(*sizes: int, windows: int = 2, recheck: bool = False, settle_s: float = 0.0) -> SweepConfig:
    # no minimum length: a window is exactly min_queries rounded up to whole batches
    return SweepConfig(
        batch_sizes=sizes,
        min_queries=4,
        min_window_s=0.0,
        windows=windows,
        warmup_queries=2,
        cooldown_s=0.0,
        idle_s=0.0,
        settle_s=settle_s,
        recheck_idle=recheck,
        timeline_interval_s=None,
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
    assert point.window_energy_per_query_j() == [2.5, 3.0]
    assert point.energy_per_query_j() == 2.75  # 22 J / 8 queries
    assert point.net_energy_per_query_j() == 1.75  # (22 J - 2 W x 4 s) / 8
    assert point.mean_tokens("output") == 3.0
    assert len(point.latencies_s()) == 8
    assert sleeps == [0.0, 0.0, 0.0, 0.0]  # settle, idle baseline, then a cooldown before each window
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
    assert result.points[0].energy_per_query_j() == 1.0
    assert result.points[2].energy_per_query_j() == 2.0
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


def test_energy_is_pooled_so_that_energy_times_throughput_is_the_mean_power(engine: Engine) -> None:
    task = get_task("sentiment")
    # two windows of unequal length and query count: 4 queries / 10 J / 1 s and 8 queries / 40 J / 4 s;
    # the mean of per-window ratios (2.5 and 5 J) would say 3.75 J; pooled it is 50 J / 12 = 4.1667 J
    cfg = SweepConfig(batch_sizes=(4,), min_queries=4, min_window_s=0.0, windows=2, warmup_queries=1,
                      cooldown_s=0.0, idle_s=0.0, settle_s=0.0, timeline_interval_s=None)  # fmt: skip
    meter = ScriptedMeter([(0.0, 1.0), (10_000.0, 1.0), (40_000.0, 4.0)])
    point = run_sweep(engine, load_shipped_prompts(task), task, meter, cfg).points[0]
    point.windows[1].queries = 8  # as if the second window ran two batches
    point.windows[0].wall_s, point.windows[1].wall_s = 1.0, 4.0
    assert point.energy_per_query_j() == pytest.approx(50 / 12)
    assert point.throughput_qps() == pytest.approx(12 / 5)
    assert point.energy_per_query_j() * point.throughput_qps() == pytest.approx(10.0)  # 50 J / 5 s


def test_idle_is_settled_long_enough_and_rechecked_with_drift(engine: Engine) -> None:
    task = get_task("sentiment")
    meter = ScriptedMeter([(2_000.0, 1.0), (4_000.0, 1.0), (3_000.0, 1.0), (8_000.0, 1.0)])
    meter.min_window_s = 1.5
    sleeps: list[float] = []
    cfg = config(1, 2, windows=1, recheck=True, settle_s=5.0)
    result = run_sweep(engine, load_shipped_prompts(task), task, meter, cfg, sleep=sleeps.append)
    assert [c.power_w for c in result.idle_checks] == [2.0, 3.0]
    assert [c.before for c in result.idle_checks] == ["batch 1", "batch 2"]
    # settle 5 s, idle at least 2 x the meter's 1.5 s minimum, cooldown 0, then again for batch 2
    assert sleeps == [5.0, 3.0, 0.0, 5.0, 3.0, 0.0]
    assert [p.idle_power_w for p in result.points] == [2.0, 3.0]  # each netted against its own check
    q = result.points[1].windows[0].queries
    assert result.points[1].net_energy_per_query_j() == pytest.approx((8.0 - 3.0 * 1.0) / q)
    assert describe_idle(result.idle_checks) == (
        "idle power checked 2 times: 2 to 3 W (drift 1 W, 50.0 %); each point is netted against the check before it"
    )


def test_a_meter_that_cannot_see_idleness_gives_its_assumed_idle(engine: Engine) -> None:
    task = get_task("sentiment")
    meter = ScriptedMeter([(10_000.0, 1.0)])
    meter.assumed_idle_power_w = 4.0  # an estimate at a fixed utilisation would read idle as busy
    sleeps: list[float] = []
    result = run_sweep(
        engine, load_shipped_prompts(task), task, meter, config(4, windows=1), sleep=sleeps.append
    )
    assert result.idle_power_w == 4.0
    assert meter.started == 1  # no idle window was measured
    assert result.points[0].net_energy_per_query_j() == pytest.approx((10.0 - 4.0) / 4)


def test_windows_keep_their_power_timeline(engine: Engine) -> None:
    from measure.meters.estimate import EstimateMeter

    task = get_task("sentiment")
    meter = EstimateMeter(10.0, 2.0, utilisation=0.5, min_window_s=0.0)
    cfg = SweepConfig(batch_sizes=(2,), min_queries=2, min_window_s=0.3, windows=1, warmup_queries=1,
                      cooldown_s=0.0, idle_s=0.0, settle_s=0.0, timeline_interval_s=0.05)  # fmt: skip
    result = run_sweep(engine, load_shipped_prompts(task), task, meter, cfg)
    (tl,) = result.timelines()  # the estimate assumes its idle: no idle window
    assert tl.phase == "batch 2"
    assert len(tl.samples) >= 4
    w = result.points[0].windows[0]
    assert tl.samples[-1].total_mj == pytest.approx(w.energy_j * 1000)
    assert tl.energy_between_mj(0.0, tl.samples[-1].t_s) == pytest.approx(w.energy_j * 1000)


def test_gpu_estimate_nets_against_hardware_idle_not_tdp(engine: Engine) -> None:
    from measure.meters.factory import open_meter

    task = get_task("sentiment")
    meter = open_meter("estimate", device="cuda", tdp_w=700.0, idle_w=77.0)
    cfg = SweepConfig(batch_sizes=(2,), min_queries=2, min_window_s=0.0, windows=1, warmup_queries=1,
                      cooldown_s=0.0, idle_s=5.0, settle_s=5.0, timeline_interval_s=None)  # fmt: skip
    result = run_sweep(engine, load_shipped_prompts(task), task, meter, cfg, sleep=lambda s: None)
    (w,) = result.points[0].windows
    assert result.idle_power_w == 77.0
    assert result.points[0].net_energy_per_query_j() == pytest.approx((700.0 - 77.0) * w.meter_s / w.queries)
    assert result.points[0].net_energy_per_query_j() > 0


def test_host_meter_energy_is_kept_apart(engine: Engine) -> None:
    task = get_task("sentiment")
    meter = ScriptedMeter([(0.0, 1.0), (10_000.0, 1.0)])
    host = ScriptedMeter([(6_000.0, 1.0)])
    result = run_sweep(engine, load_shipped_prompts(task), task, meter, config(4, windows=1), host_meter=host)
    point = result.points[0]
    assert point.energy_per_query_j() == 2.5  # 10 J / 4 queries: the accelerator only
    assert point.host_energy_per_query_j() == 1.5  # 6 J / 4 queries
    assert host.started == 1 and not host.open


def test_a_prefill_only_pass_records_time_and_energy_per_input_token(engine: Engine) -> None:
    task = get_task("sentiment")
    prompts = load_shipped_prompts(task)
    # idle 2 W; two windows at batch 2; then two prefill-only windows of 3 J and 5 J
    meter = ScriptedMeter([(2_000.0, 1.0), (10_000.0, 2.0), (12_000.0, 2.0), (3_000.0, 0.5), (5_000.0, 0.5)])
    cfg = SweepConfig(**{**config(2).__dict__, "prefill": True})
    result = run_sweep(engine, prompts, task, meter, cfg)
    pf = result.prefill
    assert pf is not None and pf.batch_size == 2 and pf.windows == 2 and pf.prompts == 8  # 2 windows of 4
    # the prompts' own tokens (no padding), as the engine counts them for the generation runs
    assert pf.input_tokens == sum(
        len(engine.loaded.tokenizer(t)["input_ids"]) for t in engine.texts(prompts[:8])
    )
    assert pf.energy_per_token_j() == pytest.approx(8.0 / pf.input_tokens)  # 3 J + 5 J
    assert pf.seconds_per_token() == pytest.approx(pf.wall_s / pf.input_tokens)
    assert meter.started == 5


def test_the_profile_carries_the_prefill_pass_and_loads(engine: Engine, tmp_path: Path) -> None:
    from measure.profile import build_profile, write_profile

    task = get_task("sentiment")
    meter = ScriptedMeter([(2_000.0, 1.0), (10_000.0, 2.0), (12_000.0, 2.0), (3_000.0, 0.5), (5_000.0, 0.5)])
    cfg = SweepConfig(**{**config(2).__dict__, "prefill": True})
    result = run_sweep(engine, load_shipped_prompts(task), task, meter, cfg)
    data = build_profile(
        profile_id="tiny",
        model_name="tiny",
        kind="causal-lm",
        parameters=12592,
        hardware="cpu-vcpu",
        accelerators=2,
        dtype="float32",
        result=result,
        config=cfg,
        meter_name="scripted",
        meter_method="measured",
        meters={"accelerator": "scripted"},
        devices=["cpu"],
        driver=None,
        mig=False,
        weights="random-init",
        prompts="measure/tasks/sentiment.jsonl",
        max_new_tokens=3,
    )
    profile = write_profile(tmp_path / "tiny.yaml", data)
    assert profile.prefill is not None
    assert profile.prefill.seconds_per_token == pytest.approx(result.prefill.seconds_per_token(), rel=1e-5)  # type: ignore[union-attr]
    assert profile.prefill.energy_per_token == pytest.approx(result.prefill.energy_per_token_j(), rel=1e-5)  # type: ignore[union-attr]
