"""tco.analysis.view and tco.analysis.runs: everything a view shows is computed once, and a what-if through
kept engine runs gives the numbers a fresh computation gives."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tco.analysis.portfolio as portfolio
from tco.analysis.runs import ENGINE_BLIND, OPTION_BLIND, EngineRuns
from tco.analysis.view import View, complete, compute_view
from tco.api import LoadedScenario, evaluate, load_scenario
from tco.engine.core import simulate
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.scenario import edit


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario("portfolio")


@pytest.fixture
def planner_runs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every run of the planner (`plan_portfolio`) from here on."""
    seen: list[object] = []
    real = portfolio.plan_portfolio

    def counted(loaded: LoadedScenario, **kwargs: Any) -> portfolio.PortfolioPlans:
        seen.append(loaded)
        return real(loaded, **kwargs)

    monkeypatch.setattr(portfolio, "plan_portfolio", counted)
    return seen


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN, floats bit for bit."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


# --------------------------------------------------------------------------- the planner runs once


@pytest.mark.parametrize("args", [["report"], ["report", "-f", "md", "--no-analysis"], ["plan"]])
def test_tco_report_on_the_default_portfolio_runs_the_planner_once(
    args: list[str], planner_runs: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tco.cli import app

    monkeypatch.setenv("SLM_TCO_NO_CACHE", "1")  # the terminal view computed, not read from the cache
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "The optimised plan saves" in result.output
    assert len(planner_runs) == 1


def test_a_report_of_a_view_uses_the_views_plan(loaded: LoadedScenario, planner_runs: list[object]) -> None:
    from tco.api import render_report

    view = compute_view(loaded)
    assert len(planner_runs) == 1
    for fmt in ("md", "json", "csv"):
        render_report(view, fmt, analysis=False)
    assert len(planner_runs) == 1


def test_complete_keeps_what_the_view_has(loaded: LoadedScenario) -> None:
    view = compute_view(loaded, charts=True, workbook=True, analysis={})
    again = complete(view, charts=True, workbook=True, analysis=False)
    assert again.curves is view.curves and again.workbook is view.workbook and again.plans is view.plans
    opt = loaded.spec.options[0].id
    with_region = complete(view, regions=(opt,))
    assert list(with_region.regions) == [opt] and with_region.results is view.results
    assert complete(with_region, regions=(opt,)).regions[opt] is with_region.regions[opt]


def test_a_view_without_tasks_has_no_plan_and_plans_when_asked() -> None:
    single = load_scenario("slm-vs-llm")
    assert compute_view(single).plans is None
    assert compute_view(single, plan=True).plans is not None


def test_a_plan_that_cannot_be_found_is_a_note_in_a_view_and_an_error_when_asked(
    loaded: LoadedScenario,
) -> None:
    from tco.errors import TcoError

    hard = loaded.with_changes(edit.set_task_quality_floor(loaded.raw, "arithmetic", 0.99))
    view = compute_view(hard)
    assert view.plans is None
    assert (
        view.plan_missing is not None
        and "task 'arithmetic' cannot meet its quality floor" in view.plan_missing
    )
    with pytest.raises(TcoError, match="cannot meet its quality floor"):
        compute_view(hard, plan=True)


# --------------------------------------------------------------------------- what-ifs through kept runs


@pytest.mark.parametrize(
    ("change", "moves_everything"),
    [
        (lambda raw: edit.set_task_shares(raw, {"sentiment": 40.0}), False),
        (lambda raw: edit.set_task_quality_floor(raw, "summarisation", 0.17), False),
        (lambda raw: edit.set_option_utilisation(raw, "slm-1b-l4", 70.0), False),
        (lambda raw: edit.set_carbon_price(raw, 80.0), True),  # every option's inputs: every run again
    ],
    ids=["share", "floor", "utilisation", "carbon"],
)
def test_a_what_if_through_kept_runs_is_the_fresh_view(
    loaded: LoadedScenario, change: Any, moves_everything: bool
) -> None:
    runs = EngineRuns()
    compute_view(loaded, runs=runs)
    first = runs.computed
    edited = loaded.with_changes(change(loaded.raw))
    kept = compute_view(edited, runs=runs)
    fresh = compute_view(edited)
    assert kept.plans is not None and fresh.plans is not None
    assert _same(kept.plans.as_dict(), fresh.plans.as_dict())
    pd.testing.assert_frame_equal(kept.results.summary, fresh.results.summary, check_exact=True)
    pd.testing.assert_frame_equal(kept.results.per_period, fresh.results.per_period, check_exact=True)
    assert kept.results.scenario is edited
    again = runs.computed - first
    assert again == first if moves_everything else again < first / 3  # only what the what-if changed


def test_a_floor_that_leaves_the_eligible_routes_alone_needs_no_new_search(
    loaded: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    searches: list[object] = []
    real = portfolio.solve
    monkeypatch.setattr(
        portfolio, "solve", lambda problem, **k: searches.append(problem) or real(problem, **k)
    )
    runs = EngineRuns()
    compute_view(loaded, runs=runs)
    computed = runs.computed
    lower = loaded.with_changes(edit.set_task_quality_floor(loaded.raw, "code", 0.76))  # 0.75: no route moves
    view = compute_view(lower, runs=runs)
    assert len(searches) == 1 and runs.computed == computed
    fresh = compute_view(lower).plans
    assert view.plans is not None and fresh is not None
    assert _same(view.plans.as_dict(), fresh.as_dict())


@settings(max_examples=25, deadline=None)
@given(
    task=st.text(max_size=8),
    floor=st.floats(min_value=0, max_value=1),
    slo=st.floats(min_value=0.01, max_value=100),
)
def test_the_engine_does_not_read_the_fields_the_runs_key_leaves_out(
    task: str, floor: float, slo: float
) -> None:
    option = OptionInputs(
        id="o", name="o", deployment="cloud", energy_per_query_kwh=1e-4, throughput_qps=5.0, accelerators_per_replica=1,
        cloud_price_per_hour=2.0, idle_power_kw=0.1, max_power_kw=0.7, carbon_price_per_kg=0.05,
    )  # fmt: skip
    finance = FinanceInputs(months=6, discount_rate=0.08)
    plain = WorkloadInputs(queries_per_day=1e5, annual_growth=0.2, peak_to_average=2.0)
    varied = WorkloadInputs(
        queries_per_day=1e5, annual_growth=0.2, peak_to_average=2.0, task=task, quality_floor=floor,
        latency_slo_p95_s=slo,
    )  # fmt: skip
    assert set(ENGINE_BLIND) == {"task", "quality_floor", "latency_slo_p95_s"}
    a, b = simulate(option, plain, finance), simulate(option, varied, finance)
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert EngineRuns.key(option, plain, finance) == EngineRuns.key(option, varied, finance)
    # nor with an option's id and name: options alike but for them share a run
    assert set(OPTION_BLIND) == {"id", "name"}
    renamed = replace(option, id="p", name="another name")
    c = simulate(renamed, plain, finance)
    assert list(a) == list(c)
    for k in a:
        np.testing.assert_array_equal(a[k], c[k])
    assert EngineRuns.key(option, plain, finance) == EngineRuns.key(renamed, plain, finance)


def test_runs_are_kept_by_value_and_bounded() -> None:
    single = load_scenario("slm-vs-llm")
    r = single.resolved
    runs = EngineRuns(limit=2)
    a = runs(r.options[0], r.workload, r.finance)
    assert runs(r.options[0], r.workload, r.finance) is a and (runs.computed, runs.reused) == (1, 1)
    runs(r.options[1], r.workload, r.finance)
    runs(r.options[2], r.workload, r.finance)
    assert len(runs) == 2  # the least recently used run went out
    assert runs(r.options[0], r.workload, r.finance) is not a and runs.computed == 4


def test_kept_results_are_the_evaluated_ones(loaded: LoadedScenario) -> None:
    runs = EngineRuns()
    first = compute_view(loaded, plan=False, runs=runs).results
    again = compute_view(loaded.with_changes(loaded.raw), plan=False, runs=runs).results
    assert again.summary is first.summary  # the same inputs: the frames are not built again
    pd.testing.assert_frame_equal(again.summary, evaluate(loaded).summary, check_exact=True)


def test_a_view_is_what_it_was_given() -> None:
    results = evaluate(load_scenario("slm-vs-llm"))
    view = View(results)
    assert view.loaded is results.scenario and view.plans is None and view.analysis == {}
    assert view.analysis_missing == "not computed for this view"


def test_a_scenario_read_back_from_the_cache_reuses_the_runs_of_the_same_one_validated_afresh(
    loaded: LoadedScenario,
) -> None:
    """The runs' keys are the values, not how the objects inside share each other (the app's first scenario
    comes from the cache, its what-ifs are validated afresh)."""
    import pickle

    runs = EngineRuns()
    compute_view(pickle.loads(pickle.dumps(loaded)), runs=runs)
    first = runs.computed
    compute_view(loaded.with_changes(loaded.raw), runs=runs)
    assert runs.computed == first  # nothing computed again
