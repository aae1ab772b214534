"""tco.presentation.charts: every chart builds valid Vega-Lite from the engine's frames, with units on the axes."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from tco.analysis.pareto import pareto_front, tradeoff_frame
from tco.analysis.regions import region_sweep
from tco.api import LoadedScenario, Results, View, compute_view, evaluate, load_scenario
from tco.presentation import charts, reference

# the single-task scenario (the default before the task portfolio): these tests pin its numbers
SCENARIO = "slm-vs-llm"


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def results(loaded: LoadedScenario) -> Results:
    return evaluate(loaded)


@pytest.fixture(scope="module")
def view(loaded: LoadedScenario, results: Results) -> View:
    return compute_view(loaded, results=results, charts=True)


def _titles(spec: object) -> list[str]:
    """Every axis title in a Vega-Lite spec (nested layers, facets)."""
    out: list[str] = []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k in ("x", "y") and isinstance(v, dict) and isinstance(v.get("title"), str):
                out.append(v["title"])
            out += _titles(v)
    elif isinstance(spec, list):
        for v in spec:
            out += _titles(v)
    return out


def test_report_charts_are_valid_vega_lite(view: View) -> None:
    got = charts.report_charts(view)
    assert list(got) == [
        "Cumulative cost",
        "Yearly cost by component",
        "Emissions: operational vs embodied",
        "Quality vs levelised cost",
        "Quality vs emissions per query",
        "Load curve: cost and energy per query against load",  # issue 9: the load curve in the reports
    ]
    for chart in got.values():
        assert chart.to_dict()["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_axis_titles_carry_units(results: Results) -> None:
    cur = results.currency
    assert f"Cumulative cost ({cur})" in _titles(charts.cumulative_cost_chart(results).to_dict())
    assert f"Cost per year ({cur})" in _titles(charts.yearly_cost_chart(results).to_dict())
    assert "Emissions over the horizon (tCO2e)" in _titles(charts.emissions_split_chart(results).to_dict())


def test_break_even_points_follow_the_summary(results: Results) -> None:
    be = charts.break_even_points(results)
    s = results.summary
    expected = s[~s["is_baseline"] & s["break_even_month"].notna()]
    assert list(be["option"]) == list(expected["option"])
    assert list(be["month"]) == [int(m) for m in expected["break_even_month"]]
    pp = results.per_period.set_index(["option", "month"])
    for _, row in be.iterrows():
        assert row["cumulative_cost"] == pp.loc[(row["option"], row["month"]), "cumulative_cost"]


def test_yearly_frame_sums_to_the_accounting_view(results: Results) -> None:
    long = charts.yearly_cost_frame(results)
    y = results.yearly()
    comps = [c for c in charts.YEARLY_COMPONENTS if c in y.columns]
    by_year = long.groupby(["option", "year"])["cost"].sum()
    for _, row in y.iterrows():
        assert by_year[(row["option"], row["year"])] == pytest.approx(sum(row[c] for c in comps))


def test_emissions_split_matches_summary_totals(results: Results) -> None:
    df = charts.emissions_split_frame(results)
    per_option = df.groupby("option")["tco2e"].sum()
    for opt, kg in zip(results.summary["option"], results.summary["emissions_kg"], strict=True):
        assert per_option[opt] == pytest.approx(kg / 1000.0)
    assert {"Operational (electricity)", "Embodied (manufacturing)"} <= set(df["source"])


@pytest.mark.parametrize("x", ["cost", "emissions"])
def test_tradeoff_front_and_missing_quality_note(loaded: LoadedScenario, x: str) -> None:
    raw = copy.deepcopy(loaded.raw)
    ids = [o["id"] for o in raw["options"]]
    for o in raw["options"][1:]:  # give all but the first a known quality, drop the first one's
        o["quality"] = {
            "task": raw["workload"]["task"],
            "metric": "accuracy",
            "value": "0.9",
            "source": "test",
        }
    first = raw["options"][0]
    first["quality"] = {"task": raw["workload"]["task"], "metric": "accuracy", "value": "0", "source": "test"}
    res = evaluate(loaded.with_changes(raw))
    res.summary.loc[ids[0], "quality"] = float("nan")  # an option without a score
    frame = tradeoff_frame(res, x)
    assert list(frame["option"]) == ids[1:]
    assert list(frame["on_front"]) == pareto_front(list(frame["x"]), list(frame["quality"]))
    assert res.scenario is not None
    spec = charts.quality_tradeoff_chart(compute_view(res.scenario, results=res, charts=True), x).to_dict()  # type: ignore[arg-type]
    assert f"Not shown (no quality score): {ids[0]}" in spec["title"]["subtitle"]
    col, what = charts.TRADEOFF_AXES[x]
    assert f"{what} ({res.units[col]})" in _titles(spec)


def test_tradeoff_without_any_quality_is_a_note(results: Results, view: View) -> None:
    res = copy.copy(results)
    res.summary = results.summary.assign(quality=float("nan"))
    assert res.scenario is not None
    spec = charts.quality_tradeoff_chart(
        compute_view(res.scenario, results=res, charts=True), "cost"
    ).to_dict()
    assert spec["mark"]["type"] == "text"
    with pytest.raises(ValueError, match="x must be one of cost, emissions, got 'price'"):
        charts.quality_tradeoff_chart(view, "price")  # type: ignore[arg-type]


def test_region_chart(loaded: LoadedScenario) -> None:
    opt = next(o.id for o in loaded.spec.options if o.deployment != "api")
    frame = region_sweep(loaded, opt, sorted(loaded.repo.regions)[:3])
    spec = charts.region_chart(frame).to_dict()
    assert f"Region view: {opt} in every region" == spec["title"]["text"]
    assert f"Emissions ({frame.attrs['units']['g_per_query']})" in _titles(spec)


def test_reference_tables(loaded: LoadedScenario) -> None:
    repo = loaded.repo
    assert list(reference.profiles_table(repo.models.values())["profile"]) == list(repo.models)
    assert list(reference.hardware_table(repo.hardware.values())["hardware"]) == list(repo.hardware)
    assert list(reference.regions_table(repo.regions.values())["region"]) == list(repo.regions)
    assert len(reference.apis_table(repo.apis.values())) == len(repo.apis)
    points = charts.profile_points_frame(repo.models.values())
    assert len(points) == sum(len(p.ok_points()) for p in repo.models.values())
    chart = charts.profile_comparison_chart(list(repo.models.values())[:2], "throughput").to_dict()
    assert "Throughput per replica (query/s)" in _titles(chart)
    assert isinstance(points, pd.DataFrame)


def test_load_curve_and_hourly_charts_are_valid_vega_lite(results: Results, view: View) -> None:
    from tco.analysis.curve import hourly_frame

    spec = charts.load_curve_chart(view).to_dict()
    assert len(spec["hconcat"]) == 2
    hosted = next(o.id for o in results.resolved.options if o.deployment != "api")
    frame = hourly_frame(results.resolved, hosted, 0)
    assert len(frame) == 24
    assert charts.hourly_chart(frame).to_dict()["layer"]


def test_api_prices_show_per_million_tokens(loaded: LoadedScenario) -> None:
    """Stored per token (1.8e-07 USD/token), shown per million tokens: 0.18 USD, never 1.8e-07."""
    repo = loaded.repo
    table = reference.apis_table(repo.apis.values()).set_index("api")
    for api_id, a in repo.apis.items():
        per_m = a.price.input.value * 1e6
        assert (
            table.loc[api_id, "input price (per million tokens)"] == f"{per_m:,.4g} {a.price.input.currency}"
        )
        assert "e-" not in table.loc[api_id, "input price (per million tokens)"]
    assert (table["input price (per million tokens)"] == "0.18 USD").any()


def test_quality_legend_lists_only_plotted_options(results: Results, view: View) -> None:
    spec = charts.quality_tradeoff_chart(view, x="cost").to_dict()
    domains = [
        layer["encoding"]["color"]["scale"]["domain"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {}) and "scale" in layer["encoding"]["color"]
    ]
    plotted = {
        str(o) for o, q in zip(results.summary["option"], results.summary["quality"], strict=True) if q == q
    }
    assert domains and all(set(d) == plotted for d in domains)
    assert not [layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "text"]


def test_subtitles_are_wrapped_to_the_chart_width(view: View) -> None:
    for chart in charts.report_charts(view).values():
        title = chart.to_dict()["title"]
        sub = title.get("subtitle", [])
        for line in [sub] if isinstance(sub, str) else sub:
            assert len(line) <= charts.SUBTITLE_CHARS, line
