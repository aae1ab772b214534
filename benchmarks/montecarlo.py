"""Monte Carlo throughput: samples per second for the default scenario, and the issues' target case.

Target (issues 5 and 9): 10,000 samples x 5 options x 60 months x 24 hours of the load model in under 1 s on
2 cores. An evenly spread or reserved fleet with one daily shape sums its 24 hours exactly without an hour
axis; the last case samples the peak-to-average ratio too, so each sample has its own day and the hour
axis is built (10,000 x 60 x 24 per option), to show that cost. Run:

    .venv/bin/python benchmarks/montecarlo.py [--samples 10000] [--repeat 3]

Prints the best of `repeat` runs (after one warm-up) as seconds and samples per second, and the ratio of
the target case's time to the 1 s target (below 1.0 meets it).
"""

from __future__ import annotations

import argparse
import copy
import os
import time
from typing import Any

from tco.analysis.tables import uncertainty_result
from tco.api import LoadedScenario, load_scenario
from tco.scenario.grids import expand_grids

DISTRIBUTIONS: dict[str, Any] = {
    "energy_per_query": {"dist": "triangular", "low": 0.8, "mode": 1.0, "high": 1.3},
    "electricity_price": {"dist": "range", "low": 0.7, "high": 1.3},
    "grid_intensity": {"dist": "normal", "mean": 1.0, "sd": 0.15, "kind": "factor"},
    "pue": {"dist": "range", "low": 1.1, "high": 1.6},
    "utilisation": {"dist": "range", "low": "40 %", "high": "80 %"},
    "unit_price": {"dist": "triangular", "low": 0.85, "mode": 1.0, "high": 1.25},
    "lifetime": {"dist": "range", "low": "3 years", "high": "6 years"},
    "cloud_price": {"dist": "range", "low": 0.75, "high": 1.1},
    "queries_per_day": {"dist": "lognormal", "median": 1.0, "sigma": 0.35},
    "annual_growth": {"dist": "triangular", "low": "0 %", "mode": "20 %", "high": "40 %"},
    "discount_rate": {"dist": "range", "low": "4 %", "high": "12 %"},
}


def _with_uncertainty(
    loaded: LoadedScenario, *, options: int | None = None, months: int | None = None, peak: bool = False
) -> LoadedScenario:
    raw = copy.deepcopy(loaded.raw)
    if loaded.spec.uncertainty is None:
        raw["uncertainty"] = {"inputs": dict(DISTRIBUTIONS)}
        if peak:
            raw["uncertainty"]["inputs"]["peak_to_average"] = {"dist": "range", "low": 1.5, "high": 3.0}
    if months is not None:
        raw["horizon"] = f"{months} months"
    if options is not None:  # repeat the scenario's options (expanded) until there are `options` of them
        opts = expand_grids(loaded.raw)["options"]
        raw.pop("option_grids", None)
        raw["options"] = [
            {**opts[i % len(opts)], "id": f"o{i}", "name": f"option {i}"} for i in range(options)
        ]
        raw.pop("baseline", None)
        raw.pop("plan", None)  # a portfolio's plan names the options replaced here
        raw.get("uncertainty", {}).pop("options", None)
    return loaded.with_changes(raw)


def _time(loaded: LoadedScenario, samples: int, repeat: int) -> float:
    uncertainty_result(loaded, samples=samples, seed=0)  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        uncertainty_result(loaded, samples=samples, seed=0)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    print(
        f"cpus available: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}"
    )
    default = load_scenario()
    cases = [
        (
            f"default scenario ({default.name}): {len(default.spec.options)} options, "
            f"{int(default.spec.horizon)} months",
            _with_uncertainty(default),
        ),
        ("target: 5 options, 60 months, 24 hours", _with_uncertainty(default, options=5, months=60)),
        (
            "5 options, 60 months, 24 hours, peak-to-average sampled (hour axis built)",
            _with_uncertainty(default, options=5, months=60, peak=True),
        ),
    ]
    for label, loaded in cases:
        s = _time(loaded, a.samples, a.repeat)
        n_opt = len(loaded.spec.options)
        print(
            f"{label}: {a.samples} samples in {s:.3f} s = {a.samples / s:,.0f} samples/s "
            f"({a.samples * n_opt / s:,.0f} option-samples/s)"
        )
        if label.startswith("target"):
            print(f"target case time / 1 s target = {s:.2f} ({'meets' if s < 1.0 else 'misses'} the target)")
        elif "hour axis built" in label:
            print(f"  its time / 1 s target = {s:.2f}")


if __name__ == "__main__":
    main()
