"""Import CodeCarbon runs (`emissions.csv`) as a profile, given how many queries they served.

CodeCarbon writes one row per tracked run: `duration` (s), `energy_consumed` (kWh, CPU + GPU + RAM) and
its parts `cpu_energy`, `gpu_energy`, `ram_energy` (kWh), with `cpu_model`, `cpu_count`, `gpu_model`,
`gpu_count`, `tracking_mode`, `pue`, `codecarbon_version` and `timestamp`. What the import does with them
(README, "Importing other tools' measurements"):

- **PUE undone.** CodeCarbon 3.x multiplies every energy and power it writes by its `pue` argument; the
  scenario applies its own PUE, so each part is divided by the row's `pue` (blank or absent: 1).
- **Which energy.** The profile's energy is that of the accelerator, as everywhere in slm-tco:
  `gpu_energy` when the run had GPUs, else `cpu_energy + ram_energy` (the host's CPU and RAM as CodeCarbon
  measured them, so the profile runs on `cpu_count` vCPUs of `cpu-vcpu`, not one).
- **Method.** GPU energy is NVML's counter (measured). CodeCarbon's CSV does not say how it got the CPU
  energy, and without readable RAPL (the default for non-root users on Linux since 5.10) it estimates it
  from a TDP table x CPU load; its RAM energy is always a model of RAM size. So a CPU run is
  `method: estimated` unless `rapl=True` says its log showed RAPL (then still: RAM is modelled, noted).
- **Runs.** Rows with the same `run_id` are snapshots of one run (CodeCarbon's `flush()`): the last is
  used. A file with several runs is refused unless one is chosen (`run_id`) or they are pooled (`pool`):
  energies and durations summed, the queries being the total over the pooled runs.
- **GPUs.** `gpu_model` is CodeCarbon's "N x NAME" per distinct GPU, joined without a separator
  ("1 x NVIDIA H100 80GB HBM31 x NVIDIA A100-SXM4-40GB"); it is split so that the counts add up to
  `gpu_count`, and a run on different GPUs is refused (a profile is one kind of accelerator).
- **Power check.** The implied power per accelerator (energy / duration / accelerators) must not exceed
  the hardware entry's max power by more than 10 % (`POWER_TOLERANCE`).

energy_per_query = energy / N, throughput = N / duration (one operating point at the given batch size).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from measure.importers.codecarbon_format import CodeCarbonRow, read_rows
from tco.errors import InputError
from tco.scenario.repository import validate
from tco.scenario.schema import ModelProfile

KWH_J = 3.6e6  # J per kWh
POWER_TOLERANCE = 0.10  # implied power may exceed the hardware entry's max power by this share
_GPU_PART = re.compile(r"(\d+) x (?=\S)")


@dataclass(frozen=True)
class CodeCarbonRun:
    """The numbers of one CodeCarbon run (or several pooled). Energies in J with CodeCarbon's PUE undone,
    duration in s; `pue` as CodeCarbon applied it (a tuple when pooled runs differ)."""

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
    cpu_count: int = 0
    pue: tuple[float, ...] = (1.0,)
    tracking_mode: str = ""
    runs: int = 1  # runs pooled into this one

    @property
    def on_gpu(self) -> bool:
        return self.gpu_count > 0 or self.gpu_j > 0


def _run(row: CodeCarbonRow) -> CodeCarbonRun:
    k = KWH_J / row.pue  # CodeCarbon wrote energy x pue
    return CodeCarbonRun(
        run_id=row.run_id,
        timestamp=row.timestamp,
        duration_s=row.duration,
        cpu_j=row.cpu_energy * k,
        gpu_j=row.gpu_energy * k,
        ram_j=row.ram_energy * k,
        total_j=row.energy_consumed * k,
        cpu_model=row.cpu_model or "CPU",
        gpu_model=row.gpu_model,
        gpu_count=row.gpu_count,
        version=row.codecarbon_version or "unknown",
        cpu_count=row.cpu_count,
        pue=(row.pue,),
        tracking_mode=row.tracking_mode,
    )


def read_runs(path: Path) -> list[CodeCarbonRun]:
    """Every run of `path` in file order, one per `run_id` (its last row: a later row of the same run is a
    later snapshot of its totals); every row is checked first (codecarbon_format)."""
    last: dict[str, CodeCarbonRun] = {}
    for n, row in read_rows(path):
        last.pop(row.run_id or f"line {n}", None)  # re-inserted: the run's place is its last row
        last[row.run_id or f"line {n}"] = _run(row)
    if not last:
        raise InputError("no run recorded (the file has only a header)", file=str(path))
    return list(last.values())


def _listed(runs: list[CodeCarbonRun]) -> str:
    shown = [f"{r.run_id or '?'} ({r.timestamp or 'no time'}, {r.duration_s:.4g} s)" for r in runs[:5]]
    return ", ".join(shown) + (f" and {len(runs) - 5} more" if len(runs) > 5 else "")


def pool_runs(runs: list[CodeCarbonRun], *, file: str) -> CodeCarbonRun:
    """Several runs as one: energies and durations summed (each run's PUE undone first). The runs must
    have run on the same hardware the same way (cpu_count, gpu_model, gpu_count, tracking_mode)."""
    first = runs[0]
    for r in runs[1:]:
        for name in ("cpu_count", "gpu_model", "gpu_count", "tracking_mode"):
            if getattr(r, name) != getattr(first, name):
                raise InputError(
                    f"run {r.run_id or '?'} has {name} {getattr(r, name)!r} but run {first.run_id or '?'} "
                    f"has {getattr(first, name)!r}; pool only runs on the same hardware (or pass --run-id)",
                    file=file,
                    field=name,
                )
    return replace(
        runs[-1],
        run_id=", ".join(r.run_id or "?" for r in runs),
        timestamp=f"{first.timestamp} to {runs[-1].timestamp}",
        duration_s=sum(r.duration_s for r in runs),
        cpu_j=sum(r.cpu_j for r in runs),
        gpu_j=sum(r.gpu_j for r in runs),
        ram_j=sum(r.ram_j for r in runs),
        total_j=sum(r.total_j for r in runs),
        pue=tuple(sorted({p for r in runs for p in r.pue})),
        runs=len(runs),
    )


def read_run(path: Path, run_id: str | None = None, *, pool: bool = False) -> CodeCarbonRun:
    """The run of `path` to import: the only one, the one with `run_id`, or all pooled (`pool`).

    A file with several runs and neither is refused in one line that lists them.
    """
    file = str(path)
    runs = read_runs(path)
    if run_id is not None and pool:
        raise InputError("--run-id chooses one run and --pool pools them all: pass one", field="--pool")
    if run_id is not None:
        chosen = [r for r in runs if r.run_id == run_id]
        if not chosen:
            raise InputError(f"no run {run_id!r}; the file has {_listed(runs)}", file=file, field="run_id")
        return chosen[0]
    if len(runs) == 1:
        return runs[0]
    if not pool:
        raise InputError(
            f"{len(runs)} runs: {_listed(runs)}; choose one with --run-id, or pass --pool to add them up "
            "(--queries then counts the queries of all of them)",
            file=file,
        )
    return pool_runs(runs, file=file)


def gpu_models(text: str, gpu_count: int) -> list[tuple[int, str]]:
    """CodeCarbon's `gpu_model` as (count, name) pairs whose counts add up to `gpu_count`.

    CodeCarbon writes "N x NAME" per distinct GPU joined with no separator, so a name ending in a digit
    runs into the next count ("...HBM31 x NVIDIA A100..."): the split whose counts sum to `gpu_count` is
    the one taken (the shortest count where digits could belong to either). Text without the "N x "
    form is one GPU model, `gpu_count` of it.
    """
    text = text.strip()
    if not _GPU_PART.match(text):
        return [(gpu_count, text)] if text else []

    def split(s: str, left: int) -> list[tuple[int, str]] | None:
        head = _GPU_PART.match(s)
        if head is None or head.group(1).startswith("0") or (count := int(head.group(1))) > left:
            return None
        rest = s[head.end() :]
        if count == left and not _GPU_PART.search(rest):
            return [(count, rest)]
        # every later place where "digits x " could start, latest first (the shortest count)
        for j in range(len(rest) - 1, 0, -1):
            if _GPU_PART.match(rest, j) and not rest[j - 1].isspace():
                tail = split(rest[j:], left - count)
                if tail is not None:
                    return [(count, rest[:j]), *tail]
        return [(count, rest)] if count == left else None

    parts = split(text, gpu_count) if gpu_count > 0 else None
    return parts if parts is not None else [(gpu_count, text)]


def _g(x: float) -> str:
    return f"{x:.6g}"


def check_power(implied_w: float, max_w: float, *, hardware: str, accelerators: int, file: str) -> None:
    """One line when the implied power per accelerator (W) exceeds the hardware's max power (W)."""
    if implied_w > max_w * (1 + POWER_TOLERANCE):
        raise InputError(
            f"the run implies {implied_w:.4g} W per accelerator ({accelerators} x {hardware}) but {hardware}'s "
            f"entry says at most {max_w:.4g} W; pass --hardware and --accelerators for what really ran, or "
            "--no-power-check to import it anyway (noted in the profile)",
            file=file,
            field="--hardware",
        )


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
    rapl: bool = False,
    max_power_w: float | None = None,
    power_check: bool = True,
) -> dict[str, Any]:
    """The profile of one CodeCarbon run (validated). `max_power_w`: the hardware entry's max power per
    accelerator, for the power check (None: no entry, no check)."""
    if queries < 1:
        raise InputError(f"expected at least 1 query, got {queries}", field="--queries")
    on_gpu = run.on_gpu
    energy_j = run.gpu_j if on_gpu else run.cpu_j + run.ram_j
    if energy_j <= 0:
        part = "gpu_energy" if on_gpu else "cpu_energy + ram_energy"
        raise InputError(f"{part} is 0 kWh: nothing to divide among the queries", file=file, field=part)
    n_acc = accelerators or max(1, run.gpu_count if on_gpu else run.cpu_count)
    implied_w = energy_j / run.duration_s / n_acc
    notes: list[str] = []
    if max_power_w is not None:
        if power_check:
            check_power(implied_w, max_power_w, hardware=hardware, accelerators=n_acc, file=file)
        elif implied_w > max_power_w * (1 + POWER_TOLERANCE):
            notes.append(
                f"POWER CHECK FAILED, imported with --no-power-check: {implied_w:.4g} W per accelerator "
                f"against {hardware}'s {max_power_w:.4g} W max"
            )
    pue = "/".join(_g(p) for p in run.pue)
    parts = f"CPU {_g(run.cpu_j)} J, GPU {_g(run.gpu_j)} J, RAM {_g(run.ram_j)} J, total {_g(run.total_j)} J"
    scope = "GPU energy (gpu_energy)" if on_gpu else "CPU + RAM energy (cpu_energy + ram_energy)"
    mode = run.tracking_mode or "not recorded"
    devices = [f"cpu: {run.cpu_count or '?'} x {run.cpu_model}"] + (
        [f"gpu: {n} x {name or 'GPU'}" for n, name in gpu_models(run.gpu_model, run.gpu_count)]
        if on_gpu
        else []
    )
    if on_gpu:
        method, how = "measured", "GPU energy from NVML's energy counter (CodeCarbon's GPU tracking)"
    elif rapl:
        method, how = (
            "measured",
            ("CPU energy from RAPL (as stated with --rapl); RAM energy is CodeCarbon's model of RAM size"),
        )
    else:
        method, how = (
            "estimated",
            (
                "CPU energy as CodeCarbon gives it (its CSV does not say whether from RAPL or, without readable "
                "RAPL, from a TDP table x CPU load: pass --rapl if its log said RAPL) and RAM energy from its "
                "model of RAM size"
            ),
        )
    if run.tracking_mode == "process" and not on_gpu:
        how += "; tracking_mode process: the CPU and RAM energy are this process's share of the machine's"
    runs = f"{run.runs} runs pooled ({run.run_id})" if run.runs > 1 else f"run {run.run_id or '?'}"
    data: dict[str, Any] = {
        "id": profile_id,
        "model": {"name": model_name, "kind": kind, "parameters": parameters},
        "hardware": hardware,
        "accelerators": n_acc,
        "points": [
            {
                "batch_size": batch_size,
                "energy_per_query": f"{_g(energy_j / queries)} J",
                "throughput": f"{_g(queries / run.duration_s)} 1/s",
                "notes": f"{queries} queries in {_g(run.duration_s)} s (given); {scope} / queries",
            }
        ],
        "provenance": {
            "method": method,
            "source": "CodeCarbon emissions.csv, imported by `tco import codecarbon`",
            "notes": "; ".join(
                [
                    f"{runs}; tracking_mode {mode}; CodeCarbon's pue {pue} undone (its energies / pue: the "
                    "scenario applies its own PUE)",
                    f"CodeCarbon parts without its PUE: {parts}; the profile counts the {scope}",
                    how,
                    f"implied power {implied_w:.4g} W per accelerator",
                    *notes,
                ]
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
