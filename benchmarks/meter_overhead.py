"""Throughput of one CPU workload with and without each energy meter running, in one run.

    .venv/bin/python benchmarks/meter_overhead.py [--seconds 2] [--rounds 5]

Trials alternate (none, meter, none, meter, ...) so drift hits both alike; the overhead is
1 - the median over pairs of (throughput with meter / throughput without). Target: under 1% for the sampling meter at
its default 10 Hz. Where NVML is not available (no GPU), the sampled meter polls an in-process stub with the
same call shape, which measures the cost of the sampling thread itself (the real call adds ~10-50 µs a
sample, i.e. < 0.05% at 10 Hz).
"""

from __future__ import annotations

import argparse
import statistics
import time
import types
from collections.abc import Callable

import torch

from measure.meters.base import Meter, MeterError
from measure.meters.estimate import EstimateMeter
from measure.meters.factory import open_meter
from measure.meters.nvml_common import Gpu
from measure.meters.nvml_sampled import DEFAULT_INTERVAL_S, NvmlSampledMeter


def workload(seconds: float) -> float:
    """Matrix products for `seconds`; returns products per second."""
    a = torch.randn(256, 256)
    n = 0
    t0 = time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        for _ in range(20):
            a = torch.tanh(a @ a)
        n += 20
    return n / elapsed


def stub_sampled_meter() -> NvmlSampledMeter:
    stub = types.SimpleNamespace(nvmlDeviceGetPowerUsage=lambda handle: 75_000, nvmlShutdown=lambda: None)
    return NvmlSampledMeter(
        stub, [Gpu("gpu0", "stub", 0, False)], interval_s=DEFAULT_INTERVAL_S, instant=False
    )  # type: ignore[arg-type]


def meters() -> list[tuple[str, Callable[[], Meter]]]:
    out: list[tuple[str, Callable[[], Meter]]] = [("estimate", lambda: EstimateMeter(65.0))]
    for name in ("rapl", "nvml-counter", "nvml-sampled"):
        try:
            meter = open_meter(name, device="cuda" if name.startswith("nvml") else "cpu")
        except MeterError as e:
            print(f"{name:<22} unavailable here: {e}")
            if name == "nvml-sampled":
                out.append(("nvml-sampled (stub)", stub_sampled_meter))
            continue
        out.append((name, lambda m=meter: m))  # type: ignore[misc]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="length of one trial, s")
    ap.add_argument("--rounds", type=int, default=5, help="trials per configuration")
    args = ap.parse_args()
    torch.manual_seed(0)
    candidates = meters()
    workload(0.5)  # warm up
    print(
        f"workload: 256x256 matmul+tanh on CPU, torch threads {torch.get_num_threads()}, "
        f"{args.rounds} x {args.seconds:g} s trials per configuration"
    )
    print(f"{'meter':<22} {'base /s':>10} {'metered /s':>11} {'overhead':>9}")
    for name, make in candidates:
        meter = make()
        base, metered, ratios = [], [], []
        for i in range(args.rounds):
            pair: dict[str, float] = {}
            for which in ("base", "meter") if i % 2 == 0 else ("meter", "base"):  # ABBA against drift
                if which == "meter":
                    meter.start()
                pair[which] = workload(args.seconds)
                if which == "meter":
                    meter.stop()
            base.append(pair["base"])
            metered.append(pair["meter"])
            ratios.append(pair["meter"] / pair["base"])
        meter.close()
        b, m = statistics.median(base), statistics.median(metered)
        print(f"{name:<22} {b:>10.1f} {m:>11.1f} {100 * (1 - statistics.median(ratios)):>8.2f}%")


if __name__ == "__main__":
    main()
