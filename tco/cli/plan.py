"""`tco plan SCENARIO`: route each task to the deployment that is good enough and cheapest, and compare plans.

A plain function with typer-annotated parameters, registered by tco/cli/main.py (`app.command("plan")`).
The plan is computed once (`tco.analysis.view.compute_view(..., plan=True)`) and shown with the same tables
as `tco report` and the app (`tco.presentation.reports.terminal.plan_view`), or as JSON with `--format
json`; bad input gives one line on stderr and exit code 2 (`tco.cli.console`).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any

import typer
from rich.text import Text

from tco.cli.console import fail, out

ScenarioArg = Annotated[
    str | None,
    typer.Argument(help="Scenario file or shipped scenario name. Default: portfolio (the task portfolio)."),
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
ObjectiveOpt = Annotated[
    str | None,
    typer.Option(
        "--objective", help="cost (NPV), emissions or cost-with-carbon. Default: the scenario's plan."
    ),
]


def plan(scenario: ScenarioArg = None, objective: ObjectiveOpt = None, fmt: FormatOpt = "table") -> None:
    """Find the cheapest routing of the scenario's tasks that meets every quality floor and SLO."""
    from tco.analysis.plan import OBJECTIVES
    from tco.analysis.view import compute_view
    from tco.presentation.reports import terminal
    from tco.scenario.load import load_scenario

    if objective is not None and objective not in OBJECTIVES:
        raise fail(f"--objective: unknown objective {objective!r}, expected one of {', '.join(OBJECTIVES)}")
    if fmt not in ("table", "json"):
        raise fail(f"--format: unknown format {fmt!r}, expected table or json")
    loaded = load_scenario(scenario)
    view = compute_view(loaded, plan=True, objective=objective)
    res = view.plans
    assert res is not None  # plan=True: a plan, or the planner's error
    if fmt == "json":
        sys.stdout.write(json.dumps(_json_safe(res.as_dict()), indent=2) + "\n")
        return
    out.print(
        Text.assemble((loaded.name, "bold"), f"  ({loaded.file})  objective: {res.optimised.objective}")
    )
    for item in terminal.plan_view(view):
        out.print(item, highlight=False)
    for line in terminal.plan_lines(res):
        style = "bold yellow" if line.startswith("note:") else "dim" if line.startswith("- ") else ""
        out.print(Text(line, style=style), highlight=False)


def _json_safe(v: Any) -> Any:
    """NaN and infinities as null: JSON has no NaN."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    return v
