"""`tco plan SCENARIO`: route each task to the deployment that is good enough and cheapest, and compare plans.

A plain function with typer-annotated parameters, registered by tco/cli/main.py (`app.command("plan")(plan)`).
Prints rich tables, or JSON with `--format json`; bad input gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tco.errors import TcoError

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

ASSUMPTIONS = (
    "Each task is served by one route (an option, or a cascade whose first model passes a share on); tasks on "
    "the same option share one fleet sized for the busiest hour of their combined hourly load.",
    "Every plan shown is priced by the engine itself: one run per shared fleet with the tasks' combined "
    "hourly demand (in capacity-weighted queries of its largest task); a task alone on an option costs "
    "exactly what `tco report` says. The search is a linear model of the engine (per-replica costs and each "
    "task's variable cost at its own load); its plan is re-priced and improved by single-task moves.",
    "A shared fleet's cost, energy and emissions go to its tasks in proportion to their capacity-weighted "
    "queries (their share of queries where the tasks' answers are alike).",
    "Quality is per task and per metric, never averaged across metrics; a cascade without a measured quality "
    "gets (1 - escalated) x q(first) + escalated x q(then) when both share a metric.",
)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"error: {message}", markup=False)
    return typer.Exit(2)


def _num(v: float, digits: int = 4) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.{digits}g}"


def plan(scenario: ScenarioArg = None, objective: ObjectiveOpt = None, fmt: FormatOpt = "table") -> None:
    """Find the cheapest routing of the scenario's tasks that meets every quality floor and SLO."""
    from tco.analysis.plan import OBJECTIVES
    from tco.analysis.portfolio import plan_portfolio
    from tco.api import load_scenario

    if objective is not None and objective not in OBJECTIVES:
        raise _fail(f"--objective: unknown objective {objective!r}, expected one of {', '.join(OBJECTIVES)}")
    if fmt not in ("table", "json"):
        raise _fail(f"--format: unknown format {fmt!r}, expected table or json")
    try:
        loaded = load_scenario(scenario)
        res = plan_portfolio(loaded, objective=objective)
    except TcoError as e:
        raise _fail(str(e)) from None
    if fmt == "json":
        sys.stdout.write(json.dumps(_json_safe(res.as_dict()), indent=2) + "\n")
        return
    # markup=False: scenario, task, option and model names are user text, printed as written ("[bold]x[/")
    out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160, markup=False)
    cur = res.currency
    best = res.optimised
    out.print(Text.assemble((loaded.name, "bold"), f"  ({loaded.file})  objective: {best.objective}"))

    plans = Table(title="Plans")
    priced = res.problem.carbon_price_per_kg > 0
    cols = ["plan", f"NPV cost ({cur})"]
    cols += [f"carbon cost ({cur}, NPV)"] if priced else []
    cols += ["emissions (kgCO2e)", "meets floors and SLOs", "replicas (largest)"]
    for col in cols:
        plans.add_column(col, justify="left" if col in ("plan", "replicas (largest)") else "right")
    for p in (best, *res.compared):
        mark = " (baseline)" if res.baseline is not None and p is res.baseline else ""
        fleets = ", ".join(f"{d} x{k}" for d, k in p.replicas.items()) or "–"
        carbon = [f"{p.carbon_cost:,.0f}"] if priced else []
        limits = "yes" if p.meets_limits else "no"
        plans.add_row(f"{p.name}{mark}", f"{p.cost:,.0f}", *carbon, f"{p.kg:,.0f}", limits, fleets)
    out.print(plans)

    for p in (best, res.baseline) if res.baseline is not None else (best,):
        t = Table(title=f"{p.name}: per task")
        for col in (
            "task",
            "served by",
            "queries",
            f"{cur} / 1k queries",
            "gCO2e / query",
            "quality (metric)",
            f"{cur} / 1k correct",
            "gCO2e / correct",
            "p95 (s)",
        ):
            t.add_column(col, justify="left" if col in ("task", "served by", "quality (metric)") else "right")
        for r in p.tasks:
            flags = ("" if r.meets_floor else " below floor") + ("" if r.meets_slo else " misses SLO")
            quality = "n/a" if math.isnan(r.quality) else f"{r.quality:.3f} ({r.metric or 'quality'})"
            t.add_row(
                r.task,
                res.names.get(r.route, r.route),
                f"{r.queries:,.0f}",
                _num(r.cost_per_query * 1000),
                _num(r.g_per_query),
                quality + flags,
                _num(r.cost_per_correct * 1000),
                _num(r.g_per_correct),
                _num(r.latency_p95_s, 3),
            )
        for name in p.unserved:
            t.add_row(name, "(no queries)", "0", "–", "–", "–", "–", "–", "–")
        out.print(t)

    if res.baseline is not None:
        b = res.baseline
        saving = b.cost - best.cost
        kg = b.kg - best.kg
        pct = f" ({saving / b.cost:.0%})" if b.cost > 0 else ""
        kpct = f" ({kg / b.kg:.0%})" if b.kg > 0 else ""
        out.print(
            f"optimised vs {b.name}: saves {saving:,.0f} {cur}{pct} NPV and {kg:,.0f} kgCO2e{kpct}",
            highlight=False,
        )
    if not math.isnan(res.search_value):
        moved = (
            "" if res.search_routes == best.routes else "; improved by single-task moves priced by the engine"
        )
        out.print(
            f"search model's estimate of its plan: {res.search_value:,.0f} (objective {best.objective}); "
            f"the engine's price of the plan shown: {best.objective_value:,.0f}{moved}",
            highlight=False,
        )
    for note in res.notes:
        out.print(Text.assemble(("note:", "bold yellow"), f" {note}"), highlight=False)
    for line in ASSUMPTIONS:
        out.print(Text(f"- {line}", style="dim"), highlight=False)
    for c in res.cascades:
        line = f"- cascade {c['id']}: {c['escalate']:.1%} escalated, {c['source']}"
        out.print(Text(line, style="dim"), highlight=False)


def _json_safe(v: Any) -> Any:
    """NaN and infinities as null: JSON has no NaN."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    return v
