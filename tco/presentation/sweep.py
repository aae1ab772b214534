"""A sweep's table shown: the cost-emissions scatter with its Pareto front, and the summary's lines.

Everything shown comes from the sweep's Parquet table and what `tco.analysis.sweep_summary` computed on
it (the scatter's frame and its front included); nothing here runs a point again or computes. Used by `tco sweep` (the PNG beside the Parquet file) and by the app's
Sweep page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

WIDTH = 560
HEIGHT = 340
MAX_COLOURS = 12  # an input with more values than this is coloured as a number (a gradient)
PAD = alt.AutoSizeParams(type="pad", contains="padding")


def label(column: str) -> str:
    """`plan.npv_cost [USD]` -> `plan npv cost (USD)`: a column's name in words, its unit in brackets."""
    name, _, unit = column.partition(" [")
    words = name.replace("_", " ").replace(".", " ")
    return f"{words} ({unit.rstrip(']')})" if unit else words


def scatter_chart(
    frame: pd.DataFrame,
    cost: str,
    emissions: str,
    *,
    colour: str | None = None,
    inputs: Sequence[str] = (),
    title: str = "Sweep: cost vs emissions",
) -> Any:
    """Each point's cost against its emissions, coloured by `colour` (an input), the Pareto front dashed.

    `frame` is `tco.analysis.sweep_summary.scatter_frame` of the sweep's table (its `attrs["failed"]`: the
    points that did not run)."""
    n = len(frame)
    front = frame[frame["on_front"]].sort_values("x")
    failed = int(frame.attrs.get("failed", 0))
    spots = len(frame[["x", "y"]].drop_duplicates())
    same = f" at {spots:,} distinct positions (equal results overlap)" if spots < n else ""
    subtitle = [
        f"{n:,} points{same}; dashed: the Pareto front ({len(front):,} points no other point beats on both)."
        + (f" {failed:,} failed points not shown." if failed else "")
    ]
    # Vega-Lite reads dots and brackets in field names as paths: plot renamed copies
    plot = pd.DataFrame(
        {"x": frame["x"], "y": frame["y"], "point": frame["point"], "on_front": frame["on_front"]}
    )
    tips: list[Any] = [
        alt.Tooltip("point:Q", title="point"),
        alt.Tooltip("x:Q", title=label(cost), format=",.6~g"),
        alt.Tooltip("y:Q", title=label(emissions), format=",.6~g"),
    ]
    for k, c in enumerate(inputs):
        plot[f"in{k}"] = frame[c].astype(str) if frame[c].dtype == object else frame[c]
        tips.append(alt.Tooltip(f"in{k}:{'N' if frame[c].dtype == object else 'Q'}", title=label(c)))
    xa = alt.X(
        "x:Q", title=label(cost), scale=alt.Scale(zero=False, nice=True), axis=alt.Axis(format=",.4~s")
    )
    ya = alt.Y(
        "y:Q", title=label(emissions), scale=alt.Scale(zero=False, nice=True), axis=alt.Axis(format=",.4~s")
    )
    enc: dict[str, Any] = {"x": xa, "y": ya, "tooltip": tips}
    if colour is not None and colour in frame.columns:
        plot["colour"] = frame[colour]
        categorical = frame[colour].dtype == object or frame[colour].nunique() <= MAX_COLOURS
        if categorical:
            plot["colour"] = [value_text(v) for v in frame[colour]]
        enc["color"] = alt.Color(
            f"colour:{'N' if categorical else 'Q'}",
            title=label(colour),
            legend=alt.Legend(orient="bottom", columns=4, labelLimit=220, titleLimit=WIDTH),
        )
    layers = [
        alt.Chart(plot).mark_point(size=40, filled=True, opacity=0.75).encode(**enc),
        alt.Chart(plot[plot["on_front"]].sort_values("x"))
        .mark_line(strokeDash=[6, 4], color="#333")
        .encode(x=xa, y=ya, order="x:Q"),
    ]
    return alt.layer(*layers).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        width=WIDTH,
        height=HEIGHT,
        autosize=PAD,
    )


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (vl-convert, no browser)."""
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(chart.to_dict(), scale=scale))


def value_text(v: Any) -> str:
    """A value of an input or an objective as the terminal shows it."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.6g}"
    return str(v)


def inputs_text(values: Mapping[str, Any]) -> str:
    """`gpu=llama-3.1-8b-l4, region=fr`: a point's inputs, names without their unit, values with it."""
    parts = []
    for col, v in values.items():
        name, _, unit = col.partition(" [")
        parts.append(f"{name}={value_text(v)}" + (f" {unit.rstrip(']')}" if unit else ""))
    return ", ".join(parts)
