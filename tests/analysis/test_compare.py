from __future__ import annotations

import pytest

from tco.analysis.compare import compare, ranking, top_pair
from tco.api import evaluate, scenario_from_dict
from tco.errors import InputError

from .conftest import base_raw

OPTIONS = [
    {"id": "fast-cloud", "deployment": "cloud", "profile": "toy-fast"},
    {"id": "fast-onprem", "deployment": "on-prem", "profile": "toy-fast", "pue": 1.5},
    {"id": "slow-cloud", "deployment": "cloud", "profile": "toy-slow"},
]


@pytest.fixture
def loaded(scenario_dir):
    raw = base_raw(options=OPTIONS, baseline="fast-cloud")
    raw["workload"].update({"latency_slo_p95": "2 s", "quality_floor": 0.8})
    return scenario_from_dict(raw, base_dir=scenario_dir)


def test_ineligible_options_rank_last_with_the_reason(loaded):
    frame, _ = compare(loaded)
    slow = frame.set_index("option").loc["slow-cloud"]
    assert not slow["eligible"]
    assert slow["why_not"] == (
        "misses the latency SLO (p95 5 s > 2 s); below the quality floor (quality 0.7 < 0.8)"
    )
    assert frame["option"].iloc[-1] == "slow-cloud"
    assert list(frame["rank"].iloc[:2]) == [1, 2]
    assert frame["rank"].isna().iloc[-1]


def test_best_flags_and_deltas_follow_the_summary(loaded):
    frame, results = compare(loaded)
    s = results.summary
    ok = s.loc[["fast-cloud", "fast-onprem"]]
    assert frame.attrs["cheapest"] == ok["tco_cost"].idxmin()
    assert frame.attrs["lowest_emission"] == ok["emissions_kg"].idxmin()
    first = frame.iloc[0]
    assert first["tco_cost"] == ok["tco_cost"].min()
    assert "cheapest" in first["best"]
    row = frame.set_index("option").loc["fast-onprem"]
    base = s.loc["fast-cloud", "tco_cost"]
    assert row["vs_baseline_pct"] == pytest.approx((s.loc["fast-onprem", "tco_cost"] / base - 1) * 100)
    assert row["vs_baseline_x"] == pytest.approx(s.loc["fast-onprem", "tco_cost"] / base)
    assert row["procurement"].startswith("buy ")
    assert frame.set_index("option").loc["fast-cloud", "procurement"].startswith("rent ")


def test_overrides_relax_the_slo_and_floor(loaded):
    frame, _ = compare(loaded, quality_floor=0.5, slo_p95="10s")
    assert frame["eligible"].all()
    assert loaded.spec.workload.latency_slo_p95 == 2.0  # the loaded scenario is not changed


def test_rank_by_emissions_orders_by_emissions(loaded):
    frame, _ = compare(loaded, "emissions")
    eligible = frame[frame["eligible"]]
    assert list(eligible["emissions_kg"]) == sorted(eligible["emissions_kg"])
    assert frame.attrs["key"] == "emissions_kg"


def test_unknown_rank_key(loaded):
    with pytest.raises(InputError, match=r"^rank-by: unknown rank key 'cost', expected one of tco, npv"):
        ranking(evaluate(loaded).summary, "cost")


def test_top_pair_is_the_two_best_eligible(loaded):
    frame, _ = compare(loaded)
    assert top_pair(frame) == (frame["option"].iloc[0], frame["option"].iloc[1])


def test_an_undersized_fixed_fleet_is_never_eligible_and_states_its_unserved_queries() -> None:
    raw = {
        "name": "undersized",
        "horizon": "12 months",
        "workload": {"task": "sentiment", "queries_per_day": "300000000 query/day", "peak_to_average": 2},
        "defaults": {"region": "fr"},
        "options": [
            {"id": "auto", "deployment": "cloud", "profile": "distilbert-sst2-t4"},
            {
                "id": "one",
                "deployment": "cloud",
                "profile": "distilbert-sst2-t4",
                "fleet": {"accelerators": 1},
            },
        ],
    }
    results = evaluate(scenario_from_dict(raw))
    frame = ranking(results.summary).set_index("option")
    assert not frame.loc["one", "eligible"]  # cheapest by far, but it drops half the queries
    assert frame.loc["auto", "eligible"]
    unserved = results.summary.loc["one", "queries_unserved"]
    served = results.summary.loc["one", "queries"]
    assert unserved > 0.4 * (served + unserved)
    assert f"{unserved:,.0f} queries unserved" in frame.loc["one", "why_not"]
    assert results.summary.loc["auto", "queries_unserved"] == 0.0
