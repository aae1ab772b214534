"""The InferenceX importer on real published rows (tests/data/inferencex/README.md names every source):
profiles per configuration with ISL/OSL as the length axis, no invented energy, provenance, and the engine
reading an imported profile in both dimensions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from measure.importers.inferencex import import_files, read_rows
from tco.cli import app
from tco.errors import InputError
from tco.scenario.load import scenario_from_dict
from tco.scenario.repository import load_model_profile, load_repository

ROOT = Path(__file__).parents[3]
DATA = ROOT / "tests" / "data" / "inferencex"
KIMI = sorted(DATA.glob("agg_kimik2.5_*.json"))
KIMI_LIST = DATA / "agg_bmk_kimik2.5_mi355x.json"
APP_ROWS = DATA / "app_rows_dsr1_mi355x.json"
COMMIT_URL = "https://github.com/SemiAnalysisAI/InferenceX/blob/bf0309600723b5fd9274f47438bed146e9df55c7"
runner = CliRunner()


def test_a_single_agg_object_and_a_collected_list_read_alike() -> None:
    one = [r.data for f in KIMI for r in read_rows(f)]
    listed = [r.data for r in read_rows(KIMI_LIST)]
    assert one == listed and len(listed) == 3


def test_runs_without_power_get_no_invented_energy(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"has no power .* no energy is invented; give --power W"):
        import_files(KIMI, tmp_path, parameters=1.04e12, hardware={"mi355x": "mi355x"})
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_kimi_rows_become_one_profile_with_two_input_lengths(tmp_path: Path) -> None:
    summary = import_files(
        KIMI,
        tmp_path,
        parameters=1.04e12,
        active_parameters=32e9,
        hardware={"mi355x": "mi355x"},
        power_w=1000.0,
        source_url=COMMIT_URL,
        date="2026-06-01",
    )
    (path,) = summary.written
    assert path.name == "inferencex-kimi-k2.5-mi355x-int4-vllm-tp8-mtp.yaml"
    p = load_model_profile(path)
    assert (p.hardware, p.accelerators, p.framework, p.dtype) == ("mi355x", 8, "vllm", "int4")
    assert p.parallelism is not None and p.parallelism.tensor == 8
    by = {(pt.input_tokens_nominal, pt.batch_size): pt for pt in p.points}
    assert sorted(by) == [(1024, 4), (8192, 32), (8192, 64)]
    pt = by[(8192, 32)]
    # 0.9 x nominal lengths; 17.57057269511527 output tok/s per GPU x 8 GPUs / 921.6 output tokens
    assert pt.input_tokens == pytest.approx(7372.8) and pt.output_tokens == pytest.approx(921.6)
    assert pt.throughput == pytest.approx(17.57057269511527 * 8 / 921.6, rel=1e-5)
    # p95 between the published p90 and p99: 2.872078464948573 + 5/9 (14.490030684259256 - 2.872078464948573)
    assert pt.ttft_p95 == pytest.approx(
        2.872078464948573 + 5 / 9 * (14.490030684259256 - 2.872078464948573), rel=1e-5
    )
    assert pt.ttft_p50 == pytest.approx(1.816827566944994, rel=1e-5)
    # energy from the stated power, and said so
    assert pt.energy_per_query == pytest.approx(1000.0 * 8 / pt.throughput, rel=1e-5)
    assert "energy NOT measured in this run: 1000 W per GPU as given by the user" in (pt.notes or "")
    assert "ENERGY NOT MEASURED" in (p.provenance.notes or "")
    assert p.provenance.imported_from == [COMMIT_URL]
    assert p.provenance.date == "2026-06-01" and p.provenance.year == 2026


def test_app_rows_keep_their_run_urls_and_derive_older_output_throughput(tmp_path: Path) -> None:
    summary = import_files(
        [APP_ROWS],
        tmp_path,
        parameters=671e9,
        active_parameters=37e9,
        hardware={"mi355x": "mi355x"},
        power_w=800.0,
    )
    (path,) = summary.written
    p = load_model_profile(path)
    assert p.id == "inferencex-dsr1-mi355x-fp4-sglang-tp4" and p.accelerators == 4
    urls = p.provenance.imported_from or []
    assert "https://github.com/SemiAnalysisAI/InferenceX/actions/runs/22469096331/attempts/1" in urls
    assert len(urls) == 3
    pts = {(pt.input_tokens_nominal, pt.output_tokens_nominal, pt.batch_size): pt for pt in p.points}
    assert len(pts) == 6
    # the 2025 8k/1k row has no output_tput_per_gpu: tput_per_gpu x 1024 / 9216 per GPU, 4 GPUs
    old = pts[(8192, 1024, 4)]
    assert old.tokens_per_second == pytest.approx(382.57199092656185 * 1024 / 9216 * 4, rel=1e-5)
    assert "tput_per_gpu x osl / (isl + osl)" in (old.notes or "")
    assert "run https://github.com/SemiAnalysisAI/InferenceX/actions/runs/18269067472/attempts/1" in (
        old.notes or ""
    )


def test_power_borrowed_from_a_measured_profile_is_labelled(tmp_path: Path) -> None:
    repo = load_repository()
    donor = repo.models["mlenergy-gpt-oss-120b-gpqa-1xh100"]
    raw = json.loads(APP_ROWS.read_text())
    for r in raw:
        r["hardware"] = "h100"  # the same rows, as if run on H100s: only to exercise the borrowing
    src = tmp_path / "rows.json"
    src.write_text(json.dumps(raw))
    out = tmp_path / "out"
    out.mkdir()
    (path,) = import_files([src], out, parameters=671e9, power_from=donor).written
    p = load_model_profile(path)
    pt = next(x for x in p.points if x.batch_size == 4)
    # the donor's smallest point (batch 8, 549.965 W over 1 GPU) stands in below its range
    watts = 1218.14 * 0.45148
    assert pt.energy_per_query == pytest.approx(watts * 4 / pt.throughput, rel=1e-4)
    assert "ENERGY BORROWED" in (p.provenance.notes or "")
    assert "from profile mlenergy-gpt-oss-120b-gpqa-1xh100 at batch 8" in (pt.notes or "")


def test_the_engine_reads_an_imported_profile_in_both_dimensions(tmp_path: Path) -> None:
    """The DeepSeek-R1 rows at 1k and 8k input: a 4k-input query is interpolated between them."""
    folder = tmp_path / "profiles"
    shutil.copytree(ROOT / "tests" / "data" / "serving-profiles", folder)
    hw = (folder / "hardware.yaml").read_text().replace("  - id: testgpu", "  - id: mi355x", 1)
    (folder / "hardware.yaml").write_text(hw)  # the round-number test GPU under the MI355X's id
    import_files(
        [APP_ROWS],
        folder / "models",
        parameters=671e9,
        active_parameters=37e9,
        power_w=800.0,
        hardware={"mi355x": "mi355x"},
    )
    for f in ("one-input", "two-inputs", "sweep", "multi", "chat"):
        (folder / "models" / f"{f}.yaml").unlink()
    repo = load_repository(folder)
    raw = {
        "name": "imported",
        "start": "2026-01",
        "horizon": "12 months",
        "workload": {
            "task": "chat",
            "queries_per_day": "1000 query/day",
            "tokens_in": 4147.2,
            "tokens_out": 921.6,
        },
        "defaults": {"region": "testland"},
        "options": [
            {
                "id": "a",
                "deployment": "cloud",
                "profile": "inferencex-dsr1-mi355x-fp4-sglang-tp4",
                "batch_size": 4,
            }
        ],
    }
    o = scenario_from_dict(raw, repo=repo).resolved.options[0]
    prof = repo.models["inferencex-dsr1-mi355x-fp4-sglang-tp4"]
    at = {
        pt.input_tokens_nominal: pt
        for pt in prof.points
        if pt.batch_size == 4 and pt.output_tokens_nominal == 1024
    }
    t_1k, t_8k = 1 / at[1024].throughput, 1 / at[8192].throughput
    # 4147.2 = halfway between 921.6 and 7372.8 mean input tokens: half of each time per query
    assert 1 / o.throughput_qps == pytest.approx((t_1k + t_8k) / 2, rel=1e-6)


def test_cli_import_inferencex(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        [
            "import",
            "inferencex",
            *map(str, KIMI),
            "--parameters",
            "1.04e12",
            "--hardware",
            "mi355x=mi355x",
            "--power",
            "1000 W",
            "--date",
            "2026-06-01",
            "--source-url",
            COMMIT_URL,
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "1 profile(s) written" in r.output
    bad = runner.invoke(
        app, ["import", "inferencex", str(KIMI[0]), "--parameters", "1e12", "--out", str(tmp_path)]
    )
    assert bad.exit_code == 2
    assert "unknown hardware 'mi355x'" in bad.output and "--hardware mi355x=ID" in bad.output
    nopower = runner.invoke(
        app,
        [
            "import",
            "inferencex",
            str(KIMI[0]),
            "--parameters",
            "1e12",
            "--hardware",
            "mi355x=mi355x",
            "--out",
            str(tmp_path),
        ],
    )
    assert nopower.exit_code == 2 and "no energy is invented" in nopower.output


def test_agg_rows_need_a_date_beside_them(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"the rows carry no date .* give --date YYYY-MM-DD"):
        import_files(KIMI, tmp_path, parameters=1.04e12, hardware={"mi355x": "mi355x"}, power_w=1000.0)
