"""The public Python API: load a scenario, evaluate it, get pandas frames.

The CLI, the app and the reports all go through these names; this module only gathers them from the layers
that define them (loading: `tco.scenario.load`; evaluating: `tco.analysis.evaluate`). `tco report` imports
those two from their modules, so that it starts without the curves and the planner.

    >>> from tco.api import load_scenario, evaluate
    >>> result = evaluate(load_scenario())            # the shipped default scenario (portfolio)
    >>> plans = plan_portfolio(load_scenario())       # its task plan: who serves what, and the saving
    >>> result.summary[["tco_cost", "g_per_query"]]
    >>> load_curves(result.resolved)                  # cost and energy per query vs the load of one replica
    >>> hourly_frame(result.resolved, "llm-8b-h100-cloud", month=0)   # one month's day, hour by hour
"""

from __future__ import annotations

from tco.analysis.curve import hourly_frame, load_curves
from tco.analysis.evaluate import (
    EMISSION_UNITS,
    ENERGY_UNITS,
    Results,
    evaluate,
    evaluate_resolved,
    run_engine,
)
from tco.analysis.portfolio import PortfolioPlans, plan_portfolio
from tco.scenario.load import DEFAULT_SCENARIO, LoadedScenario, load_scenario, scenario_from_dict

__all__ = [
    "DEFAULT_SCENARIO",
    "EMISSION_UNITS",
    "ENERGY_UNITS",
    "LoadedScenario",
    "PortfolioPlans",
    "Results",
    "evaluate",
    "evaluate_resolved",
    "hourly_frame",
    "load_curves",
    "load_scenario",
    "plan_portfolio",
    "run_engine",
    "scenario_from_dict",
]
