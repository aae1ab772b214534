"""The cache of `tco report`'s terminal view: the same bytes as a fresh view, a miss on any change of input."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tco.cli import app, report_cache
from tco.cli import main as cli_main
from tco.scenario import cache
from tco.scenario.files import PROFILES_ENV

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    return tmp_path


def _views(folder: Path) -> list[Path]:
    return sorted((folder / "cache").glob("report-*.pickle"))


def _report(*args: str) -> str:
    result = CliRunner().invoke(app, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("scenario", ["slm-vs-llm", "portfolio"])
def test_a_cached_view_prints_the_same_bytes_as_a_fresh_one(
    folder: Path, monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    fresh = _report(scenario)
    assert len(_views(folder)) == 1

    def nothing_computed(*args: Any) -> Iterator[Any]:
        raise AssertionError("the view was computed again")

    with monkeypatch.context() as m:
        m.setattr(cli_main, "_terminal_view", nothing_computed)
        assert _report(scenario) == fresh  # from the cache
    _views(folder)[0].write_bytes(b"not a pickle")
    assert _report(scenario) == fresh  # a broken entry is a miss, computed and kept again
    assert _report(scenario) == fresh


def test_the_key_changes_with_every_input(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = folder / "profiles"
    shutil.copytree(ROOT / "profiles", profiles)
    monkeypatch.setenv(PROFILES_ENV, str(profiles))
    code = folder / "module.py"
    code.write_text("X = 1\n")
    monkeypatch.setattr(report_cache, "_code_files", lambda: [code])
    scenario = profiles / "scenarios" / "slm-vs-llm.yaml"
    keys = [report_cache.view_key("slm-vs-llm")]
    assert keys[0] == report_cache.view_key("slm-vs-llm")  # a key depends on content, not on time
    keys.append(report_cache.view_key(str(scenario)))  # the same file named by path
    scenario.write_text(scenario.read_text() + "\n# a comment\n")
    keys.append(report_cache.view_key("slm-vs-llm"))
    hardware = profiles / "hardware.yaml"
    hardware.write_text(hardware.read_text() + "\n# a comment\n")
    keys.append(report_cache.view_key("slm-vs-llm"))
    (profiles / "models" / "new.yaml").write_text("id: new\n")
    keys.append(report_cache.view_key("slm-vs-llm"))
    code.write_text("X = 2\n")
    keys.append(report_cache.view_key("slm-vs-llm"))
    with monkeypatch.context() as m:
        m.setattr(report_cache, "LIBRARIES", (*report_cache.LIBRARIES, "typer"))
        keys.append(report_cache.view_key("slm-vs-llm"))
    assert None not in keys and len(set(keys)) == len(keys)


def test_no_key_without_the_cache_or_for_scenarios_naming_profile_files(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_profiles = folder / "with-profiles.yaml"
    with_profiles.write_text("name: x\nprofile_files: [p.yaml]\n")
    assert report_cache.view_key(str(with_profiles)) is None
    # a measured cascade's file is read by the scenario but is in no key: never cached
    measured = folder / "measured.yaml"
    measured.write_text("name: x\nplan: {cascades: [{id: c, escalate: {measured: cascade.yaml}}]}\n")
    assert report_cache.view_key(str(measured)) is None
    given = folder / "given.yaml"
    given.write_text("name: x\nplan: {cascades: [{id: c, escalate: 60 %}]}\n")
    assert report_cache.view_key(str(given)) is not None
    assert report_cache.view_key("no-such-scenario") is None
    assert report_cache.view_key(str(folder / "missing.yaml")) is None
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    assert report_cache.view_key("slm-vs-llm") is None
    _report("slm-vs-llm")
    assert _views(folder) == []


def test_a_view_that_warned_is_not_kept(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def warned(*args: Any) -> Iterator[Any]:
        yield "a line", False
        logging.getLogger("tco.somewhere").warning("something the user must see")

    monkeypatch.setattr(cli_main, "_terminal_view", warned)
    assert "a line" in _report("slm-vs-llm")
    assert _views(folder) == []
