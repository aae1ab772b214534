"""The reference-data and scenario cache: same results, misses on any change, ignores unsafe files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tco.scenario import cache
from tco.scenario.repository import data_files, load_repository

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    root = tmp_path / "profiles"
    shutil.copytree(ROOT / "profiles", root)
    return root


def _entries(tmp: Path) -> list[Path]:
    return sorted((tmp / "cache").glob("repository-*.pickle"))


def test_second_load_comes_from_the_cache_and_equals_a_fresh_validation(data: Path) -> None:
    first = load_repository(data)
    assert len(_entries(data.parent)) == 1
    calls = []

    def build() -> object:
        calls.append(1)
        return None

    again = cache.cached(data_files(data), build)
    assert calls == []  # served from the cache
    assert again == first
    os.environ[cache.NO_CACHE_ENV] = "1"
    try:
        assert load_repository(data) == first
    finally:
        del os.environ[cache.NO_CACHE_ENV]


def test_a_changed_data_file_misses_the_cache(data: Path) -> None:
    before = load_repository(data)
    regions = data / "regions.yaml"
    text = regions.read_text(encoding="utf-8")
    intensity = before.regions["fr"].grid.intensity
    assert f"{intensity:g} gCO2e/kWh" in text
    regions.write_text(text.replace(f"{intensity:g} gCO2e/kWh", "123 gCO2e/kWh", 1), encoding="utf-8")
    after = load_repository(data)
    assert after.regions["fr"].grid.intensity == 123
    assert len(_entries(data.parent)) == 2


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_group_writable_cache_file_is_ignored_and_rebuilt(data: Path) -> None:
    load_repository(data)
    (entry,) = _entries(data.parent)
    entry.write_bytes(b"not a pickle an attacker could use, but it must not even be read")
    entry.chmod(0o666)
    assert load_repository(data).regions  # validated again, no error
    (entry,) = _entries(data.parent)
    assert entry.stat().st_mode & 0o077 == 0  # rewritten private


def test_a_corrupt_cache_file_is_a_miss(data: Path) -> None:
    first = load_repository(data)
    (entry,) = _entries(data.parent)
    entry.write_bytes(b"garbage")
    assert load_repository(data) == first
