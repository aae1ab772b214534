"""One source of truth for the what-if state: picking a scenario, uploading one or pressing "Reset what-ifs"
writes every widget's value from the scenario (`tco.presentation.whatif.widget_state`), so what the sidebar
shows is what was computed, and the next touch of a control changes that control only.

Through `streamlit.testing.v1.AppTest`, which keeps the widgets' state the way the browser does; the browser
test (tests/app/test_browser.py) checks the same in Chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tco.api import LoadedScenario, load_scenario
from tco.presentation import whatif
from tco.scenario import edit

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
# shipped scenarios whose inputs differ (queries per day, horizon, options, tasks, financing)
SCENARIOS = ("portfolio", "procurement", "financing")


def widgets(at: AppTest) -> dict[str, Any]:
    """Every what-if widget's value as the page holds it, by key."""
    out: dict[str, Any] = {}
    for kind in ("number_input", "slider", "selectbox", "toggle"):
        for w in getattr(at, kind):
            if isinstance(w.key, str) and w.key.startswith(whatif.W):
                out[w.key] = w.value
    return out


def expected_widgets(loaded: LoadedScenario) -> dict[str, Any]:
    """What every drawn widget must show for `loaded` (a fixed fleet's size only where the fleet is fixed)."""
    return whatif.widget_state(loaded)


def test_scenarios_have_different_inputs() -> None:
    states = [whatif.widget_state(load_scenario(s)) for s in SCENARIOS]
    for key in ("w:qpd", "w:horizon"):
        assert len({repr(s.get(key)) for s in states}) >= 2, key


def _pick(at: AppTest, scenario: str) -> AppTest:
    at.selectbox(key="scenario_choice").set_value(scenario).run()
    assert not at.exception, at.exception
    return at


def test_picking_a_scenario_sets_every_widget_from_it_and_a_touch_changes_only_that_control() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    for name in (*SCENARIOS, SCENARIOS[0]):
        loaded = load_scenario(name)
        _pick(at, name)
        assert widgets(at) == expected_widgets(loaded), name
        assert at.session_state["whatif_raw"] == loaded.raw
        # touch one control: the page computes the file with that one change (no stale value comes back)
        rate = whatif.scenario_controls(loaded).discount_rate_pct + 0.5
        at.slider(key="w:discount").set_value(rate).run()
        assert not at.exception, at.exception
        assert (
            at.session_state["whatif_raw"]
            == loaded.with_changes(edit.set_discount_rate(loaded.raw, rate)).raw
        )


def test_reset_writes_every_widget_back_from_the_file() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    loaded = load_scenario("procurement")
    _pick(at, "procurement")
    at.number_input(key="w:qpd").set_value(4_000_000.0).run()
    at.slider(key="w:horizon").set_value(48).run()
    opt = next(o.id for o in loaded.spec.options if o.deployment != "api")
    region = next(r for r in sorted(loaded.repo.regions) if r != whatif.option_controls(loaded, opt).region)
    at.selectbox(key=whatif.option_key(opt, "region")).set_value(region).run()
    assert at.session_state["whatif_raw"] != loaded.raw
    at.button(key="reset").click().run()
    assert not at.exception, at.exception
    assert widgets(at) == expected_widgets(loaded)
    assert at.session_state["whatif_raw"] == loaded.raw
    at.slider(key="w:carbon").set_value(55.0).run()
    cur = whatif.scenario_controls(loaded).carbon_price_currency
    assert (
        at.session_state["whatif_raw"]
        == loaded.with_changes(edit.set_carbon_price(loaded.raw, 55.0, cur)).raw
    )


def test_a_region_change_fills_grid_and_power_price_from_the_new_region_and_back() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    loaded = load_scenario("procurement")
    _pick(at, "procurement")
    opt = next(o.id for o in loaded.spec.options if o.deployment == "on-prem")
    c = whatif.option_controls(loaded, opt)
    region = next(r for r in sorted(loaded.repo.regions) if r != c.region)
    at.selectbox(key=whatif.option_key(opt, "region")).set_value(region).run()
    grid, price, _ = whatif.inherited_site_values(loaded, region)
    assert at.number_input(key=whatif.option_key(opt, "grid")).value == grid
    assert at.number_input(key=whatif.option_key(opt, "price")).value == price
    assert (
        at.session_state["whatif_raw"]
        == loaded.with_changes(edit.set_option_region(loaded.raw, opt, region)).raw
    )
    at.selectbox(key=whatif.option_key(opt, "region")).set_value(c.region).run()
    assert at.number_input(key=whatif.option_key(opt, "grid")).value == c.grid_intensity
    assert at.session_state["whatif_raw"] == loaded.raw


@pytest.mark.parametrize("first", ["portfolio", "procurement"])
def test_an_upload_sets_every_widget_from_the_uploaded_file(first: str, tmp_path: Path) -> None:
    """Uploading a file (and then another file under the same name) shows each file's values."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    _pick(at, first)
    base = load_scenario("financing")
    for qpd in (750_000.0, 1_250_000.0):
        changed = base.with_changes(edit.set_horizon(edit.set_queries_per_day(base.raw, qpd), 24))
        text = changed.to_yaml().encode()
        at.file_uploader(key="scenario_upload").upload("mine.yaml", text, "application/x-yaml")
        at.run()
        assert not at.exception, at.exception
        assert at.session_state["scenario_choice"] == "Uploaded: mine.yaml"
        assert widgets(at)["w:qpd"] == qpd and widgets(at)["w:horizon"] == 24
        assert widgets(at) == expected_widgets(changed)
        assert at.session_state["whatif_raw"] == changed.raw
        at.slider(key="w:carbon").set_value(5.0).run()  # the next touch keeps the upload's values
        touched = changed.with_changes(edit.set_carbon_price(changed.raw, 5.0, "USD"))
        assert widgets(at) == {**expected_widgets(changed), "w:carbon": 5.0}
        assert at.session_state["whatif_raw"] == touched.raw


@pytest.mark.parametrize(("objective", "moves"), [("cost", False), ("cost-with-carbon", True)])
def test_the_carbon_price_moves_the_plans_cost_only_when_the_objective_counts_it(
    objective: str, moves: bool
) -> None:
    """The Plan objective control (through the scenario's plan.objective): with 'cost with carbon' the carbon
    price moves the plan's headline cost as plan_portfolio gives it; with 'cost' it does not, and the line
    under the plan sentence says which."""
    from tco.api import plan_portfolio
    from tco.presentation.plan import objective_line, plan_headlines

    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    loaded = load_scenario("portfolio")
    at.selectbox(key="w:objective").set_value(objective).run()
    first = at.metric[0].value
    at.slider(key="w:carbon").set_value(200.0).run()
    assert not at.exception, at.exception
    edited = loaded.with_changes(
        edit.set_carbon_price(edit.set_plan_objective(loaded.raw, objective), 200.0, "USD")
        if objective != "cost"
        else edit.set_carbon_price(loaded.raw, 200.0, "USD")
    )
    assert at.session_state["whatif_raw"] == edited.raw
    plans = plan_portfolio(edited)
    assert [m.value for m in at.metric][:4] == [h.value for h in plan_headlines(plans)]
    assert (at.metric[0].value != first) == moves
    assert objective_line(plans) in [c.value for c in at.caption]
