"""Profiles page: browse and compare model, hardware and region profiles; upload a measured profile.

UI only: tables show the validated reference data as loaded by `tco.scenario.repository`; an uploaded profile is
validated with `tco.scenario.repository.validate(ModelProfile, ...)` and added for this session.
"""

from __future__ import annotations

import streamlit as st

from pages.common import MAX_UPLOAD_MB, session_profiles, session_repository, upload_bytes
from tco.errors import TcoError
from tco.presentation import charts
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

    tab_models, tab_compare, tab_hw, tab_regions, tab_apis = st.tabs(
        ["Model profiles", "Compare profiles", "Hardware", "Regions", "API offerings"]
    )
    with tab_models:
        table = charts.profiles_table(repo.models.values())
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
    with tab_hw:
        st.dataframe(charts.hardware_table(repo.hardware.values()), hide_index=True, width="stretch")
    with tab_regions:
        st.dataframe(charts.regions_table(repo.regions.values()), hide_index=True, width="stretch")
    with tab_apis:
        st.dataframe(charts.apis_table(repo.apis.values()), hide_index=True, width="stretch")


profiles_page()
