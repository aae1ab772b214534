"""One plan table (tco.presentation.plan.plans_table) for tco plan, tco report, every format and the app: where
the scenario sets a carbon price, every one of them shows the carbon price each plan pays (the app lacked it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tco.api import LoadedScenario, compute_view, load_scenario, render_report
from tco.presentation import plan as plan_view
from tco.presentation.reports import numbers
from tco.scenario import edit
from tests.app.test_app import open_app

CARBON = "Carbon price paid, net present (USD)"


@pytest.fixture(scope="module")
def priced() -> LoadedScenario:
    loaded = load_scenario("portfolio")
    return loaded.with_changes(edit.set_carbon_price(loaded.raw, 100.0))


def test_the_plan_table_has_the_carbon_price_paid_only_where_one_is_set(priced: LoadedScenario) -> None:
    plans = compute_view(priced).plans
    assert plans is not None and plan_view.carbon_priced(plans)
    table = plan_view.plans_table(plans)
    assert list(table.columns[:4]) == ["plan", "plan_role", "npv_cost", "npv_carbon_cost"]
    assert list(table["npv_carbon_cost"]) == [p.carbon_cost for p in (plans.optimised, *plans.compared)]
    assert plans.optimised.carbon_cost > 0
    unpriced = compute_view(load_scenario("portfolio")).plans
    assert unpriced is not None and "npv_carbon_cost" not in plan_view.plans_table(unpriced).columns


def test_the_app_shows_the_carbon_price_each_plan_pays() -> None:
    at = open_app("portfolio")
    assert CARBON not in at.table[1].value.columns  # no carbon price in the file: no column
    at.slider(key="w:carbon").set_value(100.0).run()
    assert not at.exception and not at.error
    compared = at.table[1].value
    assert CARBON in compared.columns
    loaded = load_scenario("portfolio")
    plans = compute_view(loaded.with_changes(edit.set_carbon_price(loaded.raw, 100.0, "USD"))).plans
    assert plans is not None
    want = [numbers.value(p.carbon_cost, "USD", "USD") for p in (plans.optimised, *plans.compared)]
    assert list(compared[CARBON]) == want


def test_tco_plan_and_the_reports_show_the_same_carbon_column(priced: LoadedScenario, tmp_path: Path) -> None:
    from tco.cli import app

    path = tmp_path / "priced.yaml"
    path.write_text(yaml.safe_dump(priced.raw, sort_keys=False))
    result = CliRunner().invoke(app, ["plan", str(path)])
    assert result.exit_code == 0, result.output
    plans = compute_view(priced).plans
    assert plans is not None
    row = next(line for line in result.output.splitlines() if line.startswith("│ optimised"))
    assert f" {numbers.value(plans.optimised.carbon_cost, 'USD', 'USD')} " in row  # its own column
    md = render_report(priced, "md", analysis=False).decode()
    header = next(line for line in md.splitlines() if line.startswith("| Plan | Role"))
    assert f"| {CARBON} |" in header
