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
    run = read_run(path)  # the last row
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
    assert prov["devices"] == ["cpu: AMD EPYC 7R13 Processor", "gpu: 1 x NVIDIA H100 80GB HBM3"]
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
