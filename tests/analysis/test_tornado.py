from __future__ import annotations

from dataclasses import replace

import pytest

from tco.analysis.tornado import left_out_note, moving_inputs, tornado
from tco.scenario.analysis_inputs import Bounds
from tco.scenario.variables import VARIABLES

from .conftest import DAYS_PER_MONTH, HOURS_PER_MONTH, MONTHS, api_option, cloud_option


def _b(name: str, kind: str, low: float, high: float) -> Bounds:
    return Bounds(VARIABLES[name], kind, low, high)  # type: ignore[arg-type]


def test_cloud_price_range_moves_tco_by_the_same_fraction(workload, finance):
    df = tornado([cloud_option()], workload, finance, {"cloud_price": _b("cloud_price", "factor", 0.8, 1.2)})
    row = df.iloc[0]
    base = 2 * HOURS_PER_MONTH * MONTHS * 2.0
    assert row["tco_cost_base"] == pytest.approx(base)
    assert row["tco_cost_low"] == pytest.approx(0.8 * base)
    assert row["tco_cost_high"] == pytest.approx(1.2 * base)
    assert row["tco_cost_swing"] == pytest.approx(0.4 * base)
    assert row["emissions_kg_swing"] == 0.0
    assert row["low_input"] == "x0.8 (1.6 USD/accelerator-hour)"


def test_absolute_range_replaces_the_value(workload, finance):
    df = tornado(
        [cloud_option()], workload, finance, {"cloud_price": _b("cloud_price", "absolute", 1.0, 4.0)}
    )
    row = df.iloc[0]
    assert row["tco_cost_low"] == pytest.approx(2 * HOURS_PER_MONTH * MONTHS * 1.0)
    assert row["tco_cost_high"] == pytest.approx(2 * HOURS_PER_MONTH * MONTHS * 4.0)


def test_inputs_ranked_by_swing_and_unaffected_dropped(workload, finance):
    bounds = {
        "api_price": _b("api_price", "factor", 0.5, 1.5),  # swing 100 % of TCO
        "queries_per_day": _b("queries_per_day", "factor", 0.9, 1.1),  # swing 20 % of TCO
        "cloud_price": _b("cloud_price", "factor", 0.5, 1.5),  # no effect on an API option
    }
    df = tornado([api_option()], workload, finance, bounds)
    base = 10_000 * DAYS_PER_MONTH * MONTHS * 0.001
    assert list(df["input"]) == ["api_price", "queries_per_day"]
    assert list(df["rank_tco"]) == [1, 2]
    assert df.iloc[0]["tco_cost_swing"] == pytest.approx(base)
    assert df.iloc[1]["tco_cost_swing"] == pytest.approx(0.2 * base)
    # emissions follow demand only: energy x intensity per query
    assert df.iloc[1]["emissions_kg_swing"] == pytest.approx(
        0.2 * 10_000 * DAYS_PER_MONTH * MONTHS * 0.0001 * 0.1
    )
    kept = tornado([api_option()], workload, finance, bounds, keep_unaffected=True)
    assert len(kept) == 3


def test_per_option_ranges_replace_shared_ones(workload, finance):
    shared = {"cloud_price": _b("cloud_price", "factor", 0.8, 1.2)}
    df = tornado(
        [cloud_option("a"), cloud_option("b")],
        workload,
        finance,
        shared,
        {"b": {"cloud_price": _b("cloud_price", "factor", 0.5, 1.5)}},
    )
    swings = dict(zip(df["option"], df["tco_cost_swing"], strict=True))
    assert swings["b"] == pytest.approx(swings["a"] * 2.5)


def test_price_trend_range_moves_the_rent_along_its_path(workload, finance):
    df = tornado(
        [cloud_option()],
        workload,
        finance,
        {"cloud_price_trend": _b("cloud_price_trend", "absolute", -0.5, 0.5)},
    )
    row = df.iloc[0]
    monthly = 2 * HOURS_PER_MONTH * 2.0  # 2,922 USD in month 0
    # rent in month t x (1 + trend)^(t/12): a geometric series of 12 months with ratio (1 + trend)^(1/12)
    for col, trend in (("tco_cost_low", -0.5), ("tco_cost_high", 0.5)):
        q = (1 + trend) ** (1 / 12)
        assert row[col] == pytest.approx(monthly * (1 - q**MONTHS) / (1 - q), rel=1e-12)
    assert row["low_input"] == "-50 %/year"  # a fraction per year reads as a percentage


def test_moving_inputs_leaves_out_what_moves_none_of_tco_npv_and_emissions(workload, finance):
    """On a grid with no carbon, an API option's energy per query moves nothing (it pays per query):
    every tornado shown leaves it out and names it. The discount rate moves only NPV (TCO is undiscounted):
    it stays. (Inputs that cannot apply at all get no row.)"""
    bounds = {
        "api_price": _b("api_price", "factor", 0.5, 1.5),
        "energy_per_query": _b("energy_per_query", "factor", 0.5, 1.5),
        "discount_rate": _b("discount_rate", "absolute", 0.0, 0.2),
    }
    clean = [replace(api_option(o), grid_intensity_kg_per_kwh=0.0) for o in ("a", "b")]
    df = tornado(clean, workload, finance, bounds, keep_unaffected=True)
    rate = df[df["input"] == "discount_rate"]
    assert len(rate) == 2 and (rate["npv_cost_swing"] > 0).all()
    assert (rate["tco_cost_swing"] == 0).all() and (rate["emissions_kg_swing"] == 0).all()
    kept, dropped = moving_inputs(df)
    assert sorted(kept["input"]) == ["api_price", "api_price", "discount_rate", "discount_rate"]
    assert kept.attrs == df.attrs
    assert dropped == ["energy_per_query (a, b)"]
    assert left_out_note(dropped) == (
        "left out, they move neither TCO, net present cost nor emissions here: energy_per_query (a, b)"
    )
    assert moving_inputs(df, "label")[1] == [f"{VARIABLES['energy_per_query'].label} (a, b)"]


def test_moving_inputs_keeps_an_input_that_moves_emissions_only(workload, finance):
    df = tornado(
        [api_option()], workload, finance, {"grid_intensity": _b("grid_intensity", "factor", 0.5, 1.5)}
    )
    assert df.iloc[0]["tco_cost_swing"] == 0 and df.iloc[0]["emissions_kg_swing"] > 0
    kept, dropped = moving_inputs(df)
    assert len(kept) == 1 and dropped == []
