"""Fuzz: real ML.ENERGY and CodeCarbon files mutated (values, types, keys, columns, nesting, bytes) either
import to profiles that validate or fail with slm-tco's own one-line error naming the file, never anything
else. A few hundred examples in the normal run; the long run, as for scenarios (README, "Reliability"):
`python -m pytest -m fuzz -s --hypothesis-seed 1 tests/measure/importers/test_import_fuzz.py`."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings

from tests.measure.importers.fuzzing import import_outcome, mutated_codecarbon, mutated_mlenergy
from tests.scenario.test_fuzz import CI_EXAMPLES as SCENARIO_CI_EXAMPLES
from tests.scenario.test_fuzz import _examples, report

CI_EXAMPLES = {"mlenergy": 150, "codecarbon": 200}  # a few seconds each


def examples(config: pytest.Config, kind: str) -> int:
    """The scenario fuzzer's count ($TCO_FUZZ_EXAMPLES, or the long run's with -m fuzz), else ours."""
    n = _examples(config)
    return CI_EXAMPLES[kind] if n == SCENARIO_CI_EXAMPLES else n


@pytest.mark.fuzz
@pytest.mark.parametrize("kind", ["mlenergy", "codecarbon"])
def test_mutated_importer_files_import_or_fail_with_one_line(
    kind: str, request: pytest.FixtureRequest
) -> None:
    counts: Counter[str] = Counter()
    start = time.perf_counter()
    strategy = mutated_mlenergy() if kind == "mlenergy" else mutated_codecarbon()

    hypothesis_seed = request.config.getoption("hypothesis_seed", None)

    @settings(
        max_examples=examples(request.config, kind),
        derandomize=hypothesis_seed is None,  # the same files on every run unless a seed is given
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(data=strategy)
    def check(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            try:
                counts[import_outcome(kind, data, Path(folder))] += 1
            except KeyboardInterrupt:
                raise
            except BaseException:
                counts["anything else"] += 1
                raise

    run = seed(int(hypothesis_seed))(check) if hypothesis_seed is not None else check
    try:
        run()
    finally:
        report(counts, start)
    assert counts["error"] > 0  # the mutations reach the checks
