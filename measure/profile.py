"""Turn a sweep into a model profile (tco.scenario.schema.ModelProfile), validate it, and write it atomically.

Quantities are written as text with units ("0.842 J", "12.5 1/s"), as in hand-written profiles, so the
file reads the same way and loads in the engine as it is.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import platform
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from measure import stats
from measure.runner import PointResult, SweepConfig, SweepResult, describe_idle, idle_drift_w
from tco.errors import InputError
from tco.scenario.repository import validate
from tco.scenario.schema import ID_PATTERN, ModelProfile
from tco.scenario.yamlio import dump_yaml, write_atomic

# NVML device names -> hardware ids of profiles/hardware.yaml; first match wins, so specific before general
HARDWARE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"B200", "b200"),
    (r"H200", "h200"),
    (r"H100.*(PCIe|NVL)", "h100-pcie"),
    (r"H100", "h100-sxm"),
    (r"A100.*80\s*GB", "a100-80gb"),
    (r"L40S", "l40s"),
    (r"\bL4\b", "l4"),
    (r"\bA10G\b", "a10g"),
    (r"\bT4\b", "t4"),
)
# one vCPU of profiles/hardware.yaml: a CPU profile says how many it used in `accelerators`, so a 2-core VM
# never claims a whole server's throughput; pass --hardware for another
CPU_HARDWARE_ID = "cpu-vcpu"


def hardware_id_for(gpu_names: Sequence[str]) -> str | None:
    """The hardware id for NVML GPU names ("NVIDIA H100 80GB HBM3" -> "h100-sxm"); CPU_HARDWARE_ID for no
    GPU; None when the GPU is unknown or the GPUs differ."""
    if not gpu_names:
        return CPU_HARDWARE_ID
    ids = set()
    for name in gpu_names:
        hit = next((hid for pat, hid in HARDWARE_PATTERNS if re.search(pat, name, re.IGNORECASE)), None)
        if hit is None:
            return None
        ids.add(hit)
    return ids.pop() if len(ids) == 1 else None


def profile_id_from_path(path: Path | str) -> str:
    """A valid profile id from an output file name: lower case, other characters replaced by '-'."""
    stem = Path(path).name.split(".")[0] if Path(path).suffix in (".yaml", ".yml") else Path(path).name
    pid = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")[:80]
    if not re.match(ID_PATTERN, pid):
        raise InputError(
            f"cannot make a profile id from file name {Path(path).name!r}, expected letters or digits; pass --id",
            field="id",
        )
    return pid


def _q(x: float, unit: str) -> str:
    return f"{x:.6g} {unit}"


def point_dict(p: PointResult, *, generation: bool) -> dict[str, Any]:
    """One operating point as profile YAML data."""
    if p.status != "ok":
        return {"batch_size": p.batch_size, "status": p.status, "notes": p.note or p.status}
    lat = p.latencies_s()
    out: dict[str, Any] = {
        "batch_size": p.batch_size,
        "energy_per_query": _q(p.energy_per_query_j(), "J"),
        "energy_per_query_net": _q(p.net_energy_per_query_j(), "J"),
    }
    ci = stats.ci95(p.window_energy_per_query_j())
    if ci is not None:
        out["energy_per_query_ci95"] = [_q(max(0.0, ci[0]), "J"), _q(ci[1], "J")]
    out["latency_mean"] = _q(stats.mean(lat), "s")
    out["latency_p50"] = _q(stats.median(lat), "s")
    out["latency_p95"] = _q(stats.percentile(lat, 95), "s")
    for key, value in (
        ("ttft_p50", p.ttft_s(50)),
        ("ttft_p95", p.ttft_s(95)),
        ("tpot_p50", p.tpot_s(50)),
        ("tpot_p95", p.tpot_s(95)),
    ):
        if value is not None:
            out[key] = _q(value, "s")
    out["throughput"] = _q(p.throughput_qps(), "1/s")
    if generation:
        out["tokens_per_second"] = _q(p.tokens_per_second(), "1/s")
    out["input_tokens"] = round(p.mean_tokens("input"), 2)
    out["output_tokens"] = round(p.mean_tokens("output"), 2)
    if generation:
        out["output_tokens_p50"] = round(p.output_tokens_percentile(50), 2)
        out["output_tokens_p95"] = round(p.output_tokens_percentile(95), 2)
    if p.peak_memory_gb is not None:
        out["peak_memory"] = _q(p.peak_memory_gb, "GB")
    return out


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    try:
        import torch

        out["torch"] = str(torch.__version__)
        out["cuda"] = str(torch.version.cuda) if torch.version.cuda else None
    except ImportError:  # pragma: no cover - measure needs torch
        out["torch"] = out["cuda"] = None
    try:
        import transformers

        out["transformers"] = str(transformers.__version__)
    except ImportError:  # pragma: no cover
        out["transformers"] = None
    return out


def tool_version() -> str:
    try:
        return importlib.metadata.version("slm-tco")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source checkout not installed
        return "unknown"


def build_profile(
    *,
    profile_id: str,
    model_name: str,
    kind: str,
    parameters: int,
    hardware: str,
    accelerators: int,
    dtype: str,
    result: SweepResult,
    config: SweepConfig,
    meter_name: str,
    meter_method: str,
    meters: dict[str, str],
    devices: list[str],
    driver: str | None,
    mig: bool,
    weights: str | None,
    prompts: str,
    max_new_tokens: int | None,
    notes: Sequence[str] = (),
    now: dt.datetime | None = None,
    timeline: str | None = None,
) -> dict[str, Any]:
    """The profile as YAML-ready data (not yet validated)."""
    now = now or dt.datetime.now(dt.UTC)
    generation = kind != "classifier"
    data: dict[str, Any] = {
        "id": profile_id,
        "model": {"name": model_name, "kind": kind, "parameters": parameters},
        "hardware": hardware,
        "accelerators": accelerators,
        "dtype": dtype,
        "points": [point_dict(p, generation=generation) for p in result.points],
    }
    if result.prefill is not None and result.prefill.input_tokens > 0:
        pf = result.prefill
        data["prefill"] = {
            "seconds_per_token": _q(pf.seconds_per_token(), "s"),
            "energy_per_token": _q(pf.energy_per_token_j(), "J"),
            "input_tokens": round(pf.mean_input_tokens(), 1),
            "batch_size": pf.batch_size,
            "notes": (
                f"prefill-only forward passes over the task's prompts at batch {pf.batch_size} (nothing generated), "
                f"{pf.windows} windows, {pf.prompts} prompts, {pf.input_tokens} prompt tokens (padding not "
                "counted); gross energy of the replica; the serving model's tau_p (README)"
            ),
        }
    if result.quality is not None:
        q = result.quality
        data["quality"] = [
            {
                "task": q.task,
                "metric": q.metric,
                "value": round(q.value, 4),
                "n": q.n,
                "source": f"tco measure on {prompts}",
                "year": now.year,
                "notes": f"greedy decoding, natural output length, batch size {result.quality_batch_size}",
                "basis": "measured",
            }
        ]
    lengths = result.window_lengths_s()
    notes = [*notes, describe_idle(result.idle_checks)]
    host = [(p.batch_size, p.host_energy_per_query_j()) for p in result.points if p.status == "ok"]
    if host and all(h is not None for _, h in host):
        notes.append(
            "host CPU/DRAM energy (RAPL), not included above: "
            + ", ".join(f"batch {b}: {h:.4g} J/query" for b, h in host)
        )
    prov: dict[str, Any] = {
        "method": "measured" if meter_method == "measured" else "estimated",
        "source": "tco measure",
        "year": now.year,
        "notes": "; ".join(notes) if notes else None,
        "date": now.replace(microsecond=0).isoformat(),
        "tool_version": tool_version(),
        "meter": meter_name,
        "meters": meters,
        "devices": devices,
        "driver": driver,
        **_versions(),
        "host": f"{platform.system()} {platform.machine()}",
        "dtype": dtype,
        "weights": weights,
        "window": _q(stats.mean(lengths), "s") if lengths else None,
        "windows": config.windows,
        "min_queries_per_window": config.min_queries,
        "warmup_queries": config.warmup_queries,
        "cooldown": _q(config.cooldown_s, "s"),
        "idle_power": _q(max(result.idle_power_w, 0.0), "W"),
        "idle_power_drift": _q(idle_drift_w(result.idle_checks), "W")
        if len(result.idle_checks) > 1
        else None,
        "max_new_tokens": max_new_tokens if generation else None,
        "prompts": prompts,
        "mig": mig,
        "timeline": timeline,
    }
    data["provenance"] = {k: v for k, v in prov.items() if v is not None}
    return data


def profile_text(path: Path | str, data: dict[str, Any]) -> str:
    """`data` validated as a ModelProfile (one-line InputError naming the field if not), as the file's text."""
    validate(ModelProfile, data, file=str(path))
    header = (
        f"# Written by `tco measure` {tool_version()} (python {sys.version.split()[0]}); edit with care.\n"
    )
    return header + dump_yaml(data)


def write_profile(path: Path | str, data: dict[str, Any]) -> ModelProfile:
    """Validate `data` as a ModelProfile and write it atomically: readers, and a Ctrl-C, see the old file or
    the new one, never half of one."""
    text = profile_text(path, data)
    write_atomic(path, text)
    return validate(ModelProfile, data, file=str(path))


def build_endpoint_profile(
    *,
    profile_id: str,
    model_name: str,
    parameters: int | None,
    hardware: str,
    accelerators: int,
    points: list[dict[str, Any]],
    endpoint: str,
    api: str,
    meter_name: str,
    meter_method: str,
    meters: dict[str, str],
    devices: list[str],
    driver: str | None,
    prompts: str,
    max_new_tokens: int,
    window_s: float,
    notes: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A profile of a served model measured through its endpoint (one point per concurrency level)."""
    now = now or dt.datetime.now(dt.UTC)
    model: dict[str, Any] = {"name": model_name, "kind": "causal-lm"}
    model["parameters"] = parameters if parameters is not None else 0
    notes = [
        f"served model measured through {endpoint} ({api} API, streaming); batch_size = concurrent clients; "
        "steady-state window between ramp-up and drain (ML.ENERGY method)",
        *notes,
    ]
    if parameters is None:
        notes.append("parameter count not given (pass --parameters); written as 0")
    prov: dict[str, Any] = {
        "method": "measured" if meter_method == "measured" else "estimated",
        "source": "tco measure --endpoint",
        "year": now.year,
        "notes": "; ".join(notes),
        "date": now.replace(microsecond=0).isoformat(),
        "tool_version": tool_version(),
        "meter": meter_name,
        "meters": meters,
        "devices": devices,
        "driver": driver,
        "python": platform.python_version(),
        "host": f"{platform.system()} {platform.machine()}",
        "window": _q(window_s, "s"),
        "max_new_tokens": max_new_tokens,
        "prompts": prompts,
    }
    return {
        "id": profile_id,
        "model": model,
        "hardware": hardware,
        "accelerators": accelerators,
        "points": points,
        "provenance": {k: v for k, v in prov.items() if v is not None},
    }
