"""How far the planner's fallback (the search's plan polished by one- and two-task moves priced by the engine)
lands from the exhaustive optimum, on the brute-force test's generated portfolios. Run:

    .venv/bin/python benchmarks/plan_exact.py [--seeds 60]

`tco plan` proves its plan optimal by pricing every routing with the engine when there are at most
`ENUMERATE_LIMIT` of them; above that it uses the fallback and says so. This prints, for the fallback forced on
every generated portfolio: how many reach the optimum, the largest and mean gap above it, and the time the
exhaustive and the fallback paths take (seconds, this machine, one run each).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tco.analysis import portfolio as planner
from tco.analysis.plan import PlanInfeasibleError
from tco.api import load_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test's generator and brute force
from tests.analysis.test_plan_bruteforce import brute_force, generated


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60)
    args = ap.parse_args()
    shipped = load_scenario("portfolio")
    gaps: list[float] = []
    t_exact = t_fallback = 0.0
    limit = planner.ENUMERATE_LIMIT
    for seed in range(args.seeds):
        loaded, objective = generated(shipped, seed)
        try:
            t = time.perf_counter()
            exact = planner.plan_portfolio(loaded).optimised
            t_exact += time.perf_counter() - t
            planner.ENUMERATE_LIMIT = 0
            t = time.perf_counter()
            fallback = planner.plan_portfolio(loaded).optimised
            t_fallback += time.perf_counter() - t
        except PlanInfeasibleError:  # a portfolio no routing serves: skipped, counted below
            continue
        finally:
            planner.ENUMERATE_LIMIT = limit
        best, _ = brute_force(loaded, objective)
        assert exact.objective_value <= best.objective_value * (1 + 1e-9)
        gaps.append(fallback.objective_value / best.objective_value - 1.0)
    hit = sum(g <= 1e-9 for g in gaps)
    print(f"portfolios planned: {len(gaps)} of {args.seeds} seeds (the rest have no feasible routing)")
    print(f"exhaustive: optimum reached in {len(gaps)} of {len(gaps)}; {t_exact:.1f} s in all")
    print(
        f"fallback (search + one- and two-task moves): optimum reached in {hit} of {len(gaps)}; "
        f"largest gap {max(gaps, default=0):.3%}, mean {sum(gaps) / max(len(gaps), 1):.4%}; {t_fallback:.1f} s"
    )


if __name__ == "__main__":
    main()
