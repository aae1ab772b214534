"""Calibration and validation of the prefill model (README, "How the numbers are computed": the operating
point). Prints the fit, every case with its error, and the held-out check, with their sources.

An input token costs a replica tau(O) = t x (1 / prefill_fraction + context_cost x O), with
t = 2 x active parameters / (peak dense FLOP/s x accelerators) (tco.engine.serving). Two max-throughput runs
of one model that differ only in input length, I_1 < I_2 at output length O, give T_k = O / X_k seconds per
query (X_k: output tokens per second of the replica), and the model predicts T_2 = T_1 + (I_2 - I_1) tau(O).
The two constants are fitted by least squares on log(predicted X_2 / published X_2) over every pair of runs
at the same output length in profiles/sources/prefill-calibration/trtllm-perf-overview.yaml (the smallest
input against each longer one), peak FLOP/s from the `compute` blocks of profiles/hardware.yaml.

Held out: InferenceMAX's H100 gpt-oss-120b rows (1k/1k and 8k/1k, vLLM): the predicted ratio of output
throughput, 8k-in over 1k-in, must be within 15 % of the published one.

Run: `python benchmarks/prefill_calibration.py` (a few seconds; no GPU).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from tco.engine.serving import token_seconds_at_peak
from tco.scenario.repository import load_repository
from tco.scenario.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "profiles" / "sources" / "prefill-calibration" / "trtllm-perf-overview.yaml"
TOLERANCE = 0.15  # the held-out ratio must be within 15 % of the published one


@dataclass(frozen=True)
class Case:
    """A pair of runs of one model on one replica at one output length: (I_1, X_1) and (I_2, X_2)."""

    label: str
    seconds_at_peak: float  # t: one token's forward pass at the replica's peak
    output_tokens: float
    input_short: float
    throughput_short: float  # output tokens/s
    input_long: float
    throughput_long: float

    def predicted(self, prefill_fraction: float, context_cost: float) -> float:
        """Output tokens/s at the longer input, from the shorter run and the model."""
        tau = self.seconds_at_peak * (1.0 / prefill_fraction + context_cost * self.output_tokens)
        t_short = self.output_tokens / self.throughput_short
        return self.output_tokens / (t_short + (self.input_long - self.input_short) * tau)


def _peak(repo_hardware: dict, hw: str, precision: str) -> float:  # type: ignore[type-arg]
    compute = repo_hardware[hw].compute
    value = compute.peak(precision) if compute is not None else None
    if not value:
        raise SystemExit(f"hardware {hw} has no {precision} peak in profiles/hardware.yaml")
    return float(value) * 1e12


def cases(data: dict, hardware: dict) -> list[Case]:  # type: ignore[type-arg]
    """Every (shortest input, longer input) pair at one output length of every series."""
    out: list[Case] = []
    for s in data["series"]:
        t = token_seconds_at_peak(
            _peak(hardware, s["hardware"], s["precision"]),
            float(s["active_parameters"]),
            int(s["accelerators"]),
        )
        runs: dict[float, list[tuple[float, float]]] = {}
        for key, x in s["output_tokens_per_s"].items():
            i, o = (float(v) for v in str(key).split("/"))
            runs.setdefault(o, []).append((i, float(x)))
        for o, pts in sorted(runs.items()):
            pts.sort()
            for i2, x2 in pts[1:]:
                label = f"{s['model']} {s['hardware']} x{s['accelerators']} {s['precision']}: {pts[0][0]:g}->{i2:g} in, {o:g} out"
                out.append(Case(label, t, o, pts[0][0], pts[0][1], i2, x2))
    return out


def fit(found: list[Case]) -> tuple[float, float]:
    """(prefill_fraction, context_cost) minimising the squared log error of the predicted throughput."""

    def residuals(x: np.ndarray) -> np.ndarray:
        a, b = x  # a = 1 / prefill_fraction
        return np.array([math.log(c.predicted(1.0 / a, b) / c.throughput_long) for c in found])

    r = least_squares(residuals, x0=np.array([2.0, 0.002]), bounds=([1.0, 0.0], [1000.0, 1.0]))
    return 1.0 / float(r.x[0]), float(r.x[1])


def errors(found: list[Case], prefill_fraction: float, context_cost: float) -> list[float]:
    """Relative error of the predicted throughput at the longer input, per case."""
    return [c.predicted(prefill_fraction, context_cost) / c.throughput_long - 1.0 for c in found]


def validation(
    data: dict, hardware: dict, prefill_fraction: float, context_cost: float
) -> list[tuple[str, float, float]]:  # type: ignore[type-arg]
    """(label, predicted ratio, published ratio) of each held-out case: throughput at the longer input
    over the shorter one, mean lengths = length_factor x nominal."""
    out = []
    for v in data["validation"]:
        t = token_seconds_at_peak(
            _peak(hardware, v["hardware"], v["precision"]),
            float(v["active_parameters"]),
            int(v["accelerators"]),
        )
        (k1, x1), (k2, x2) = sorted(
            (
                (tuple(float(n) for n in str(k).split("/")), float(x))
                for k, x in v["output_tokens_per_s_per_gpu"].items()
            )
        )
        f = float(v["length_factor"])
        o = f * k1[1]
        c = Case(v["model"], t, o, f * k1[0], x1, f * k2[0], x2)
        label = f"{v['model']} {v['hardware']} {v['precision']} ({v['engine']}): {k2[0]:g}/{k2[1]:g} vs {k1[0]:g}/{k1[1]:g}"
        out.append((label, c.predicted(prefill_fraction, context_cost) / x1, x2 / x1))
    return out


def main() -> int:
    data = read_yaml(DATA)
    repo = load_repository(ROOT / "profiles")
    hardware = repo.hardware
    found = cases(data, hardware)
    f_p, c_ctx = fit(found)
    errs = errors(found, f_p, c_ctx)
    print(f"calibration data: {data['source']}\n  {data['url']}")
    print(f"{len(found)} cases (pairs of runs at one output length)")
    for c, e in zip(found, errs, strict=True):
        print(
            f"  {c.label:62s} published {c.throughput_long:8,.0f}  predicted {c.predicted(f_p, c_ctx):8,.0f}  {e:+6.1%}"
        )
    rms = math.sqrt(sum(e * e for e in errs) / len(errs))
    print(f"fit: prefill_fraction {f_p:.3g}, context_cost {c_ctx:.3g} per output token")
    print(f"     rms error {rms:.1%}, max {max(abs(e) for e in errs):.1%} (of the predicted throughput)")
    assert repo.serving is not None
    shipped = repo.serving.prefill
    print(
        f"shipped (profiles/methods/serving.yaml): prefill_fraction {shipped.prefill_fraction:g}, "
        f"context_cost {shipped.context_cost:g}, {shipped.cases} cases, rms {shipped.rms_error:.1%}, "
        f"max {shipped.max_error:.1%}"
    )
    ok = True
    for v, (label, predicted, published) in zip(
        data["validation"],
        validation(data, hardware, shipped.prefill_fraction, shipped.context_cost),
        strict=True,
    ):
        err = predicted / published - 1.0
        ok = ok and abs(err) <= TOLERANCE
        print(f"held out: {label}\n  source: {v['source']}")
        print(
            f"  throughput ratio predicted {predicted:.3f}, published {published:.3f}: {err:+.1%} "
            f"({'within' if abs(err) <= TOLERANCE else 'OUTSIDE'} {TOLERANCE:.0%})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
