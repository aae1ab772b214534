"""How long does the app take to rerun after a slider move on the default portfolio? Target: under 300 ms.

Drives the app's own code path, in the order app.py runs it on every rerun: the controls read back from the
picked scenario (`tco.presentation.whatif`), the slider's edit of the raw scenario (`tco.scenario.edit`, the
edit app.py makes for that slider), the what-if's view computed through the session's kept engine runs
(`pages.common.whatif_view`, exactly what app.py calls), then the page's formatting of the Plan view (plan
sentence, plan cards, each option's cards, the task cards and the per-task and plans tables, the download's
YAML). Streamlit's own drawing of the widgets is not included (see the AppTest line below the table).

Each slider moves through STEPS new values, one rerun each (a drag), after the page's first run on the
file's values: every step computes what its value changed, nothing is served from a run of the same value.
Printed per move: the median wall time and CPU time of a rerun and the engine runs it did; then the median of
the five slider moves of the table below and its ratio to 300 ms. Three moves that change every option's
inputs (the carbon price, the growth, the on-prem PUE) re-plan everything; they are printed beside, not in
the median; then the same five moves with every rerun computed afresh (no runs kept), for comparison. With
`--apptest`, four of the moves through streamlit's AppTest: the whole script with every
widget drawn, Streamlit's own work and AppTest's waiting for the script thread included.

Run: `python benchmarks/app_rerun.py [--steps N] [--apptest]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pages.common import whatif_view  # noqa: E402
from tco.analysis.runs import EngineRuns  # noqa: E402
from tco.api import LoadedScenario, View, load_scenario  # noqa: E402
from tco.presentation import plan as plan_view  # noqa: E402
from tco.presentation import whatif  # noqa: E402
from tco.presentation.answer import answer  # noqa: E402
from tco.scenario import edit  # noqa: E402

TARGET_MS = 300.0
Raw = dict[str, Any]
Move = Callable[[Raw, float], Raw]

# The five slider moves of the median: the portfolio's own what-ifs and two per-option controls, each with the
# values a drag passes through (app.py's edit for that control).
MOVES: dict[str, tuple[Move, list[float]]] = {
    "sentiment share (%)": (
        lambda raw, v: edit.set_task_shares(raw, {"sentiment": v, "summarisation": 30.0, "arithmetic": 12.0}),
        [48.0, 46.0, 44.0, 42.0, 40.0, 38.0],
    ),
    "summarisation share (%)": (
        lambda raw, v: edit.set_task_shares(raw, {"sentiment": 50.0, "summarisation": v, "arithmetic": 12.0}),
        [31.0, 32.0, 33.0, 34.0, 35.0, 36.0],
    ),
    "summarisation quality floor": (
        lambda raw, v: edit.set_task_quality_floor(raw, "summarisation", v),
        [0.16, 0.162, 0.166, 0.168, 0.17, 0.15],
    ),
    "queries per day": (
        lambda raw, v: edit.set_queries_per_day(raw, v),
        [2.1e6, 2.2e6, 2.3e6, 2.4e6, 2.5e6, 2.6e6],
    ),
    "utilisation of Llama 3.2 1B on L4 (%)": (
        lambda raw, v: edit.set_option_utilisation(raw, "slm-1b-l4", v),
        [62.0, 64.0, 66.0, 68.0, 70.0, 72.0],
    ),
}
# Moves that change every option's engine inputs: every run again (a full plan), shown beside the median.
EVERYTHING: dict[str, tuple[Move, list[float]]] = {
    "carbon price (USD/tCO2e)": (lambda raw, v: edit.set_carbon_price(raw, v), [10.0, 20.0, 30.0]),
    "annual growth (%)": (lambda raw, v: edit.set_annual_growth(raw, v), [22.0, 24.0, 26.0]),
    "PUE of the on-prem 70B": (lambda raw, v: edit.set_pue(raw, v), [1.35, 1.3, 1.25]),
}


def page(base: LoadedScenario, raw: Raw, runs: EngineRuns) -> View:
    """One rerun of app.py's What-if page on the portfolio, its computation and its formatting, in order."""
    c = whatif.scenario_controls(base)  # the sidebar's controls read back
    whatif.task_controls(base)
    for o in base.spec.options:
        whatif.option_controls(base, o.id)
    whatif.scenario_controls(base)  # the baseline control
    assert c.baseline
    view = whatif_view(raw, base, base.repo, runs)
    loaded, results, plans = view.loaded, view.results, view.plans
    assert loaded is not None and plans is not None
    whatif.workload_line(loaded)
    plan_view.plan_sentence(plans)
    plan_view.plan_headlines(plans)
    plan_view.single_option_scope(loaded)
    answer(results)
    for opt in results.summary["option"]:
        whatif.headlines(results, str(opt))
    chosen = plan_view.plan_named(plans, plans.optimised.name)
    plan_view.task_cards(plans, chosen)
    per_task = plan_view.display(plan_view.tasks_table(plans, (chosen,)).drop(columns="plan"), plans.currency)
    shown = per_task.set_index(per_task.columns[0]).T  # tasks as columns, as the page shows them
    assert len(shown.columns) == len(chosen.tasks)
    plan_view.display(plan_view.plans_table(plans), plans.currency)
    loaded.to_yaml()
    return view


def _time(
    move: Move, values: list[float], base: LoadedScenario, keep: bool = True
) -> tuple[list[float], list[float], list[int]]:
    """Wall ms, CPU ms and engine runs of one rerun per value, after the page's first run on the file
    (`keep`: the session's runs kept between reruns, as the app does; else each rerun starts afresh)."""
    runs = EngineRuns()
    page(base, base.raw, runs)  # the page as it opens
    walls, cpus, done = [], [], []
    for v in values:
        raw = move(base.raw, v)
        if not keep:
            runs = EngineRuns()
        before = runs.computed
        t, cpu = time.perf_counter(), time.process_time()
        page(base, raw, runs)
        walls.append((time.perf_counter() - t) * 1000.0)
        cpus.append((time.process_time() - cpu) * 1000.0)
        done.append(runs.computed - before)
    return walls, cpus, done


def _apptest(steps: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    keys = {
        "sentiment share (%)": "w:share:sentiment",
        "summarisation share (%)": "w:share:summarisation",
        "summarisation quality floor": "w:floor:summarisation",
        "queries per day": "w:qpd",
    }
    out = []
    for name, key in keys.items():
        for v in MOVES[name][1][:steps]:
            widget = (
                app.number_input(key=key)
                if key in ("w:floor:summarisation", "w:qpd")
                else app.slider(key=key)
            )
            t = time.perf_counter()
            widget.set_value(v).run()
            out.append((time.perf_counter() - t) * 1000.0)
            assert not app.exception, app.exception
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=6, help="values per slider (reruns each)")
    parser.add_argument(
        "--apptest", action="store_true", help="also time the moves through streamlit's AppTest"
    )
    args = parser.parse_args()
    base = load_scenario("portfolio")
    page(base, base.raw, EngineRuns())  # imports and first-use costs out of the way
    try:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "unknown"
    print(f"app rerun on the default portfolio ({base.name}); {os.cpu_count()} cores, load average {load}")
    print(f"{'slider move':42} {'median ms':>10} {'CPU ms':>8} {'engine runs':>12}")
    medians = []
    for label, table in (("", MOVES), (" (every option)", EVERYTHING)):
        for name, (move, values) in table.items():
            walls, cpus, done = _time(move, values[: args.steps], base)
            m = statistics.median(walls)
            if not label:
                medians.append(m)
            print(
                f"{name + label:42} {m:10.0f} {statistics.median(cpus):8.0f} {statistics.median(done):12.0f}"
            )
    median = statistics.median(medians)
    print(
        f"median rerun of the {len(medians)} slider moves: {median:.0f} ms, {median / TARGET_MS:.2f} x the 300 ms target"
    )
    afresh = []
    for move, values in MOVES.values():
        walls, cpus, _ = _time(move, values[: args.steps], base, keep=False)
        afresh.append((statistics.median(walls), statistics.median(cpus)))
    wall, cpu = statistics.median(w for w, _ in afresh), statistics.median(c for _, c in afresh)
    print(f"the same five moves, every rerun afresh (no runs kept): median {wall:.0f} ms, CPU {cpu:.0f} ms")
    if args.apptest:
        times = _apptest(min(args.steps, 3))
        m = statistics.median(times)
        print(
            f"through streamlit's AppTest (whole script, widgets drawn): median {m:.0f} ms, {m / TARGET_MS:.2f} x target"
        )


if __name__ == "__main__":
    main()
