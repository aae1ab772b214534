"""The ML.ENERGY importer: golden values, the shipped profiles regenerate byte for byte, and every shipped
number reproduces its source figure within 0.5 %."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from measure.importers.mlenergy import histogram_percentile, import_files, profiles_from_file, slug
from tco.errors import InputError
from tco.scenario.repository import load_model_profile, load_repository

ROOT = Path(__file__).parents[3]
SOURCES = ROOT / "profiles" / "sources" / "mlenergy-leaderboard-v3"
COMMIT = "0cd52dab897c5d91a45f4d413038f3b8b4251b0f"  # as in SOURCES / README.md
SHIPPED = sorted((ROOT / "profiles" / "models").glob("mlenergy-*.yaml"))


def test_histogram_percentile_golden() -> None:
    edges, counts = [0.0, 10.0, 20.0, 30.0], [2, 6, 2]
    assert histogram_percentile(edges, counts, 50) == pytest.approx(15.0)  # 5 of 10: 3/6 into bin 2
    assert histogram_percentile(edges, counts, 95) == pytest.approx(27.5)  # 9.5: 1.5/2 into bin 3
    assert histogram_percentile(edges, counts, 0) == 0.0
    with pytest.raises(ValueError, match="expected 4 bin edges for 3 counts, got 3"):
        histogram_percentile(edges[:3], counts, 50)


def test_slug() -> None:
    assert slug("meta-llama/Llama-3.1-8B-Instruct") == "llama-3.1-8b-instruct"


def test_the_source_readme_names_the_commit() -> None:
    assert COMMIT in (SOURCES / "README.md").read_text()


def test_shipped_profiles_regenerate_byte_for_byte(tmp_path: Path) -> None:
    written = import_files([SOURCES / "models"], tmp_path, commit=COMMIT)
    assert sorted(p.name for p in written) == [p.name for p in SHIPPED]
    assert len(SHIPPED) == 72
    for shipped in SHIPPED:
        assert (tmp_path / shipped.name).read_bytes() == shipped.read_bytes(), shipped.name


def _source(profile_path: Path) -> tuple[dict, str, int]:
    prof = load_model_profile(profile_path)
    assert prof.provenance.imported_from is not None
    (imported,) = prof.provenance.imported_from
    doc = json.loads((SOURCES / "models" / imported.rsplit("/", 1)[1]).read_text())
    gpu = {"h100-sxm": "H100", "b200": "B200"}[prof.hardware]
    return doc, gpu, prof.accelerators


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_numbers_reproduce_the_source_within_half_a_percent(path: Path) -> None:
    prof = load_model_profile(path)
    doc, gpu, n = _source(path)
    assert prof.model.name == doc["model_id"]
    assert prof.model.parameters == pytest.approx(doc["total_params_billions"] * 1e9, rel=0.005)
    assert prof.provenance.source_commit == COMMIT
    configs = [c for c in doc["configurations"] if c["gpu_model"] == gpu and c["num_gpus"] == n]
    repeats: dict[int, list[dict]] = {}
    for c in configs:
        repeats.setdefault(c["max_num_seqs"], []).append(c)
    assert sorted(repeats) == [p.batch_size for p in prof.points]

    def mean(b: int, key: str) -> float:  # repeated measurements: their mean (README)
        return sum(c[key] for c in repeats[b]) / len(repeats[b])

    for p in prof.points:
        b = p.batch_size
        assert p.energy_per_query == pytest.approx(mean(b, "energy_per_request_joules"), rel=0.005)
        assert p.tokens_per_second == pytest.approx(mean(b, "output_throughput_tokens_per_sec"), rel=0.005)
        assert p.throughput is not None and p.output_tokens is not None
        assert p.throughput * p.output_tokens == pytest.approx(
            mean(b, "output_throughput_tokens_per_sec"), rel=0.005
        )
        assert p.output_tokens == pytest.approx(mean(b, "avg_output_len"), rel=0.005)
        assert p.tpot_p50 == pytest.approx(mean(b, "median_itl_ms") / 1000, rel=0.005)
        assert p.tpot_p95 == pytest.approx(mean(b, "p95_itl_ms") / 1000, rel=0.005)
        # energy per token, as the source states it
        assert p.energy_per_query / p.output_tokens == pytest.approx(
            mean(b, "energy_per_token_joules"), rel=0.005
        )


def test_shipped_profiles_load_with_the_reference_data() -> None:
    repo = load_repository()
    ids = {p.stem for p in SHIPPED}
    assert ids <= set(repo.models)
    assert {repo.models[i].hardware for i in ids} == {"h100-sxm", "b200"}


def test_repeated_configurations_are_averaged_with_their_spread_recorded() -> None:
    """gpt-oss-20b on GPQA, 1 x H100: max_num_seqs 96 twice, 227.711 and 210.678 J per request, 6710.37
    and 6564.53 output token/s, average output length 2598.69 and 2285.66 (hand-computed means below)."""
    (prof,) = [
        p
        for p in profiles_from_file(SOURCES / "models" / "openai__gpt-oss-20b__gpqa.json", commit=COMMIT)
        if p.data["hardware"] == "h100-sxm"
    ]
    (p96,) = [p for p in prof.data["points"] if p["batch_size"] == 96]
    assert p96["energy_per_query"] == "219.195 J"  # (227.7106 + 210.6784) / 2
    assert p96["tokens_per_second"] == "6637.45 1/s"  # (6710.366 + 6564.526) / 2
    assert p96["output_tokens"] == 2442.18  # (2598.692 + 2285.659) / 2
    assert p96["throughput"] == "2.71784 1/s"  # 6637.446 / 2442.176
    assert p96["notes"].endswith(
        "2 repeated measurements of max_num_seqs 96 in the file: each figure is their mean, the output-length "
        "histograms pooled; energy per request 210.678-227.711 J (7.77 % of the mean), output throughput "
        "6564.53-6710.37 token/s (2.2 % of the mean)"
    )


def test_repeats_with_different_histogram_bins_average_their_percentiles() -> None:
    from measure.importers.mlenergy import merge_repeats, point_from_config

    def config(energy: float, edges: list[float]) -> dict:
        return {"max_num_seqs": 8, "energy_per_request_joules": energy, "avg_output_len": 10.0,
                "output_throughput_tokens_per_sec": 100.0, "median_itl_ms": 10.0, "p95_itl_ms": 20.0,
                "output_length_distribution": {"bins": edges, "counts": [2, 6, 2]}}  # fmt: skip

    merged, note = merge_repeats(
        [config(10.0, [0.0, 10.0, 20.0, 30.0]), config(14.0, [0.0, 20.0, 40.0, 60.0])]
    )
    p = point_from_config(merged, "f.json")
    assert p["energy_per_query"] == "12 J"
    assert p["output_tokens_p50"] == 22.5  # the medians 15 and 30, averaged
    assert note is not None and "histograms pooled" not in note
    assert "energy per request 10-14 J (33.3 % of the mean)" in note


def test_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"model_id": "a/b", "task": "t", "total_params_billions": 1, "configurations": [
        {"gpu_model": "H100", "num_gpus": 1, "max_num_seqs": 8}]}))  # fmt: skip
    with pytest.raises(InputError) as e:
        profiles_from_file(bad)
    assert str(e.value) == (
        f"{bad}: configurations[0].energy_per_request_joules: missing, this field is required (and 5 more "
        "problems)"
    )
    bad.write_text("{")
    with pytest.raises(InputError) as e:
        profiles_from_file(bad)
    assert (
        str(e.value)
        == f"{bad}: not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"
    )


def test_cli_import_mlenergy(tmp_path: Path) -> None:
    from tco.cli import app

    src = SOURCES / "models" / "Qwen__Qwen3-8B__gpqa.json"
    result = CliRunner().invoke(
        app, ["import", "mlenergy", str(src), "--commit", COMMIT, "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.yaml")) == [
        "mlenergy-qwen3-8b-gpqa-1xb200.yaml",
        "mlenergy-qwen3-8b-gpqa-1xh100.yaml",
    ]
    assert (tmp_path / "mlenergy-qwen3-8b-gpqa-1xh100.yaml").read_bytes() == (
        ROOT / "profiles" / "models" / "mlenergy-qwen3-8b-gpqa-1xh100.yaml"
    ).read_bytes()
    missing = CliRunner().invoke(
        app, ["import", "mlenergy", str(tmp_path / "none.json"), "--out", str(tmp_path)]
    )
    assert missing.exit_code == 2
    assert missing.output.strip() == f"error: {tmp_path / 'none.json'}: no such file"
