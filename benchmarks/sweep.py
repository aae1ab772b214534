"""`tco sweep` scaling: a plan sweep of the shipped portfolio in this process, on 1 and 2 local worker
processes and on 1 and 2 Ray workers; points per second, scaling efficiency and the Ray backend's overhead.

Target (issue 25): a scaling efficiency of at least 0.8 at 2 workers on 2 cores. Run:

    .venv/bin/python benchmarks/sweep.py [--points 2000] [--ray local|ADDRESS] [--runs in-process,local1,local2,ray1,ray2]

The sweep is `--points` Latin-hypercube samples (seed 1) of the portfolio's demand (1 to 4 million queries a
day), growth (0 to 40 % a year), discount rate (4 to 12 %) and region (Virginia, France, Germany, Poland,
Sweden), each point planned by `plan_portfolio` (run kind `plan`), in blocks of the sweep's default size.
Every run writes its Parquet table through the same store as `tco sweep`; the rows of every run are checked
to be identical to the in-process run's (bit for bit). Times are wall clock from the first block sent to the
last written, worker start-up included (a fresh process imports slm-tco and loads the data once).

Printed: points per second of each run; efficiency = rate(2 workers) / (2 x rate(1 worker)), for local
processes and for Ray; Ray's overhead per point against in-process = (time(ray, 1 worker) - time(in-process)) /
points, in ms, and the ratio time(ray, 1) / time(in-process). `--ray local` (the default) starts a private
Ray instance with as many CPUs as workers for each Ray run (its start-up is not timed); give an address to use a running cluster.
The machine's load average is printed before and after: on a shared machine the numbers move with it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tco.analysis.sweep import prepare
from tco.analysis.sweep_backends import Backend, InProcess, LocalProcesses, execute
from tco.scenario.load import load_scenario
from tco.scenario.sweep import sweep_from_dict
from tco.scenario.sweep_store import SweepStore

TARGET_EFFICIENCY = 0.8


def sweep_data(points: int) -> dict[str, Any]:
    return {
        "run": "plan",
        "inputs": [
            {"path": "workload.queries_per_day", "dist": {"dist": "range", "low": "1000000 query/day", "high": "4000000 query/day"}},
            {"path": "workload.annual_growth", "dist": {"dist": "range", "low": "0 %", "high": "40 %"}},
            {"path": "discount_rate", "dist": {"dist": "range", "low": "4 %", "high": "12 %"}},
            {"path": "defaults.region", "values": ["us-va", "fr", "de", "pl", "se"]},
        ],
        "combine": {"method": "latin-hypercube", "samples": points, "seed": 1},
    }  # fmt: skip


def one_run(data: dict[str, Any], backend: Backend, out: Path) -> tuple[float, Any]:
    base = load_scenario("portfolio")
    sw = sweep_from_dict(data, file="benchmark-sweep")
    plan = prepare(sw, data, base)
    store = SweepStore(out, [(c.name, c.type) for c in plan.columns], {"digest": plan.job.key})
    store.start(resume=False, overwrite=True)
    t0 = time.perf_counter()
    state = execute(plan, store, backend)
    seconds = time.perf_counter() - t0
    store.finish(sw.count)
    assert state.computed == sw.count
    return seconds, pq.read_table(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--ray", default="local", help="local (a private Ray instance) or a cluster's address")
    ap.add_argument("--runs", default="in-process,local1,local2,ray1,ray2")
    args = ap.parse_args()
    runs = args.runs.split(",")
    data = sweep_data(args.points)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    print(f"plan sweep of the shipped portfolio: {args.points:,} Latin-hypercube points")
    seconds: dict[str, float] = {}
    tables: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in runs:
            if name == "in-process":
                backend: Backend = InProcess()
            elif name.startswith("local"):
                backend = LocalProcesses(int(name[5:]))
            elif name.startswith("ray"):
                from tco.analysis.sweep_ray import RayBackend

                backend = RayBackend(args.ray, int(name[3:]))  # `local`: a private instance per run
            else:
                raise SystemExit(f"unknown run {name!r}")
            s, table = one_run(data, backend, Path(tmp) / f"{name}.parquet")
            seconds[name], tables[name] = s, table
            print(f"{name:>11}: {s:8.1f} s  {args.points / s:7.2f} points/s", flush=True)
    ref = tables.get("in-process")
    if ref is not None:
        same = all(t.equals(ref) for t in tables.values())
        print(f"rows identical to in-process in every run: {'yes' if same else 'NO'}")
    for kind in ("local", "ray"):
        if f"{kind}1" in seconds and f"{kind}2" in seconds:
            eff = seconds[f"{kind}1"] / (2 * seconds[f"{kind}2"])
            print(
                f"scaling efficiency, {kind} 2 workers: {eff:.2f} (target >= {TARGET_EFFICIENCY}: ratio {eff / TARGET_EFFICIENCY:.2f})"
            )
    if "in-process" in seconds:
        for kind in ("local1", "ray1"):
            if kind in seconds:
                per = (seconds[kind] - seconds["in-process"]) / args.points * 1000
                print(
                    f"{kind} overhead against in-process: {per:+.1f} ms per point, "
                    f"time ratio {seconds[kind] / seconds['in-process']:.3f}"
                )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
