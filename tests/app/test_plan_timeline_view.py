"""The app's "Plan over time" view: what it shows is the timeline `compute_view` gives for the same scenario
edits (tco.analysis.plan_timeline, shown by tco.presentation.plan_timeline), and the sidebar's levers move it."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tco.api import LoadedScenario, compute_view, load_scenario
from tco.presentation import plan_timeline as pt
from tco.scenario import edit
from tests.app.test_app import open_app

VIEW = "Plan over time"


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario("portfolio")


def _expected(loaded: LoadedScenario) -> tuple[pd.DataFrame, list[str], str]:
    tl = compute_view(loaded).timeline
    assert tl is not None
    return pt.display(tl), pt.saving_lines(tl), pt.basis_note(tl)


def _shown(at: AppTest) -> tuple[pd.DataFrame, str, list[str]]:
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    table = at.table[0].value
    saving = next(m.value for m in at.markdown if m.value.startswith("- Year 1: the optimised plan"))
    captions = [c.value for c in at.caption]
    return table, saving, captions


def _check(at: AppTest, loaded: LoadedScenario) -> pd.DataFrame:
    table, saving, captions = _shown(at)
    want, lines, basis = _expected(loaded)
    assert list(table.columns) == list(want.columns)
    assert table.astype(str).values.tolist() == want.astype(str).values.tolist()
    assert saving == "\n".join(f"- {x}" for x in lines)
    assert basis in captions
    return table


def _open() -> AppTest:
    at = open_app("portfolio")
    at.segmented_control(key="view_plan").set_value(VIEW).run()
    return at


def test_the_view_shows_the_engines_plan_over_time(loaded: LoadedScenario) -> None:
    at = _open()
    table = _check(at, loaded)
    assert list(table["Plan"].unique()) == ["Optimised plan", "Baseline: all-large"]


def test_the_discount_rate_moves_the_plan_over_time(loaded: LoadedScenario) -> None:
    at = _open()
    before = _shown(at)[0]
    at.slider(key="w:discount").set_value(12.0).run()
    edited = loaded.with_changes(edit.set_discount_rate(loaded.raw, 12.0))
    after = _check(at, edited)
    assert not after.equals(before)


def test_the_carbon_price_moves_the_plan_over_time_under_cost_with_carbon(loaded: LoadedScenario) -> None:
    at = _open()
    at.selectbox(key="w:objective").set_value("cost-with-carbon").run()
    before = _shown(at)[0]
    at.slider(key="w:carbon").set_value(100.0).run()
    with_carbon = loaded.with_changes(edit.set_plan_objective(loaded.raw, "cost-with-carbon"))
    priced = with_carbon.with_changes(edit.set_carbon_price(with_carbon.raw, 100.0, "USD"))
    after = _check(at, priced)
    assert not after.equals(before)
    assert "Carbon price (USD)" in after.columns  # the carbon price is a cost line under this objective


def test_the_plan_view_says_how_the_plans_are_found_and_priced(loaded: LoadedScenario) -> None:
    at = open_app("portfolio")
    plans = compute_view(loaded).plans
    assert plans is not None and plans.assumptions
    box = next(e for e in at.expander if e.label == "How the plans are found and priced")
    assert box.markdown[0].value == "\n".join(f"- {a}" for a in plans.assumptions)
