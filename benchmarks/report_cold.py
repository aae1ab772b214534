"""How long does a cold `tco report` take (a new process, as a user starts it)? Prints seconds and the ratio
to the target for the default scenario (`tco report`, no argument), `slm-vs-llm` and `portfolio`, in four
states of the cache (tco.scenario.cache, tco.cli.report_cache):

- no cache: `SLM_TCO_NO_CACHE=1`, everything validated and computed;
- first run: an empty cache folder each run (validates, computes and fills the cache);
- data cached: reference data and scenario cached, the terminal view computed (its cache entries removed
  before each run: the first report after a change of code or scenario, say);
- view cached: the terminal view itself from the cache (any later report of unchanged inputs).

Target: under 0.5 s on a quiet machine. Run: `python benchmarks/report_cold.py [N]` (N runs of each, median).
Each line also gives the median CPU time of the process (user + system), which a busy machine changes less.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TARGET_S = 0.5
TCO = [sys.executable, "-m", "tco.cli", "report"]
SCENARIOS: dict[str, list[str]] = {
    "default (`tco report`)": [],
    "slm-vs-llm": ["slm-vs-llm"],
    "portfolio": ["portfolio"],
}


def _children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far (nan where unknown)."""
    try:
        import resource
    except ImportError:  # not POSIX
        return math.nan
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _runs(
    n: int, args: list[str], env: dict[str, str], before: Callable[[], None] = lambda: None
) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds) of `n` runs; the CPU time barely moves with the machine's load."""
    out = []
    for _ in range(n):
        before()
        cpu = _children_cpu()
        t = time.perf_counter()
        subprocess.run([*TCO, *args], env=env, stdout=subprocess.DEVNULL, check=True)
        out.append((time.perf_counter() - t, _children_cpu() - cpu))
    return out


def _forget_views(cache: Path) -> None:
    """Remove the cached terminal views, keeping the validated reference data and scenarios."""
    for p in cache.glob("report-*.pickle"):
        p.unlink()


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    folder = Path(tempfile.mkdtemp(prefix="slm-tco-bench-"))
    cache = folder / "cache"
    first = folder / "first"
    env = {k: v for k, v in os.environ.items() if k != "SLM_TCO_NO_CACHE"}
    cached = {**env, "SLM_TCO_CACHE_DIR": str(cache)}
    states: dict[str, tuple[dict[str, str], Callable[[], None]]] = {
        "no cache": ({**env, "SLM_TCO_NO_CACHE": "1"}, lambda: None),
        "first run": (
            {**env, "SLM_TCO_CACHE_DIR": str(first)},
            lambda: shutil.rmtree(first, ignore_errors=True),
        ),
        "data cached": (cached, lambda: _forget_views(cache)),
        "view cached": (cached, lambda: None),
    }
    load_before = _load()
    rows: dict[str, dict[str, list[tuple[float, float]]]] = {}
    try:
        for name, args in SCENARIOS.items():
            _runs(1, args, cached)  # fills the cache (and the OS file cache, for every state)
            rows[name] = {state: _runs(n, args, e, before) for state, (e, before) in states.items()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"cold `tco report` (terminal view), {n} runs each, a new Python process per run")
    print(f"load average (1, 5, 15 min): {load_before} before, {_load()} after; {os.cpu_count()} CPUs")
    for name, by_state in rows.items():
        print(f"{name}:")
        for state, runs in by_state.items():
            wall = [w for w, _ in runs]
            med, best = statistics.median(wall), min(wall)
            cpu = statistics.median(c for _, c in runs)
            print(
                f"  {state:12s} median {med:.3f} s, best {best:.3f} s: "
                f"{med / TARGET_S:.2f}x the {TARGET_S} s target (CPU {cpu:.3f} s)"
            )


if __name__ == "__main__":
    main()
