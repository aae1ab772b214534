"""`tco plan` at scale: 10, 50 and 500 options (options' maximum), each with as many tasks as the planner's
work limit allows (at most 50, workload.tasks' maximum), end to end (validation, resolution, the search, the
engine's re-pricing and the polishing moves); and the schema's maxima, 50 tasks x 500 options, which the
scenario check refuses in one line.

Target (issue 24): a plan at the schema's limits within 20 s and 4 GB on 2 cores. 50 tasks x 500 options
did not fit (about 0.8 s per option for 50 tasks, measured before the limit), so a task portfolio may ask
at most MAX_PLAN_WORK of the planner (tco/scenario/portfolio.py: tasks x options + cascades + on-prem options
x horizon months); this prints the time of the largest plans that limit allows. Run:

    .venv/bin/python benchmarks/plan_scale.py [--options 10 50 500] [--tasks N] [--months 36] [--repeat 1]

Builds a scenario from the shipped `portfolio`: its options copied (new ids) until there are as many as
asked, in its mix (three cloud, one on-prem, one API in five; fewer hosted ones where that alone would pass
the limit: their fleets are sized month by month), and the tasks sharing the demand equally (no quality floor, every option a candidate for every
task). Each size runs in a fresh process (so peak memory is that size's alone) and prints its seconds, its
peak resident memory and the ratios to the 20 s and 4 GB targets (below 1.0 meets them).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

TARGET_S = 20.0
TARGET_BYTES = 4 * 1024**3


def kinds(options: int, months: int) -> tuple[int, int]:
    """(cloud, on-prem) options among `options`: the portfolio's mix (one on-prem, three cloud, one API in
    five), with fewer hosted ones where that alone would pass the work limit with one task."""
    from tco.scenario.portfolio import MAX_PLAN_WORK, plan_work

    on_prem = (options + 4) // 5
    cloud = min(options - on_prem, round(options * 3 / 5))
    while on_prem + cloud > 0 and plan_work(1, options, 0, cloud, on_prem, months) > MAX_PLAN_WORK:
        if on_prem > 0:
            on_prem -= 1
        else:
            cloud -= 1
    return cloud, on_prem


def largest_tasks(options: int, months: int) -> int:
    """The most tasks (at most 50) the work limit allows on `options` options over `months`."""
    from tco.scenario.portfolio import MAX_PLAN_WORK, plan_work

    cloud, on_prem = kinds(options, months)
    fits = [t for t in range(1, 51) if plan_work(t, options, 0, cloud, on_prem, months) <= MAX_PLAN_WORK]
    return max(fits, default=1)


def scenario_at_size(
    tasks: int, options: int, months: int = 36, mix: tuple[int, int] | None = None
) -> dict[str, Any]:
    """The shipped portfolio with `options` options (`mix`: how many of them cloud and on-prem, the rest
    APIs; default the portfolio's mix), `tasks` tasks of equal share and a horizon of `months`."""
    from tco.api import load_scenario

    raw = copy.deepcopy(load_scenario("portfolio").raw)
    by_kind = {k: [o for o in raw["options"] if o["deployment"] == k] for k in ("cloud", "on-prem", "api")}
    cloud, on_prem = mix if mix is not None else ((options * 3) // 5, (options + 4) // 5)
    counts = {"cloud": cloud, "on-prem": on_prem, "api": options - cloud - on_prem}
    chosen = [by_kind[k][i % len(by_kind[k])] for k, n in counts.items() for i in range(n)]
    raw["options"] = [{**o, "id": f"{o['id']}-{k}", "name": f"option {k}"} for k, o in enumerate(chosen)]
    raw["baseline"] = raw["options"][0]["id"]
    raw["workload"]["tasks"] = [
        {"task": f"task-{i:02d}", "share": 1.0 / tasks, "tokens_in": 200 + 10 * i, "tokens_out": 50 + 5 * i}
        for i in range(tasks)
    ]
    raw["plan"] = {"objective": "cost"}
    raw["horizon"] = f"{months} months"
    return raw


def one_size(tasks: int, options: int, months: int, mix: tuple[int, int]) -> dict[str, float]:
    """Time `plan_portfolio` on a scenario of this size, in this process (load included)."""
    from tco.analysis.portfolio import plan_portfolio
    from tco.scenario.load import scenario_from_dict

    raw = scenario_at_size(tasks, options, months, mix)
    t0 = time.perf_counter()
    loaded = scenario_from_dict(raw, file="plan-scale.yaml")
    res = plan_portfolio(loaded)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {"seconds": seconds, "peak_bytes": float(peak), "routes": float(len(res.problem.routes))}


def refusal(tasks: int, options: int, months: int) -> tuple[float, str]:
    """Seconds to refuse a scenario of this size, and the line it is refused with."""
    from tco.errors import InputError
    from tco.scenario.load import scenario_from_dict

    raw = scenario_at_size(tasks, options, months)
    t0 = time.perf_counter()
    try:
        scenario_from_dict(raw, file="plan-scale.yaml")
    except InputError as e:
        return time.perf_counter() - t0, str(e)
    return time.perf_counter() - t0, "accepted"


def main() -> None:
    from tco.scenario.portfolio import MAX_PLAN_WORK, plan_work

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, help="tasks (default: as many as the work limit allows, <= 50)")
    ap.add_argument("--options", type=int, nargs="+", default=[10, 50, 500])
    ap.add_argument("--months", type=int, default=36, help="horizon (the shipped portfolio's: 36)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", type=int, nargs=3, help=argparse.SUPPRESS)  # options, cloud, on-prem: one size
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(one_size(args.tasks, args.child[0], args.months, (args.child[1], args.child[2]))))
        return
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"tco plan end to end, {args.months} months, work limit {MAX_PLAN_WORK:,}, cpus available: {cpus}")
    for n in args.options:
        tasks = args.tasks or largest_tasks(n, args.months)
        cloud, local = kinds(n, args.months)
        runs = []
        for _ in range(args.repeat):
            cmd = [sys.executable, __file__, "--tasks", str(tasks), "--months", str(args.months)]
            cmd += ["--child", str(n), str(cloud), str(local)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(
                    f"  {tasks:>2} tasks x {n:>4} options: failed ({proc.stderr.strip().splitlines()[-1:]})"
                )
                break
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        if not runs:
            continue
        best = min(runs, key=lambda r: r["seconds"])
        work = plan_work(tasks, n, 0, cloud, local, args.months)
        print(
            f"  {tasks:>2} tasks x {n:>4} options ({cloud} cloud, {local} on-prem; work {work:,}): "
            f"{best['seconds']:.2f} s, "
            f"peak memory {best['peak_bytes'] / 1024**3:.2f} GiB; ratio to {TARGET_S:g} s: "
            f"{best['seconds'] / TARGET_S:.3f}, to 4 GiB: {best['peak_bytes'] / TARGET_BYTES:.3f} (below 1.0 "
            "meets them)"
        )
    seconds, line = refusal(50, 500, args.months)
    print(f"  50 tasks x  500 options (the schema's maxima): refused in {seconds:.2f} s: {line}")


if __name__ == "__main__":
    main()
