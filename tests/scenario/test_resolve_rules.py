"""Resolution rules of issue 9: one workload for every option, API options at their provider's site, only
applied inputs in the assumptions, fine-tuning energy in the monthly table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tco.api import evaluate, scenario_from_dict


def _raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "rules",
        "horizon": "24 months",
        "workload": {"task": "sentiment", "queries_per_day": "100000 query/day", "peak_to_average": 2},
        "defaults": {"region": "us-va", "renewable_share": "100 %", "pue": 1.6},
        "options": [
            {"id": "h100", "deployment": "on-prem", "profile": "llama-3.1-8b-h100"},
            {
                "id": "cloud",
                "deployment": "cloud",
                "profile": "llama-3.1-8b-h100",
                "colocation": "100 USD/kW/month",
            },
            {"id": "api", "deployment": "api", "api": "together-llama-3.1-8b"},
        ],
    }
    raw.update(changes)
    return raw


def _rows(results: Any, option: str) -> dict[str, Any]:
    a = results.assumptions
    return {r["parameter"]: r for _, r in a[a["option"] == option].iterrows()}


def test_an_api_option_takes_no_scenario_defaults_and_says_so() -> None:
    r = evaluate(scenario_from_dict(_raw()))
    # the user's 100 % renewable share zeroes the on-prem option's operational emissions, not the provider's
    assert r.summary.loc["h100", "emissions_operational_kg"] == 0.0
    assert r.summary.loc["api", "emissions_operational_kg"] > 0.0
    rows = _rows(r, "api")
    assert rows["scenario defaults: not applied"]["value"] == "region, pue, renewable_share"
    assert rows["renewable share"]["value"] == "0"
    assert rows["pue (api)"]["source"] == "offering together-llama-3.1-8b"
    for unused in ("utilisation", "lifetime", "colocation", "electricity price", "maintenance"):
        assert unused not in rows, unused


def test_cloud_options_list_only_what_they_pay_and_say_why_a_set_input_is_ignored() -> None:
    rows = _rows(evaluate(scenario_from_dict(_raw())), "cloud")
    assert "residual value" not in rows and "electricity price" not in rows
    assert rows["colocation: not applied"]["source"] == "scenario option cloud; included in the rental price"


def test_an_api_option_in_a_euro_region_needs_no_euro_rate() -> None:
    raw = _raw(options=[{"id": "api", "deployment": "api", "api": "together-llama-3.1-8b", "region": "fr"}])
    r = evaluate(scenario_from_dict(raw))  # France's electricity price is in EUR; no rate is given
    assert r.summary.loc["api", "tco_cost"] > 0


def test_every_option_answers_the_same_tokens_per_query() -> None:
    r = evaluate(scenario_from_dict(_raw()))
    a = r.assumptions
    out = a[(a["option"] == "(all)") & (a["parameter"] == "tokens per query out")].iloc[0]
    assert out["source"].startswith("profile llama-3.1-8b-h100 (median over its batch sizes)")
    assert float(out["value"]) == pytest.approx(396.7)  # median of 388.7 .. 404.6 over 7 batch sizes
    # its points record no input length: the 70-token prompts of the benchmark it was measured on
    # (profiles/methods/serving.yaml, lm-arena-chat)
    inp = a[(a["option"] == "(all)") & (a["parameter"] == "tokens per query in")].iloc[0]
    assert inp["source"].startswith("profile llama-3.1-8b-h100, measured on lm-arena-chat")
    assert float(inp["value"]) == 70.0
    # the API option is priced at those 70 input and 396.7 output tokens
    api = _rows(r, "api")["API cost per query"]
    assert float(api["value"]) == pytest.approx(70 * 0.18e-6 + 396.7 * 0.18e-6)


def test_fine_tuning_energy_is_in_the_monthly_table_and_the_yearly_view() -> None:
    raw = _raw()
    raw["options"][0]["fine_tuning"] = {"energy": "1000 kWh", "cost": "500 USD", "source": "test"}
    r = evaluate(scenario_from_dict(raw))
    pp = r.per_period[r.per_period.option == "h100"]
    assert pp["energy_fine_tuning_kwh"].iloc[0] == pytest.approx(1000 * 1.6)  # facility: x the option's PUE
    assert pp["energy_fine_tuning_kwh"].iloc[1:].sum() == 0.0
    assert pp["energy_kwh"].sum() == pytest.approx(r.summary.loc["h100", "energy_kwh"])
    y = r.yearly()
    y = y[y.option == "h100"]
    for col, total in (
        ("energy_kwh", "energy_kwh"),
        ("queries", "queries"),
        ("emissions_kg", "emissions_kg"),
    ):
        assert y[col].sum() == pytest.approx(r.summary.loc["h100", total]), col


def test_request_p95_latency_comes_from_the_output_length_distribution() -> None:
    from tco.engine.serving import request_p95
    from tco.scenario.resolve.operating_point import measured
    from tco.scenario.schema import OperatingPoint

    p = OperatingPoint.model_validate(
        {
            "batch_size": 8,
            "energy_per_query": "176.8 J",
            "throughput": "2.752 1/s",
            "latency_p95": "3.11 s",  # mean length x p95 inter-token latency: understates a long answer
            "output_tokens": 388.7,
            "output_tokens_p95": 1020,
            "tpot_p95": "0.008 s",
            "ttft_p95": "0.2 s",
        }
    )
    # p95 length x p95 inter-token latency + p95 time to first token = 1020 x 0.008 + 0.2 = 8.36 s
    assert request_p95(measured(p, 100.0), 1.0) == pytest.approx(8.36)
    # at half the output length: 510 x 0.008 + 0.2 = 4.28 s
    assert request_p95(measured(p, 100.0), 0.5) == pytest.approx(4.28)
    without = p.model_copy(update={"output_tokens_p95": None})
    assert request_p95(measured(without, 100.0), 1.0) == pytest.approx(3.11)


def test_a_request_p95_measured_over_the_requests_is_kept_not_rebuilt() -> None:
    """An endpoint-measured point (`latency_basis: requests`): its p95 is the requests' own, 3.11 s, not
    1020 x 0.008 + 0.2 = 8.36 s; at other output lengths its decode part scales: 0.2 + (3.11 - 0.2) x O/O_m."""
    from tco.engine.serving import request_p95
    from tco.scenario.resolve.operating_point import measured
    from tco.scenario.schema import OperatingPoint

    p = OperatingPoint.model_validate(
        {
            "batch_size": 8,
            "energy_per_query": "176.8 J",
            "throughput": "2.752 1/s",
            "latency_p95": "3.11 s",
            "latency_basis": "requests",
            "output_tokens": 388.7,
            "output_tokens_p95": 1020,
            "tpot_p95": "0.008 s",
            "ttft_p95": "0.2 s",
        }
    )
    assert request_p95(measured(p, 100.0), 1.0) == pytest.approx(3.11)
    assert request_p95(measured(p, 100.0), 0.5) == pytest.approx(0.2 + 2.91 * 0.5)
    assert request_p95(measured(p, 100.0), 2.0) == pytest.approx(0.2 + 2.91 * 2)
    derived = p.model_copy(update={"latency_basis": "derived"})
    assert request_p95(measured(derived, 100.0), 1.0) == pytest.approx(8.36)


def test_the_engine_reports_an_endpoint_profiles_measured_request_p95(tmp_path: Path) -> None:
    """A scenario at the measured lengths reports the p95 the endpoint measured (1.2 s), where the rebuilt
    one would be 40 x 0.05 + 0.3 = 2.3 s."""
    from tco.scenario.load import scenario_from_dict
    from tco.scenario.repository import load_model_profile, load_repository

    profile_file = tmp_path / "served.yaml"
    profile_file.write_text(
        """id: served
model: {name: m, kind: causal-lm, parameters: 1e9}
hardware: l4
accelerators: 1
points:
  - {batch_size: 1, energy_per_query: 10 J, throughput: 1 1/s, latency_p50: 1 s, latency_p95: 1.2 s,
     latency_basis: requests, ttft_p95: 0.3 s, tpot_p50: 0.02 s, tpot_p95: 0.05 s, input_tokens: 100,
     output_tokens: 30, output_tokens_p95: 40}
provenance: {method: measured, source: tco measure --endpoint, year: 2026, date: "2026-12-07", tool_version: slm-tco,
             meter: nvml-counter, devices: ["gpu0: NVIDIA L4"]}
"""
    )
    profile = load_model_profile(profile_file)
    repo = load_repository().with_profile(profile, str(profile_file))
    raw = {
        "name": "measured p95",
        "start": "2026-01",
        "horizon": "12 months",
        "workload": {"task": "qa", "queries_per_day": "100 query/day", "tokens_in": 100, "tokens_out": 30},
        "defaults": {"region": "us-va"},
        "options": [{"id": "a", "deployment": "on-prem", "profile": "served", "batch_size": 1,
                     "hardware_price": "100 USD"}],
    }  # fmt: skip
    (option,) = scenario_from_dict(raw, repo=repo).resolved.options
    assert option.latency_p95_s == pytest.approx(1.2)


def test_the_assumptions_say_when_a_quality_score_is_a_proxy_or_measured() -> None:
    # the 70B's sentiment score is the 8B's (a proxy); an option's own measured score says so too
    measured = {
        "task": "sentiment",
        "metric": "accuracy",
        "value": 0.8,
        "n": 24,
        "source": "tco measure on measure/tasks/sentiment.jsonl",
        "basis": "measured",
    }
    raw = _raw(
        options=[
            {"id": "big", "deployment": "on-prem", "profile": "llama-3.1-70b-4xh100"},
            {"id": "own", "deployment": "on-prem", "profile": "llama-3.1-8b-h100", "quality": measured},
            {"id": "card", "deployment": "cloud", "profile": "distilbert-sst2-t4"},
        ]
    )
    r = evaluate(scenario_from_dict(raw))
    (big,) = [k for k in _rows(r, "big") if k.startswith("quality (")]
    assert big.endswith("; proxy: another model's score stands in)")
    assert "quality (sentiment, accuracy; measured with tco measure)" in _rows(r, "own")
    assert "quality (sentiment, SST-2 dev accuracy)" in _rows(r, "card")
