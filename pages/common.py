"""Helpers shared by the app's pages: cached reference data, the session's extra profiles, the what-if's
view, error display.

UI glue only: every number comes from `tco`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from tco.analysis.runs import EngineRuns
from tco.api import LoadedScenario, View, compute_view, scenario_from_dict
from tco.scenario.repository import Repository, load_repository
from tco.scenario.schema import ModelProfile
from tco.scenario.yamlio import MAX_BYTES

SESSION_PROFILES = "session_profiles"  # session_state key: {profile id: (file name, ModelProfile)}
RUNS = "engine_runs"  # session_state key: the engine runs kept between reruns (tco.analysis.runs.EngineRuns)
MAX_UPLOAD_MB = max(
    1, MAX_BYTES // 2**20
)  # the uploader's limit; tco.scenario.yamlio rejects larger text too


@st.cache_resource(show_spinner=False)
def shipped_repository() -> Repository:
    """The shipped reference data, loaded once per server process."""
    return load_repository()


def session_profiles() -> dict[str, tuple[str, ModelProfile]]:
    profiles: dict[str, tuple[str, ModelProfile]] = st.session_state.setdefault(SESSION_PROFILES, {})
    return profiles


def uploaded_profile_files() -> list[str]:
    """File names of the profiles uploaded in this session: all an uploaded scenario's `profile_files` may name."""
    return [name for name, _ in session_profiles().values()]


def session_repository() -> Repository:
    """Shipped reference data plus the profiles uploaded in this session (raises TcoError)."""
    repo = shipped_repository()
    for name, profile in session_profiles().values():
        repo = repo.with_profile(profile, name)
    return repo


def upload_bytes(uploaded: Any) -> bytes:
    """The bytes of an `st.file_uploader` file."""
    data: bytes = uploaded.getvalue()
    return data


def session_runs() -> EngineRuns:
    """The session's engine runs: a what-if reuses every run whose inputs it did not change."""
    runs = st.session_state.get(RUNS)
    if not isinstance(runs, EngineRuns):
        runs = EngineRuns()
        st.session_state[RUNS] = runs
    return runs


def whatif_view(raw: dict[str, Any], base: LoadedScenario, repo: Repository, runs: EngineRuns) -> View:
    """The what-if as the page computes it (raises TcoError): the edited raw mapping validated again, as a
    file beside the picked one (its folder, its uploads), and its view computed once through `runs` (the
    results and, for a task portfolio, the plan). benchmarks/app_rerun.py times this, then the page's
    formatting."""
    loaded = scenario_from_dict(
        raw, file=base.file, repo=repo, base_dir=base.base_dir, uploaded_profiles=base.uploaded_profiles
    )
    return compute_view(loaded, runs=runs)
