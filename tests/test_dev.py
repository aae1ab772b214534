"""dev.py skips pip while .venv's install stamp matches pyproject.toml, Python and the extras."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / ".venv").mkdir()
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "STAMP", tmp_path / ".venv" / "slm-tco-install.json")
    return module


def test_no_stamp_means_install(dev: ModuleType) -> None:
    assert not dev.installed("measure")


def test_a_matching_stamp_skips_pip_and_covers_fewer_extras(dev: ModuleType) -> None:
    dev.STAMP.write_text(json.dumps(dev.install_stamp("measure,test")), encoding="utf-8")
    assert dev.installed("measure,test")
    assert dev.installed("measure")  # `app` after `test`: nothing to install


def test_a_changed_pyproject_or_more_extras_install_again(dev: ModuleType) -> None:
    dev.STAMP.write_text(json.dumps(dev.install_stamp("measure")), encoding="utf-8")
    assert not dev.installed("measure,test")
    (dev.ROOT / "pyproject.toml").write_text("[project]\nname = 'y'\n", encoding="utf-8")
    assert not dev.installed("measure")


def test_a_corrupt_stamp_means_install(dev: ModuleType) -> None:
    dev.STAMP.write_text("{not json", encoding="utf-8")
    assert not dev.installed("measure")


def test_install_skips_pip_when_up_to_date(dev: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(dev, "run", lambda *cmd, **kw: calls.append(cmd))
    dev.install("measure")
    assert calls and dev.installed("measure")  # first time: pip ran, stamp written
    calls.clear()
    dev.install("measure")
    assert calls == []


def test_install_says_what_it_installs_and_how_far_it_is(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(dev, "run", lambda *cmd, **kw: calls.append(cmd))
    dev.install("measure,test")
    out = capsys.readouterr().out
    assert f"[1/2] installing {dev.TORCH} (the CPU build" in out
    assert "[2/2] installing slm-tco with its [measure,test] dependencies" in out
    assert "--quiet" not in calls[-1]  # pip's own per-package lines show progress
