"""The public Python API: load a scenario, evaluate it, get pandas frames, compute a view, write a report.

The CLI, the app and the reports all go through these names; this module gathers them from the layers that
define them (loading: `tco.scenario.load`; evaluating: `tco.analysis.evaluate`; everything a view shows,
computed once: `tco.analysis.view`) and adds `render_report` / `write_report`, which compute the view a report
format needs and hand it to `tco.presentation.reports`. `tco report` imports from the modules themselves, so
that it starts without the curves and the planner.

    >>> from tco.api import load_scenario, evaluate
    >>> result = evaluate(load_scenario())            # the shipped default scenario (portfolio)
    >>> plans = plan_portfolio(load_scenario())       # its task plan: who serves what, and the saving
    >>> result.summary[["tco_cost", "g_per_query"]]
    >>> load_curves(result.resolved)                  # cost and energy per query vs the load of one replica
    >>> hourly_frame(result.resolved, "llm-8b-h100-cloud", month=0)   # one month's day, hour by hour
    >>> view = compute_view(load_scenario(), analysis=True)   # results, plan and analysis tables, once
    >>> render_report(view, "md")                     # a report of it (bytes); write_report(view, "xlsx", path)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from tco.analysis.curve import hourly_frame, load_curves
from tco.analysis.diff import WhatIfDiff, diff_views
from tco.analysis.evaluate import (
    EMISSION_UNITS,
    ENERGY_UNITS,
    Results,
    evaluate,
    evaluate_resolved,
    run_engine,
)
from tco.analysis.portfolio import PortfolioPlans, plan_portfolio
from tco.analysis.view import View, complete, compute_view
from tco.scenario.load import DEFAULT_SCENARIO, LoadedScenario, load_scenario, scenario_from_dict

__all__ = [
    "DEFAULT_SCENARIO",
    "EMISSION_UNITS",
    "ENERGY_UNITS",
    "LoadedScenario",
    "PortfolioPlans",
    "Results",
    "View",
    "WhatIfDiff",
    "complete",
    "compute_view",
    "diff_views",
    "evaluate",
    "evaluate_resolved",
    "hourly_frame",
    "load_curves",
    "load_scenario",
    "plan_portfolio",
    "render_report",
    "run_engine",
    "scenario_from_dict",
    "write_report",
]


def _view_for(
    source: View | Results | LoadedScenario | str | Path | None,
    fmt: str,
    analysis: bool | Mapping[str, pd.DataFrame],
) -> View:
    """The view format `fmt` needs of `source` (a view is completed with what the format needs)."""
    from tco.presentation.reports.formats import get

    f = get(fmt)
    if isinstance(source, View):
        return complete(source, analysis=analysis, charts=f.charts, workbook=f.workbook)
    if isinstance(source, Results):
        if source.scenario is None:
            base = View(source)
            return complete(base, analysis=analysis, charts=f.charts, workbook=f.workbook)
        loaded, results = source.scenario, source
    else:
        loaded = source if isinstance(source, LoadedScenario) else load_scenario(source)
        results = None
    return compute_view(loaded, results=results, analysis=analysis, charts=f.charts, workbook=f.workbook)


def render_report(
    source: View | Results | LoadedScenario | str | Path | None,
    fmt: str,
    *,
    analysis: bool | Mapping[str, pd.DataFrame] = True,
) -> bytes:
    """A report of `source` in format `fmt` (bytes; csv: the summary table), the view computed once with what
    the format needs: the task plan of a portfolio, the analysis tables (`analysis`: True computes them, a
    mapping gives them, False leaves them out), the charts' data, the workbook's values."""
    from tco.presentation import reports

    return reports.render(_view_for(source, fmt, analysis), fmt)


def write_report(
    source: View | Results | LoadedScenario | str | Path | None,
    fmt: str,
    path: str | Path,
    *,
    analysis: bool | Mapping[str, pd.DataFrame] = True,
) -> Path:
    """`render_report` written to `path` atomically (csv: one file per table, see tco.presentation.reports)."""
    from tco.presentation import reports

    return reports.write(_view_for(source, fmt, analysis), fmt, path)
