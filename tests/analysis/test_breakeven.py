from __future__ import annotations

import pytest

from tco.analysis.breakeven import break_even, break_evens
from tco.scenario.analysis_inputs import Bounds
from tco.scenario.variables import VARIABLES

from .conftest import api_option, cloud_option

# API cost = qpd x 30.4375 x 12 x c equals cloud cost = fleet x 730.5 x 12 x price at
# qpd = fleet x 24 x price / c = 2 x 24 x 2 / 0.001 = 96,000 queries/day.
ANALYTIC_QPD = 96_000.0


def test_demand_break_even_matches_the_analytic_value(workload, finance):
    b = Bounds(VARIABLES["queries_per_day"], "absolute", 1_000.0, 1_000_000.0)
    r = break_even(api_option(), cloud_option(), workload, finance, b)
    assert r.value == pytest.approx(ANALYTIC_QPD, rel=1e-6)
    assert r.a_better_below is True  # the API is cheaper at low demand
    assert r.text == "9.6e+04 query/day"


def test_factor_break_even_reports_the_demand_it_means(workload, finance):
    b = Bounds(VARIABLES["queries_per_day"], "factor", 0.1, 100.0)
    r = break_even(api_option(), cloud_option(), workload, finance, b)
    assert r.value == pytest.approx(ANALYTIC_QPD / 10_000.0, rel=1e-6)
    assert r.text == "9.6e+04 query/day (x9.6)"


def test_no_flip_within_the_range(workload, finance):
    b = Bounds(VARIABLES["queries_per_day"], "absolute", 1_000.0, 50_000.0)
    r = break_even(api_option(), cloud_option(), workload, finance, b)
    assert r.value is None
    assert r.text == "no flip within [1000, 5e+04] query/day"


@pytest.mark.parametrize("price", [1.0, 2.5, 4.0])
def test_cloud_price_break_even(workload, finance, price):
    # at 10,000 queries/day the API costs 10,000 x 30.4375 x 12 x 0.001; the fleet ties at price = that / (2 x 730.5 x 12)
    b = Bounds(VARIABLES["cloud_price"], "absolute", 0.0, 10.0)
    frame = break_evens(
        [api_option(), cloud_option(price=price)], workload, finance, {"cloud_price": b}, ("api", "cloud")
    )
    assert frame.loc[0, "value"] == pytest.approx(10_000 * 30.4375 * 0.001 / (2 * 730.5), rel=1e-6)
    assert frame.loc[0, "better_below"] == "cloud"
    assert frame.loc[0, "better_above"] == "api"
