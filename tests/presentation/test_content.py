"""Shared report content: number formatting, comparison lines, analysis and chart discovery."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

import tco.analysis.tables
from tco.api import Results, View, compute_view
from tco.presentation.reports import content, numbers


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0119372, "0.01194"),
        (0.100477, "0.1005"),
        (2894744138.98, "2,894,744,139"),
        (6.8123, "6.812"),
        (1234.5, "1,234"),
        (0.00019252, "0.0001925"),
        (math.nan, "–"),
        (None, "–"),
    ],
)
def test_significant_digits(value: float | None, text: str) -> None:
    assert numbers.significant(value) == text


def test_money_and_units_pick_the_format() -> None:
    assert numbers.money(34555.9309) == "34,555.93"
    assert numbers.value(34555.9309, "USD", "USD") == "34,555.93"
    assert numbers.value(0.0119372, "USD/1k queries", "USD") == "0.01194"
    assert numbers.value(0.00101234, "gCO2e/query", "USD") == "0.001012"
    assert numbers.value(795259379.2, "query", "USD") == "795,259,379"
    assert numbers.value(True, "", "USD") == "yes"
    assert numbers.value(pd.NA, "", "USD") == "–"


def _fake(rows: list[dict[str, object]], baseline: str) -> Results:
    base = {"meets_quality_floor": True, "slo_met": True, "capacity_shortfall": False}
    frame = pd.DataFrame([{**base, **r} for r in rows]).set_index("option", drop=False)
    return SimpleNamespace(summary=frame, baseline=baseline)  # type: ignore[return-value]


def test_comparison_line_golden() -> None:
    r = _fake(
        [
            {"option": "llm-h100", "cost_per_1k_queries": 0.41, "g_per_query": 0.9, "quality": 0.93},
            {"option": "slm-l4", "cost_per_1k_queries": 0.01, "g_per_query": 0.001, "quality": 0.91},
        ],
        "llm-h100",
    )
    assert content.comparison_lines(r) == [
        "slm-l4 vs llm-h100: cost per 1k queries ×0.024, CO2e per query ×0.0011, quality 0.91 vs 0.93"
    ]


def test_comparison_line_small_differences_and_flags() -> None:
    r = _fake(
        [
            {"option": "base", "cost_per_1k_queries": 1.0, "g_per_query": 1.0, "quality": math.nan},
            {
                "option": "alt",
                "cost_per_1k_queries": 1.12,
                "g_per_query": 0.5,
                "quality": 0.8,
                "slo_met": False,
                "meets_quality_floor": False,
            },
            {"option": "same", "cost_per_1k_queries": 1.001, "g_per_query": 2.5, "quality": math.nan},
        ],
        "base",
    )
    assert content.comparison_lines(r) == [
        "alt vs base: cost per 1k queries ×1.12, CO2e per query ×0.50, quality 0.8 vs unknown "
        "(below the quality floor; misses the latency SLO)",
        "same vs base: cost per 1k queries ×1.00, CO2e per query ×2.50",
    ]


def test_a_view_without_analysis_says_so(results: Results) -> None:
    rc = content.gather(View(results), charts=False)
    assert rc.analysis == {}
    assert any(
        "Sensitivity and uncertainty results not included: not computed for this view" in n for n in rc.notes
    )


def test_the_view_computes_the_analysis_once_and_the_report_shows_it(
    results: Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = pd.DataFrame({"option": ["onprem-auto"], "p_cheapest": [0.7]})
    seen = []

    def analysis_tables(loaded: object, *, results: object = None) -> dict[str, pd.DataFrame]:
        seen.append(loaded)
        return {"Win probabilities": table}

    monkeypatch.setattr(tco.analysis.tables, "analysis_tables", analysis_tables)
    assert results.scenario is not None
    view = compute_view(results.scenario, results=results, analysis=True)
    rc = content.gather(view, charts=False)
    content.gather(view, charts=False)  # gathering again computes nothing
    assert seen == [results.scenario]
    assert list(rc.analysis) == ["Win probabilities"]
    assert not any("not included" in n for n in rc.notes)


def test_given_analysis_wins_over_computing_it(results: Results, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(loaded: object, **kwargs: object) -> dict[str, pd.DataFrame]:
        raise AssertionError("must not be called")

    monkeypatch.setattr(tco.analysis.tables, "analysis_tables", fail)
    assert results.scenario is not None
    view = compute_view(
        results.scenario, results=results, analysis={"Tornado": pd.DataFrame({"parameter": ["pue"]})}
    )
    rc = content.gather(view, charts=False)
    assert list(rc.analysis) == ["Tornado"]


def test_units_cover_every_summary_column_shown(results: Results) -> None:
    units = content.units_of(results)
    assert units["tco_cost"] == "USD"
    assert units["cost_per_1k_queries"] == "USD/1k queries"
    assert units["g_per_query"] == "gCO2e/query"
    assert units["accelerators_peak"] == "accelerator"
    assert all(c in units for c in content.SUMMARY_COLUMNS if c != "quality")
