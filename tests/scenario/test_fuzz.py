"""Fuzz: shipped scenarios mutated (values, types, units, keys, deletions, duplications) either load and
evaluate to finite, non-negative costs and emissions, or fail with slm-tco's own one-line error.

A few hundred examples in the normal run; the long run (README, "Hostile input") is
`pytest -m fuzz -s --hypothesis-seed 1` with FUZZ_EXAMPLES examples, printing the count of each outcome.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.scenario.fuzzing import Mutation, mutated, outcome, values

CI_EXAMPLES = 300
FUZZ_EXAMPLES = 100_000
PROGRESS_EVERY = 2000  # a line of counts every so many examples (seen with -s)


def report(counts: Counter[str], start: float) -> None:
    """Print the count of each outcome so far (examples include hypothesis's shrinking of a failure)."""
    print(
        f"\nfuzz: {sum(counts.values())} examples run, {counts['error']} project errors, {counts['ok']} "
        f"successes, {counts['anything else']} anything else, {time.perf_counter() - start:.0f} s",
        flush=True,
    )


def _examples(config: pytest.Config) -> int:
    """$TCO_FUZZ_EXAMPLES if set; else FUZZ_EXAMPLES when the run selects the fuzz marker (`-m fuzz`);
    else CI_EXAMPLES."""
    if os.environ.get("TCO_FUZZ_EXAMPLES"):
        return int(os.environ["TCO_FUZZ_EXAMPLES"])
    selected = "fuzz" in (config.getoption("markexpr") or "").replace("not fuzz", "")
    return FUZZ_EXAMPLES if selected else CI_EXAMPLES


@pytest.mark.fuzz
def test_mutated_shipped_scenarios_load_cleanly_or_fail_with_one_line(request: pytest.FixtureRequest) -> None:
    counts: Counter[str] = Counter()
    start = time.perf_counter()

    @settings(
        max_examples=_examples(request.config),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(case=mutated())
    def check(case: tuple[str, dict, list[Mutation]]) -> None:
        _, raw, _ = case
        try:
            counts[outcome(raw)] += 1
        except KeyboardInterrupt:
            raise
        except BaseException:
            counts["anything else"] += 1
            raise
        if sum(counts.values()) % PROGRESS_EVERY == 0:
            report(counts, start)

    hypothesis_seed = request.config.getoption("hypothesis_seed", None)
    run = seed(int(hypothesis_seed))(check) if hypothesis_seed is not None else check
    try:
        run()
    finally:
        report(counts, start)
    assert counts["ok"] > 0 and counts["error"] > 0  # both outcomes are exercised


@settings(max_examples=200, deadline=None, database=None)
@given(raw=values())
def test_any_yaml_value_as_a_whole_scenario_fails_with_one_line(raw: object) -> None:
    assert outcome(raw) == "error"


@settings(max_examples=200, deadline=None, database=None)
@given(
    key=st.sampled_from(["name", "horizon", "discount_rate", "carbon_price", "start", "baseline"]),
    value=values(),
)
def test_any_value_of_a_top_level_field_loads_or_fails_with_one_line(key: str, value: object) -> None:
    from tests.scenario.fuzzing import shipped_scenarios

    raw = dict(shipped_scenarios()["slm-vs-llm"])
    raw[key] = value
    assert outcome(raw) in ("ok", "error")
