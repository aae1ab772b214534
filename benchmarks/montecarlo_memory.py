"""Peak memory of a Monte Carlo run, as float64 (samples, months) arrays per option: the figure behind
`tco.scenario.analysis_checks.ARRAYS_PER_OPTION`, which refuses oversize runs before they allocate.

    .venv/bin/python benchmarks/montecarlo_memory.py [--samples 5000]

Prints, per shipped scenario, the peak traced memory and the arrays per option it amounts to, and the ratio
of the largest to ARRAYS_PER_OPTION (below 1.0: the check's estimate covers the engine's real peak).
"""

from __future__ import annotations

import argparse
import tracemalloc

from tco.analysis.tables import uncertainty_result
from tco.api import load_scenario
from tco.scenario.analysis_checks import ARRAYS_PER_OPTION


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=5000)
    args = parser.parse_args()
    worst = 0.0
    for name in ("slm-vs-llm", "procurement", "regions"):
        loaded = load_scenario(name)
        months = loaded.resolved.finance.months
        tracemalloc.start()
        uncertainty_result(loaded, args.samples, 0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        arrays = peak / (args.samples * len(loaded.spec.options) * months * 8)
        worst = max(worst, arrays)
        print(f"{name}: peak {peak / 2**20:.0f} MiB = {arrays:.1f} arrays per option")
    print(f"largest / ARRAYS_PER_OPTION ({ARRAYS_PER_OPTION}): {worst / ARRAYS_PER_OPTION:.2f}")


if __name__ == "__main__":
    main()
