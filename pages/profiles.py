"""Profiles page: browse and compare model, hardware and region profiles; upload a measured profile.

UI only: each tab is one kind of reference data as `tco.presentation.reference` renders it (the tables of
`tco profiles list KIND`), from the validated data `tco.scenario.repository` loaded; an uploaded profile is
validated with `tco.scenario.repository.validate(ModelProfile, ...)` and added for this session.
"""

from __future__ import annotations

import streamlit as st

from pages.common import MAX_UPLOAD_MB, session_profiles, session_repository, upload_bytes
from tco.errors import TcoError
from tco.presentation import charts
from tco.presentation.reference import KINDS
from tco.scenario.repository import validate
from tco.scenario.schema import ModelProfile
from tco.scenario.yamlio import parse_yaml_text


def _upload_profile() -> None:
    up = st.file_uploader(
        "Upload a measured model profile (YAML, as written by `tco measure`)",
        type=["yaml", "yml"],
        key="profile_upload",
        max_upload_size=MAX_UPLOAD_MB,
    )
    if up is None:
        return
    try:
        profile = validate(ModelProfile, parse_yaml_text(upload_bytes(up), file=up.name), file=up.name)
        session_repository().with_profile(profile, up.name)  # checks its hardware exists
    except TcoError as e:
        st.error(f"Profile rejected: {e}")
        return
    session_profiles()[profile.id] = (up.name, profile)
    st.success(
        f"Added profile `{profile.id}` ({profile.model.name} on {profile.hardware}) for this session: "
        "pick it per option on the What-if page."
    )


def profiles_page() -> None:
    st.title("Profiles")
    st.caption("Reference data behind every number: model profiles, hardware, regions, API offerings.")
    try:
        repo = session_repository()
    except TcoError as e:
        st.error(str(e))
        st.stop()
    _upload_profile()
    repo = session_repository()
    uploaded = set(session_profiles())

    others = [kind for kind in KINDS if kind != "models"]
    tab_models, tab_compare, *tabs = st.tabs(
        [KINDS["models"].label, "Compare profiles", *(KINDS[kind].label for kind in others)]
    )
    with tab_models:
        table = KINDS["models"].table(repo)
        table["session upload"] = table["profile"].isin(uploaded)
        st.dataframe(table, hide_index=True, width="stretch")
    with tab_compare:
        ids = sorted(repo.models)
        picked = st.multiselect(
            "Profiles to compare", ids, default=ids[: min(3, len(ids))], key="compare_profiles"
        )
        metric = st.segmented_control(
            "Measure",
            list(charts.PROFILE_METRICS),
            default="energy_per_query",
            key="compare_metric",
            format_func=lambda m: charts.PROFILE_METRICS[m][0],
        )
        if picked:
            st.altair_chart(
                charts.profile_comparison_chart(
                    [repo.models[p] for p in picked], metric or "energy_per_query"
                ),
                width="stretch",
            )
            st.dataframe(charts.profile_points_frame([repo.models[p] for p in picked]), hide_index=True)
    for kind, tab in zip(others, tabs, strict=True):
        with tab:
            st.dataframe(KINDS[kind].table(repo), hide_index=True, width="stretch")


profiles_page()
