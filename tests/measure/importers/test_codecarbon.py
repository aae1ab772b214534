"""The CodeCarbon importer on emissions.csv files written as CodeCarbon writes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from measure.importers.codecarbon import profile_from_run, read_run
from tco.errors import InputError
from tco.scenario.repository import load_model_profile

HEADER = (
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,"
    "ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,"
    "cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,"
    "longitude,latitude,ram_total_size,tracking_mode,on_cloud,pue"
)
GPU_ROW = (
    "2025-03-02T10:15:00,serve,run-b,exp,600.0,0.0123,2.05e-05,42.5,280.0,11.7,0.00708,0.0466,0.00195,"
    "0.05563,United States,USA,virginia,,,Linux-6.8,3.11.9,2.8.3,32,AMD EPYC 7R13 Processor,1,"
    "NVIDIA H100 80GB HBM3,-77.4,38.9,251.5,machine,N,1.0"
)
CPU_ROW = (
    "2025-03-01T09:00:00,serve,run-a,exp,120.0,0.0002,1.6e-06,7.5,0.0,3.0,0.00025,0.0,0.0001,0.00035,"
    "France,FRA,,,,Linux,3.11.9,2.8.3,2,AMD EPYC,0,,2.3,48.8,8.0,process,N,1.0"
)


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "emissions.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_gpu_run_counts_gpu_energy_per_query(tmp_path: Path) -> None:
    path = write(tmp_path, CPU_ROW, GPU_ROW)
    run = read_run(path, "run-b")
    assert run.run_id == "run-b"
    assert run.gpu_j == pytest.approx(0.0466 * 3.6e6)
    data = profile_from_run(run, file=str(path), queries=1200, profile_id="served", model_name="m",
                            parameters=8e9, hardware="h100-sxm")  # fmt: skip
    (point,) = data["points"]
    assert point["energy_per_query"] == "139.8 J"  # 0.0466 kWh = 167,760 J over 1200 queries
    assert point["throughput"] == "2 1/s"  # 1200 / 600 s
    prov = data["provenance"]
    assert (prov["method"], prov["meter"], prov["tool_version"]) == (
        "measured",
        "codecarbon",
        "codecarbon 2.8.3",
    )
    assert prov["devices"] == ["cpu: 32 x AMD EPYC 7R13 Processor", "gpu: 1 x NVIDIA H100 80GB HBM3"]
    assert "CPU 25488 J, GPU 167760 J, RAM 7020 J" in prov["notes"]
    assert data["accelerators"] == 1


def test_cpu_run_counts_cpu_and_ram(tmp_path: Path) -> None:
    run = read_run(write(tmp_path, CPU_ROW, GPU_ROW), run_id="run-a")
    data = profile_from_run(run, file="e.csv", queries=100, profile_id="c", model_name="m", parameters=1e8,
                            hardware="cpu-vcpu", accelerators=2)  # fmt: skip
    assert data["points"][0]["energy_per_query"] == "12.6 J"  # (0.00025 + 0.0001) kWh x 3.6e6 / 100


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n", "missing column(s) duration, energy_consumed, cpu_energy, gpu_energy, ram_energy; "
         "expected a CodeCarbon emissions.csv"),
        (HEADER + "\n", "no run recorded (the file has only a header)"),
        (HEADER + "\n" + GPU_ROW.replace(",600.0,", ",ten,"), "line 2, column duration: expected a number"),
    ],
)  # fmt: skip
def test_bad_files_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "emissions.csv"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        read_run(path)
    assert str(e.value) == f"{path}: {message}"


def test_cli_import_codecarbon(tmp_path: Path) -> None:
    from tco.cli import app

    path = write(tmp_path, GPU_ROW)
    out = tmp_path / "served-h100.yaml"
    args = ["import", "codecarbon", str(path), "--queries", "1200", "--model-name", "my-model",
            "--parameters", "8e9", "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    prof = load_model_profile(out)
    assert (prof.id, prof.hardware, prof.provenance.meter) == ("served-h100", "h100-sxm", "codecarbon")
    assert prof.points[0].energy_per_query == pytest.approx(139.8)
    bad = CliRunner().invoke(app, [*args[:4], "0", *args[5:]])
    assert (bad.exit_code, bad.output.strip()) == (2, "error: --queries: expected at least 1 query, got 0")


# ---- round trips through files a real CodeCarbon 3.3.2 run wrote (data/codecarbon/README.md says how)
DATA = Path(__file__).parent / "data" / "codecarbon"
KWH = 3.6e6


def _import(tmp_path: Path, name: str, *extra: str, queries: int = 30) -> tuple[int, str, Path]:
    from tco.cli import app

    out = tmp_path / f"{name.removesuffix('.csv')}.yaml"
    args = ["import", "codecarbon", str(DATA / name), "--queries", str(queries), "--model-name", "m",
            "--parameters", "1e8", "-o", str(out), *extra]  # fmt: skip
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output.strip(), out


def test_cpu_run_undoes_codecarbons_pue_and_counts_the_hosts_cpus(tmp_path: Path) -> None:
    """machine-pue1.5.csv: CPU 9.975288046195393e-06 + RAM 2.4649980991686488e-05 kWh, written x 1.5 by
    CodeCarbon, over 3.0173787540006742 s on cpu_count 2: 83.10 J, 13.77 W per vCPU."""
    energy_j = (9.975288046195393e-06 + 2.4649980991686488e-05) * KWH / 1.5
    duration = 3.0173787540006742
    run = read_run(DATA / "machine-pue1.5.csv")
    assert (run.pue, run.tracking_mode, run.cpu_count) == ((1.5,), "machine", 2)
    assert run.cpu_j + run.ram_j == pytest.approx(energy_j)
    # cpu-vcpu says 2.474 W at most: the run (CodeCarbon's 20 W x 1.5 RAM model) cannot be 2 vCPUs of it
    code, text, out = _import(tmp_path, "machine-pue1.5.csv")
    assert (code, text) == (2, (
        f"error: {DATA / 'machine-pue1.5.csv'}: --hardware: the run implies 13.77 W per accelerator (2 x cpu-vcpu) "
        "but cpu-vcpu's entry says at most 2.474 W; pass --hardware and --accelerators for what really ran, or "
        "--no-power-check to import it anyway (noted in the profile)"
    ))  # fmt: skip
    assert not out.exists()
    code, text, out = _import(tmp_path, "machine-pue1.5.csv", "--no-power-check", "--kind", "classifier")
    assert code == 0, text
    prof = load_model_profile(out)
    assert (prof.hardware, prof.accelerators, prof.model.kind) == ("cpu-vcpu", 2, "classifier")
    (point,) = prof.points
    assert point.energy_per_query == pytest.approx(energy_j / 30, rel=1e-5)
    assert point.throughput == pytest.approx(30 / duration, rel=1e-5)
    prov = prof.provenance
    assert prov.method == "estimated"  # no RAPL: CodeCarbon's TDP x load estimate and its RAM model
    assert prov.notes is not None
    assert "tracking_mode machine; CodeCarbon's pue 1.5 undone" in prov.notes
    assert "POWER CHECK FAILED, imported with --no-power-check: 13.77 W per accelerator" in prov.notes
    assert prov.devices == ["cpu: 2 x AMD EPYC"]
    assert prov.tool_version == "codecarbon 3.3.2"


def test_process_mode_is_recorded_and_rapl_makes_the_cpu_measured(tmp_path: Path) -> None:
    code, text, out = _import(tmp_path, "process.csv", "--no-power-check", "--rapl")
    assert code == 0, text
    prof = load_model_profile(out)
    assert prof.provenance.method == "measured"
    notes = prof.provenance.notes or ""
    assert "tracking_mode process" in notes and "this process's share of the machine's" in notes
    assert (
        "CPU energy from RAPL (as stated with --rapl); RAM energy is CodeCarbon's model of RAM size" in notes
    )
    energy_j = (2.2263322027869926e-06 + 8.013336130549456e-06) * KWH
    assert prof.points[0].energy_per_query == pytest.approx(energy_j / 30, rel=1e-5)


def test_several_runs_are_refused_chosen_or_pooled(tmp_path: Path) -> None:
    path = DATA / "three-runs.csv"
    with pytest.raises(InputError) as e:
        read_run(path)
    assert str(e.value) == (
        f"{path}: 3 runs: d0f2fd7c-543e-429a-8e3a-cc4c174186d3 (2026-12-07T16:52:38, 2.024 s), "
        "685f0f70-0238-4d92-98fb-552e03011ed8 (2026-12-07T16:52:41, 3.016 s), "
        "f8973dbd-3e3d-40b5-812b-71ea354de615 (2026-12-07T16:52:45, 4.009 s); choose one with --run-id, or pass "
        "--pool to add them up (--queries then counts the queries of all of them)"
    )
    one = read_run(path, "685f0f70-0238-4d92-98fb-552e03011ed8")
    assert one.duration_s == pytest.approx(3.0159288220002054)
    # pooled: 3 runs, 90 queries in all; the truth is the sum of energies over the sum of durations
    energy_j = KWH * sum([4.495730167712946e-06, 1.1232654944443413e-05, 6.641651569657881e-06,
                          1.6747347949997978e-05, 8.905702327717698e-06, 2.226588223888434e-05])  # fmt: skip
    duration = 2.024003450998862 + 3.0159288220002054 + 4.009327990999736
    code, text, out = _import(tmp_path, "three-runs.csv", "--pool", "--no-power-check", queries=90)
    assert code == 0, text
    prof = load_model_profile(out)
    assert prof.points[0].energy_per_query == pytest.approx(energy_j / 90, rel=1e-5)
    assert prof.points[0].throughput == pytest.approx(90 / duration, rel=1e-5)
    assert (prof.provenance.notes or "").startswith("3 runs pooled (d0f2fd7c-543e-429a-8e3a-cc4c174186d3, ")
    code, text, _ = _import(tmp_path, "three-runs.csv", "--pool", "--run-id", "x")
    assert (code, text) == (2, "error: --pool: --run-id chooses one run and --pool pools them all: pass one")


def test_gpu_run_undoes_pue_and_maps_the_gpus(tmp_path: Path) -> None:
    """gpu-h100x2.csv: 2 fake H100s at 300 W each under CodeCarbon's pue 1.2: 0.000600477147048 kWh
    written = 1801.4 J real over 3.0123 s = 299 W per GPU."""
    energy_j = 0.000600477147048 * KWH / 1.2
    code, text, out = _import(tmp_path, "gpu-h100x2.csv", queries=100)
    assert code == 0, text
    prof = load_model_profile(out)
    assert (prof.hardware, prof.accelerators, prof.provenance.method) == ("h100-sxm", 2, "measured")
    assert prof.points[0].energy_per_query == pytest.approx(energy_j / 100, rel=1e-5)
    assert energy_j / 3.012344161999863 / 2 == pytest.approx(300, rel=0.01)  # the fake GPUs' 300 W each
    assert prof.provenance.devices == ["cpu: 2 x AMD EPYC", "gpu: 2 x NVIDIA H100 80GB HBM3"]
    assert "CodeCarbon's pue 1.2 undone" in (prof.provenance.notes or "")


def test_a_run_on_different_gpus_is_refused(tmp_path: Path) -> None:
    code, text, out = _import(tmp_path, "gpu-mixed.csv")
    assert (code, text) == (2, (
        f"error: {DATA / 'gpu-mixed.csv'}: gpu_model: the run used different GPUs (1 x NVIDIA H100 80GB HBM3, "
        "1 x NVIDIA A100-SXM4-40GB); a profile is one kind of accelerator: import a run on one kind, or pass "
        "--hardware"
    ))  # fmt: skip
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        ("1 x NVIDIA H100 80GB HBM31 x NVIDIA A100-SXM4-40GB", 2,
         [(1, "NVIDIA H100 80GB HBM3"), (1, "NVIDIA A100-SXM4-40GB")]),
        ("8 x NVIDIA H100 80GB HBM3", 8, [(8, "NVIDIA H100 80GB HBM3")]),
        ("12 x NVIDIA A1002 x NVIDIA L4", 14, [(12, "NVIDIA A100"), (2, "NVIDIA L4")]),
        ("NVIDIA L4", 1, [(1, "NVIDIA L4")]),  # CodeCarbon 2.x wrote the name alone
        ("", 0, []),
    ],
)  # fmt: skip
def test_codecarbons_gpu_model_split_so_the_counts_add_up(
    text: str, count: int, expected: list[tuple[int, str]]
) -> None:
    from measure.importers.codecarbon import gpu_models

    assert gpu_models(text, count) == expected
