"""The money levers of the app (per option: purchase price as a vendor quote, lifetime, end-of-horizon value,
financing, cloud pricing; scenario-wide: the tax rate): each edits the scenario through tco.scenario.edit, so the
page's numbers are the engine's on the edited scenario and the downloaded YAML (the raw mapping) carries the
lever. Through AppTest on the shipped `financing` scenario (cash, resale, loan, lease, on-demand, committed and
spot options side by side)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tco.api import LoadedScenario, evaluate, load_scenario
from tco.presentation import whatif
from tco.scenario import edit
from tests.app.test_app import APP, expected, screen

SCENARIO = "financing"


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(SCENARIO)


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.selectbox(key="scenario_choice").set_value(SCENARIO).run()
    assert not at.exception, at.exception
    return at


def _key(option: str, field: str) -> str:
    return whatif.option_key(option, field)


def _moves(at: AppTest, loaded: LoadedScenario, raw: dict[str, Any], option: str, column: str) -> None:
    """The page computes `raw` (the downloaded YAML is it), its cards are the engine's, and the engine's
    `column` of `option` moved."""
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    edited = loaded.with_changes(raw)
    assert at.session_state["whatif_raw"] == edited.raw
    assert screen(at) == expected(edited)
    before = float(evaluate(loaded).summary.loc[option, column])
    after = float(evaluate(edited).summary.loc[option, column])
    assert after != pytest.approx(before, rel=1e-9), (column, before, after)


LEVERS: dict[
    str, tuple[str, str, Callable[[AppTest], Any], Callable[[dict[str, Any]], dict[str, Any]], str]
] = {
    # lever: (option, widget field, set it on the page, the same edit on the raw scenario, engine column that moves)
    "a vendor quote 20 % below the price": (
        "buy-cash",
        "quote_pct",
        lambda w: w.set_value(-20.0),
        lambda raw: edit.set_option_hardware_price(raw, "buy-cash", 30_000.0 * 0.8, "USD"),
        "tco_cost",
    ),
    "a 24-month lifetime (units replaced within the 36 months)": (
        "buy-cash",
        "lifetime",
        lambda w: w.set_value(24.0),
        lambda raw: edit.set_option_lifetime(raw, "buy-cash", 24.0),
        "tco_cost",
    ),
    "a book end value": (
        "buy-cash",
        "end_value",
        lambda w: w.set_value("book"),
        lambda raw: edit.set_option_end_value(raw, "buy-cash", "book"),
        "tco_cost",
    ),
    "a lease instead of cash": (
        "buy-cash",
        "financing",
        lambda w: w.set_value("lease"),
        lambda raw: edit.set_option_financing(raw, "buy-cash", "lease", whatif.DEFAULT_FINANCING_RATE_PCT),
        "npv_cost",
    ),
    "spot instead of on demand": (
        "cloud-on-demand",
        "pricing",
        lambda w: w.set_value("spot"),
        lambda raw: edit.set_option_pricing(raw, "cloud-on-demand", "spot"),
        "tco_cost",
    ),
}


@pytest.mark.parametrize("lever", list(LEVERS))
def test_each_money_lever_moves_the_number_the_engine_says(lever: str, loaded: LoadedScenario) -> None:
    option, field, set_it, edit_raw, column = LEVERS[lever]
    at = _open()
    widgets = [
        w for kind in ("number_input", "selectbox") for w in getattr(at, kind) if w.key == _key(option, field)
    ]
    assert len(widgets) == 1, _key(option, field)
    set_it(widgets[0])
    at.run()
    _moves(at, loaded, edit_raw(loaded.raw), option, column)


def test_the_quote_is_a_change_of_the_files_price(loaded: LoadedScenario) -> None:
    m = whatif.money_controls(loaded, "buy-cash")
    assert (m.list_price, m.list_currency) == (
        30_000.0,
        "USD",
    )  # the H100 SXM5 purchase price in profiles/hardware.yaml
    assert whatif.money_controls(loaded, "buy-loan").financing_rate_pct == 7.0
    assert whatif.money_controls(loaded, "cloud-on-demand").financing is None


def test_a_loans_rate_and_term_move_its_cost(loaded: LoadedScenario) -> None:
    at = _open()
    at.number_input(key=_key("buy-loan", "financing_rate")).set_value(12.0).run()
    at.number_input(key=_key("buy-loan", "financing_term")).set_value(24.0).run()
    raw = edit.set_option_financing(loaded.raw, "buy-loan", "loan", 12.0, 24.0)
    _moves(at, loaded, raw, "buy-loan", "tco_cost")


def test_the_tax_rate_moves_the_after_tax_cost(loaded: LoadedScenario) -> None:
    at = _open()
    at.slider(key="w:tax").set_value(30.0).run()
    raw = edit.set_tax_rate(loaded.raw, 30.0)
    _moves(at, loaded, raw, "buy-cash", "tco_after_tax_cost")
    at.button_group(key="view").set_value("Table").run()  # type: ignore[attr-defined]
    table = at.dataframe[0].value
    after_tax = evaluate(loaded.with_changes(raw)).summary["tco_after_tax_cost"]
    rows = [
        r for r in table.index if str(r).startswith("Total cost of ownership after tax")
    ]  # measures as rows
    assert len(rows) == 1, list(table.index)
    shown = table.loc[rows[0], [str(o) for o in after_tax.index]]
    assert [float(str(v).replace(",", "")) for v in shown] == pytest.approx(list(after_tax), rel=1e-3)
