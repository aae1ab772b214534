"""Compute, then show: everything a view of a scenario needs, computed once, for presentation to format.

A `View` holds the engine's results of a scenario and whatever else the terminal, a report format or the
app shows of it: the task plan of a portfolio (the planner runs once per view), the decision-analysis tables,
the load curves and quality trade-offs the charts plot, region sweeps, and the values the xlsx workbook
caches beside its formulas. `compute_view` computes the parts asked for; `complete` adds parts to a view
without computing again what it has. The CLI and the app call these and hand the view to
`tco.presentation`, which formats and never computes.

    >>> from tco.api import compute_view, load_scenario
    >>> view = compute_view(load_scenario("portfolio"), analysis=True, charts=True)
    >>> view.results.summary, view.plans.optimised, view.analysis["tornado"], view.curves
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd

from tco.analysis.evaluate import Results, evaluate, evaluate_resolved
from tco.errors import TcoError
from tco.scenario.load import LoadedScenario

if TYPE_CHECKING:
    from tco.analysis.plan_timeline import PlanTimeline
    from tco.analysis.portfolio import PortfolioPlans
    from tco.analysis.runs import EngineRuns
    from tco.analysis.workbook import WorkbookValues


@dataclass(frozen=True)
class View:
    """One scenario as computed for showing; a part not computed is empty (None, {}) and says why where a
    report must say so (`plan_missing`, `analysis_missing`)."""

    results: Results
    plans: PortfolioPlans | None = None  # the task plan (a scenario with workload.tasks, or asked for)
    plan_missing: str | None = None  # why a portfolio's plan could not be computed
    timeline: PlanTimeline | None = None  # the optimised plan and its baseline over time (with `plans`)
    timeline_missing: str | None = None  # why a plan has no timeline
    analysis: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # ranking, tornado, Monte Carlo...
    analysis_missing: str | None = "not computed for this view"  # why there are no analysis tables
    analysis_notes: tuple[str, ...] = ()  # what the tables leave out (tornado inputs that move nothing)
    curves: pd.DataFrame | None = None  # load curves of every option (tco.analysis.curve.load_curves)
    interactivity: pd.DataFrame | None = None  # cost vs tokens/s per user (curve.interactivity_curves)
    tradeoffs: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # by axis (tco.analysis.pareto)
    regions: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # region sweeps, by option
    workbook: WorkbookValues | None = None  # the xlsx workbook's cached values

    @property
    def loaded(self) -> LoadedScenario | None:
        """The scenario the results are of (None for results evaluated from engine inputs alone)."""
        return self.results.scenario


def has_tasks(loaded: LoadedScenario | None) -> bool:
    """True when the scenario lists `workload.tasks` (a portfolio the planner routes)."""
    return loaded is not None and bool(loaded.spec.workload.tasks)


def compute_view(
    loaded: LoadedScenario,
    *,
    results: Results | None = None,
    plan: bool | None = None,
    objective: str | None = None,
    analysis: bool | Mapping[str, pd.DataFrame] = False,
    charts: bool = False,
    workbook: bool = False,
    regions: Iterable[str] = (),
    runs: EngineRuns | None = None,
) -> View:
    """Evaluate `loaded` (or take its `results`) and compute the parts a view asks for, each once.

    `plan`: None plans a portfolio (`workload.tasks`) and notes in `plan_missing` why a plan could not be
    found; True plans any scenario and raises the planner's error (`tco plan`); False never plans.
    `objective` overrides the plan's. `analysis`: True computes the analysis tables; a mapping gives them.
    `charts`: the load curves, the cost-vs-interactivity curves and the quality trade-offs. `workbook`: the xlsx workbook's cached values.
    `regions`: the options whose region sweep to compute. `runs`: engine runs (and results) kept from earlier
    views (`tco.analysis.runs.EngineRuns`: the app's what-ifs), reused where their inputs are the same, so
    that the view is the one computed afresh, number for number.
    """
    if results is None:
        results = evaluate(loaded) if runs is None else _evaluated(loaded, runs)
    view = View(results)
    if plan is True or (plan is None and has_tasks(loaded)):
        from tco.analysis.portfolio import plan_portfolio

        plan_runs = runs if runs is not None else _runs()
        try:
            view = replace(view, plans=plan_portfolio(loaded, objective=objective, runs=plan_runs))
        except TcoError as e:
            if plan:
                raise
            view = replace(view, plan_missing=str(e))
        if view.plans is not None:
            try:
                view = replace(view, timeline=_timeline(loaded, view.plans, plan_runs))
            except TcoError as e:
                view = replace(view, timeline_missing=str(e))
    return complete(view, analysis=analysis, charts=charts, workbook=workbook, regions=regions)


def _runs() -> EngineRuns:
    from tco.analysis.runs import EngineRuns

    return EngineRuns()


def _timeline(loaded: LoadedScenario, plans: PortfolioPlans, runs: EngineRuns) -> PlanTimeline:
    """The plan over time, from the engine runs the plans were priced with (`runs`: none run twice)."""
    from tco.analysis.plan_timeline import plan_timeline

    return plan_timeline(loaded, plans, runs)


def _evaluated(loaded: LoadedScenario, runs: EngineRuns) -> Results:
    """`evaluate(loaded)`, kept in `runs` by the engine inputs and assumptions it is computed from (the frames
    are a function of those alone); the results name `loaded` as their scenario."""
    from tco.analysis.runs import digest

    key = ("results", digest(loaded.resolved))
    found = runs.memo(key, lambda: evaluate_resolved(loaded.resolved, loaded))
    return found if found.scenario is loaded else replace(found, scenario=loaded)


def complete(
    view: View,
    *,
    analysis: bool | Mapping[str, pd.DataFrame] = False,
    charts: bool = False,
    workbook: bool = False,
    regions: Iterable[str] = (),
) -> View:
    """`view` with the parts asked for added; parts it already has are kept as they are (not computed again)."""
    results, loaded = view.results, view.loaded
    if isinstance(analysis, Mapping):
        view = _with_analysis(view, dict(analysis))
    elif analysis and not view.analysis:
        if loaded is None:
            view = replace(view, analysis_missing="the results carry no scenario to analyse")
        else:
            from tco.analysis.tables import analysis_tables

            view = _with_analysis(view, analysis_tables(loaded, results=results))
    if charts and view.curves is None:
        from tco.analysis.curve import interactivity_curves, load_curves
        from tco.analysis.pareto import TRADEOFFS, tradeoff_frame

        view = replace(
            view,
            curves=load_curves(results.resolved),
            interactivity=interactivity_curves(results.resolved),
            tradeoffs={x: tradeoff_frame(results, x) for x in TRADEOFFS},
        )
    if workbook and view.workbook is None:
        from tco.analysis.workbook import workbook_values

        view = replace(view, workbook=workbook_values(results))
    wanted = [o for o in dict.fromkeys(regions) if o not in view.regions]
    if wanted:
        if loaded is None:
            raise TcoError("a region sweep needs the results' scenario")
        from tco.analysis.regions import region_sweep

        view = replace(view, regions={**view.regions, **{o: region_sweep(loaded, o) for o in wanted}})
    return view


def moving_tornadoes(tables: Mapping[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The analysis tables with each tornado (a table of TCO and emissions swings) cut to the inputs that move
    TCO, NPV or emissions (`tco.analysis.tornado.moving_inputs`), and a note per tornado naming, in words, the
    inputs left out: every report format shows the same rows and the same note."""
    from tco.analysis.tornado import left_out_note, moving_inputs

    out: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    for name, frame in tables.items():
        if {"tco_cost_swing", "emissions_kg_swing", "option"} <= {str(c) for c in frame.columns}:
            frame, dropped = moving_inputs(frame, "label" if "label" in frame.columns else "input")
            if dropped:
                notes.append(f"Sensitivity ({name.replace('_', ' ')}): {left_out_note(dropped)}.")
        out[str(name)] = frame
    return out, notes


def _with_analysis(view: View, tables: Mapping[str, pd.DataFrame]) -> View:
    """`view` with the analysis tables (tornadoes cut to the inputs that move something, `moving_tornadoes`)."""
    out, notes = moving_tornadoes(tables)
    return replace(view, analysis=out, analysis_missing=None, analysis_notes=tuple(notes))


__all__ = ["View", "complete", "compute_view", "has_tasks", "moving_tornadoes"]
