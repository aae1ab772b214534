"""Tables people read in the app: words and units in the headers, numbers formatted as text.

Built from `Results` (and the region view of `tco.presentation.whatif`) with the labels of
`tco.presentation.labels` and the number formats of the reports (`tco.presentation.reports.numbers`):
money to the cent with thousands separators, per-query values to 4 significant digits, never scientific
notation, missing values as an en dash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from tco.presentation import labels
from tco.presentation.reports import numbers
from tco.presentation.reports.content import EXTRA_UNITS

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results

# Rows of the Table view, in reading order.
SUMMARY_ROWS = [
    "tco_cost",
    "npv_cost",
    "tco_after_tax_cost",  # with a tax rate only (AFTER_TAX_ROWS)
    "npv_after_tax_cost",
    "levelised_cost_per_1k_queries",
    "cost_per_1k_queries",
    "tokens_out",
    "cost_per_correct_1k",
    "g_per_query",
    "g_per_correct",
    "emissions_kg",
    "emissions_operational_kg",
    "emissions_embodied_kg",
    "energy_kwh",
    "water_l",
    "ml_water_per_query",
    "adpe_kgsbeq",
    "mg_sb_per_query",
    "pe_mj",
    "kj_pe_per_query",
    "accelerators_peak",
    "provisioned_kw",
    "average_draw_kw",
    "tokens_per_s_per_provisioned_mw",
    "quality",
    "latency_p95_s",
    "slo_met",
    "meets_quality_floor",
    "break_even_month",
    "cost_ratio_to_baseline",
]
REGION_COLUMNS = [
    "region",
    "region_name",
    "grid_intensity_g_per_kwh",
    "electricity_price",
    "levelised_cost_per_1k_queries",
    "g_per_query",
    "tco_cost",
]
ASSUMPTION_COLUMNS = ["option", "parameter", "value", "unit", "source", "year"]
SCENARIO_WIDE = "(all)"  # the option value of scenario-wide assumptions
SCENARIO_WIDE_LABEL = "Scenario-wide inputs"


def _unit(units: dict[str, str], column: str) -> str:
    return str(units.get(column, EXTRA_UNITS.get(column, "")))


def _as_text(frame: pd.DataFrame, cols: list[str], units: dict[str, str], currency: str) -> pd.DataFrame:
    """Columns `cols` of `frame` under headers in words with units, each value formatted as text."""
    return pd.DataFrame(
        {
            labels.header(c, _unit(units, c)): [numbers.value(v, _unit(units, c), currency) for v in frame[c]]
            for c in cols
        }
    )


AFTER_TAX_ROWS = ("tco_after_tax_cost", "npv_after_tax_cost")  # shown where the scenario sets a tax rate


def summary_table(results: Results) -> pd.DataFrame:
    """Measures as rows (`Total cost of ownership (USD)`), options as columns, cells formatted as text; the
    after-tax totals where the scenario sets a tax rate."""
    units = {**EXTRA_UNITS, **results.units}
    s = results.summary
    taxed = float(results.resolved.finance.tax_rate) > 0
    rows = [r for r in SUMMARY_ROWS if r in s.columns and (taxed or r not in AFTER_TAX_ROWS)]
    data = {
        str(oid): [numbers.value(s.loc[oid, r], _unit(units, r), results.currency) for r in rows]
        for oid in s.index
    }
    index = pd.Index([labels.header(r, _unit(units, r)) for r in rows], name="Measure")
    return pd.DataFrame(data, index=index)


def region_table(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The region view's numbers in words and units, formatted as text; the current region marked."""
    units = dict(frame.attrs.get("units", {}))
    cols = [c for c in REGION_COLUMNS if c in frame.columns]
    if frame.attrs.get("deployment", "on-prem") != "on-prem":  # rent and token prices include power
        cols.remove("electricity_price")
    out = _as_text(frame, cols, units, currency)
    if "current" in frame.columns:
        out.insert(0, labels.LABELS["current"], ["yes" if bool(x) else "" for x in frame["current"]])
    return out


def assumption_choices(results: Results) -> list[str]:
    """Filter values of the Assumptions view: every option, the scenario-wide inputs, then each option."""
    ids = [str(o) for o in results.summary["option"]]
    return ["Every option", SCENARIO_WIDE_LABEL, *ids]


def assumptions_table(results: Results, choice: str = "Every option") -> pd.DataFrame:
    """The assumptions (inputs with their sources) for one choice of `assumption_choices`, in words."""
    a = results.assumptions
    if choice == SCENARIO_WIDE_LABEL:
        a = a[a["option"] == SCENARIO_WIDE]
    elif choice != "Every option":
        a = a[a["option"] == choice]
    out = a[ASSUMPTION_COLUMNS].copy()
    out["option"] = out["option"].map(lambda o: "scenario-wide" if o == SCENARIO_WIDE else str(o))
    out["value"] = out["value"].map(numbers.assumption_value)
    out["year"] = ["" if numbers.is_missing(y) else str(int(y)) for y in out["year"]]
    out["source"] = out["source"].fillna("")
    names = {c: labels.label(c) for c in ASSUMPTION_COLUMNS}
    names["year"] = "Source year"
    return out.rename(columns=names).reset_index(drop=True)


__all__ = ["assumption_choices", "assumptions_table", "region_table", "summary_table"]


def hourly_table(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The hour-by-hour view of one option (`tco.analysis.curve.hourly_frame`) in words and units, numbers
    formatted as text like every other table."""
    return _as_text(frame, [str(c) for c in frame.columns], dict(frame.attrs.get("units", {})), currency)
