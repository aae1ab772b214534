"""The prefill model's shipped constants are the fit benchmarks/prefill_calibration.py makes on the data in
profiles/sources/prefill-calibration, with the stated errors, and it predicts the held-out InferenceMAX
H100 gpt-oss-120b case within 15 % (issue 20)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tco.scenario.repository import Repository
from tco.scenario.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def calibration() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "prefill_calibration", ROOT / "benchmarks" / "prefill_calibration.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["prefill_calibration"] = module
    spec.loader.exec_module(module)
    return module


def test_shipped_constants_are_the_fit_with_its_errors(
    calibration: ModuleType, shipped_repo: Repository
) -> None:
    data = read_yaml(calibration.DATA)
    found = calibration.cases(data, shipped_repo.hardware)
    f_p, c_ctx = calibration.fit(found)
    assert shipped_repo.serving is not None
    shipped = shipped_repo.serving.prefill
    assert shipped.prefill_fraction == pytest.approx(f_p, rel=5e-3)
    assert shipped.context_cost == pytest.approx(c_ctx, rel=5e-3)
    errs = calibration.errors(found, shipped.prefill_fraction, shipped.context_cost)
    assert shipped.cases == len(found) == 32
    assert shipped.rms_error == pytest.approx(math.sqrt(sum(e * e for e in errs) / len(errs)), abs=1e-3)
    assert shipped.max_error == pytest.approx(max(abs(e) for e in errs), abs=1e-3)


def test_the_held_out_case_is_predicted_within_15_percent(
    calibration: ModuleType, shipped_repo: Repository
) -> None:
    data = read_yaml(calibration.DATA)
    assert shipped_repo.serving is not None
    cal = shipped_repo.serving.prefill
    ((label, predicted, published),) = calibration.validation(
        data, shipped_repo.hardware, cal.prefill_fraction, cal.context_cost
    )
    assert "gpt-oss-120b" in label
    assert published == pytest.approx(1268 / 2195)
    assert abs(predicted / published - 1) <= 0.15
