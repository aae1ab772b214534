"""Import InferenceX (formerly InferenceMAX; SemiAnalysis, Apache-2.0) benchmark results as model profiles.

InferenceX publishes one JSON object per run (`utils/process_result.py`: `agg_<name>.json`), collected into
a list (`agg_bmk.json`, an Actions artifact); its app serves the same rows with the metrics nested under
`metrics`, plus `date` and `run_url`. Both are read. Every (hardware, model, precision, framework, parallel
configuration, speculative decoding) becomes one profile; each run is one operating point at its nominal
input/output lengths (ISL/OSL) and concurrency:

- batch_size = conc; input_tokens_nominal / output_tokens_nominal = isl / osl; input_tokens and
  output_tokens = 0.9 x isl / osl (InferenceX draws each request's lengths uniformly in [0.8 L, L]);
  output_tokens_p50 = 0.9 x osl, output_tokens_p95 = 0.99 x osl (the same uniform draw; ignore_eos);
- accelerators = tp x pp x pcp_size (the divisor of its per-GPU throughputs); throughput (queries/s per
  replica) = output_tput_per_gpu x accelerators / output_tokens; tokens_per_second = output_tput_per_gpu x
  accelerators (rows without output_tput_per_gpu: tput_per_gpu x osl / (isl + osl), the output share of
  the tokens in expectation);
- latencies in seconds: ttft_p50 / tpot_p50 / latency_p50 = median_*; the p95s are not published, so each
  is interpolated linearly between p90 and p99 (p90 + 5/9 (p99 - p90)), else p99, else the median
  (the point's notes say which);
- energy: joules_per_successful_query of a run with power (power_valid = 1), else avg_total_gpu_power_w /
  throughput. A run without power gets NO invented energy: the import fails unless the user supplies power
  per GPU (`power_w`, labelled as given) or a measured profile of the same GPU whose power per accelerator
  at the nearest concurrency stands in (`power_from`, labelled as borrowed).

Disaggregated and multi-node runs (prefill and decode on separate GPU pools) and agentic runs (no ISL/OSL)
are not one replica at one length: they are skipped, and counted in the summary. Rows carry no run id or
date in the `agg` format: provenance (run URL, artifact, date) is given beside the file.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tco.errors import InputError
from tco.scenario.repository import validate
from tco.scenario.schema import ModelProfile
from tco.scenario.yamlio import dump_yaml, read_bytes_checked, write_atomic

MAX_BYTES = 64 * 1024 * 1024  # a year of nightly agg_bmk.json rows is a few MB; far more is not a result file
MAX_ROWS = 200_000
LENGTH_MEAN = 0.9  # mean of a length drawn uniformly in [0.8 L, L]
LENGTH_P95 = 0.99  # its 95th percentile
# InferenceX runner names (without a suffix such as -trt or -dgxc) -> hardware ids of profiles/hardware.yaml
HARDWARE = {"h100": "h100-sxm", "h200": "h200", "b200": "b200", "a100": "a100-80gb", "l40s": "l40s"}
SOURCE = "InferenceX (SemiAnalysis; formerly InferenceMAX), github.com/SemiAnalysisAI/InferenceX"
HEADER = (
    "# Imported by `tco import inferencex` from InferenceX result rows; regenerate rather than edit.\n"
    "# Each point is one run (ISL/OSL, concurrency); its notes say how its p95s and energy were obtained.\n"
)

PowerAt = Callable[[float], tuple[float, str]]  # concurrency -> (W per accelerator, where it comes from)


@dataclass(frozen=True)
class Row:
    """One InferenceX run, its fields flattened (`metrics` merged) and where it sits in the file."""

    data: dict[str, Any]
    where: str  # file and row index, for messages


@dataclass
class Summary:
    """What an import did: profiles written and rows skipped, by reason."""

    written: list[Path] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def read_rows(path: Path) -> list[Row]:
    """The runs of an `agg_*.json` object, an `agg_bmk.json` list, or the InferenceX app's rows."""
    file = str(path)
    raw = read_bytes_checked(path, max_bytes=MAX_BYTES)
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise InputError(f"not JSON: {e}", file=file) from e
    items = doc if isinstance(doc, list) else [doc]
    if len(items) > MAX_ROWS:
        raise InputError(f"{len(items):,} rows, expected at most {MAX_ROWS:,}", file=file)
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"row {i}: expected a JSON object, got {type(item).__name__}", file=file)
        flat = {k: v for k, v in item.items() if k != "metrics"}
        if isinstance(item.get("metrics"), dict):
            flat.update(item["metrics"])
        if "hw" not in flat and "hardware" in flat:
            flat["hw"] = flat["hardware"]
        if "spec_decoding" not in flat and "spec_method" in flat:
            flat["spec_decoding"] = flat["spec_method"]
        if "tp" not in flat and not _flag(flat.get("is_multinode")) and flat.get("decode_tp") is not None:
            # the app's rows name a single node's parallelism as its decode side (prefill is the same)
            flat["tp"], flat["ep"] = flat["decode_tp"], flat.get("decode_ep", 1)
            flat["dp_attention"] = flat.get("decode_dp_attention", False)
        rows.append(Row(flat, f"{file} row {i}"))
    return rows


def _num(row: Row, key: str, *, required: bool = True) -> float:
    v = row.data.get(key)
    if v is None and not required:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InputError(f"{key}: expected a finite number, got {v!r}", file=row.where)
    return float(v)


def _flag(v: Any) -> bool:
    return v is True or str(v).lower() == "true"


def _p95(row: Row, metric: str) -> tuple[float, str]:
    """(p95 estimate, how) of a latency family: between p90 and p99, else p99, else the median."""
    p90, p99 = _num(row, f"p90_{metric}", required=False), _num(row, f"p99_{metric}", required=False)
    if not math.isnan(p90) and not math.isnan(p99):
        return p90 + 5.0 / 9.0 * (p99 - p90), "p90-p99 interpolated"
    if not math.isnan(p99):
        return p99, "p99"
    return _num(row, f"median_{metric}", required=False), "median"


def hardware_id(name: str, overrides: dict[str, str]) -> str:
    """The hardware id of an InferenceX runner name: `h100`, `b200-trt`, `cluster:h100-dgxc` -> base name."""
    base = name.lower().split(":")[-1].split("-")[0]
    if name in overrides or base in overrides:
        return overrides.get(name, overrides.get(base, ""))
    if base in HARDWARE:
        return HARDWARE[base]
    known = ", ".join(sorted(HARDWARE))
    raise InputError(
        f"unknown hardware {name!r}, expected one of {known}; map it with --hardware {base}=ID "
        "(an id of profiles/hardware.yaml)",
        field="hw",
    )


def _parallelism(row: Row) -> tuple[dict[str, int], int, str]:
    """(parallelism block, accelerators per replica, label) of a single-node run."""
    tp = int(_num(row, "tp"))
    pp = int(_num(row, "pp", required=False)) if row.data.get("pp") is not None else 1
    ep = int(_num(row, "ep", required=False)) if row.data.get("ep") is not None else 1
    pcp = int(_num(row, "pcp_size", required=False)) if row.data.get("pcp_size") is not None else 1
    dpa = _flag(row.data.get("dp_attention"))
    par: dict[str, int] = {"tensor": tp}
    if pp > 1:
        par["pipeline"] = pp
    if ep > 1:
        par["expert"] = ep
    if dpa:
        par["data"] = tp  # attention data-parallel across the tensor group
    label = (
        f"tp{tp}" + (f"-pp{pp}" if pp > 1 else "") + (f"-ep{ep}" if ep > 1 else "") + ("-dpa" if dpa else "")
    )
    if pcp > 1:
        label += f"-pcp{pcp}"
    return par, tp * pp * pcp, label


def _g(x: float) -> str:
    return f"{x:.6g}"


def point(row: Row, accelerators: int, power_at: PowerAt | None, run_note: str) -> dict[str, Any]:
    """One run as an operating point (YAML-ready)."""
    isl, osl, conc = _num(row, "isl"), _num(row, "osl"), _num(row, "conc")
    if isl <= 0 or osl <= 0 or conc < 1:
        raise InputError(
            f"expected positive isl, osl and conc, got {isl:g}, {osl:g}, {conc:g}", file=row.where
        )
    out_mean = LENGTH_MEAN * osl
    out_tps = _num(row, "output_tput_per_gpu", required=False)
    how_tput = "output_tput_per_gpu"
    if math.isnan(out_tps):
        out_tps = _num(row, "tput_per_gpu") * osl / (isl + osl)
        how_tput = "tput_per_gpu x osl / (isl + osl) (no output_tput_per_gpu in the row)"
    if out_tps <= 0:
        raise InputError(f"expected a positive throughput, got {out_tps:g} tokens/s per GPU", file=row.where)
    tokens_s = out_tps * accelerators
    qps = tokens_s / out_mean
    notes = [run_note, f"throughput from {how_tput}"] if run_note else [f"throughput from {how_tput}"]
    if (
        _num(row, "power_valid", required=False) == 1
        and row.data.get("joules_per_successful_query") is not None
    ):
        energy = _num(row, "joules_per_successful_query")
        notes.append("energy: joules_per_successful_query (InferenceX power, power_valid 1)")
    elif _num(row, "power_valid", required=False) == 1 and row.data.get("avg_total_gpu_power_w") is not None:
        energy = _num(row, "avg_total_gpu_power_w") / qps
        notes.append("energy: avg_total_gpu_power_w / throughput (InferenceX power, power_valid 1)")
    elif power_at is not None:
        watts, where = power_at(conc)
        energy = watts * accelerators / qps
        notes.append(f"energy NOT measured in this run: {watts:.4g} W per GPU {where}, / throughput")
    else:
        raise InputError(
            f"run at {isl:g}/{osl:g} tokens, concurrency {conc:g} has no power (InferenceX rows before May 2026 "
            "carry none, or power_valid is not 1): no energy is invented; give --power W (per GPU, as you know "
            "it) or --power-from PROFILE (a measured profile of the same GPU)",
            file=row.where,
        )
    out: dict[str, Any] = {
        "batch_size": int(conc),
        "energy_per_query": f"{_g(energy)} J",
        "throughput": f"{_g(qps)} 1/s",
        "tokens_per_second": f"{_g(tokens_s)} 1/s",
        "input_tokens": float(_g(LENGTH_MEAN * isl)),
        "output_tokens": float(_g(out_mean)),
        "input_tokens_nominal": isl,
        "output_tokens_nominal": osl,
        "output_tokens_p50": float(_g(out_mean)),
        "output_tokens_p95": float(_g(LENGTH_P95 * osl)),
    }
    hows = []
    for metric, key50, key95 in (
        ("ttft", "ttft_p50", "ttft_p95"),
        ("tpot", "tpot_p50", "tpot_p95"),
        ("e2el", "latency_p50", "latency_p95"),
    ):
        med = _num(row, f"median_{metric}", required=False)
        p95, how = _p95(row, metric)
        if not math.isnan(med):
            out[key50] = f"{_g(med)} s"
        if not math.isnan(p95):
            out[key95] = f"{_g(p95)} s"
            hows.append(f"{metric} p95 {how}")
    if hows:
        notes.append("; ".join(hows))
    out["notes"] = "; ".join(notes)
    return out


def _group_key(row: Row) -> tuple[str, str, str, str, str, str]:
    model = str(row.data.get("model") or row.data.get("infmax_model_prefix") or "")
    return (
        str(row.data.get("hw", "")),
        model,
        str(row.data.get("precision", "")),
        str(row.data.get("framework", "")),
        _parallelism(row)[2],
        str(row.data.get("spec_decoding") or "none"),
    )


def slug(text: str) -> str:
    """ "moonshotai/Kimi-K2.5" -> "kimi-k2.5" (the name after the org, lower case)."""
    return re.sub(r"[^a-z0-9.]+", "-", text.split("/")[-1].lower()).strip("-.")


def profiles_from_rows(
    rows: Sequence[Row],
    *,
    parameters: float,
    active_parameters: float | None = None,
    model: str | None = None,
    hardware: dict[str, str] | None = None,
    power_at: PowerAt | None = None,
    power_note: str = "",
    source_url: str | None = None,
    date: str | None = None,
    summary: Summary | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """(file name, YAML-ready profile) per group of single-node runs; `model` keeps only rows whose model or
    `infmax_model_prefix` contains it (a file of several models needs it: parameters are per model)."""
    summary = summary if summary is not None else Summary()
    kept: list[Row] = []
    for r in rows:
        d = r.data
        if d.get("scenario_type") == "agentic-coding" or d.get("isl") is None or d.get("osl") is None:
            summary.skip("agentic or no ISL/OSL")
            continue
        if _flag(d.get("disagg")) or _flag(d.get("is_multinode")) or d.get("tp") is None:
            summary.skip("disaggregated or multi-node (no single replica)")
            continue
        name = f"{d.get('model', '')} {d.get('infmax_model_prefix', '')}".lower()
        if model is not None and model.lower() not in name:
            summary.skip(f"another model than {model!r}")
            continue
        kept.append(r)
    models = sorted({str(r.data.get("model") or r.data.get("infmax_model_prefix")) for r in kept})
    if len(models) > 1:
        raise InputError(
            f"rows of {len(models)} models ({', '.join(models)}): import one at a time with --model "
            "(their parameter counts differ)"
        )
    groups: dict[tuple[str, ...], list[Row]] = {}
    for r in kept:
        groups.setdefault(_group_key(r), []).append(r)
    out = []
    for (hw, name, precision, framework, label, spec), group in sorted(groups.items()):
        first = group[0]
        hw_id = hardware_id(hw, hardware or {})
        par, accelerators, _ = _parallelism(first)
        points: dict[tuple[int, int, int], dict[str, Any]] = {}
        urls: list[str] = []
        for r in group:
            url = str(r.data.get("run_url") or "")
            day = str(r.data.get("date") or "")
            run_note = ", ".join(x for x in (f"run {url}" if url else "", day) if x)
            key = (int(_num(r, "isl")), int(_num(r, "osl")), int(_num(r, "conc")))
            if key in points:
                summary.skip("a second run of the same lengths and concurrency (the first is kept)")
                continue
            points[key] = point(r, accelerators, power_at, run_note)
            if url and url not in urls:
                urls.append(url)
        pid = f"inferencex-{slug(name)}-{hw_id}-{precision}-{framework}-{label}" + (
            f"-{spec}" if spec not in ("none", "false") else ""
        )
        pid = re.sub(r"[^a-z0-9._-]+", "-", pid.lower())[:80]
        info: dict[str, Any] = {
            "name": name,
            "kind": "causal-lm",
            "parameters": f"{_g(parameters / 1e9)} billion",
        }
        if active_parameters is not None and active_parameters != parameters:
            info["active_parameters"] = f"{_g(active_parameters / 1e9)} billion"
        image = str(first.data.get("image") or "")
        provenance: dict[str, Any] = {
            "method": "published",
            "source": (
                f"{SOURCE}: {hw} {framework} {precision} {label}"
                + (f", speculative decoding {spec}" if spec not in ("none", "false") else "")
                + (f", image {image}" if image else "")
                + "; output_tput_per_gpu, median/p90/p99 ttft, tpot and e2el"
            ),
            "year": _year(date, group),
            "licence": "Apache-2.0",
            "url": source_url or (urls[0] if urls else "https://inferencex.com"),
            "notes": (
                "imported by `tco import inferencex`; lengths are nominal ISL/OSL x 0.9 (uniform draws in "
                "[0.8 L, L]); p95s interpolated between the published p90 and p99"
                + (f"; {power_note}" if power_note else "")
            ),
            "imported_from": [str(x) for x in ([source_url] if source_url else []) + urls]
            or ["(no run URL given)"],
        }
        if date:
            provenance["date"] = date
        data: dict[str, Any] = {
            "id": pid,
            "model": info,
            "hardware": hw_id,
            "accelerators": accelerators,
            "dtype": precision,
            "parallelism": par,
            "framework": framework,
            "points": [points[k] for k in sorted(points)],
            "provenance": provenance,
        }
        validate(ModelProfile, data, file=f"{pid}.yaml")
        out.append((f"{pid}.yaml", data))
    return out


def _year(date: str | None, group: Sequence[Row]) -> int:
    """The year of the runs: the given date's, else the latest row date's; rows without one need --date."""
    days = [date] if date else sorted(str(r.data["date"]) for r in group if r.data.get("date"))
    if not days:
        raise InputError(
            "the rows carry no date (agg_*.json rows do not): give --date YYYY-MM-DD, the runs' date",
            file=group[0].where,
            field="date",
        )
    try:
        return int(days[-1][:4])
    except ValueError as e:
        raise InputError(
            f"expected a date YYYY-MM-DD, got {days[-1]!r}", file=group[0].where, field="date"
        ) from e


def power_from_profile(profile: ModelProfile) -> tuple[PowerAt, str]:
    """Power per accelerator of a measured profile at a concurrency: linear in batch size between its
    points, its smallest or largest point beyond them; and the label that says where it comes from."""
    pts = sorted(profile.ok_points(), key=lambda p: p.batch_size)
    watts = [
        (p.batch_size, (p.energy_per_query or 0.0) * (p.throughput or 0.0) / profile.accelerators)
        for p in pts
    ]

    def at(conc: float) -> tuple[float, str]:
        if conc <= watts[0][0]:
            return watts[0][1], f"from profile {profile.id} at batch {watts[0][0]}"
        for (b0, w0), (b1, w1) in itertools.pairwise(watts):
            if conc <= b1:
                return w0 + (w1 - w0) * (conc - b0) / (
                    b1 - b0
                ), f"from profile {profile.id} between batch {b0} and {b1}"
        return watts[-1][1], f"from profile {profile.id} at batch {watts[-1][0]}"

    note = (
        f"ENERGY BORROWED: InferenceX measured no power for these runs; power per GPU is profile {profile.id}'s "
        f"({profile.provenance.method}: {profile.provenance.source or ''}) at the nearest concurrency"
    )
    return at, note


def import_files(
    paths: Sequence[Path],
    out_dir: Path,
    *,
    parameters: float,
    active_parameters: float | None = None,
    model: str | None = None,
    hardware: dict[str, str] | None = None,
    power_w: float | None = None,
    power_from: ModelProfile | None = None,
    source_url: str | None = None,
    date: str | None = None,
) -> Summary:
    """Import every file; write one profile YAML per group into `out_dir` (nothing when any row fails)."""
    if power_w is not None and power_from is not None:
        raise InputError("give --power or --power-from, not both", field="--power")
    power_at: PowerAt | None = None
    note = ""
    if power_w is not None:
        if not power_w > 0:
            raise InputError(f"expected more than 0 W, got {power_w:g} W", field="--power")
        power_at = lambda _c: (power_w, "as given by the user (--power)")  # noqa: E731
        note = f"ENERGY NOT MEASURED: power per GPU {power_w:g} W given by the user"
    elif power_from is not None:
        power_at, note = power_from_profile(power_from)
    rows = [r for p in paths for r in read_rows(p)]
    summary = Summary()
    profiles = profiles_from_rows(
        rows,
        parameters=parameters,
        active_parameters=active_parameters,
        model=model,
        hardware=hardware,
        power_at=power_at,
        power_note=note,
        source_url=source_url,
        date=date,
        summary=summary,
    )
    if not profiles:
        raise InputError(
            "no single-node run with ISL/OSL in the file(s): nothing to import", file=str(paths[0])
        )
    for name, data in profiles:
        target = out_dir / name
        write_atomic(target, HEADER + dump_yaml(data))
        summary.written.append(target)
    return summary
