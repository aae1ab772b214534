"""pyproject.toml lists every package and data folder, so a wheel holds all of slm-tco and setup is quiet."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Source material that profiles were generated from (ML.ENERGY files for `tco import mlenergy`): kept in
# the repository to regenerate and check the shipped profiles, never read by an installed slm-tco.
NOT_SHIPPED = (ROOT / "profiles" / "sources",)


def _shipped(path: Path) -> bool:
    return not any(path == top or top in path.parents for top in NOT_SHIPPED)


def _config() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        setuptools: dict[str, object] = tomllib.load(f)["tool"]["setuptools"]
    return setuptools


def _folders(top: str, name: str) -> set[str]:
    base = ROOT / top
    out = {name}
    for d in base.rglob("*"):
        if d.is_dir() and d.name != "__pycache__" and _shipped(d) and any(f.is_file() for f in d.iterdir()):
            out.add(".".join([name, *d.relative_to(base).parts]))
    return out


def test_every_code_and_data_folder_is_a_listed_package() -> None:
    listed = set(_config()["packages"])  # type: ignore[arg-type]
    wanted = (
        _folders("tco", "tco") | _folders("measure", "measure") | _folders("profiles", "slm_tco_profiles")
    )
    assert wanted - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - wanted == set(), "these listed packages do not exist"


def test_every_data_file_is_package_data() -> None:
    data: dict[str, list[str]] = _config()["package-data"]  # type: ignore[assignment]
    for pkg, top in (("slm_tco_profiles", "profiles"), ("measure.tasks", "measure/tasks")):
        for f in (ROOT / top).rglob("*"):
            if not f.is_file() or f.suffix == ".py" or "__pycache__" in f.parts or not _shipped(f):
                continue
            rel = f.relative_to(ROOT / top)
            sub = ".".join([pkg, *rel.parts[:-1]])
            assert any(rel.match(p) or f.match(p) for p in data.get(sub, [])), f"{f} is not package data"
