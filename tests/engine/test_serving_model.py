"""The serving model v2 by hand: input and output tokens, latency targets, parallel configurations.

tests/data/serving-profiles holds round numbers: 1-billion-parameter models on a test GPU of 100 TFLOP/s
bf16, so a token's forward pass at peak takes t = 2e9 / 1e14 = 20 us; methods/serving.yaml says prefill runs
at 0.5 of peak (tau_p = 40 us per input token) and each input token adds 0.001 t = 20 ns to every output
token after it (kappa). README, "How the numbers are computed": the operating point.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest

from tco.api import evaluate
from tco.engine.inputs import OptionInputs
from tco.errors import InputError, ScenarioError
from tco.scenario.load import scenario_from_dict
from tco.scenario.repository import Repository, load_repository

DATA = Path(__file__).resolve().parents[1] / "data" / "serving-profiles"
TAU_P = 40e-6  # s per input token
KAPPA = 20e-9  # s per input token per output token
J_PER_KWH = 3.6e6


@pytest.fixture(scope="module")
def repo() -> Repository:
    return load_repository(DATA)


def _raw(profile: str, **workload: Any) -> dict[str, Any]:
    return {
        "name": "serving",
        "start": "2026-01",
        "horizon": "12 months",
        "discount_rate": "0 %",
        "workload": {"task": "chat", "queries_per_day": "10000 query/day", "peak_to_average": 1, **workload},
        "defaults": {"region": "testland"},
        "options": [{"id": "a", "deployment": "cloud", "profile": profile}],
    }


def _option(repo: Repository, raw: dict[str, Any]) -> OptionInputs:
    return scenario_from_dict(raw, repo=repo).resolved.options[0]


def _row(repo: Repository, raw: dict[str, Any], parameter: str) -> dict[str, Any]:
    rows = [r for r in scenario_from_dict(raw, repo=repo).resolved.assumptions if r["parameter"] == parameter]
    assert rows, parameter
    return rows[0]


def test_a_long_input_on_a_one_input_length_profile_goes_through_the_prefill_model(repo: Repository) -> None:
    # measured: 1000 in, 100 out, batch 8: T_m = 1 / 4 = 0.25 s, 100 J (400 W), TTFT p95 0.5 s, TPOT p95 0.02 s
    o = _option(repo, _raw("one-input", tokens_in=6000, tokens_out=100))
    # 5000 more input tokens at tau(100) = 40 us + 100 x 20 ns = 42 us: + 0.21 s, T = 0.46 s
    assert o.throughput_qps == pytest.approx(1 / 0.46)
    # at the measured 400 W: 0.46 s x 400 W = 184 J
    assert o.energy_per_query_kwh * J_PER_KWH == pytest.approx(184.0)
    # TTFT + 5000 x 40 us = 0.7 s; by Little's law the request grows by 8 x 0.21 = 1.68 s, of which its own
    # prefill 0.2 s: TPOT + 1.48 s / 100 tokens = 0.0348 s; request p95 = 200 x 0.0348 + 0.7 = 7.66 s
    (p,) = o.serving_points
    assert p.ttft_p95_s == pytest.approx(0.7)
    assert p.tpot_p95_s == pytest.approx(0.0348)
    assert o.latency_p95_s == pytest.approx(7.66)
    assert (
        "prefill model from 1000 input tokens"
        in _row(repo, _raw("one-input", tokens_in=6000, tokens_out=100), "input-length model at capacity")[
            "value"
        ]
    )


def test_time_to_first_token_rises_with_input_length(repo: Repository) -> None:
    ttft = [
        _option(repo, _raw("one-input", tokens_in=n, tokens_out=100)).serving_points[0].ttft_p95_s
        for n in (500, 1000, 3000, 6000)
    ]
    # 0.5 s measured at 1000 tokens, +- 40 us per input token (fewer tokens save their prefill only)
    assert ttft == pytest.approx([0.48, 0.5, 0.58, 0.7])


def test_a_query_between_two_measured_input_lengths_is_interpolated(repo: Repository) -> None:
    # measured at batch 8: 1000 in: T = 0.25 s, 100 J; 3000 in: T = 0.5 s, 300 J; both 100 out
    mid = _option(repo, _raw("two-inputs", tokens_in=2000, tokens_out=100))
    assert 1 / mid.throughput_qps == pytest.approx(0.375)  # halfway: time per query linear in input length
    assert mid.energy_per_query_kwh * J_PER_KWH == pytest.approx(200.0)
    assert mid.latency_p95_s == pytest.approx(3.0)
    # beyond the longest: from 3000 tokens by the prefill model, 1000 x 42 us = 0.042 s at its 600 W
    far = _option(repo, _raw("two-inputs", tokens_in=4000, tokens_out=100))
    assert 1 / far.throughput_qps == pytest.approx(0.542)
    assert far.energy_per_query_kwh * J_PER_KWH == pytest.approx(600.0 * 0.542)
    # at a measured length, the measured point
    at = _option(repo, _raw("two-inputs", tokens_in=3000, tokens_out=100))
    assert at.throughput_qps == pytest.approx(2.0)
    assert at.energy_per_query_kwh * J_PER_KWH == pytest.approx(300.0)


def test_the_interactivity_target_puts_the_capacity_point_between_two_measured_batches(
    repo: Repository,
) -> None:
    # TPOT p95 0.02 s at batch 8 and 0.05 s at 32: a 0.035 s target is met up to 8 + 0.5 x 24 = 20
    o = _option(repo, _raw("sweep", tokens_in=1000, tokens_out=100, tpot_p95="0.035 s"))
    assert o.batch_size == 20
    assert o.throughput_qps == pytest.approx(7.0)  # 4 + 0.5 x (10 - 4) query/s
    # power is linear too: 400 W at 8, 600 W at 32 -> 500 W, 500 / 7 J per query
    assert o.energy_per_query_kwh * J_PER_KWH == pytest.approx(500.0 / 7.0)
    assert o.slo_met
    # the same target as tokens per second per user, 1 / 0.035
    same = _option(
        repo, _raw("sweep", tokens_in=1000, tokens_out=100, tokens_per_second_per_user="28.57 1/s")
    )
    assert same.batch_size == 20
    # a whole concurrency: 0.036 s is met up to 20.8, so 20
    assert _option(repo, _raw("sweep", tokens_in=1000, tokens_out=100, tpot_p95="0.036 s")).batch_size == 20
    # every target at once: the TTFT target (0.2 s at 8, 0.4 s at 32) 0.25 s is met up to 14
    both = _option(repo, _raw("sweep", tokens_in=1000, tokens_out=100, tpot_p95="0.035 s", ttft_p95="0.25 s"))
    assert both.batch_size == 14
    row = _row(repo, _raw("sweep", tokens_in=1000, tokens_out=100, ttft_p95="0.25 s"), "ttft_p95 at capacity")
    assert row["value"] == pytest.approx(0.25) and "met" in row["source"]


def test_where_the_prefill_floor_binds_at_every_batch_the_cheaper_tied_batch_is_the_capacity_point(
    repo: Repository,
) -> None:
    # 4 in, 16 out on the sweep profile: batch 8 scales to 0.25 s x 16/100 = 0.04 s and saves
    # 996 x 40 us = 0.03984 s, 0.00016 s; batch 32 to 0.1 x 0.16 - 0.03984 < 0: both are held at the query's
    # own prefill, 4 x 40 us = 0.00016 s (6250 query/s), at their measured 400 W and 600 W
    for tokens_out in (1, 16):
        o = _option(repo, _raw("sweep", tokens_in=4, tokens_out=tokens_out))
        assert o.throughput_qps == pytest.approx(6250.0)
        # the same throughput at 8 as at 32: the lower-energy batch 8, 400 W x 0.00016 s = 0.064 J
        assert o.batch_size == 8
        assert o.energy_per_query_kwh * J_PER_KWH == pytest.approx(0.064)
        assert o.sweep_throughput == (1.0,)
        row = _row(repo, _raw("sweep", tokens_in=4, tokens_out=tokens_out), "batch size (capacity point)")
        assert "the same throughput at batch 32: the least energy per query" in row["source"]
    # 17 out: batch 8 leaves the floor, 0.25 x 0.17 - 0.03984 = 0.00266 s (at 400 W: 1.064 J); batch 32 stays
    # at it and is the capacity point, batch 8 below it on the sweep
    o = _option(repo, _raw("sweep", tokens_in=4, tokens_out=17))
    assert o.batch_size == 32 and o.throughput_qps == pytest.approx(6250.0)
    assert o.energy_per_query_kwh * J_PER_KWH == pytest.approx(0.096)
    assert o.sweep_throughput == pytest.approx((0.00016 / 0.00266, 1.0))
    assert o.sweep_energy == pytest.approx((1.064 / 0.096, 1.0))


def test_a_target_no_point_meets_is_missed_and_said(repo: Repository) -> None:
    raw = _raw("sweep", tokens_in=1000, tokens_out=100, tpot_p95="0.01 s")
    o = _option(repo, raw)
    assert not o.slo_met
    assert o.batch_size == 8  # nearest to meeting it
    assert "MISSED" in _row(repo, raw, "tpot_p95 at capacity")["source"]
    summary = evaluate(scenario_from_dict(raw, repo=repo)).summary
    assert not bool(summary.loc["a", "slo_met"])


def test_both_tpot_and_its_inverse_are_refused(repo: Repository) -> None:
    raw = _raw("sweep", tpot_p95="0.03 s", tokens_per_second_per_user="30 1/s")
    with pytest.raises(InputError, match="give either tpot_p95 or tokens_per_second_per_user"):
        scenario_from_dict(raw, file="s.yaml", repo=repo)


def test_a_profile_without_input_lengths_takes_its_benchmarks(repo: Repository) -> None:
    # `chat` records no input tokens; its provenance names task test-chat, 1000 tokens in serving.yaml
    o = _option(repo, _raw("chat", tokens_in=2000, tokens_out=100))
    assert 1 / o.throughput_qps == pytest.approx(0.25 + 1000 * 42e-6)
    row = _row(repo, _raw("chat", tokens_in=2000, tokens_out=100), "input tokens of the profile's sweep(s)")
    assert row["value"] == "1000" and "test-chat (estimated)" in row["source"]


def test_the_prefill_model_is_stated_in_the_assumptions(repo: Repository) -> None:
    row = _row(repo, _raw("one-input", tokens_in=1000, tokens_out=100), "prefill time per input token")
    assert row["value"] == pytest.approx(40.0)  # us
    assert "0.5 of peak (25,000 input tokens/s per replica)" in row["source"]
    assert "100 TFLOP/s bf16" in row["source"]


def test_parallelism_best_picks_the_cheapest_configuration_meeting_the_targets(repo: Repository) -> None:
    # tp1: 4 query/s on 1 GPU; tp2: 10 query/s on 2 GPUs (5 per GPU): cheaper, at a TPOT of 0.05 s
    raw = _raw("multi", tokens_in=1000, tokens_out=100, queries_per_day="1000000 query/day")
    best = _option(repo, raw)
    assert best.extra["configuration"] == "tp2" and best.accelerators_per_replica == 2
    assert "tp1:" in _row(repo, raw, "parallelism")["source"]
    # a TPOT target tp2 misses: tp1 is the cheapest meeting it
    strict = _raw(
        "multi", tokens_in=1000, tokens_out=100, queries_per_day="1000000 query/day", tpot_p95="0.03 s"
    )
    chosen = _option(repo, strict)
    assert chosen.extra["configuration"] == "tp1" and chosen.accelerators_per_replica == 1
    assert "tp2: " in _row(repo, strict, "parallelism")["source"]
    assert "misses a latency target" in _row(repo, strict, "parallelism")["source"]
    # the site's power budget: tp1's fleet of 5 GPUs needs 5 x (500 W + 100 W host share) x PUE 1.15 =
    # 3.45 kW, tp2's 4 GPUs 2.76 kW; within 3 kW only tp2 is eligible; within 1 kW neither: the cheaper one
    budget = copy.deepcopy(raw)
    budget["options"][0]["power_budget"] = "3 kW"
    assert _option(repo, budget).extra["configuration"] == "tp2"
    assert (
        "tp1: 87,660 USD (needs 3.4 kW of the site's 3.0 kW power budget)"
        in _row(repo, budget, "parallelism")["source"]
    )
    budget["options"][0]["power_budget"] = "1 kW"
    assert _option(repo, budget).extra["configuration"] == "tp2"
    assert "(none meets every latency target and power budget)" in _row(repo, budget, "parallelism")["source"]
    # named: that one, whatever it costs
    named = copy.deepcopy(raw)
    named["options"][0]["parallelism"] = "tp1"
    assert _option(repo, named).accelerators_per_replica == 1
    named["options"][0]["parallelism"] = "tp4"
    with pytest.raises(
        ScenarioError,
        match=r"options\[0\]\.parallelism: profile 'multi' has no configuration 'tp4', expected one of tp1, tp2 or best",
    ):
        scenario_from_dict(named, file="s.yaml", repo=repo)


def test_a_profile_with_configurations_keeps_its_first_as_the_default_points(repo: Repository) -> None:
    multi = repo.models["multi"]
    assert multi.accelerators == 1 and multi.points[0].batch_size == 8
    assert multi.configuration_keys() == ["tp1", "tp2"]
    assert multi.configuration("tp2").accelerators == 2


def test_a_batch_size_between_two_measured_ones_is_interpolated(repo: Repository) -> None:
    raw = _raw("sweep", tokens_in=1000, tokens_out=100)
    raw["options"][0]["batch_size"] = 20
    o = _option(repo, raw)
    assert o.batch_size == 20 and o.throughput_qps == pytest.approx(7.0)


def test_without_compute_data_there_is_no_input_length_model(test_repo: Repository) -> None:
    # the round-number test GPU of tests/data/profiles has no compute block: output scaling only, said so
    raw = _raw("small", tokens_in=5000, tokens_out=100)
    raw["workload"]["task"] = "sentiment"
    raw["options"][0]["batch_size"] = 8
    o = scenario_from_dict(raw, repo=test_repo).resolved.options[0]
    assert o.throughput_qps == pytest.approx(4.0)
    rows = [
        r
        for r in scenario_from_dict(raw, repo=test_repo).resolved.assumptions
        if r["parameter"] == "prefill time per input token"
    ]
    assert rows[0]["value"] == "n/a" and "no prefill model" in rows[0]["source"]


def test_ttft_is_estimated_where_a_profile_records_none(repo: Repository) -> None:
    # two-inputs records no TTFT: the prompt alone at the prefill rate, 2000 x 40 us = 0.08 s
    o = _option(repo, _raw("two-inputs", tokens_in=2000, tokens_out=100))
    assert o.serving_points[0].ttft_p95_s == pytest.approx(0.08)
    assert not math.isnan(o.serving_points[0].tpot_p95_s) or True
