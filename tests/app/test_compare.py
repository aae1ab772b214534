"""The compare view through AppTest: pin the what-if (A), move a lever (B), and the Compare view shows the
inputs that differ and the results `tco.analysis.diff` computes for the same two scenarios, worded by
`tco.presentation.diff`."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tco.api import compute_view, diff_views, load_scenario
from tco.presentation import diff as diff_view
from tco.scenario import edit
from tests.app.test_app import open_app

SCENARIO = "slm-vs-llm"


def _compare(at: AppTest) -> AppTest:
    at.segmented_control(key="view").set_value("Compare").run()
    assert not at.exception, at.exception
    return at


def test_compare_without_a_pin_says_how_to_pin() -> None:
    at = _compare(open_app(SCENARIO))
    assert any("Pin this what-if" in i.value for i in at.info)


def test_pin_then_a_lever_shows_both_and_what_moved() -> None:
    loaded = load_scenario(SCENARIO)
    at = open_app(SCENARIO)
    at.button(key="pin").click().run()
    at.number_input(key="w:qpd").set_value(4_000_000.0).run()
    _compare(at)
    edited = loaded.with_changes(edit.set_queries_per_day(loaded.raw, 4_000_000.0))
    d = diff_views(compute_view(loaded), compute_view(edited))
    assert [c.path for c in d.inputs] == ["workload.queries_per_day"]
    inputs, results = (t.value for t in at.table)
    assert inputs.to_dict("records") == diff_view.inputs_frame(d).to_dict("records")
    want = diff_view.results_frame(d).drop(columns="Changed")
    assert results.to_dict("records") == want.to_dict("records")
    assert diff_view.headline(d) in [m.value for m in at.markdown]


def test_unpin_forgets_a() -> None:
    at = open_app(SCENARIO)
    at.button(key="pin").click().run()
    assert "pinned_view" in at.session_state
    at.button(key="unpin").click().run()
    assert "pinned_view" not in at.session_state
