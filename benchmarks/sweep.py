"""`tco sweep` scaling: a plan sweep of the shipped portfolio in this process, on 1 and 2 local worker
processes and on 1 and 2 Ray workers; points per second, scaling efficiency and the Ray backend's overhead.

Target (issue 25): a scaling efficiency of at least 0.8 at 2 workers on 2 cores. Run:

    .venv/bin/python benchmarks/sweep.py [--points 2000] [--ray local|ADDRESS] [--runs local1,local2,ray1,ray2,in-process]

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
import multiprocessing
import os
import resource
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


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and by its finished (joined) child processes."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _burn(n: int) -> float:
    t0 = time.perf_counter()
    s = 0
    for i in range(n):
        s += i * i % 7
    return time.perf_counter() - t0


def ceiling(n: int = 20_000_000) -> float:
    """The machine's own scaling right now: a pure-Python loop in 1, then in 2 spawned processes at once;
    efficiency = time(1) / time(2 at once). Below 1 when other users' work takes a share of the cores."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as p:
        one = p.apply(_burn, (n,))
    with ctx.Pool(2) as p:
        two = max(p.map(_burn, [n, n]))
    return one / two


def one_run(data: dict[str, Any], backend: Backend, out: Path) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process and its worker processes, the Parquet table)."""
    base = load_scenario("portfolio")
    sw = sweep_from_dict(data, file="benchmark-sweep")
    plan = prepare(sw, data, base)
    store = SweepStore(out, [(c.name, c.type) for c in plan.columns], {"digest": plan.job.key})
    store.start(resume=False, overwrite=True)
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    state = execute(plan, store, backend)
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds() - c0
    store.finish(sw.count)
    assert state.computed == sw.count
    return seconds, cpu, pq.read_table(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--ray", default="local", help="local (a private Ray instance) or a cluster's address")
    ap.add_argument("--runs", default="local1,local2,ray1,ray2,in-process")
    args = ap.parse_args()
    runs = args.runs.split(",")
    data = sweep_data(args.points)
    print(f"load average before: {load()} ({os.cpu_count()} cores)", flush=True)
    print(
        f"machine ceiling before (pure-Python loop, 2 processes vs 1): efficiency {ceiling():.2f}", flush=True
    )
    print(f"plan sweep of the shipped portfolio: {args.points:,} Latin-hypercube points", flush=True)
    seconds: dict[str, float] = {}
    cpus: dict[str, float] = {}
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
            before = load()
            s, cpu, table = one_run(data, backend, Path(tmp) / f"{name}.parquet")
            seconds[name], cpus[name], tables[name] = s, cpu, table
            # CPU seconds: of this process and its joined workers (local); Ray's workers are not counted
            cpu_text = f"{cpu:8.1f} CPU s" if not name.startswith("ray") else " " * 14
            print(
                f"{name:>11}: {s:8.1f} s  {args.points / s:7.2f} points/s  {cpu_text}  "
                f"load average {before} -> {load()}",
                flush=True,
            )
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
    if "local1" in cpus and "local2" in cpus:
        # the work itself: CPU seconds of 2 workers against 1 (1.00 = no extra work per point with 2), and the
        # share of 2 cores the 2 workers got (below 1 when other users' processes ran on the cores)
        print(
            f"local 2 workers: CPU seconds / 1 worker's {cpus['local2'] / cpus['local1']:.2f}, "
            f"share of 2 cores they got {cpus['local2'] / (2 * seconds['local2']):.2f}"
        )
    if "in-process" in seconds:
        for kind in ("local1", "ray1"):
            if kind in seconds:
                per = (seconds[kind] - seconds["in-process"]) / args.points * 1000
                print(
                    f"{kind} overhead against in-process: {per:+.1f} ms per point, "
                    f"time ratio {seconds[kind] / seconds['in-process']:.3f}"
                )
    print(f"machine ceiling after: efficiency {ceiling():.2f}")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
