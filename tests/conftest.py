"""Shared fixtures: a fixed reference-data folder with round numbers, independent of shipped data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tco.scenario import cache
from tco.scenario.repository import Repository, load_repository

DATA = Path(__file__).parent / "data"
TEST_PROFILES = DATA / "profiles"
HAND_SCENARIO = TEST_PROFILES / "scenarios" / "hand.yaml"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests (and the CLI and app they start) cache validated data in a temporary folder, not ~/.cache."""
    old = os.environ.get(cache.CACHE_ENV)
    os.environ[cache.CACHE_ENV] = str(tmp_path_factory.mktemp("slm-tco-cache"))
    yield
    if old is None:
        os.environ.pop(cache.CACHE_ENV, None)
    else:
        os.environ[cache.CACHE_ENV] = old


@pytest.fixture(scope="session")
def test_repo() -> Repository:
    return load_repository(TEST_PROFILES)


@pytest.fixture(scope="session")
def shipped_repo() -> Repository:
    return load_repository()
