"""Import a CodeCarbon run (`emissions.csv`) as a measured profile, given how many queries it served.

CodeCarbon writes one row per tracked run: `duration` (s), `energy_consumed` (kWh, CPU + GPU + RAM) and
its parts `cpu_energy`, `gpu_energy`, `ram_energy` (kWh), with `cpu_model`, `gpu_model`, `gpu_count`,
`codecarbon_version` and `timestamp`. The profile's energy is that of the accelerator, as everywhere in
slm-tco (the host is counted by the hardware data): `gpu_energy` when the run had GPUs, else
`cpu_energy + ram_energy`. The other parts are kept in the notes. The row used is the last one, or the one
with `--run-id`.

energy_per_query = energy / N, throughput = N / duration (one operating point at the given batch size).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measure.importers.codecarbon_format import read_rows
from tco.errors import InputError
from tco.scenario.repository import validate
from tco.scenario.schema import ModelProfile

KWH_J = 3.6e6  # J per kWh


@dataclass(frozen=True)
class CodeCarbonRun:
    """The numbers of one CodeCarbon row. Energies in J, duration in s."""

    run_id: str
    timestamp: str
    duration_s: float
    cpu_j: float
    gpu_j: float
    ram_j: float
    total_j: float
    cpu_model: str
    gpu_model: str
    gpu_count: int
    version: str


def read_run(path: Path, run_id: str | None = None) -> CodeCarbonRun:
    """The last row of `path` (or the row with `run_id`); every row is checked first (codecarbon_format)."""
    file = str(path)
    rows = read_rows(path)
    if run_id is not None:
        rows = [(n, r) for n, r in rows if r.run_id == run_id]
        if not rows:
            raise InputError(f"no row with run_id {run_id!r}", file=file, field="run_id")
    if not rows:
        raise InputError("no run recorded (the file has only a header)", file=file)
    _, row = rows[-1]
    return CodeCarbonRun(
        run_id=row.run_id,
        timestamp=row.timestamp,
        duration_s=row.duration,
        cpu_j=row.cpu_energy * KWH_J,
        gpu_j=row.gpu_energy * KWH_J,
        ram_j=row.ram_energy * KWH_J,
        total_j=row.energy_consumed * KWH_J,
        cpu_model=row.cpu_model or "CPU",
        gpu_model=row.gpu_model,
        gpu_count=row.gpu_count,
        version=row.codecarbon_version or "unknown",
    )


def _g(x: float) -> str:
    return f"{x:.6g}"


def profile_from_run(
    run: CodeCarbonRun,
    *,
    file: str,
    queries: int,
    profile_id: str,
    model_name: str,
    parameters: float,
    hardware: str,
    accelerators: int | None = None,
    batch_size: int = 1,
    kind: str = "causal-lm",
) -> dict[str, Any]:
    """The profile of one CodeCarbon run (validated)."""
    if queries < 1:
        raise InputError(f"expected at least 1 query, got {queries}", field="--queries")
    on_gpu = run.gpu_count > 0 or run.gpu_j > 0
    energy_j = run.gpu_j if on_gpu else run.cpu_j + run.ram_j
    if energy_j <= 0:
        part = "gpu_energy" if on_gpu else "cpu_energy + ram_energy"
        raise InputError(f"{part} is 0 kWh: nothing to divide among the queries", file=file, field=part)
    parts = f"CPU {_g(run.cpu_j)} J, GPU {_g(run.gpu_j)} J, RAM {_g(run.ram_j)} J, total {_g(run.total_j)} J"
    scope = "GPU energy (gpu_energy)" if on_gpu else "CPU + RAM energy (cpu_energy + ram_energy)"
    devices = [f"cpu: {run.cpu_model}"] + (
        [f"gpu: {run.gpu_count} x {run.gpu_model or 'GPU'}"] if on_gpu else []
    )
    data: dict[str, Any] = {
        "id": profile_id,
        "model": {"name": model_name, "kind": kind, "parameters": parameters},
        "hardware": hardware,
        "accelerators": accelerators or (run.gpu_count if on_gpu else 1),
        "points": [
            {
                "batch_size": batch_size,
                "energy_per_query": f"{_g(energy_j / queries)} J",
                "throughput": f"{_g(queries / run.duration_s)} 1/s",
                "notes": f"{queries} queries in {_g(run.duration_s)} s (given); {scope} / queries",
            }
        ],
        "provenance": {
            "method": "measured",
            "source": "CodeCarbon emissions.csv, imported by `tco import codecarbon`",
            "notes": (
                f"run {run.run_id or '?'}; CodeCarbon parts: {parts}; the profile counts the {scope}; "
                "CodeCarbon estimates CPU and RAM power from TDP and memory size unless RAPL was readable"
            ),
            "date": run.timestamp or "unknown",
            "tool_version": f"codecarbon {run.version}",
            "meter": "codecarbon",
            "devices": devices,
            "imported_from": [Path(file).name],
        },
    }
    validate(ModelProfile, data, file=f"{file} (profile {profile_id})", private=True)
    return data
