"""Shared fixtures: a fixed reference-data folder with round numbers, independent of shipped data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tco.scenario.repository import Repository, load_repository

DATA = Path(__file__).parent / "data"
TEST_PROFILES = DATA / "profiles"
HAND_SCENARIO = TEST_PROFILES / "scenarios" / "hand.yaml"


@pytest.fixture(scope="session")
def test_repo() -> Repository:
    return load_repository(TEST_PROFILES)


@pytest.fixture(scope="session")
def shipped_repo() -> Repository:
    return load_repository()
