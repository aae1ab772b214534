"""What each chart plots, against the engine's frames: the app's charts (their Vega-Lite data) and the charts the
Markdown and HTML reports embed (their SVG, read back through the marks' ARIA labels, which Vega writes from the
plotted values). The yearly chart holds costs only, one stack per cost line of the engine's accounting view
(tco.engine.components), in the reporting currency, summing to the engine's yearly totals.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pandas as pd
import pytest

from tco.api import Results, evaluate, load_scenario, render_report
from tco.engine.components import accounting_view
from tco.engine.constants import KG_PER_T
from tco.presentation import charts

# the report fixture (every deployment kind and cost component) and two shipped scenarios: loans, leases, API
SHIPPED = ("financing", "slm-vs-llm")
ACCOUNTING = {line.column: line.label for line in accounting_view()}


def _engine_yearly(results: Results) -> pd.DataFrame:
    """Cost per option, year and accounting line, summed from the engine's monthly frame."""
    pp = results.per_period
    long = (
        pp.groupby(["option", "year"], sort=False, observed=True)[list(ACCOUNTING)]
        .sum()
        .reset_index()
        .melt(id_vars=["option", "year"], var_name="column", value_name="cost")
    )
    long["component"] = long["column"].map(ACCOUNTING)
    return long


def _spec_data(chart: Any) -> pd.DataFrame:
    """The rows a chart plots (its one inline dataset)."""
    spec = chart.to_dict()
    datasets = list(spec["datasets"].values())
    assert len(datasets) == 1, list(spec["datasets"])
    return pd.DataFrame(datasets[0])


def check_yearly(plotted: pd.DataFrame, results: Results, tolerance: float) -> None:
    """`plotted` (option, year, component, cost) is the engine's accounting view: every non-zero cost line,
    nothing that is not a cost line, each value and each year's sum."""
    want = _engine_yearly(results)
    assert set(plotted["component"]) <= set(ACCOUNTING.values()), set(plotted["component"])
    nonzero = set(want.loc[want["cost"] != 0, "component"])
    assert set(plotted["component"]) == nonzero
    want = want[want["component"].isin(nonzero)]
    key = ["option", "year", "component"]
    merged = want.merge(plotted[[*key, "cost"]], on=key, how="outer", suffixes=("_engine", "_plotted"))
    assert not merged.isna().any().any(), merged[merged.isna().any(axis=1)]
    for _, row in merged.iterrows():
        assert row["cost_plotted"] == pytest.approx(row["cost_engine"], abs=tolerance, rel=1e-12), tuple(row)
    sums = plotted.groupby(["option", "year"])["cost"].sum()
    y = results.yearly().set_index(["option", "year"])["accounting_total_cost"]
    for idx, total in y.items():
        assert sums[idx] == pytest.approx(total, abs=tolerance * len(nonzero)), idx


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request: pytest.FixtureRequest) -> Results:
    return evaluate(load_scenario(request.param))


def test_the_yearly_chart_plots_the_engines_cost_lines(results: Results, shipped: Results) -> None:
    for res in (results, shipped):
        chart = charts.yearly_cost_chart(res)
        data = _spec_data(chart)
        data["year"] = data["year"].astype(int)
        check_yearly(data, res, tolerance=1e-6)
        spec = chart.to_dict()
        assert spec["spec"]["encoding"]["y"]["title"] == f"Cost per year ({res.currency})"
        assert res.units["total_cost"] == res.currency


def test_the_emissions_chart_plots_the_engines_totals(results: Results, shipped: Results) -> None:
    for res in (results, shipped):
        data = _spec_data(charts.emissions_split_chart(res))
        per_option = data.groupby("option")["tco2e"].sum()
        for opt, kg in res.summary["emissions_kg"].items():
            assert per_option[opt] == pytest.approx(kg / KG_PER_T, rel=1e-12)
        op = data[data["source"] == "Operational (electricity)"].set_index("option")["tco2e"]
        for opt, kg in res.summary["emissions_operational_kg"].items():
            assert op[opt] == pytest.approx(kg / KG_PER_T, rel=1e-12)


def test_the_cumulative_chart_plots_the_engines_monthly_totals(results: Results, shipped: Results) -> None:
    for res in (results, shipped):
        chart = charts.cumulative_cost_chart(res).to_dict()
        lines = next(pd.DataFrame(d) for d in chart["datasets"].values() if "total_cost" in d[0])
        pp = res.per_period
        assert len(lines) == len(pp)
        assert list(lines["cumulative_cost"]) == pytest.approx(list(pp["cumulative_cost"]), rel=1e-12)
        for opt, group in pp.groupby("option", sort=False):
            assert group["cumulative_cost"].iloc[-1] == pytest.approx(
                res.summary.loc[opt, "tco_cost"], rel=1e-9
            )


# --------------------------------------------------------------------------- the reports' SVG charts

_BAR = re.compile(
    r"Year: (?P<year>\d+); Cost per year \((?P<cur>[A-Z]{3})\): [-\u2212\d,.]+; Component: (?P<component>[^;]+); "
    r"order: \d+; Option: (?P<option>[^;]+); Cost \([A-Z]{3}\): (?P<cost>[-\u2212\d,.]+)"
)


def yearly_bars(svg: str) -> pd.DataFrame:
    """The yearly chart's bars as the SVG draws them (their ARIA labels), cost to the unit it shows."""
    rows = [
        {
            "option": m["option"],
            "year": int(m["year"]),
            "component": m["component"].replace("&amp;", "&"),
            "cost": float(m["cost"].replace(",", "").replace("\u2212", "-")),  # Vega writes a minus sign
            "currency": m["cur"],
        }
        for m in _BAR.finditer(svg)
    ]
    assert rows, "no bar of the yearly chart found"
    return pd.DataFrame(rows)


def _svgs(fmt: str, results: Results) -> dict[str, str]:
    text = render_report(results, fmt, analysis=False).decode("utf-8")
    if fmt == "html":
        return dict(re.findall(r'<figure aria-label="([^"]+)">(.*?)</figure>', text, flags=re.S))
    found = re.findall(r"!\[([^\]]+)\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", text)
    return {title: base64.b64decode(data).decode("utf-8") for title, data in found}


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_each_report_plots_the_engines_yearly_costs(fmt: str, results: Results, shipped: Results) -> None:
    for res in (results, shipped):
        svgs = _svgs(fmt, res)
        bars = yearly_bars(svgs["Yearly cost by component"])
        assert set(bars["currency"]) == {res.currency}
        check_yearly(bars, res, tolerance=0.5)  # the label shows whole units of money
