"""Invariants of the serving model v2 (tco.engine.serving and the operating-point step), for any numbers.

- cost (and energy) per query never fall when the input or the output tokens rise, at the same load;
- a measured point is reproduced exactly at its own input and output lengths;
- at the profile's input length, any output length gives the output-only model's result (time and energy
  x O / O_m, the same request latency), wherever that time is at least the query's own prefill time.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tco.api import evaluate
from tco.engine.serving import Measured, across_inputs, at_lengths, request_p95
from tco.scenario.load import scenario_from_dict
from tco.scenario.repository import Repository, load_repository

DATA = Path(__file__).resolve().parents[1] / "data" / "serving-profiles"
TAU_P, KAPPA = 40e-6, 20e-9  # the test data's prefill model (see test_serving_model.py)
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def repo() -> Repository:
    return load_repository(DATA)


def _raw(profile: str, tokens_in: float, tokens_out: float) -> dict[str, Any]:
    return {
        "name": "serving",
        "start": "2026-01",
        "horizon": "12 months",
        "workload": {
            "task": "chat",
            "queries_per_day": "200000 query/day",
            "peak_to_average": 2,
            "tokens_in": tokens_in,
            "tokens_out": tokens_out,
        },
        "defaults": {"region": "testland"},
        "options": [
            {"id": "cloud", "deployment": "cloud", "profile": profile},
            {"id": "onprem", "deployment": "on-prem", "profile": profile},
        ],
    }


tokens = st.floats(min_value=1.0, max_value=20000.0, allow_nan=False)


@SLOW
@given(
    profile=st.sampled_from(["one-input", "two-inputs", "sweep", "chat"]),
    a=tokens,
    b=tokens,
    c=st.floats(min_value=1.0, max_value=2000.0),
    d=st.floats(min_value=1.0, max_value=2000.0),
)
# the query's own prefill binds at both batches (batch 8 at 4 in and 16 out exactly, to rounding): a tie
@example(profile="sweep", a=3.0, b=4.0, c=1.0, d=16.0)
def test_cost_per_query_never_falls_when_input_or_output_tokens_rise(
    repo: Repository, profile: str, a: float, b: float, c: float, d: float
) -> None:
    lo_in, hi_in = sorted((a, b))
    lo_out, hi_out = sorted((c, d))
    low = evaluate(scenario_from_dict(_raw(profile, lo_in, lo_out), repo=repo)).summary
    for raw in (_raw(profile, hi_in, lo_out), _raw(profile, lo_in, hi_out), _raw(profile, hi_in, hi_out)):
        high = evaluate(scenario_from_dict(raw, repo=repo)).summary
        for option in ("cloud", "onprem"):
            assert high.loc[option, "cost_per_1k_queries"] >= low.loc[option, "cost_per_1k_queries"] * (
                1 - 1e-9
            )
            assert high.loc[option, "wh_per_query"] >= low.loc[option, "wh_per_query"] * (1 - 1e-9)


@SLOW
@given(
    throughput=st.floats(min_value=0.05, max_value=50.0),
    energy=st.floats(min_value=1.0, max_value=5000.0),
    input_tokens=st.floats(min_value=1.0, max_value=4000.0),
    output_tokens=st.floats(min_value=1.0, max_value=4000.0),
    batch=st.integers(min_value=1, max_value=512),
)
def test_a_measured_point_is_reproduced_exactly(
    repo: Repository, throughput: float, energy: float, input_tokens: float, output_tokens: float, batch: int
) -> None:
    assume(1.0 / throughput >= input_tokens * TAU_P)  # a point that takes at least its own prefill
    base = repo.models["one-input"]
    point = base.points[0].model_copy(
        update={
            "batch_size": batch,
            "throughput": throughput,
            "energy_per_query": energy,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
        }
    )
    profile = base.model_copy(update={"id": "drawn", "points": [point]})
    raw = _raw("drawn", input_tokens, output_tokens)
    o = scenario_from_dict(raw, repo=repo.with_profile(profile, "drawn.yaml")).resolved.options[0]
    assert o.throughput_qps == pytest.approx(throughput, rel=1e-12)
    assert o.energy_per_query_kwh * 3.6e6 == pytest.approx(energy, rel=1e-12)


measured = st.builds(
    Measured,
    concurrency=st.integers(min_value=1, max_value=512).map(float),
    throughput_qps=st.floats(min_value=0.01, max_value=100.0),
    energy_j=st.floats(min_value=0.1, max_value=1e4),
    input_tokens=st.floats(min_value=1.0, max_value=10000.0),
    output_tokens=st.floats(min_value=1.0, max_value=4000.0),
    output_tokens_p95=st.one_of(st.just(math.nan), st.floats(min_value=1.0, max_value=8000.0)),
    latency_p95_s=st.floats(min_value=0.01, max_value=300.0),
    ttft_p95_s=st.one_of(st.just(math.nan), st.floats(min_value=0.0, max_value=30.0)),
    tpot_p50_s=st.floats(min_value=1e-4, max_value=0.5),
    tpot_p95_s=st.one_of(st.just(math.nan), st.floats(min_value=1e-4, max_value=0.5)),
)


@settings(max_examples=300, deadline=None)
@given(m=measured, output_tokens=st.floats(min_value=1.0, max_value=8000.0))
def test_the_output_only_result_is_recovered_at_the_profiles_input_length(
    m: Measured, output_tokens: float
) -> None:
    s = output_tokens / m.output_tokens
    assume(s / m.throughput_qps >= m.input_tokens * TAU_P)  # the query's own prefill does not bind
    p = at_lengths(m, m.input_tokens, output_tokens, TAU_P, KAPPA)
    assert p.throughput_qps == pytest.approx(m.throughput_qps / s, rel=1e-12)
    assert p.energy_j == pytest.approx(m.energy_j * s, rel=1e-12)
    assert p.latency_p95_s == pytest.approx(request_p95(m, s), rel=1e-12)
    assert p.tpot_p95_s == m.tpot_p95_s or (math.isnan(p.tpot_p95_s) and math.isnan(m.tpot_p95_s))


@settings(max_examples=300, deadline=None)
@given(
    short=measured,
    longer=st.floats(min_value=1.0, max_value=20000.0),
    slower=st.floats(min_value=0.2, max_value=5.0),
    i1=st.floats(min_value=0.0, max_value=30000.0),
    i2=st.floats(min_value=0.0, max_value=30000.0),
    o1=st.floats(min_value=1.0, max_value=4000.0),
    o2=st.floats(min_value=1.0, max_value=4000.0),
)
def test_time_and_energy_per_query_never_fall_with_more_tokens(
    short: Measured, longer: float, slower: float, i1: float, i2: float, o1: float, o2: float
) -> None:
    """At one concurrency measured at one or two input lengths (the second one faster or slower: noise is
    raised), more input or output tokens never take less replica time or energy."""
    other = Measured(
        short.concurrency,
        short.throughput_qps / slower,
        short.energy_j * slower,
        short.input_tokens + longer,
        short.output_tokens,
        short.output_tokens_p95,
        short.latency_p95_s,
        short.ttft_p95_s,
        short.tpot_p50_s,
        short.tpot_p95_s,
    )
    (i_lo, i_hi), (o_lo, o_hi) = sorted((i1, i2)), sorted((o1, o2))
    for runs in ([(short.input_tokens, short)], [(short.input_tokens, short), (other.input_tokens, other)]):
        base = across_inputs(runs, i_lo, o_lo, TAU_P, KAPPA)
        for i, o in ((i_hi, o_lo), (i_lo, o_hi), (i_hi, o_hi)):
            p = across_inputs(runs, i, o, TAU_P, KAPPA)
            assert p.seconds_per_query >= base.seconds_per_query * (1 - 1e-12)
            assert p.energy_j >= base.energy_j * (1 - 1e-12)
