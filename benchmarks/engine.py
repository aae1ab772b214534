"""How fast is one scenario evaluation? Prints evaluations per second, measured in one run.

Target: a full scenario (resolution + engine + frames, 24 hours a month in the load model) in under 10 ms,
so the app can recompute on every slider move. Run: `python benchmarks/engine.py`.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable

from tco.api import DEFAULT_SCENARIO, evaluate, evaluate_resolved, load_scenario, scenario_from_dict
from tco.scenario.repository import load_repository


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds per call over `repeat` calls (after one warm-up). CPU time is what
    the process itself used: on a machine shared with other work, wall-clock time includes waiting."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def big_scenario_raw(repo_scenario: dict) -> dict:  # type: ignore[type-arg]
    """10 options over 10 years, built from the hosted options of the default scenario (the portfolio)."""
    raw = copy.deepcopy(repo_scenario)
    raw["horizon"] = "10 years"
    regions = ["us-va", "fr", "de", "se", "pl"]
    base = [o for o in raw["options"] if o["deployment"] != "api"]
    options = []
    for i in range(10):
        o = copy.deepcopy(base[i % len(base)])
        o["id"] = f"opt-{i}"
        o["region"] = regions[i % len(regions)]
        options.append(o)
    raw["options"] = options
    raw["baseline"] = "opt-0"
    raw.pop("plan", None)  # a portfolio's plan names the options replaced here
    return raw


def main() -> None:
    repo = load_repository()
    default = load_scenario(repo=repo)
    big = scenario_from_dict(big_scenario_raw(default.raw), repo=repo)
    rows = [
        (
            f"default {DEFAULT_SCENARIO} ({len(default.spec.options)} options, "
            f"{int(default.spec.horizon)} months): validate + resolve + engine + frames",
            lambda: evaluate(scenario_from_dict(default.raw, repo=repo)),
            50,
        ),
        (
            f"default {DEFAULT_SCENARIO}: engine + frames (resolved once)",
            lambda: evaluate_resolved(default.resolved),
            200,
        ),
        (
            "10 options x 120 months: validate + resolve + engine + frames",
            lambda: evaluate(scenario_from_dict(big.raw, repo=repo)),
            20,
        ),
        ("10 options x 120 months: engine + frames", lambda: evaluate_resolved(big.resolved), 50),
    ]
    print(f"{'case':78s} {'ms/eval':>9s} {'cpu ms':>8s} {'evals/s':>9s}  time / 10 ms target (wall, cpu)")
    for name, fn, n in rows:
        s, c = _time(fn, n)
        print(
            f"{name:78s} {s * 1e3:9.2f} {c * 1e3:8.2f} {1 / s:9.0f}  {s / 0.010:.2f}, {c / 0.010:.2f} "
            f"({'ok' if s < 0.010 else 'over'})"
        )


if __name__ == "__main__":
    main()
