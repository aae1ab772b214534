"""How fast is the xlsx export? Prints the time to write a 3-option, 36-month workbook and the shipped
`portfolio` scenario's (5 options, 36 months, every formula cell with its cached value), measured in one run.

Target: under 1 s (the app's download button builds it on demand). Run: `python benchmarks/xlsx_export.py`.
It uses the report tests' scenario (tests/presentation/conftest.py), so run it from the repository root.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tco.api import Results, evaluate, load_scenario, scenario_from_dict
from tco.presentation import reports
from tests.presentation.conftest import scenario_dict

TARGET_S = 1.0


def _measure(title: str, results: Results, analysis: dict[str, Any] | None) -> None:
    reports.render(results, "xlsx", analysis=analysis)  # warm-up
    wall, cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        data = reports.render(results, "xlsx", analysis=analysis)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    w, c_ = statistics.median(wall), statistics.median(cpu)
    print(f"xlsx, {title} ({len(data) / 1024:.0f} KiB): {w:.3f} s wall, {c_:.3f} s CPU")
    print(f"ratio to the {TARGET_S:g} s target: {w / TARGET_S:.2f} (wall), {c_ / TARGET_S:.2f} (CPU)")


def main() -> None:
    raw = scenario_dict(horizon="36 months")
    raw["options"] = raw["options"][:3]
    _measure("3 options x 36 months", evaluate(scenario_from_dict(raw)), None)
    _measure("shipped portfolio, no analysis tables", evaluate(load_scenario("portfolio")), {})


if __name__ == "__main__":
    main()
