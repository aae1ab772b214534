"""The workbook's cost columns are the engine's declared components (tco.engine.components): a component
declared there gets its column on every projection sheet (the engine's values, marked static, when the
workbook has no formula for it), and the workbook's total and tax saving, recomputed from its formulas,
still equal the engine's."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest

from tco.api import LoadedScenario, render_report, scenario_from_dict
from tco.engine import components as cc
from tco.engine.components import COMPONENTS, CostBasis, CostComponent
from tco.presentation.reports import xlsx
from tests.presentation import excel_eval
from tests.presentation.conftest import scenario_dict

EGRESS_PER_QUERY = 2e-6  # currency per query: a toy network-egress price


def _egress(b: CostBasis) -> np.ndarray:
    return b.op.queries * EGRESS_PER_QUERY


EGRESS = CostComponent(
    name="egress", label="Network egress", deductible=True, operating=True, compute=_egress, note="toy"
)


@pytest.fixture
def loaded() -> LoadedScenario:
    return scenario_from_dict(scenario_dict(), file="report-test.yaml")


def test_a_declared_cost_component_is_a_column_and_a_term_of_the_workbooks_total(
    loaded: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cc, "COMPONENTS", (*COMPONENTS, EGRESS))
    data = render_report(loaded, "xlsx", analysis={})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    values = excel_eval.Workbook(io.BytesIO(data)).recompute()
    from tco.api import evaluate

    per = evaluate(loaded).per_period
    for option in per["option"].unique():
        ws = wb[f"Projection {option}"]
        cols = {str(c.value): c.column_letter for c in ws[xlsx.FIRST_ROW - 2] if c.value}
        keys = list(cols)
        assert keys.index("egress_cost") == keys.index("carbon_cost") + 1  # the engine's order
        assert keys.index("total_cost") == keys.index("egress_cost") + 1
        assert "static" in str(ws[f"{cols['egress_cost']}{xlsx.FIRST_ROW - 1}"].value)
        assert "egress_cost" in str(ws["A2"].value) and ws["A3"].value == "month"
        mine = per[per["option"] == option].reset_index(drop=True)
        for t in range(len(mine)):
            r = xlsx.FIRST_ROW + t
            assert ws[f"{cols['egress_cost']}{r}"].value == pytest.approx(
                mine.at[t, "egress_cost"], rel=1e-12
            )
            total = values[(ws.title, f"{cols['total_cost']}{r}")]
            assert total == pytest.approx(mine.at[t, "total_cost"], rel=1e-9, abs=1e-9)
            saving = values[(ws.title, f"{cols['tax_saving']}{r}")]
            assert saving == pytest.approx(mine.at[t, "tax_saving"], rel=1e-9, abs=1e-9)
        assert mine["egress_cost"].sum() > 0


def test_the_shipped_components_all_have_their_formulas(loaded: LoadedScenario) -> None:
    """No column is the engine's values where nothing is financed or committed: every component of the table
    has its formula."""
    wb = openpyxl.load_workbook(io.BytesIO(render_report(loaded, "xlsx", analysis={})))
    for ws in wb.worksheets:
        if ws.title.startswith("Projection "):
            units = [str(c.value) for c in ws[xlsx.FIRST_ROW - 1] if c.value]
            assert not [u for u in units if "static" in u], ws.title
            assert "Columns marked" not in str(ws["A2"].value), ws.title
            assert ws["A3"].value == "month"  # the first header, not a note over it
