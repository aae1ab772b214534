"""The plan over time, shown: charts and tables of `tco.analysis.plan_timeline.PlanTimeline` (the optimised plan
against its baseline, month by month and year by year), shared by the app and every report format.

Nothing here computes a cost or an emission: the frames are the timeline's, reshaped (plans named in words,
components by their labels, kg shown as tCO2e) for plotting and reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from tco.engine.constants import KG_PER_T
from tco.presentation.charts import HEIGHT, PAD, WIDTH, Chart, _legend, _titled, yearly_cost_encoding

if TYPE_CHECKING:
    from tco.analysis.plan_timeline import PlanTimeline

SECTION = "Plan over time"
EMISSION_SOURCES = {
    "operational_kg": "Operational (electricity)",
    "embodied_kg": "Embodied (manufacturing)",
    "fine_tuning_kg": "Fine-tuning",
}
PLAN_COLOURS = {"optimised": "#4e79a7", "baseline": "#bab0ac"}
# the yearly table's totals, in words (a year's costs, not the horizon's NPV)
YEAR_WORDS = {"npv_cost": "Cost of the year, present value", "total_cost": "Cost of the year, undiscounted"}
TITLES = {
    "cumulative": "Plan over time: cumulative cost",
    "yearly_cost": "Plan over time: yearly cost by component",
    "yearly_emissions": "Plan over time: yearly emissions",
}


def plan_name(tl: PlanTimeline, plan: str) -> str:
    """A plan in words: `Optimised plan`, `Baseline: all-large`."""
    role = tl.monthly.loc[tl.monthly["plan"] == plan, "role"].iloc[0]
    return "Optimised plan" if role == "optimised" else f"Baseline: {plan}"


def basis_note(tl: PlanTimeline) -> str:
    """What the costs are (the plan's cost basis) and how they are derived, in one line for every view."""
    return (
        f"Costs are the plan's {tl.basis} ({tl.currency}, each month discounted to the start; undiscounted beside "
        "it in the tables): the engine runs that price each plan's shared fleets, month by month, so they add "
        "up to the plan's headline. Emissions are kgCO2e as emitted (not discounted)."
    )


def _names(tl: PlanTimeline, frame: pd.DataFrame) -> pd.Series:
    return frame["plan"].map({p: plan_name(tl, p) for p in tl.plans()})


def cumulative_frame(tl: PlanTimeline) -> pd.DataFrame:
    """What the cumulative chart plots: plan (in words), date, cumulative_cost, cost (this month)."""
    m = tl.monthly
    return pd.DataFrame(
        {
            "plan": _names(tl, m),
            "date": m["date"],
            "cumulative_cost": m["cumulative_cost"],
            "cost": m["cost"],
        }
    )


def yearly_cost_frame(tl: PlanTimeline) -> pd.DataFrame:
    """What the yearly cost chart plots: plan (in words), year, component (label), order, cost."""
    y = tl.yearly_cost
    order = {c: i for i, c in enumerate(dict.fromkeys(y["component"]))}
    return pd.DataFrame(
        {
            "plan": _names(tl, y),
            "year": y["year"].astype(int),
            "component": y["label"],
            "order": y["component"].map(order),
            "cost": y["cost"],
        }
    )


def yearly_emissions_frame(tl: PlanTimeline) -> pd.DataFrame:
    """What the emissions chart plots: plan (in words), year, source, order, tco2e (sources not all zero)."""
    y = tl.yearly_emissions
    rows = []
    for i, (col, label) in enumerate(EMISSION_SOURCES.items()):
        if not (y[col] != 0).any():
            continue
        for name, year, kg in zip(_names(tl, y), y["year"], y[col], strict=True):
            rows.append(
                {"plan": name, "year": int(year), "source": label, "order": i, "tco2e": kg / KG_PER_T}
            )
    return pd.DataFrame(rows, columns=["plan", "year", "source", "order", "tco2e"])


def _plan_color(tl: PlanTimeline) -> alt.Color:
    names = [plan_name(tl, p) for p in tl.plans()]
    roles = [str(tl.monthly.loc[tl.monthly["plan"] == p, "role"].iloc[0]) for p in tl.plans()]
    return alt.Color(
        "plan:N",
        title="Plan",
        scale=alt.Scale(domain=names, range=[PLAN_COLOURS[r] for r in roles]),
        legend=_legend(columns=2),
    )


def cumulative_chart(tl: PlanTimeline) -> Chart:
    """Cumulative cost of the optimised plan and its baseline, month by month, on the plan's cost basis."""
    df = cumulative_frame(tl)
    df["date"] = pd.to_datetime(df["date"] + "-01")
    cur = tl.currency
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X(
                "date:T",
                title="Month",
                axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap="greedy", labelSeparation=8),
            ),
            y=alt.Y(
                "cumulative_cost:Q",
                title=f"Cumulative cost, present value ({cur})",
                axis=alt.Axis(format=",.0f", titlePadding=16),
            ),
            color=_plan_color(tl),
            tooltip=[
                alt.Tooltip("plan:N", title="Plan"),
                alt.Tooltip("date:T", title="Month", format="%b %Y"),
                alt.Tooltip("cumulative_cost:Q", title=f"Cumulative cost ({cur})", format=",.0f"),
                alt.Tooltip("cost:Q", title=f"Cost this month ({cur})", format=",.0f"),
            ],
        )
        .properties(
            title=_titled(TITLES["cumulative"], f"Basis: {tl.basis}."),
            width=WIDTH,
            height=HEIGHT,
            autosize=PAD,
        )
    )


def _faceted(base: alt.Chart, tl: PlanTimeline, title: str, subtitle: str) -> Chart:
    n = len(tl.plans())
    return (
        base.properties(width=max(160, min(WIDTH // n, 280)), height=HEIGHT)
        .facet(
            column=alt.Column(
                "plan:N",
                title=None,
                sort=[plan_name(tl, p) for p in tl.plans()],
                header=alt.Header(labelAngle=0, labelLimit=0, labelFontSize=11),
            )
        )
        .properties(title=_titled(title, subtitle), autosize=PAD)
    )


def yearly_cost_chart(tl: PlanTimeline) -> Chart:
    """Cost per year of each plan, stacked by cost component (cash view, present value), one panel per plan."""
    df = yearly_cost_frame(tl)
    present = list(dict.fromkeys(df["component"]))
    cur = tl.currency
    base = (
        alt.Chart(df)
        .mark_bar()
        .encode(**yearly_cost_encoding(f"Cost per year, present value ({cur})", cur, present, "plan", "Plan"))
    )
    return _faceted(base, tl, TITLES["yearly_cost"], f"Cash view by component; basis: {tl.basis}.")


def yearly_emissions_chart(tl: PlanTimeline) -> Chart:
    """Emissions per year of each plan, stacked by source (operational, embodied, fine-tuning), in tCO2e."""
    df = yearly_emissions_frame(tl)
    sources = list(dict.fromkeys(df["source"]))
    colours = {
        v: c for v, c in zip(EMISSION_SOURCES.values(), ["#e15759", "#76b7b2", "#edc948"], strict=True)
    }
    base = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(tco2e):Q", title="Emissions per year (tCO2e)", axis=alt.Axis(titlePadding=16)),
            color=alt.Color(
                "source:N",
                title="Source",
                sort=sources,
                scale=alt.Scale(domain=sources, range=[colours[s] for s in sources]),
                legend=_legend(columns=3),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("plan:N", title="Plan"),
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("tco2e:Q", title="tCO2e", format=",.3~f"),
            ],
        )
    )
    return _faceted(base, tl, TITLES["yearly_emissions"], "Operational and embodied kgCO2e as emitted.")


def timeline_charts(tl: PlanTimeline) -> dict[str, Chart]:
    """The plan-over-time charts, by title, in reading order."""
    return {
        TITLES["cumulative"]: cumulative_chart(tl),
        TITLES["yearly_cost"]: yearly_cost_chart(tl),
        TITLES["yearly_emissions"]: yearly_emissions_chart(tl),
    }


def yearly_table(tl: PlanTimeline) -> pd.DataFrame:
    """One row per plan and year: each cost component (present value), the total, the undiscounted total,
    and the emissions by source and in all; columns named as `tco.presentation.labels` names them
    (`{component}_cost`, `emissions_{source}_kg`), units in `attrs["units"]`."""
    y = tl.yearly_cost
    wide = y.pivot_table(index=["plan", "year"], columns="component", values="cost", sort=False).reset_index()
    wide.columns = [str(c) if c in ("plan", "year") else f"{c}_cost" for c in wide.columns]
    comps = [f"{c}_cost" for c in dict.fromkeys(y["component"])]
    wide = wide[["plan", "year", *comps]]
    cash = (
        y.groupby(["plan", "year"], sort=False)["cost_undiscounted"].sum().rename("total_cost").reset_index()
    )
    wide["npv_cost"] = wide[comps].sum(axis=1)
    wide = wide.merge(cash, on=["plan", "year"])
    e = tl.yearly_emissions.rename(
        columns={
            "operational_kg": "emissions_operational_kg",
            "embodied_kg": "emissions_embodied_kg",
            "fine_tuning_kg": "emissions_fine_tuning_kg",
        }
    ).drop(columns=["role"])
    out = wide.merge(e, on=["plan", "year"])
    order = {p: i for i, p in enumerate(tl.plans())}
    out = out.sort_values(["plan", "year"], key=lambda s: s.map(order) if s.name == "plan" else s)
    out = out.reset_index(drop=True)
    out.insert(1, "role", out["plan"].map(dict(zip(tl.monthly["plan"], tl.monthly["role"], strict=True))))
    out.attrs["units"] = {
        **{c: tl.currency for c in [*comps, "npv_cost", "total_cost"]},
        **{c: "kgCO2e" for c in out.columns if str(c).endswith("_kg")},
        "year": "",
    }
    return out


def display(tl: PlanTimeline) -> pd.DataFrame:
    """The yearly table as people read it (the app, Markdown, HTML): plans in words, headers in words with
    units, every cell formatted (`tco.presentation.reports.numbers`)."""
    from tco.presentation import labels
    from tco.presentation.reports import numbers

    frame = yearly_table(tl).drop(columns=["role"])
    units = frame.attrs["units"]
    out = {}
    for col in (str(x) for x in frame.columns):
        unit = units.get(col, "")
        head = (
            labels.header(YEAR_WORDS.get(col, col), unit) if col in YEAR_WORDS else labels.header(col, unit)
        )
        if col == "plan":
            out[head] = [plan_name(tl, str(v)) for v in frame[col]]
        else:
            out[head] = [numbers.value(v, unit, tl.currency) for v in frame[col]]
    return pd.DataFrame(out)


def monthly_table(tl: PlanTimeline) -> pd.DataFrame:
    """The monthly frame for machine formats, units in `attrs["units"]`."""
    m = tl.monthly.copy()
    m.attrs["units"] = {
        "cost": tl.currency,
        "cost_undiscounted": tl.currency,
        "cumulative_cost": tl.currency,
        "emissions_kg": "kgCO2e",
        "cumulative_emissions_kg": "kgCO2e",
    }
    return m


def saving_lines(tl: PlanTimeline) -> list[str]:
    """Per year, what the optimised plan saves against its baseline (cost and tCO2e), in words."""
    if len(tl.plans()) < 2:
        return []
    t = tl.yearly_totals()
    opt, base = tl.plans()[0], tl.plans()[1]
    a = t[t["plan"] == opt].set_index("year")
    b = t[t["plan"] == base].set_index("year")
    out = []
    for year in a.index:
        dc = float(b.loc[year, "cost"] - a.loc[year, "cost"])
        dk = float(b.loc[year, "emissions_kg"] - a.loc[year, "emissions_kg"]) / KG_PER_T
        out.append(
            f"Year {int(year)}: the optimised plan {'saves' if dc >= 0 else 'costs'} {abs(dc):,.0f} {tl.currency} "
            f"(present value) and {'saves' if dk >= 0 else 'adds'} {abs(dk):,.1f} tCO2e against {base}."
        )
    return out


__all__ = [
    "SECTION",
    "TITLES",
    "basis_note",
    "cumulative_chart",
    "cumulative_frame",
    "display",
    "monthly_table",
    "plan_name",
    "saving_lines",
    "timeline_charts",
    "yearly_cost_chart",
    "yearly_cost_frame",
    "yearly_emissions_chart",
    "yearly_emissions_frame",
    "yearly_table",
]
