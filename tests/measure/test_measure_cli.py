"""`tco measure` end to end on CPU with tiny models, through typer's CliRunner."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest
import typer
import yaml
from fake_meter import ScriptedMeter
from typer.testing import CliRunner

import measure.cli
from measure.cli import measure as measure_command
from measure.meters.estimate import VCPU_IDLE_W, VCPU_MAX_W
from measure.meters.factory import MeterChoice
from tco.scenario.repository import load_model_profile

FAST = ["--device", "cpu", "--min-queries", "2", "--min-window", "0s", "--warmup", "1", "--cooldown", "0s",
        "--idle", "0.1s", "--settle", "0s", "--max-new-tokens", "3", "--no-timeline"]  # fmt: skip


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("measure")(measure_command)

    @app.command("noop")
    def noop() -> None:  # a second command, so that `measure` is addressed by name as under `tco`
        pass

    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["measure", *args], env={"TCO_NO_PROGRESS": "1"})
    return result.exit_code, result.output


def test_estimate_meter_writes_an_estimated_profile(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "tiny-llama-cpu.yaml"
    code, text = run(
        app,
        str(tiny_models["causal-lm"]),
        "--task",
        "qa",
        "--batch-sizes",
        "1,2",
        "--windows",
        "2",
        "--meter",
        "estimate",
        "--weights",
        "random-init",
        "-o",
        str(out),
        *FAST,
    )
    assert code == 0, text
    profile = load_model_profile(out)
    assert profile.id == "tiny-llama-cpu"
    cores = len(os.sched_getaffinity(0))
    assert (profile.model.kind, profile.model.parameters, profile.hardware, profile.accelerators) == (
        "causal-lm",
        12592,
        "cpu-vcpu",  # one vCPU, times the cores used: not a whole 256-vCPU server
        cores,
    )
    for p in profile.points:  # energy/query x queries/s is the mean power: within the cores' range
        assert p.energy_per_query is not None and p.throughput is not None
        assert cores * VCPU_IDLE_W * 0.99 <= p.energy_per_query * p.throughput <= cores * VCPU_MAX_W * 1.01
    assert [p.batch_size for p in profile.points] == [1, 2]
    assert all(p.status == "ok" and p.energy_per_query_ci95 is not None for p in profile.points)
    prov = profile.provenance
    assert (prov.method, prov.meter, prov.weights, prov.windows, prov.min_queries_per_window) == (
        "estimated",
        "estimate",
        "random-init",
        2,
        2,
    )
    assert prov.meters == {"cpu0": "estimate (estimated)"}
    assert prov.notes is not None and f"({cores} vCPU x 2.47 W max / 1.25 W idle per vCPU" in prov.notes
    assert prov.prompts == "measure/tasks/qa.jsonl (16 prompts)"
    assert prov.max_new_tokens == 3
    (quality,) = profile.quality
    assert (quality.task, quality.metric, quality.n) == ("qa", "exact-match", 16)
    assert "energy: estimate (estimated) on cpu0: " in text
    assert f"wrote {out} (id tiny-llama-cpu, estimated energy)" in text
    assert list(tmp_path.glob(".*.tmp")) == []


def test_measured_profile_with_real_counter_numbers(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # idle 1 W; windows of 2 queries at batch 1 spend 3 J in 1 s: 1.5 J/query gross, 1.0 net
    meter = ScriptedMeter([(1_000.0, 1.0), (3_000.0, 1.0)])
    monkeypatch.setattr(measure.cli, "choose_meter", lambda *a, **k: MeterChoice(meter, ["rapl: not here"]))
    out = tmp_path / "clf.yaml"
    code, text = run(
        app, str(tiny_models["classifier"]), "--batch-sizes", "1", "--windows", "1", "-o", str(out), *FAST
    )
    assert code == 0, text
    data = yaml.safe_load(out.read_text())
    assert data["points"][0]["energy_per_query"] == "1.5 J"
    assert data["points"][0]["energy_per_query_net"] == "1 J"
    assert "tokens_per_second" not in data["points"][0]
    assert data["provenance"]["method"] == "measured"
    assert data["provenance"]["idle_power"] == "1 W"
    assert data["provenance"]["notes"].startswith("meter fallback: rapl: not here")
    assert data["quality"][0]["metric"] == "accuracy"
    assert data["quality"][0]["basis"] == "measured"  # the profile says the score is measured, not published
    assert data["quality"][0]["source"].startswith("tco measure on ")
    assert meter.closed
    assert "meter fallback: rapl: not here" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--batch-sizes", "1,x"],
            "error: --batch-sizes: expected comma-separated whole numbers such as 1,8,32, got '1,x'",
        ),
        (["--min-window", "5 kg"], "error: --min-window: got '5 kg', expected a quantity convertible to s"),
        (
            ["--batch-sizes", "1,70000"],
            "error: --batch-sizes: expected values of at most 65536 (the profile format's limit), got '1,70000'",
        ),
        (
            ["--task", "poetry"],
            "error: task: unknown task 'poetry', expected one of sentiment, summarisation, qa, "
            "arithmetic, code (or give your own file with --prompts)",
        ),
        (
            ["--meter", "watts"],
            "error: --meter: unknown meter 'watts', expected one of auto, nvml-counter, "
            "nvml-sampled, rapl, estimate",
        ),
    ],
)
def test_errors_are_one_line_exit_2(app: typer.Typer, tmp_path: Path, args: list[str], message: str) -> None:
    code, text = run(app, str(tmp_path / "model"), *args, "-o", str(tmp_path / "x.yaml"))
    assert (code, text.strip()) == (2, message)
    assert not (tmp_path / "x.yaml").exists()


def test_missing_model_is_one_line(app: typer.Typer, tmp_path: Path) -> None:
    code, text = run(app, str(tmp_path / "nowhere"), "-o", str(tmp_path / "x.yaml"), *FAST)
    lines = text.strip().splitlines()
    assert code == 2
    assert lines[-1].startswith(f"error: model: cannot load model '{tmp_path / 'nowhere'}': ")
    assert "Traceback" not in text


def test_interrupt_leaves_no_file(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("measure.runner.run_sweep", interrupted)
    out = tmp_path / "p.yaml"
    code, text = run(app, str(tiny_models["classifier"]), "--meter", "estimate", "-o", str(out), *FAST)
    assert (code, text.strip().splitlines()[-1]) == (130, "interrupted: no profile written")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    importlib.util.find_spec("tco.api") is None, reason="tco.api (and `tco report`) not written yet"
)
def test_measured_profile_is_used_by_tco_report(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tco.cli import app as tco_app
    from tco.scenario.repository import load_repository

    region = sorted(load_repository().regions)[0]

    meter = ScriptedMeter([(1_000.0, 1.0), (3_000.0, 1.0)])
    monkeypatch.setattr(measure.cli, "choose_meter", lambda *a, **k: MeterChoice(meter, []))
    code, text = run(
        app,
        str(tiny_models["classifier"]),
        "--batch-sizes",
        "1",
        "--windows",
        "1",
        "--hardware",
        "h100-sxm",
        "-o",
        str(tmp_path / "my-profile.yaml"),
        *FAST,
    )
    assert code == 0, text
    (tmp_path / "scenario.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "measured",
                "horizon": "12 month",
                "workload": {"task": "sentiment", "queries_per_day": "100000 1/day"},
                "defaults": {"region": region, "electricity_price": "0.15 USD/kWh"},
                "profile_files": ["my-profile.yaml"],
                "options": [{"id": "mine", "deployment": "on-prem", "profile": "my-profile"}],
            }
        )
    )
    result = CliRunner().invoke(tco_app, ["report", str(tmp_path / "scenario.yaml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "mine" in json.dumps(json.loads(result.output))


def test_oversized_batch_is_rejected_before_loading_anything(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_load(*a: object, **k: object) -> None:
        raise AssertionError("the model must not be loaded")

    monkeypatch.setattr("measure.models.load_model", no_load)
    code, text = run(
        app, str(tiny_models["classifier"]), "--batch-sizes", "65537", "-o", str(tmp_path / "x.yaml")
    )
    assert code == 2
    assert "expected values of at most 65536" in text


def test_weights_are_not_claimed_pretrained_by_default(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meter = ScriptedMeter([(1_000.0, 1.0), (3_000.0, 1.0)])
    monkeypatch.setattr(measure.cli, "choose_meter", lambda *a, **k: MeterChoice(meter, []))
    out = tmp_path / "clf.yaml"
    code, text = run(
        app, str(tiny_models["classifier"]), "--batch-sizes", "1", "--windows", "1", "-o", str(out), *FAST
    )
    assert code == 0, text
    prov = load_model_profile(out).provenance
    assert prov.weights is None
    assert prov.notes is not None and "weights not stated (pass --weights)" in prov.notes


def test_timeline_csv_and_plot_are_written_next_to_the_profile(
    app: typer.Typer, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "clf.yaml"
    args = [a for a in FAST if a != "--no-timeline"]
    code, text = run(
        app, str(tiny_models["classifier"]), "--batch-sizes", "2", "--windows", "1", "--meter", "estimate",
        "--min-window", "0.5s", "-o", str(out), *args,
    )  # fmt: skip
    assert code == 0, text
    prov = load_model_profile(out).provenance
    assert prov.timeline == "clf.timeline.csv"
    rows = (tmp_path / "clf.timeline.csv").read_text().splitlines()
    assert rows[0] == "phase,window,t_s,scope,energy_mj,power_w"
    phases = {r.split(",")[0] for r in rows[1:]}
    assert phases == {"idle before batch 2", "batch 2"}
    assert (tmp_path / "clf.timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {tmp_path / 'clf.timeline.csv'}" in text
