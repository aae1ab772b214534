"""Altair charts of evaluated scenarios, shared by the app and the HTML reports, and of the reference data.

Every chart takes `tco.analysis.evaluate.Results`, a `tco.analysis.view.View` where it plots more than the
results (the load curves, the quality trade-offs with their Pareto fronts), or a frame the view holds (the
region sweep), and returns an `alt.Chart` (or a layered/faceted chart); nothing here computes costs or
emissions, it only reshapes the engine's frames for plotting. Axis titles carry units; options keep one
colour across all charts (`option_color`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import altair as alt
import pandas as pd

from tco.analysis.pareto import TRADEOFFS
from tco.engine.components import accounting_view
from tco.engine.constants import KG_PER_T
from tco.presentation.answer import end_of_horizon_credits
from tco.presentation.labels import COST_LABELS
from tco.scenario.schema import ModelProfile

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results
    from tco.analysis.view import View

# Any top-level Altair chart (single, layered or faceted); all render with st.altair_chart and .save().
Chart: TypeAlias = alt.Chart | alt.LayerChart | alt.FacetChart | alt.HConcatChart


# Accounting view of yearly costs (columns of Results.yearly()), in stacking order, with their labels.
YEARLY_COMPONENTS: dict[str, str] = COST_LABELS


def yearly_components() -> dict[str, str]:
    """The cost lines of the yearly chart, in stacking order: the engine's accounting view
    (tco.engine.components.accounting_view) as it is when called, so a component added to the table is
    charted too. Costs only: nothing else of `Results.yearly()` (queries, hours, energy) is a cost line."""
    return {line.column: line.label for line in accounting_view()}


EMISSION_COMPONENTS: dict[str, str] = {
    "emissions_operational_kg": "Operational (electricity)",
    "emissions_embodied_kg": "Embodied (manufacturing)",
    "emissions_fine_tuning_kg": "Fine-tuning",
}

# Each quality trade-off's axis (its summary column: tco.analysis.pareto.TRADEOFFS) and what it is in words.
TRADEOFF_LABELS: dict[str, str] = {"cost": "Levelised cost", "emissions": "Emissions"}
TRADEOFF_AXES: dict[str, tuple[str, str]] = {x: (col, TRADEOFF_LABELS[x]) for x, col in TRADEOFFS.items()}

WIDTH = 560
HEIGHT = 320
# Width and height are the plot's; titles, axes and legends come on top ("pad"). Set in every spec, so
# that Streamlit keeps it (its default "fit" squeezes titles and legends into the plot's size).
PAD = alt.AutoSizeParams(type="pad", contains="padding")


def _unit(results: Results, column: str) -> str:
    return str(results.units.get(column, ""))


# Tableau 10, the palette of every chart; option i of the scenario always gets colour i.
PALETTE = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
]  # fmt: skip
SUBTITLE_CHARS = 78  # characters of an 11 px subtitle line that fit the chart width (WIDTH px)


def option_names(results: Results) -> dict[str, str]:
    """Option id -> the name a reader sees (the summary's `name`, built from the current inputs)."""
    names = results.summary["name"] if "name" in results.summary else results.summary["option"]
    return {str(o): str(n) for o, n in zip(results.summary["option"], names, strict=True)}


def names_expr(results: Results) -> str:
    """A Vega label expression showing each option's name for its id (charts keep ids in their data, so
    what they plot is checked against the engine's frames; legends, facet headers and axes read names)."""
    expr = "datum.label"
    for o, n in reversed(list(option_names(results).items())):
        expr = f"datum.label === {json.dumps(o)} ? {json.dumps(n)} : ({expr})"
    return expr


def option_color(results: Results, only: Iterable[str] | None = None, *, legend: bool = True) -> alt.Color:
    """One colour per option, the same in every chart (legend titled `Option`, reading the options' names).

    `only`: the options a chart plots, so its legend lists no option it does not show.
    """
    ids = [str(i) for i in results.summary["option"]]
    colour = {o: PALETTE[i % len(PALETTE)] for i, o in enumerate(ids)}
    shown = [o for o in ids if only is None or o in set(only)]
    return alt.Color(
        "option:N",
        title="Option",
        scale=alt.Scale(domain=shown, range=[colour[o] for o in shown]),
        legend=_legend(columns=2, labels=names_expr(results)) if legend else None,
    )


def _legend(columns: int, labels: str | None = None) -> alt.Legend:
    """A legend below the plot, labels never cut; wide column gaps, because a browser's font may set the
    labels wider than Vega (or vl-convert, for the reports) measured them. `labels`: a label expression."""
    legend = alt.Legend(orient="bottom", columns=columns, labelLimit=0, columnPadding=28)
    if labels is not None:
        legend.labelExpr = labels
    return legend


def wrap(text: str, chars: int = SUBTITLE_CHARS) -> list[str]:
    """Split a subtitle into lines that fit the chart's width (no line is cut off)."""
    lines: list[str] = []
    for part in text.split("\n"):
        line = ""
        for word in part.split(" "):
            if line and len(line) + 1 + len(word) > chars:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def _titled(title: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    parts = [subtitle] if isinstance(subtitle, str) else list(subtitle or [])
    lines = [line for part in parts for line in wrap(part)]
    return alt.TitleParams(text=title, subtitle=lines or "", anchor="start", subtitlePadding=4)


def _note_chart(title: str, note: str) -> Chart:
    """A placeholder chart that only says why there is nothing to plot."""
    return (
        alt.Chart(pd.DataFrame({"note": [note]}))
        .mark_text(align="left", fontSize=13, color="#555")
        .encode(text="note:N")
        .properties(title=_titled(title), width=WIDTH, height=60, autosize=PAD)
    )


# --------------------------------------------------------------------------- cumulative cost


def break_even_points(results: Results) -> pd.DataFrame:
    """Where each non-baseline option's cumulative cost drops to the baseline's for good.

    Columns: option, month (0-based), date, cumulative_cost (reporting currency), label. Options that never
    break even within the horizon are left out.
    """
    s = results.summary
    pp = results.per_period
    rows = []
    for opt, row in s.iterrows():
        be = row["break_even_month"]
        if row["is_baseline"] or pd.isna(be):
            continue
        month = int(be)
        at = pp[(pp["option"] == opt) & (pp["month"] == month)].iloc[0]
        name = option_names(results)[str(opt)]
        label = f"{name}: cheaper from the start" if month == 0 else f"{name} breaks even {at['date']}"
        rows.append(
            {
                "option": str(opt),
                "month": month,
                "date": pd.Timestamp(f"{at['date']}-01"),
                "cumulative_cost": float(at["cumulative_cost"]),
                "label": label,
            }
        )
    return pd.DataFrame(rows, columns=["option", "month", "date", "cumulative_cost", "label"])


def cumulative_cost_chart(results: Results) -> Chart:
    """Cumulative cost of every option month by month, with break-even against the baseline marked."""
    cur = _unit(results, "cumulative_cost") or results.currency
    df = results.per_period[["option", "month", "date", "cumulative_cost", "total_cost"]].copy()
    df["date"] = pd.to_datetime(df["date"] + "-01")
    color = option_color(results)
    x = alt.X(
        "date:T",
        title="Month",
        axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap="greedy", labelSeparation=8, tickCount=6),
    )
    # extra title padding: a browser's font may set the tick labels wider than Vega measured them
    y = alt.Y(
        "cumulative_cost:Q", title=f"Cumulative cost ({cur})", axis=alt.Axis(format=",.0f", titlePadding=16)
    )
    lines = (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                alt.Tooltip("option:N", title="Option"),
                alt.Tooltip("date:T", title="Month", format="%b %Y"),
                alt.Tooltip("cumulative_cost:Q", title=f"Cumulative cost ({cur})", format=",.0f"),
                alt.Tooltip("total_cost:Q", title=f"Cost this month ({cur})", format=",.0f"),
            ],
        )
    )
    be = break_even_points(results)
    names = option_names(results)
    never = [
        names[str(o)]
        for o, r in results.summary.iterrows()
        if not r["is_baseline"] and pd.isna(r["break_even_month"])
    ]
    subtitle = (
        f"Break-even against the baseline ({names.get(str(results.baseline), results.baseline)}) marked"
    )
    from_start = [names[str(o)] for o in be.loc[be["month"] == 0, "option"]]
    if from_start:
        subtitle += f"; cheaper from the start: {', '.join(from_start)}"
    be = be[be["month"] > 0]
    if not be.empty:
        subtitle += "; break-even (diamond): " + ", ".join(be["label"])
    if never:
        subtitle += f"; never within the horizon: {', '.join(never)}"
    subtitles = [subtitle + "."]
    credits = end_of_horizon_credits(results)
    credited = [f"{names[str(o)]} {credits[o]:,.0f} {cur}" for o in credits.index if credits[o] > 0]
    if credited:
        subtitles.append(
            "Drop in the last month: end-of-horizon credit for hardware still in service ("
            + ", ".join(credited)
            + ")."
        )
    layers: list[Any] = [lines]
    if not be.empty:
        layers.append(
            alt.Chart(be)
            .mark_rule(strokeDash=[4, 4], color="#666")
            .encode(x="date:T", tooltip=[alt.Tooltip("label:N", title="Break-even")])
        )
        layers.append(
            alt.Chart(be)
            .mark_point(size=120, filled=True, shape="diamond")
            .encode(
                x="date:T",
                y="cumulative_cost:Q",
                color=option_color(results, legend=False),
                tooltip=[alt.Tooltip("label:N", title="")],
            )
        )
    return alt.layer(*layers).properties(
        title=_titled("Cumulative cost", subtitles), width=WIDTH, height=HEIGHT, autosize=PAD
    )


# --------------------------------------------------------------------------- yearly cost


def yearly_cost_frame(results: Results) -> pd.DataFrame:
    """Long frame of yearly cost components (accounting view): option, year, component, cost."""
    y = results.yearly()
    lines = yearly_components()
    cols = [c for c in lines if c in y.columns and (y[c] != 0).any()]
    long = y.melt(id_vars=["option", "year"], value_vars=cols, var_name="column", value_name="cost")
    long["component"] = long["column"].map(lines)
    long["order"] = long["column"].map({c: i for i, c in enumerate(lines)})
    return long


def yearly_cost_encoding(
    y_title: str, cur: str, present: list[str], who: str, who_title: str
) -> dict[str, Any]:
    """The encoding of a yearly cost bar stacked by component (`cost`, `year`, `component`, `order` and a
    `who` column: the option or the plan), shared by the options' and the plans' yearly charts."""
    return {
        "x": alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
        "y": alt.Y("sum(cost):Q", title=y_title, axis=alt.Axis(format=",.0f", titlePadding=16)),
        "color": alt.Color(
            "component:N",
            title="Component",
            sort=present,
            scale=alt.Scale(domain=present),
            legend=_legend(columns=3),
        ),
        "order": alt.Order("order:Q"),
        "tooltip": [
            alt.Tooltip(f"{who}:N", title=who_title),
            alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("component:N", title="Component"),
            alt.Tooltip("cost:Q", title=f"Cost ({cur})", format=",.0f"),
        ],
    }


def yearly_cost_chart(results: Results) -> Chart:
    """Cost per year of each option, stacked by component (capex as depreciation), one panel per option."""
    cur = _unit(results, "total_cost") or results.currency
    long = yearly_cost_frame(results)
    found = set(long["component"])
    present = [label for label in yearly_components().values() if label in found]
    n = max(len(results.summary), 1)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(**yearly_cost_encoding(f"Cost per year ({cur})", cur, present, "option", "Option"))
        .properties(width=max(120, min(WIDTH // n, 260)), height=HEIGHT)
        .facet(
            column=alt.Column(
                "option:N",
                title=None,
                sort=[str(o) for o in results.summary["option"]],
                header=alt.Header(labelAngle=0, labelLimit=0, labelFontSize=11),
            )
        )
        .properties(
            title=_titled("Yearly cost by component", "Accounting view: hardware as depreciation"),
            autosize=PAD,
        )
    )


# --------------------------------------------------------------------------- emissions


def emissions_split_frame(results: Results) -> pd.DataFrame:
    """Long frame: option, source, tco2e (horizon total), for the sources that are not zero everywhere."""
    s = results.summary
    ft = results.per_period.groupby("option", sort=False)["emissions_fine_tuning_kg"].sum()
    totals = {
        "emissions_operational_kg": s["emissions_operational_kg"],
        "emissions_embodied_kg": s["emissions_embodied_kg"],
        "emissions_fine_tuning_kg": ft.reindex(s.index).fillna(0.0),
    }
    rows = []
    for col, label in EMISSION_COMPONENTS.items():
        values = totals[col]
        if not (values != 0).any() and col == "emissions_fine_tuning_kg":
            continue
        for opt, v in values.items():
            rows.append({"option": str(opt), "source": label, "tco2e": float(v) / KG_PER_T})
    return pd.DataFrame(rows, columns=["option", "source", "tco2e"])


def emissions_split_chart(results: Results) -> Chart:
    """Total emissions over the horizon per option, operational vs embodied (and fine-tuning), in tCO2e."""
    df = emissions_split_frame(results)
    sources = list(dict.fromkeys(df["source"]))
    order = {s: i for i, s in enumerate(sources)}
    df["order"] = df["source"].map(order)
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(
                "option:N",
                title="Option",
                sort=[str(o) for o in results.summary["option"]],
                axis=alt.Axis(labelExpr=names_expr(results), labelLimit=0, titlePadding=16),
            ),
            x=alt.X("sum(tco2e):Q", title="Emissions over the horizon (tCO2e)"),
            color=alt.Color(
                "source:N",
                title="Source",
                sort=sources,
                scale=alt.Scale(domain=sources, range=["#e15759", "#76b7b2", "#edc948"][: len(sources)]),
                legend=_legend(columns=3),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("option:N", title="Option"),
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("tco2e:Q", title="tCO2e", format=",.3~f"),
            ],
        )
        .properties(
            title=_titled("Emissions: operational vs embodied"),
            width=WIDTH,
            height=max(80, 50 * len(results.summary)),
            autosize=PAD,
        )
    )


# --------------------------------------------------------------------------- quality trade-off


def quality_tradeoff_chart(view: View, x: Literal["cost", "emissions"] = "cost") -> Chart:
    """Quality against levelised cost (x="cost") or gCO2e per query (x="emissions"), Pareto front drawn
    (`view.tradeoffs[x]`, tco.analysis.pareto.tradeoff_frame).

    Options without a quality score for the workload's task are left out and named in the subtitle.
    """
    if x not in TRADEOFF_AXES:
        raise ValueError(f"x must be one of {', '.join(TRADEOFF_AXES)}, got {x!r}")
    results = view.results
    col, what = TRADEOFF_AXES[x]
    unit = _unit(results, col)
    df = view.tradeoffs[x]
    title = f"Quality vs {what.lower()}"
    s = results.summary
    missing = [str(o) for o, q in zip(s["option"], s["quality"], strict=True) if pd.isna(q)]
    if df.empty:
        return _note_chart(
            title, "No option has a quality score for this task: add one to a profile or option."
        )
    metrics = sorted({str(m) for m in df["quality_metric"] if m is not None})
    subtitle = [
        "Dashed: the Pareto front (no other option is both cheaper and better)."
        if x == "cost"
        else "Dashed: the Pareto front (no other option is both cleaner and better)."
    ]
    if missing:
        subtitle.append(f"Not shown (no quality score): {', '.join(missing)}")
    subtitle.append(f"Quality: {'; '.join(metrics)}" if metrics else "Quality: task score")
    color = option_color(results, only=list(df["option"]))
    xa = alt.X(
        "x:Q",
        title=f"{what} ({unit})",
        scale=alt.Scale(zero=False, nice=True, padding=12),
        axis=alt.Axis(labelOverlap="greedy", labelSeparation=8, format=",.4~f"),
    )
    # from a round tenth below the lowest score up to 1, so small differences are not blown up
    low = max(0.0, math.floor((float(df["quality"].min()) - 0.05) * 10) / 10)
    ya = alt.Y("quality:Q", title="Quality (score, 1 = all correct)", scale=alt.Scale(domain=[low, 1.0]))
    tooltip = [
        alt.Tooltip("option:N", title="Option"),
        alt.Tooltip("name:N", title="Name"),
        alt.Tooltip("x:Q", title=f"{what} ({unit})", format=".4~g"),
        alt.Tooltip("quality:Q", title="Quality", format=".3f"),
        alt.Tooltip("on_front:N", title="On Pareto front"),
    ]
    front = df[df["on_front"]].sort_values("x")
    # Points are told apart by colour (legend below, plotted options only): no text labels to collide
    # with each other, with the Pareto line or with the legend.
    layers: list[Any] = [
        alt.Chart(front)
        .mark_line(strokeDash=[6, 4], color="#999", point=False)
        .encode(x=xa, y=ya, order="x:Q"),
        alt.Chart(df)
        .mark_point(size=160, filled=True, opacity=1)
        .encode(x=xa, y=ya, color=color, tooltip=tooltip),
    ]
    return alt.layer(*layers).properties(
        title=_titled(title, subtitle), width=WIDTH, height=HEIGHT, autosize=PAD
    )


# --------------------------------------------------------------------------- regions


def region_chart(frame: pd.DataFrame) -> Chart:
    """Same deployment in many regions: levelised cost against gCO2e per query, one point per region.

    `frame` is a region sweep (`tco.analysis.regions.region_sweep`, `View.regions`): region, region_name, levelised_cost_per_1k_queries,
    g_per_query, grid_intensity_g_per_kwh, electricity_price, tco_cost, current; attrs["units"] and
    attrs["option"].
    """
    units = frame.attrs.get("units", {})
    option = frame.attrs.get("option", "")
    cost_unit = units.get("levelised_cost_per_1k_queries", "")
    price_unit = units.get("electricity_price", "")
    df = frame.copy()
    which = ["current region", "other regions"]
    df["which"] = df["current"].map({True: which[0], False: which[1]})
    g_unit = units.get("g_per_query", "gCO2e/query")
    x = alt.X("g_per_query:Q", title=f"Emissions ({g_unit})", scale=alt.Scale(zero=True))
    y = alt.Y(
        "levelised_cost_per_1k_queries:Q", title=f"Levelised cost ({cost_unit})", scale=alt.Scale(zero=False)
    )
    tooltip = [
        alt.Tooltip("region_name:N", title="Region"),
        alt.Tooltip("grid_intensity_g_per_kwh:Q", title="Grid intensity (gCO2e/kWh)", format=",.0f"),
        *(
            [alt.Tooltip("electricity_price:Q", title=f"Electricity ({price_unit})", format=".4f")]
            if frame.attrs.get("deployment", "on-prem") == "on-prem"
            else []
        ),
        alt.Tooltip("levelised_cost_per_1k_queries:Q", title=f"Levelised cost ({cost_unit})", format=".4~g"),
        alt.Tooltip("g_per_query:Q", title=f"Emissions ({units.get('g_per_query', '')})", format=".4~g"),
        alt.Tooltip("tco_cost:Q", title=f"TCO ({units.get('tco_cost', '')})", format=",.0f"),
    ]
    base = alt.Chart(df)
    points = base.mark_point(filled=True).encode(
        x=x,
        y=y,
        color=alt.Color(
            "which:N",
            title="",
            scale=alt.Scale(domain=which, range=["#e15759", "#4e79a7"]),
            legend=_legend(columns=2),
        ),
        size=alt.Size("which:N", scale=alt.Scale(domain=which, range=[220, 90]), legend=None),
        tooltip=tooltip,
    )
    # Only the current region is labelled (many regions sit close together); the others are in the
    # tooltip and in the table below the chart, and the extremes are named in the subtitle.
    labels = (
        alt.Chart(df[df["current"]])
        .mark_text(align="left", dx=10, dy=-10, fontSize=11, fontWeight="bold")
        .encode(x=x, y=y, text="region:N")
    )
    subtitle = [
        "Each region's own grid intensity and electricity price; hover a point for its region."
        if frame.attrs.get("deployment", "on-prem") == "on-prem"
        else "Each region's own grid intensity (the rent or token price includes power); hover a point."
    ]
    if not df.empty:
        cheap = df.iloc[int(df["levelised_cost_per_1k_queries"].to_numpy().argmin())]
        clean = df.iloc[int(df["g_per_query"].to_numpy().argmin())]
        subtitle.append(
            f"Cheapest: {cheap['region_name']} ({cheap['region']}); lowest emissions: "
            f"{clean['region_name']} ({clean['region']})."
        )
    return alt.layer(points, labels).properties(
        title=_titled(f"Region view: {option} in every region", subtitle),
        width=WIDTH,
        height=HEIGHT,
        autosize=PAD,
    )


# --------------------------------------------------------------------------- load curve and hours


def load_curve_chart(view: View) -> Chart:
    """Cost per 1M output tokens and energy per query against the load of one replica (1-100 % of its
    capacity), every option (`view.curves`, tco.analysis.curve.load_curves); an API's lines are flat. Log
    scales: the under-utilisation penalty is 100x."""
    results = view.results
    df = view.curves
    if df is None:
        raise ValueError("the view holds no load curves: compute it with charts=True")
    cur = results.currency
    color = option_color(results)
    x = alt.X("load_pct:Q", title="Load of one replica (% of its capacity)", scale=alt.Scale(type="log"))
    panels = []
    for col, title, fmt in (
        ("cost_per_1m_tokens", f"Cost per 1M output tokens ({cur})", ",.3g"),
        ("wh_per_query", "Energy per query (Wh, facility)", ",.3g"),
    ):
        panels.append(
            alt.Chart(df)
            .mark_line(point=True, strokeWidth=2)
            .encode(
                x=x,
                y=alt.Y(f"{col}:Q", title=title, scale=alt.Scale(type="log")),
                color=color,
                tooltip=[
                    alt.Tooltip("option:N", title="Option"),
                    alt.Tooltip("load_pct:Q", title="Load %", format=".0f"),
                    alt.Tooltip(f"{col}:Q", title=title, format=fmt),
                    alt.Tooltip("latency_p95_s:Q", title="p95 latency (s)", format=".3g"),
                ],
            )
            .properties(width=WIDTH // 2 - 20, height=HEIGHT)
        )
    return alt.hconcat(*panels).properties(
        title=_titled(
            "Load curve: what a query costs at each load of one replica",
            f"One replica at a steady load over the horizon; {df.attrs['tokens_out']:g} output tokens a query",
        )
    )


def interactivity_chart(view: View) -> Chart:
    """Cost per 1M output tokens against tokens per second per user, one line per hosted option (a point per
    concurrency of its sweep, one replica at full load there), the capacity point ringed: the trade-off
    every serving benchmark draws (`view.interactivity`, tco.analysis.curve.interactivity_curves). Log cost
    scale."""
    results = view.results
    df = view.interactivity
    if df is None:
        raise ValueError("the view holds no interactivity curves: compute it with charts=True")
    cur = results.currency
    if df.empty:
        return _note_chart(
            "Cost vs interactivity", "No hosted option: an API's price does not depend on its speed."
        )
    a = dict(df.attrs)
    finite = df["tokens_per_second_per_user"].map(math.isfinite) & df["cost_per_1m_tokens"].map(math.isfinite)
    df = df[finite]
    color = option_color(results, df["option"].unique())
    x = alt.X("tokens_per_second_per_user:Q", title="Interactivity (output tokens/s per user)")
    y = alt.Y("cost_per_1m_tokens:Q", title=f"Cost per 1M output tokens ({cur})", scale=alt.Scale(type="log"))
    tooltip = [
        alt.Tooltip("option:N", title="Option"),
        alt.Tooltip("concurrency:Q", title="Concurrency", format=",.0f"),
        alt.Tooltip("tokens_per_second_per_user:Q", title="Tokens/s per user", format=".3g"),
        alt.Tooltip(
            "output_tokens_per_second_per_accelerator:Q", title="Output tokens/s per GPU", format=",.0f"
        ),
        alt.Tooltip("cost_per_1m_tokens:Q", title=f"{cur} per 1M output tokens", format=",.3g"),
        alt.Tooltip("ttft_p95_s:Q", title="TTFT p95 (s)", format=".3g"),
        alt.Tooltip("tpot_p95_s:Q", title="TPOT p95 (s)", format=".3g"),
    ]
    line = alt.Chart(df).mark_line(point=True, strokeWidth=2).encode(x=x, y=y, color=color, tooltip=tooltip)
    cap = (
        alt.Chart(df[df["capacity"]])
        .mark_point(size=220, filled=False, strokeWidth=2.5)
        .encode(x=x, y=y, color=color, tooltip=tooltip)
    )
    return alt.layer(line, cap).properties(
        title=_titled(
            "Cost vs interactivity: faster answers per user cost more per token",
            f"One replica at full load at each concurrency over the horizon; {a.get('tokens_in', float('nan')):g} "
            f"tokens in, {a.get('tokens_out', float('nan')):g} out; ringed: each option's capacity point",
        ),
        width=WIDTH,
        height=HEIGHT,
        autosize=PAD,
    )


def hourly_chart(frame: pd.DataFrame) -> Chart:
    """One month's representative day of an option: queries per hour and energy per query, hour by hour."""
    base = alt.Chart(frame).encode(x=alt.X("hour:O", title="Hour of the day"))
    bars = base.mark_bar(opacity=0.5).encode(
        y=alt.Y("queries_per_hour:Q", title="Queries served per hour", axis=alt.Axis(format="~s")),
        tooltip=[
            alt.Tooltip("hour:O", title="Hour"),
            alt.Tooltip("queries_per_hour:Q", title="Queries", format=",.0f"),
            alt.Tooltip("replicas_serving:Q", title="Replicas serving"),
            alt.Tooltip("replica_load:Q", title="Load per replica", format=".0%"),
            alt.Tooltip("batch_size:Q", title="Batch size", format=".1f"),
            alt.Tooltip("power_per_replica_w:Q", title="Power per replica (W)", format=",.0f"),
            alt.Tooltip("latency_p95_s:Q", title="p95 latency (s)", format=".3g"),
        ],
    )
    line = base.mark_line(color="#d62728", strokeWidth=2.5, point=True).encode(
        y=alt.Y("wh_per_query:Q", title="Energy per query (Wh, facility)")
    )
    option, month = frame.attrs.get("option", ""), frame.attrs.get("month", 0)
    return (
        alt.layer(bars, line)
        .resolve_scale(y="independent")
        .properties(
            title=_titled(
                f"Hour by hour: {option}, month {month + 1}", "Bars: queries; line: energy per query"
            ),
            width=WIDTH,
            height=HEIGHT,
        )
    )


# --------------------------------------------------------------------------- reports


def report_charts(view: View) -> dict[str, Chart]:
    """The charts a report shows, by title, in reading order (the view computed with charts=True)."""
    results = view.results
    return {
        "Cumulative cost": cumulative_cost_chart(results),
        "Yearly cost by component": yearly_cost_chart(results),
        "Emissions: operational vs embodied": emissions_split_chart(results),
        "Quality vs levelised cost": quality_tradeoff_chart(view, x="cost"),
        "Quality vs emissions per query": quality_tradeoff_chart(view, x="emissions"),
        "Load curve: cost and energy per query against load": load_curve_chart(view),
    }


# --------------------------------------------------------------------------- reference data (profiles page)
# The reference data's tables are tco.presentation.reference's; these are its charts.

# Operating-point fields a profile comparison can plot: field -> (label, unit as stored by tco.scenario.schema).
PROFILE_METRICS: dict[str, tuple[str, str]] = {
    "energy_per_query": ("Energy per query", "J"),
    "throughput": ("Throughput per replica", "query/s"),
    "latency_p95": ("Latency p95", "s"),
    "peak_memory": ("Peak memory", "GB"),
}


def profile_points_frame(profiles: Iterable[ModelProfile]) -> pd.DataFrame:
    """Long-ish frame of every 'ok' operating point: profile, batch_size and PROFILE_METRICS columns."""
    rows = []
    for p in profiles:
        for pt in p.ok_points():
            row: dict[str, Any] = {"profile": p.id, "batch size": pt.batch_size}
            for f, (label, unit) in PROFILE_METRICS.items():
                row[f"{label} ({unit})"] = getattr(pt, f)
            rows.append(row)
    return pd.DataFrame(rows)


def profile_comparison_chart(profiles: Iterable[ModelProfile], metric: str = "energy_per_query") -> Chart:
    """One line per profile: `metric` of its operating points against batch size (log scale)."""
    if metric not in PROFILE_METRICS:
        raise ValueError(f"metric must be one of {', '.join(PROFILE_METRICS)}, got {metric!r}")
    label, unit = PROFILE_METRICS[metric]
    df = profile_points_frame(profiles).rename(columns={f"{label} ({unit})": "value"})
    df = df[df["value"].notna()]
    if df.empty:
        return _note_chart(label, f"No operating point of these profiles records {label.lower()}.")
    return (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("batch size:Q", title="Batch size", scale=alt.Scale(type="log", base=2)),
            y=alt.Y("value:Q", title=f"{label} ({unit})", scale=alt.Scale(type="log")),
            color=alt.Color("profile:N", title="Profile"),
            tooltip=[
                "profile:N",
                alt.Tooltip("batch size:Q", title="Batch size"),
                alt.Tooltip("value:Q", title=f"{label} ({unit})", format=".4~g"),
            ],
        )
        .properties(title=_titled(f"{label} by batch size"), width=WIDTH, height=HEIGHT, autosize=PAD)
    )
