from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.analysis.montecarlo import monte_carlo
from tco.scenario.distributions import Dist, normal_quantile, uniforms

from .conftest import DAYS_PER_MONTH, MONTHS, api_option, cloud_option

N = 20_000


def _uniform(low: float, high: float) -> Dist:
    return Dist("range", {"low": low, "high": high}, "factor")


def test_mean_of_a_uniform_price_factor_matches_the_analytic_mean(workload, finance):
    r = monte_carlo([api_option()], workload, finance, {"api_price": _uniform(0.5, 1.5)}, samples=N, seed=1)
    tco = r.metrics["api"]["tco_cost"]
    base = 10_000 * DAYS_PER_MONTH * MONTHS * 0.001
    sd = base * 1.0 / math.sqrt(12)  # uniform of width 1 x base
    assert tco.mean() == pytest.approx(base, abs=4 * sd / math.sqrt(N))
    assert tco.min() >= 0.5 * base and tco.max() <= 1.5 * base
    p = r.percentiles().set_index(["option", "metric"]).loc[("api", "tco_cost")]
    assert p["p10"] == pytest.approx(0.6 * base, rel=0.01)
    assert p["p50"] == pytest.approx(1.0 * base, rel=0.01)
    assert p["p90"] == pytest.approx(1.4 * base, rel=0.01)


def test_same_seed_same_numbers_other_seed_other_numbers(workload, finance):
    dists = {
        "api_price": _uniform(0.5, 1.5),
        "queries_per_day": Dist("lognormal", {"median": 1.0, "sigma": 0.3}, "factor"),
    }
    a = monte_carlo([api_option()], workload, finance, dists, samples=500, seed=7)
    b = monte_carlo([api_option()], workload, finance, dists, samples=500, seed=7)
    c = monte_carlo([api_option()], workload, finance, dists, samples=500, seed=8)
    np.testing.assert_array_equal(a.metrics["api"]["tco_cost"], b.metrics["api"]["tco_cost"])
    assert not np.array_equal(a.metrics["api"]["tco_cost"], c.metrics["api"]["tco_cost"])


def test_draws_of_one_input_do_not_depend_on_the_others():
    alone = uniforms(3, ["pue"], 100)["pue"]
    together = uniforms(3, ["energy_per_query", "pue", "discount_rate"], 100)["pue"]
    np.testing.assert_array_equal(alone, together)


def test_win_probability_with_common_random_numbers(workload, finance):
    # Two identical options see the same draws: neither ever beats the other.
    r = monte_carlo(
        [api_option("a"), api_option("b")],
        workload,
        finance,
        {"api_price": _uniform(0.5, 1.5)},
        samples=2000,
        seed=0,
    )
    np.testing.assert_array_equal(r.metrics["a"]["tco_cost"], r.metrics["b"]["tco_cost"])
    assert r.win_probability("a", "b") == 0.0
    # A cloud fleet costing exactly the base API cost: the API wins when its factor is below 1, P = 1/2.
    price = 10_000 * DAYS_PER_MONTH * 0.001 / (2 * 730.5)
    r = monte_carlo(
        [api_option(), cloud_option(price=price)],
        workload,
        finance,
        {"api_price": _uniform(0.5, 1.5)},
        samples=N,
        seed=0,
    )
    assert r.win_probability("api", "cloud") == pytest.approx(0.5, abs=4 * 0.5 / math.sqrt(N))
    wins = r.win_probabilities()
    assert list(wins.columns) == ["option_a", "option_b", "p_a_cheaper", "p_a_lower_emissions"]
    assert wins.loc[0, "p_a_cheaper"] == r.win_probability("api", "cloud")


@pytest.mark.parametrize(
    ("dist", "mean"),
    [
        (Dist("range", {"low": 2.0, "high": 4.0}, "absolute"), 3.0),
        (Dist("triangular", {"low": 0.8, "mode": 1.0, "high": 1.3}, "factor"), 3.1 / 3),
        (Dist("normal", {"mean": 5.0, "sd": 0.5}, "absolute"), 5.0),
        (Dist("lognormal", {"median": 1.0, "sigma": 0.3}, "factor"), math.exp(0.045)),
    ],
)
def test_sample_means_match_analytic_means(dist, mean):
    x = dist.quantile(uniforms(0, ["pue"], N)["pue"])
    assert dist.mean() == pytest.approx(mean)
    assert x.mean() == pytest.approx(mean, abs=4 * x.std() / math.sqrt(N))


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=1e-12, max_value=1 - 1e-12))
def test_normal_quantile_matches_the_standard_library(p):
    assert normal_quantile(np.array([p]))[0] == pytest.approx(NormalDist().inv_cdf(p), rel=1e-7, abs=1e-8)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_triangular_samples_stay_within_low_and_high(a, b, c):
    low, mode, high = sorted((a, b, c))
    x = Dist("triangular", {"low": low, "mode": mode, "high": high}, "absolute").quantile(
        np.linspace(0, 1, 101)
    )
    assert x.min() >= low - 1e-12 and x.max() <= high + 1e-12
    assert np.all(np.diff(x) >= -1e-12)  # a quantile function never decreases


def test_a_scenario_without_uncertainty_uses_the_sourced_default_distributions():
    from tco.analysis.tables import uncertainty_result
    from tco.api import load_scenario
    from tco.scenario.analysis_inputs import load_defaults, uncertainty_inputs

    loaded = load_scenario("slm-vs-llm")
    assert loaded.spec.uncertainty is None
    u = uncertainty_inputs(loaded)
    defaults = load_defaults()
    assert u.from_defaults
    assert sorted(u.shared) == sorted(defaults.uncertainty)
    assert all(d.source for d in defaults.uncertainty.values())
    pct = uncertainty_result(loaded, samples=400, seed=1).percentiles().set_index(["option", "metric"])
    tco = pct.loc[("slm-distilbert-t4", "tco_cost")]
    assert tco["p10"] < tco["p50"] < tco["p90"]
