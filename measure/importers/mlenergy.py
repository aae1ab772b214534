"""Import ML.ENERGY Leaderboard / benchmark result files (v3 JSON) as model profiles.

One file holds one model on one task with many configurations (GPU model, GPU count, parallelism,
`max_num_seqs`). Every (GPU model, GPU count, parallelism) becomes one profile, with one operating point
per `max_num_seqs` (the server's batch-size cap, our `batch_size`):

- energy_per_query = energy_per_request_joules (GPU energy of all the replica's GPUs, steady state);
- throughput = output_throughput_tokens_per_sec / avg_output_len (requests per second);
- tokens_per_second = output_throughput_tokens_per_sec; output_tokens = avg_output_len;
- tpot_p50 / tpot_p95 = median / p95 inter-token latency;
- output_tokens_p50 / p95 from the configuration's output-length histogram (linear within a bin);
- latency_p50 = output_tokens_p50 x median ITL, latency_p95 = output_tokens_p95 x p95 ITL: request
  latency estimates from the output-length distribution (TTFT not published, so not included).

Repeated configurations (the same GPU model, GPU count, parallelism and `max_num_seqs` more than once in a
file: the ML.ENERGY files hold such repeats, their results 8-19 % apart) are repeated measurements of one
operating point: the point is their mean (`merge_repeats`: every published figure averaged, the output-length
histograms pooled when their bins agree), and its notes give how many there were and the spread (min-max)
of energy per request and output throughput. Output is deterministic (sorted, fixed number formatting), so re-running the import
on the same files gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measure.importers.mlenergy_format import read_mlenergy_file
from tco.errors import InputError
from tco.scenario.repository import validate
from tco.scenario.schema import ModelProfile
from tco.scenario.yamlio import dump_yaml, write_files_atomic

# GPU model names in the files -> hardware ids of profiles/hardware.yaml
GPU_HARDWARE = {"H100": "h100-sxm", "B200": "b200"}
DEFAULT_SOURCE_PATH = "public/data/models"
REPOSITORY = "github.com/ml-energy/leaderboard"


@dataclass(frozen=True)
class ImportedProfile:
    """One profile to write: its file name and YAML-ready data."""

    file_name: str
    data: dict[str, Any]


def histogram_percentile(edges: Sequence[float], counts: Sequence[int], q: float) -> float:
    """The q-th percentile (0..100) of a histogram with bin `edges` (len(counts) + 1), linear within a bin."""
    if len(edges) != len(counts) + 1:
        raise ValueError(f"expected {len(counts) + 1} bin edges for {len(counts)} counts, got {len(edges)}")
    total = sum(counts)
    if total <= 0:
        raise ValueError("an empty histogram has no percentile")
    target = q / 100.0 * total
    seen = 0.0
    for lo, hi, n in zip(edges, edges[1:], counts, strict=False):
        if n > 0 and seen + n >= target:
            return lo + (hi - lo) * (target - seen) / n
        seen += n
    return float(edges[-1])


def slug(text: str) -> str:
    """ "meta-llama/Llama-3.1-8B-Instruct" -> "llama-3.1-8b-instruct" (the name after the org)."""
    return re.sub(r"[^a-z0-9.]+", "-", text.split("/")[-1].lower()).strip("-.")


def _g(x: float) -> str:
    return f"{x:.6g}"


# per-configuration figures that repeated measurements average (those the import reads)
AVERAGED = (
    "energy_per_request_joules",
    "avg_output_len",
    "output_throughput_tokens_per_sec",
    "median_itl_ms",
    "p95_itl_ms",
    "avg_batch_size",
    "avg_power_watts",
)


def _spread(values: Sequence[float], unit: str) -> str:
    mean = sum(values) / len(values)
    pct = (max(values) - min(values)) / mean * 100 if mean else 0.0
    return f"{_g(min(values))}-{_g(max(values))} {unit} ({pct:.3g} % of the mean)"


def merge_repeats(configs: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    """Repeated measurements of one configuration as one: each figure of AVERAGED their arithmetic mean
    (a figure missing from any repeat is left out), the output-length histograms' counts summed when every
    repeat has the same bins (else the first's bins with no pooling: see `point_from_config`'s
    `percentiles`). Returns the merged configuration and the note on the repeats (None for one)."""
    if len(configs) == 1:
        return dict(configs[0]), None
    merged = dict(configs[0])
    for key in AVERAGED:
        if all(c.get(key) is not None for c in configs):
            merged[key] = sum(float(c[key]) for c in configs) / len(configs)
        else:
            merged.pop(key, None)
    hists = [c["output_length_distribution"] for c in configs]
    if all(h.get("bins") == hists[0].get("bins") for h in hists):
        counts = [sum(col) for col in zip(*(h["counts"] for h in hists), strict=True)]
        merged["output_length_distribution"] = {**hists[0], "counts": counts}
        merged["_pooled_histograms"] = True
    note = (
        f"{len(configs)} repeated measurements of max_num_seqs {configs[0]['max_num_seqs']} in the file: each "
        "figure is their mean"
        + (", the output-length histograms pooled" if merged.get("_pooled_histograms") else "")
        + f"; energy per request {_spread([float(c['energy_per_request_joules']) for c in configs], 'J')}, "
        f"output throughput {_spread([float(c['output_throughput_tokens_per_sec']) for c in configs], 'token/s')}"
    )
    if not merged.pop("_pooled_histograms", False):
        merged["_percentiles_of"] = list(configs)
    return merged, note


def point_from_config(config: dict[str, Any], file: str) -> dict[str, Any]:
    """One ML.ENERGY configuration (checked by mlenergy_format) as an operating point (YAML-ready)."""
    energy = float(config["energy_per_request_joules"])
    out_len = float(config["avg_output_len"])
    tok_s = float(config["output_throughput_tokens_per_sec"])
    itl50 = float(config["median_itl_ms"]) / 1000.0
    itl95 = float(config["p95_itl_ms"]) / 1000.0
    # repeats whose histograms could not be pooled: the mean of each repeat's percentile
    hists = [c["output_length_distribution"] for c in config.get("_percentiles_of", [config])]
    try:
        p50 = sum(histogram_percentile(h["bins"], h["counts"], 50) for h in hists) / len(hists)
        p95 = sum(histogram_percentile(h["bins"], h["counts"], 95) for h in hists) / len(hists)
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(
            f"bad output-length histogram: {e}", file=file, field="output_length_distribution"
        ) from e
    notes = [
        f"avg batch reached {_g(_or_nan(config.get('avg_batch_size')))}",
        f"avg power {_g(_or_nan(config.get('avg_power_watts')))} W (all GPUs)",
        "latency = output-length percentile x ITL percentile (no TTFT published)",
    ]
    return {
        "batch_size": int(config["max_num_seqs"]),
        "energy_per_query": f"{_g(energy)} J",
        "latency_p50": f"{_g(p50 * itl50)} s",
        "latency_p95": f"{_g(p95 * itl95)} s",
        "tpot_p50": f"{_g(itl50)} s",
        "tpot_p95": f"{_g(itl95)} s",
        "throughput": f"{_g(tok_s / out_len)} 1/s",
        "tokens_per_second": f"{_g(tok_s)} 1/s",
        "output_tokens": float(_g(out_len)),
        "output_tokens_p50": float(_g(p50)),
        "output_tokens_p95": float(_g(p95)),
        "notes": "; ".join(notes),
    }


def _or_nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _group_key(config: dict[str, Any]) -> tuple[str, int, str]:
    par = config.get("parallelization") or {}
    label = ", ".join(
        f"{k.replace('_parallel', '')} {par[k]}"
        for k in ("tensor_parallel", "expert_parallel", "data_parallel")
        if k in par
    )
    return str(config["gpu_model"]), int(config["num_gpus"]), label


def profiles_from_file(
    path: Path, *, commit: str | None = None, source_path: str = DEFAULT_SOURCE_PATH, year: int = 2025
) -> list[ImportedProfile]:
    """The profiles of one ML.ENERGY model/task file, one per (GPU, GPU count, parallelism)."""
    file = str(path)
    doc = read_mlenergy_file(path)  # the file gate and every field checked, before any conversion
    configs = doc["configurations"]
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for c in configs:
        groups.setdefault(_group_key(c), []).append(c)
    per_gpu: dict[tuple[str, int], int] = {}
    for gpu, n, _ in groups:
        per_gpu[(gpu, n)] = per_gpu.get((gpu, n), 0) + 1
    out: list[ImportedProfile] = []
    model_slug = slug(str(doc["model_id"]))
    task = str(doc["task"])
    for (gpu, n, par), group in sorted(groups.items()):
        if gpu not in GPU_HARDWARE:
            i = next(i for i, c in enumerate(configs) if c["gpu_model"] == gpu)
            raise InputError(
                f"a GPU without hardware data (not shown), expected one of {', '.join(GPU_HARDWARE)}",
                file=file,
                field=f"configurations[{i}].gpu_model",
            )
        by_batch: dict[int, list[dict[str, Any]]] = {}
        for c in group:
            by_batch.setdefault(int(c["max_num_seqs"]), []).append(c)
        points = []
        for b in sorted(by_batch):
            merged, repeats = merge_repeats(by_batch[b])
            p = point_from_config(merged, file)
            if repeats is not None:
                p["notes"] += "; " + repeats
            points.append(p)
        pid = f"mlenergy-{model_slug}-{task}-{n}x{gpu.lower()}"
        if per_gpu[(gpu, n)] > 1:
            pid += "-" + re.sub(r"[^a-z0-9]+", "", par.lower())
        source_file = f"{source_path.rstrip('/')}/{path.name}"
        data: dict[str, Any] = {
            "id": pid,
            "model": {
                "name": str(doc["model_id"]),
                "kind": "causal-lm",
                "parameters": f"{_g(float(doc['total_params_billions']))} billion",
            },
            "hardware": GPU_HARDWARE[gpu],
            "accelerators": n,
            "dtype": str(doc.get("weight_precision") or "unknown"),
            "points": points,
            "provenance": {
                "method": "published",
                "source": (
                    f"ML.ENERGY Leaderboard v3 (ML.ENERGY Benchmark, vLLM; Chung et al., NeurIPS Datasets and "
                    f"Benchmarks 2025), task {task}, {gpu} x{n} ({par}); energy_per_request_joules, avg_output_len, "
                    "output_throughput_tokens_per_sec, median_itl_ms, p95_itl_ms, output_length_distribution"
                ),
                "year": year,
                "licence": "Apache-2.0",
                "url": "https://ml.energy/leaderboard",
                "notes": (
                    "imported by `tco import mlenergy`; gross GPU energy of all the replica's GPUs in steady "
                    "state (NVML), no idle subtraction, no host CPU/DRAM; batch_size = vLLM max_num_seqs"
                ),
                "imported_from": [f"{REPOSITORY} {source_file}"],
            },
        }
        if doc.get("activated_params_billions") not in (None, doc["total_params_billions"]):
            data["model"]["active_parameters"] = f"{_g(float(doc['activated_params_billions']))} billion"
        if commit:
            data["provenance"]["source_commit"] = commit
        validate(ModelProfile, data, file=f"{file} (profile {pid})", private=True)
        out.append(ImportedProfile(f"{pid}.yaml", data))
    return out


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given, folders as their *.json files, sorted by name."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.glob("*.json"))
            if not found:
                raise InputError("no .json file in this folder", file=str(p))
            files += found
        else:
            files.append(p)
    return sorted(set(files), key=lambda f: f.name)


HEADER = (
    "# Generated by `tco import mlenergy` from the ML.ENERGY Leaderboard v3 data; do not edit by hand.\n"
    '# Regenerate: see profiles/SOURCES.md ("Imported profiles").\n'
)


def render(profile: ImportedProfile) -> str:
    """The profile file's text."""
    return HEADER + dump_yaml(profile.data)


def import_files(
    paths: Sequence[Path], out_dir: Path, *, commit: str | None = None, source_path: str = DEFAULT_SOURCE_PATH
) -> list[Path]:
    """Import every file (or folder of files) in `paths`; write one YAML per profile into `out_dir`."""
    profiles = [
        p for f in expand_paths(paths) for p in profiles_from_file(f, commit=commit, source_path=source_path)
    ]
    seen: dict[str, str] = {}
    for p in profiles:
        if p.file_name in seen:
            raise InputError(f"two inputs give profile {p.file_name!r}", file=seen[p.file_name])
        seen[p.file_name] = p.file_name
    # nothing is written unless every file and every configuration was valid; then all files or none
    return write_files_atomic([(out_dir / p.file_name, render(p)) for p in profiles])
