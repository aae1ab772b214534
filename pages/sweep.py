"""Sweep page: open the Parquet file of a `tco sweep` and see it: the best point per objective, the inputs that
moved the answer most, cost against emissions with the Pareto front, and every row.

UI only: the rows are the file's (`tco.scenario.sweep_store.read_sweep`), the summary is
`tco.analysis.sweep_summary`'s and the chart `tco.presentation.sweep`'s; nothing here runs a point again.
The opened sweep lives in `st.session_state["sweep_file"]` (its table and metadata), written only by opening
a file, so what the page shows is the file last opened.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tco.analysis.sweep_summary import best_points, importance, ok_rows, scatter_frame
from tco.errors import TcoError
from tco.presentation.sweep import inputs_text, label, scatter_chart, value_text
from tco.scenario.sweep_store import read_sweep

STATE = "sweep_file"  # session_state key: {"name", "frame", "meta"} of the sweep opened
MAX_UPLOAD_MB = 200


def _open(source: str | bytes, name: str) -> None:
    try:
        table, meta = read_sweep(source, name=name)
    except TcoError as e:
        st.error(f"Not opened: {e}")
        return
    st.session_state[STATE] = {"name": name, "frame": table.to_pandas(), "meta": meta}


def _choose_file() -> None:
    up = st.file_uploader(
        "Open a sweep's Parquet file (written by `tco sweep`)",
        type=["parquet"],
        key="sweep_upload",
        max_upload_size=MAX_UPLOAD_MB,
    )
    if up is not None and st.session_state.get(STATE, {}).get("name") != up.name:
        _open(up.getvalue(), up.name)
    with st.form("sweep_path_form", border=False):
        path = st.text_input("or its path on this machine", key="sweep_path", placeholder="sweep.parquet")
        if st.form_submit_button("Open") and path:
            _open(path.strip(), path.strip())


def best_table(df: pd.DataFrame, meta: dict[str, Any]) -> pd.DataFrame:
    best = best_points(df, meta["objectives"], meta["inputs"])
    return pd.DataFrame(
        {
            "objective": [
                f"{'lowest' if s == 'min' else 'highest'} {label(o)}"
                for o, s in zip(best["objective"], best["sense"], strict=True)
            ],
            "best": [value_text(v) for v in best["value"]],
            "point": list(best["point"]),
            "inputs": [inputs_text(i) for i in best["inputs"]],
        }
    )


def sweep_page() -> None:
    st.title("Sweep")
    st.caption(
        "A `tco sweep` run opened from its Parquet file: one row per point, every varied input and kept "
        "output with its unit."
    )
    _choose_file()
    opened = st.session_state.get(STATE)
    if opened is None:
        st.info("Open a sweep's Parquet file to see it. Write one with `tco sweep SCENARIO SWEEP.yaml`.")
        return
    df: pd.DataFrame = opened["frame"]
    meta: dict[str, Any] = opened["meta"]
    failed = len(df) - len(ok_rows(df))
    st.subheader(meta.get("sweep_name") or opened["name"])
    st.markdown(
        f"**{len(df):,}** of {int(meta.get('count', len(df))):,} points of *{meta.get('scenario_name') or meta.get('scenario')}* "
        f"(run `{meta.get('run')}`, {meta.get('method')})"
        + (f"; **{failed:,}** failed (their rows hold the error)" if failed else "")
    )
    objectives = dict(meta.get("objectives") or {})
    inputs = list(meta.get("inputs") or [])
    st.markdown("**Best point per objective**")
    st.table(best_table(df, meta))
    imp = importance(df, list(objectives), inputs)
    if not imp.empty:
        st.markdown("**Inputs that moved the answer most** (share of variance explained alone, eta²)")
        shown = imp.rename(index=label, columns=label).round(3)
        shown.index.name = "input"
        st.table(shown.reset_index())
    axes = meta.get("chart")
    if axes:
        order = list(imp.index) if not imp.empty else inputs
        colour = st.selectbox("Colour by", order, format_func=label, key="sweep_colour") if order else None
        frame = scatter_frame(df, axes[0], axes[1])
        chart = scatter_chart(
            frame, axes[0], axes[1], colour=colour, inputs=inputs, title="Cost vs emissions"
        )
        st.altair_chart(chart, width="content")
        front = frame[frame["on_front"]].sort_values("x")
        st.markdown(f"**Pareto front** ({len(front):,} points: none is beaten on both cost and emissions)")
        st.dataframe(front[["point", *inputs, axes[0], axes[1]]], hide_index=True, key="sweep_front")
    st.markdown("**Every point**")
    st.dataframe(df, hide_index=True, key="sweep_rows")


sweep_page()
