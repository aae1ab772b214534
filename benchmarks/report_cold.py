"""How long does a cold `tco report` take (a new process, as a user starts it)? Prints seconds and the ratio
to target, with the cache of validated data (tco.scenario.cache) and without it.

Target: under 0.5 s on the default scenario on a quiet machine. Run: `python benchmarks/report_cold.py [N]`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.5
TCO = [sys.executable, "-m", "tco.cli", "report"]


def _runs(n: int, env: dict[str, str]) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(TCO, env=env, stdout=subprocess.DEVNULL, check=True)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    folder = Path(tempfile.mkdtemp(prefix="slm-tco-bench-"))
    try:
        cached = {**os.environ, "SLM_TCO_CACHE_DIR": str(folder / "cache")}
        uncached = {**os.environ, "SLM_TCO_NO_CACHE": "1"}
        _runs(1, cached)  # fills the cache (and the OS file cache, for both)
        rows = {"without cache": _runs(n, uncached), "with cache": _runs(n, cached)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"cold `tco report` on the default scenario, {n} runs each (a new Python process per run)")
    for name, t in rows.items():
        med, best = statistics.median(t), min(t)
        print(
            f"  {name:14s} median {med:.3f} s, best {best:.3f} s: {med / TARGET_S:.2f}x the {TARGET_S} s target"
        )
    ratio = statistics.median(rows["without cache"]) / statistics.median(rows["with cache"])
    print(f"  the cache makes it {ratio:.2f}x faster")


if __name__ == "__main__":
    main()
