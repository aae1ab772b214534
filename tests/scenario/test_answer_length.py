"""Answer length as a model's property (issue 23): an option's `tokens_out` (a count or `from profile`)
drives its energy, latency and cost per query; the workload's is the default. Hand-computed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tco.api import evaluate, scenario_from_dict
from tco.errors import InputError, ScenarioError
from tco.scenario.repository import load_model_profile, load_repository

PROFILE = """id: {id}
model: {{name: {id}, kind: causal-lm, parameters: 8e9}}
hardware: l4
accelerators: 1
points:
  - {{batch_size: 1, energy_per_query: {energy} J, throughput: {qps} 1/s, latency_p95: {lat} s,
     input_tokens: 100, output_tokens: {out}}}
provenance: {{method: published, source: hand-made for the test, year: 2026}}
"""


def _repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    repo = load_repository()
    # a verbose reasoning model measured at 1000 output tokens, a concise fine-tuned one at 100
    for pid, energy, qps, lat, out in (("reasoner", 100, 0.5, 40, 1000), ("concise", 4, 5, 2, 100)):
        path = tmp_path / f"{pid}.yaml"
        path.write_text(PROFILE.format(id=pid, energy=energy, qps=qps, lat=lat, out=out))
        repo = repo.with_profile(load_model_profile(path), str(path))
    return repo


def _scenario(options: list[dict]) -> dict:
    return {
        "name": "answer length",
        "start": "2026-01",
        "horizon": "12 months",
        "workload": {"task": "question-answering", "queries_per_day": "10000 query/day", "tokens_in": 100,
                     "tokens_out": 300},
        "defaults": {"region": "us-va"},
        "options": options,
    }  # fmt: skip


def test_each_option_answers_at_its_own_length(tmp_path: Path) -> None:
    """Energy and time per query x O / O_m at each option's own O (inputs as measured, 100 tokens):
    reasoner from its profile, 1000 tokens: 100 J, 0.5 query/s, p95 40 s; the same model at the
    workload's 300: 30 J, 1.667 query/s, 12 s; the concise model at its 150: 4 x 1.5 = 6 J, 5 / 1.5 =
    3.333 query/s, 3 s."""
    opts = [
        {"id": "reasoner", "deployment": "on-prem", "profile": "reasoner", "batch_size": 1,
         "hardware_price": "100 USD", "tokens_out": "from profile"},
        {"id": "reasoner-300", "deployment": "on-prem", "profile": "reasoner", "batch_size": 1,
         "hardware_price": "100 USD"},
        {"id": "concise", "deployment": "on-prem", "profile": "concise", "batch_size": 1,
         "hardware_price": "100 USD", "tokens_out": 150},
    ]  # fmt: skip
    loaded = scenario_from_dict(_scenario(opts), repo=_repo(tmp_path))
    by = {o.id: o for o in loaded.resolved.options}
    for oid, joules, qps, p95, tokens in (
        ("reasoner", 100.0, 0.5, 40.0, 1000.0),
        ("reasoner-300", 30.0, 0.5 / 0.3, 12.0, float("nan")),
        ("concise", 6.0, 5 / 1.5, 3.0, 150.0),
    ):
        o = by[oid]
        assert o.energy_per_query_kwh * 3.6e6 == pytest.approx(joules), oid
        assert o.throughput_qps == pytest.approx(qps), oid
        assert o.latency_p95_s == pytest.approx(p95), oid
        assert o.tokens_out == pytest.approx(tokens, nan_ok=True), oid
    rows = {(r["option"], r["parameter"]): r for r in loaded.resolved.assumptions}
    assert rows[("reasoner", "answer length (tokens per query out)")]["source"] == (
        "profile reasoner (median over its batch sizes): this option's own answer length"
    )
    assert rows[("concise", "answer length (tokens per query out)")]["value"] == 150.0
    # an option stating none says it answers at the workload's length (issue 23: every option's source)
    default = rows[("reasoner-300", "answer length (tokens per query out)")]
    assert default["value"] == 300 and default["source"].startswith("workload default")


def test_api_cost_and_emissions_per_query_follow_the_answer_length() -> None:
    """Together's Llama 3.1 8B at 0.18 USD per million tokens in and out, 100 tokens in: a verbose answer
    of 2000 tokens costs (100 + 2000) x 0.18e-6 = 0.000378 USD (0.378 USD per 1,000 queries), a concise one
    of 200 tokens (100 + 200) x 0.18e-6 = 0.054 USD per 1,000; the estimated energy per query is linear in
    the output tokens, so operational emissions per query are 10 x apart."""
    opts = [
        {"id": "verbose", "deployment": "api", "api": "together-llama-3.1-8b", "tokens_out": 2000},
        {"id": "concise", "deployment": "api", "api": "together-llama-3.1-8b", "tokens_out": 200},
    ]
    loaded = scenario_from_dict(_scenario(opts))
    s = evaluate(loaded).summary
    assert s.loc["verbose", "cost_per_1k_queries"] == pytest.approx(0.378)
    assert s.loc["concise", "cost_per_1k_queries"] == pytest.approx(0.054)
    by = {o.id: o for o in loaded.resolved.options}
    assert by["verbose"].energy_per_query_kwh == pytest.approx(10 * by["concise"].energy_per_query_kwh)
    ops = s["emissions_operational_kg"]
    assert ops["verbose"] == pytest.approx(10 * ops["concise"])


def test_from_profile_without_output_tokens_and_a_classifier_are_one_line(tmp_path: Path) -> None:
    opts = [{"id": "c", "deployment": "on-prem", "profile": "distilbert-sst2-t4", "batch_size": 1,
             "hardware_price": "100 USD", "tokens_out": 50}]  # fmt: skip
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict(_scenario(opts))
    assert str(e.value).endswith(
        "options[0].tokens_out: profile distilbert-sst2-t4 is a classifier, which answers with a label, not "
        "tokens: remove tokens_out"
    )
    with pytest.raises(Exception, match="expected at least 1 token per query or 'from profile'"):
        scenario_from_dict(
            _scenario([{**opts[0], "profile": "reasoner", "tokens_out": 0}]), repo=_repo(tmp_path)
        )


def test_the_shipped_answer_length_scenario_gives_the_readme_tour_numbers() -> None:
    from tco.api import load_scenario

    result = evaluate(load_scenario("answer-length"))
    rows = {
        r["option"]: float(r["value"])
        for r in result.assumptions.to_dict("records")
        if r["parameter"] == "answer length (tokens per query out)"
    }
    assert rows == {
        "reasoning-20b": pytest.approx(2178.81),
        "concise-8b": 150.0,
        "untuned-8b": pytest.approx(396.7),
    }
    s = result.summary
    assert s["cost_per_1k_queries"].round(4).to_dict() == {
        "reasoning-20b": 0.384,
        "concise-8b": 0.06,
        "untuned-8b": 0.12,
    }
    assert s["accelerators_peak"].to_dict() == {"reasoning-20b": 64, "concise-8b": 10, "untuned-8b": 20}
    assert s.loc["concise-8b", "g_per_query"] == pytest.approx(0.005429, rel=1e-3)
    assert s.loc["reasoning-20b", "g_per_query"] == pytest.approx(0.03655, rel=1e-3)


def test_a_length_per_task_applies_to_that_task_only(tmp_path: Path) -> None:
    """tokens_out {question-answering: 150} on the concise model: 4 J x 150/100 = 6 J at this task; the
    same option with a length for another task only answers at the workload's 300 (12 J)."""
    opts = [
        {"id": "per-task", "deployment": "on-prem", "profile": "concise", "batch_size": 1,
         "hardware_price": "100 USD", "tokens_out": {"question-answering": 150, "code": 900}},
        {"id": "other-task", "deployment": "on-prem", "profile": "concise", "batch_size": 1,
         "hardware_price": "100 USD", "tokens_out": {"code": 900}},
    ]  # fmt: skip
    res = evaluate(scenario_from_dict(_scenario(opts), repo=_repo(tmp_path)))
    by = {o.id: o for o in res.resolved.options}
    assert by["per-task"].energy_per_query_kwh * 3.6e6 == pytest.approx(6.0)
    assert by["other-task"].energy_per_query_kwh * 3.6e6 == pytest.approx(12.0)
    rows = res.assumptions[res.assumptions["parameter"] == "answer length (tokens per query out)"]
    src = dict(zip(rows["option"], rows["source"], strict=True))
    assert "for task question-answering" in src["per-task"]
    assert src["other-task"].startswith("workload default for task question-answering")
    assert res.summary.loc["per-task", "tokens_out"] == 150
    assert res.summary.loc["other-task", "tokens_out"] == 300


def test_every_report_shows_the_answer_length_beside_the_cost(tmp_path: Path) -> None:
    from tco.api import render_report

    opts = [{"id": "concise", "deployment": "on-prem", "profile": "concise", "batch_size": 1,
             "hardware_price": "100 USD", "tokens_out": 150}]  # fmt: skip
    res = evaluate(scenario_from_dict(_scenario(opts), repo=_repo(tmp_path)))
    for fmt in ("md", "html"):
        out = render_report(res, fmt)
        text = out.decode() if isinstance(out, bytes) else out
        assert "Answer length (tokens out)" in text
    out = render_report(res, "csv")
    assert "tokens_out" in (out.decode() if isinstance(out, bytes) else out).splitlines()[0]


def test_a_bad_length_for_one_task_is_one_line(tmp_path: Path) -> None:
    opts = [{"id": "c", "deployment": "on-prem", "profile": "concise", "tokens_out": {"code": 0}}]
    with pytest.raises(
        InputError, match=r"options\[0\].tokens_out: task code: got 0, expected at least 1"
    ) as e:
        scenario_from_dict(_scenario(opts), repo=_repo(tmp_path))
    assert "\n" not in str(e.value)


def test_a_length_for_a_task_the_portfolio_lacks_is_one_line(tmp_path: Path) -> None:
    """A misspelt task in a per-task answer length is an error, not silently the workload's length."""
    raw = _scenario(
        [
            {
                "id": "c",
                "deployment": "on-prem",
                "profile": "concise",
                "hardware_price": "100 USD",
                "tokens_out": {"question-answrng": 7},
            }
        ]
    )
    raw["workload"] = {
        "queries_per_day": "10000 query/day",
        "tasks": [
            {
                "task": "question-answering",
                "queries_per_day": "10000 query/day",
                "tokens_in": 100,
                "tokens_out": 300,
            }
        ],
    }
    with pytest.raises(InputError) as e:
        scenario_from_dict(raw, repo=_repo(tmp_path))
    msg = str(e.value)
    assert "options[0].tokens_out.question-answrng: unknown task 'question-answrng'" in msg, msg
    assert "expected one of question-answering" in msg and "\n" not in msg
