"""What every report carries, gathered once from a computed view so that all formats show the same content.

A report holds: a scenario header, the comparison with the baseline, the per-option summary, the
projections (monthly in machine formats, yearly in Markdown and HTML), the assumptions with their sources,
the analysis tables (sensitivity, uncertainty, break-evens: those the view holds), the charts and, for a
task portfolio, the plan. Everything comes from `tco.analysis.view.View`; each format module turns a
`ReportContent` into bytes, and none computes a number of its own beyond ratios for the comparison lines.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from tco.analysis.view import View  # the result type a report is gathered from (a class: no computation)
from tco.presentation import labels
from tco.presentation import plan as plan_view
from tco.presentation.answer import answer as answer_of
from tco.presentation.answer import price_notes
from tco.presentation.format import ratio as ratio_text
from tco.presentation.labels import COST_LABELS, LABELS
from tco.presentation.reports import numbers

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results

log = logging.getLogger(__name__)

# Summary columns shown in human-readable reports, in reading order (words from tco.presentation.labels).
_SUMMARY_KEYS = [
    "tco_cost",
    "npv_cost",
    "cost_per_1k_queries",
    "tokens_out",
    "levelised_cost_per_1k_queries",
    "cost_per_correct_1k",
    "energy_kwh",
    "wh_per_query",
    "emissions_kg",
    "g_per_query",
    "g_per_correct",
    "ml_water_per_query",
    "mg_sb_per_query",
    "kj_pe_per_query",
    "accelerators_peak",
    "provisioned_kw",
    "average_draw_kw",
    "tokens_per_s_per_provisioned_mw",
    "end_value_cost",
    "tco_after_tax_cost",
    "quality",
    "latency_p95_s",
    "cost_ratio_to_baseline",
    "break_even_month",
]
SUMMARY_COLUMNS: dict[str, str] = {k: LABELS[k] for k in _SUMMARY_KEYS}
SUMMARY_IDS: dict[str, str] = {k: LABELS[k] for k in ("option", "name", "deployment")}

# Yearly columns in reading order; every other cost line of Results.yearly() follows the known ones.
_YEARLY_HEAD = ["queries", *COST_LABELS]
_YEARLY_TAIL = [
    "accounting_total_cost",
    "end_value_cost",
    "total_cost",
    "tax_saving",
    "total_cost_after_tax",
    "energy_facility_kwh",
    "emissions_operational_kg",
    "emissions_embodied_kg",
    "emissions_kg",
]
YEARLY_COLUMNS: dict[str, str] = {k: LABELS[k] for k in [*_YEARLY_HEAD, *_YEARLY_TAIL]}
YEARLY_NOTE = (
    "Cost components in the accounting view (capex spread as depreciation, interest or lease payments for "
    "financing); the total is the cash view (capex when bought, residual value back at retirement, the "
    "end-of-horizon credit on its own line). Over the horizon both views differ only by the book value "
    "still in service that the end-of-horizon choice does not credit."
)

# Units of summary columns the engine's unit map leaves out.
EXTRA_UNITS: dict[str, str] = {
    "accelerators_peak": "accelerator",
    "accelerators_initial": "accelerator",
    "accelerators_purchased": "accelerator",
    "replicas": "replica",
    "accelerators": "accelerator",
    "year": "",
    "month": "",
    "discount_factor": "",
    "batch_size": "",
    "accelerators_per_replica": "",
    "cost_ratio_to_baseline": "x",
    "emissions_ratio_to_baseline": "x",
    "g_per_query_ratio_to_baseline": "x",
    "levelised_cost_ratio_to_baseline": "x",
    "queries_discounted": "query",
}

CHARTS_MISSING = "Charts unavailable: tco.presentation.charts.report_charts could not be imported ({error})."
CHARTS_NOT_COMPUTED = (
    "Charts unavailable: the view was computed without their data (`tco.api.compute_view(..., charts=True)`)."
)
ANALYSIS_MISSING = (
    "Sensitivity and uncertainty results not included: {reason}. Compute them with the view (`tco report` "
    "without `--no-analysis`, or `tco.api.compute_view(loaded, analysis=True)`)."
)

Chart = Any  # an altair top-level chart


class Units(Protocol):
    """What a table needs to put units in its headers and format its cells."""

    @property
    def currency(self) -> str: ...

    def unit(self, column: str) -> str: ...


@dataclass(frozen=True)
class UnitMap:
    """Units of a frame's columns (those the map lacks: `EXTRA_UNITS`, else the currency for `*_cost`)."""

    units: Mapping[str, str]
    currency: str

    def unit(self, column: str) -> str:
        default = self.currency if column.endswith("_cost") else ""
        return self.units.get(column, EXTRA_UNITS.get(column, default))


@dataclass
class ReportContent:
    """Everything a report shows, as frames and plain values (full precision; formats decide the look), and
    the view it was gathered from (the workbook reads the engine's inputs and cached values from it)."""

    view: View
    title: str
    scenario: dict[str, Any]
    currency: str
    units: dict[str, str]
    comparison: list[str]
    summary: pd.DataFrame
    per_period: pd.DataFrame
    yearly: pd.DataFrame
    assumptions: pd.DataFrame
    analysis: dict[str, pd.DataFrame]
    charts: dict[str, Chart] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    answer: str = ""  # the answer first: tco.presentation.answer
    # a task portfolio (`workload.tasks`): the plan sentence, the plans compared and the per-task table
    plan_answer: str = ""
    plans: pd.DataFrame | None = None
    plan_tasks: pd.DataFrame | None = None
    # the plan over time (a portfolio): yearly table (tco.presentation.plan_timeline.yearly_table), its charts
    plan_yearly: pd.DataFrame | None = None
    plan_charts: dict[str, Chart] = field(default_factory=dict)
    plan_assumptions: list[str] = field(default_factory=list)  # how plans are found and priced
    # the bill of materials of the optimised plan (tco.presentation.plan.bom_table; a plan with hosted fleets
    # only), the runner-up plan's where it has one, and the lines under them (tco.presentation.plan.search_lines)
    plan_bom: pd.DataFrame | None = None
    plan_bom_runner_up: pd.DataFrame | None = None
    plan_bom_lines: list[str] = field(default_factory=list)

    def unit(self, column: str) -> str:
        default = self.currency if column.endswith("_cost") else ""
        return self.units.get(column, EXTRA_UNITS.get(column, default))


def units_of(results: Results) -> dict[str, str]:
    """Unit of every column of the summary, per-period and yearly frames (empty string: dimensionless)."""
    out = dict(EXTRA_UNITS)
    out.update({str(k): str(v) for k, v in results.units.items()})
    cur = results.currency
    for c in [*results.summary.columns, *results.per_period.columns]:
        if str(c).endswith("_cost") and c not in out:
            out[str(c)] = cur
    return out


def scenario_info(results: Results) -> dict[str, Any]:
    """The scenario header: name, description, file, currency, start, horizon, discount rate, baseline."""
    fin = results.resolved.finance
    sc = results.scenario
    spec = sc.spec if sc is not None else None
    name = spec.name if spec is not None else "scenario"
    return {
        "name": name,
        "description": (getattr(spec, "description", None) or "").strip(),
        "file": sc.file if sc is not None else None,
        "currency": fin.currency,
        "start": fin.start,
        "horizon_months": int(fin.months),
        "discount_rate": float(np.asarray(fin.discount_rate, dtype=float).mean()),
        "baseline": results.baseline,
        "options": [str(o.id) for o in results.resolved.options],
        "queries_per_day": float(np.asarray(results.resolved.workload.queries_per_day, dtype=float).mean()),
        "annual_growth": float(np.asarray(results.resolved.workload.annual_growth, dtype=float).mean()),
    }


def _relative(option: Any, base: Any, what: str) -> str | None:
    """`cost per 1k queries ×0.083` (the option's value over the baseline's); None when not comparable."""
    if numbers.is_missing(option) or numbers.is_missing(base) or base <= 0 or option < 0:
        return None
    return f"{what} {ratio_text(float(option) / float(base))}"


def comparison_lines(results: Results) -> list[str]:
    """One line per non-baseline option comparing it with the baseline.

    e.g. `slm-l4 vs llm-h100: cost per 1k queries ×0.024, CO2e per query ×0.0011, quality 0.91 vs 0.93`
    (ratios in the one notation of tco.presentation.format.ratio: the option's value over the baseline's).
    """
    s = results.summary
    base_id = results.baseline
    base = {str(k): v for k, v in s.loc[base_id].items()}
    lines = []
    for oid, row in s.iterrows():
        if oid == base_id:
            continue
        parts = [
            _relative(row["cost_per_1k_queries"], base["cost_per_1k_queries"], "cost per 1k queries"),
            _relative(row["g_per_query"], base["g_per_query"], "CO2e per query"),
        ]
        if not (numbers.is_missing(row["quality"]) and numbers.is_missing(base["quality"])):
            mine = "unknown" if numbers.is_missing(row["quality"]) else f"{row['quality']:.3g}"
            theirs = "unknown" if numbers.is_missing(base["quality"]) else f"{base['quality']:.3g}"
            parts.append(f"quality {mine} vs {theirs}")
        flags = []
        if not bool(row["meets_quality_floor"]):
            flags.append(
                "no quality score for this task"
                if numbers.is_missing(row["quality"])
                else "below the quality floor"
            )
        if not bool(row["slo_met"]):
            flags.append("misses the latency SLO")
        if bool(row["capacity_shortfall"]):
            flags.append("fixed fleet too small for the load")
        text = ", ".join(p for p in parts if p) or "not comparable"
        if flags:
            text += f" ({'; '.join(flags)})"
        lines.append(f"{oid} vs {base_id}: {text}")
    return lines


def _flag_notes(results: Results) -> list[str]:
    s = results.summary
    notes = []
    for oid, row in s.iterrows():
        if bool(row["capacity_shortfall"]):
            notes.append(f"{oid}: the fixed fleet cannot carry the load in some months (capacity shortfall).")
        if not bool(row["slo_met"]):
            notes.append(f"{oid}: the chosen operating point misses the latency SLO.")
        if not bool(row["meets_quality_floor"]):
            if numbers.is_missing(row["quality"]):
                notes.append(
                    f"{oid}: no quality score for the workload's task, so the quality floor cannot be checked."
                )
            else:
                notes.append(f"{oid}: quality is below the workload's quality floor.")
    return notes + price_notes(results)


def _charts(view: View) -> tuple[dict[str, Chart], str | None]:
    if view.curves is None:
        return {}, CHARTS_NOT_COMPUTED
    try:
        from tco.presentation.charts import report_charts
    except ImportError as e:  # altair missing from this install
        log.info("tco.presentation.charts.report_charts unavailable: %s", e)
        return {}, CHARTS_MISSING.format(error=e)
    return dict(report_charts(view)), None


PLAN_MISSING = "Task plan not included: {error}"
PLAN_NOTE = (
    "The plan routes each task to one option (or a cascade); tasks on the same option share its fleet. "
    "Every plan is priced by the engine hour by hour (`tco plan`). Quality is per task in its own metric, "
    "never averaged across metrics."
)


def plan_content(view: View) -> tuple[str, pd.DataFrame | None, pd.DataFrame | None, str | None]:
    """The plan sentence, plans and per-task tables of the view's plan (a scenario with `workload.tasks`),
    or the note saying why the plan is missing; empty without a plan."""
    if view.plan_missing is not None:
        return "", None, None, PLAN_MISSING.format(error=view.plan_missing)
    res = view.plans
    if res is None:
        return "", None, None, None
    return plan_view.plan_sentence(res), plan_view.plans_table(res), plan_view.tasks_table(res), None


BOM_TITLE = "Bill of materials (optimised plan)"
BOM_RUNNER_UP_TITLE = "Bill of materials (runner-up plan)"


def plan_bill(view: View) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[str]]:
    """The optimised plan's bill of materials, the runner-up plan's (None where it has no hosted fleet) and
    the lines a buyer reads under them (totals per GPU type and region, the runner-up's cost, what the
    catalogue search left out); nothing for a plan without hosted fleets."""
    res = view.plans
    if res is None or not res.bill_of_materials:
        return None, None, []
    runner_up = plan_view.bom_table(res, res.runner_up_bill) if res.runner_up_bill else None
    return plan_view.bom_table(res), runner_up, plan_view.search_lines(res)


def answer_label(rc: ReportContent) -> str:
    """`The answer`; for a task portfolio, whose answer is the plan, `Single-option view`."""
    return "Single-option view" if rc.plan_answer else "The answer"


def plan_units(rc: ReportContent) -> dict[str, str]:
    """Units of the plan tables' columns."""
    out: dict[str, str] = {}
    for frame in (rc.plans, rc.plan_tasks, rc.plan_bom, rc.plan_bom_runner_up):
        if frame is not None:
            out.update(frame.attrs.get("units", {}))
    return out


def plan_display(frame: pd.DataFrame, rc: ReportContent) -> tuple[list[str], list[list[str]]]:
    """Headers in words with units and formatted cells of a plan table (every column, in order), as
    `tco.presentation.plan.display` renders it for the terminal and the app."""
    shown = plan_view.display(frame, rc.currency)
    return [str(h) for h in shown.columns], [[str(v) for v in rec] for rec in shown.itertuples(index=False)]


def gather(view: View | Results, *, charts: bool = True) -> ReportContent:
    """Collect a report's content from a computed view (`charts`: include the charts). Results alone are a
    view of nothing more: no plan, analysis or charts' data, each named as missing in the notes."""
    if not isinstance(view, View):
        view = View(view)
    results = view.results
    analysis_note = (
        ANALYSIS_MISSING.format(reason=view.analysis_missing) if view.analysis_missing is not None else None
    )
    figures, charts_note = _charts(view) if charts else ({}, None)
    info = scenario_info(results)
    assumptions = results.assumptions.copy()
    assumptions["year"] = pd.array(
        [None if numbers.is_missing(y) else int(y) for y in assumptions["year"]], dtype="Int64"
    )
    notes = _flag_notes(results)
    plan_answer, plans, plan_tasks, plan_note = plan_content(view)
    notes += [n for n in (analysis_note, charts_note, plan_note) if n] + list(view.analysis_notes)
    if view.timeline_missing is not None:
        notes.append(f"Plan over time not included: {view.timeline_missing}")
    answer = answer_of(results).text
    if plan_view.has_tasks(results.scenario):  # a portfolio: the plan is the answer; say what this one is
        assert results.scenario is not None
        answer = f"{plan_view.single_option_scope(results.scenario)}: {answer}"
    plan_yearly, plan_charts = _plan_over_time(view, charts)
    plan_bom, plan_bom_runner_up, plan_bom_lines = plan_bill(view)
    return ReportContent(
        view=view,
        title=str(info["name"]),
        scenario=info,
        currency=results.currency,
        units=units_of(results),
        comparison=comparison_lines(results),
        summary=results.summary.reset_index(drop=True),
        per_period=results.per_period,
        yearly=results.yearly(),
        assumptions=assumptions,
        analysis={str(k): v for k, v in view.analysis.items()},
        charts=figures,
        notes=notes,
        answer=answer,
        plan_answer=plan_answer,
        plans=plans,
        plan_tasks=plan_tasks,
        plan_yearly=plan_yearly,
        plan_charts=plan_charts,
        plan_assumptions=list(view.plans.assumptions) if view.plans is not None else [],
        plan_bom=plan_bom,
        plan_bom_runner_up=plan_bom_runner_up,
        plan_bom_lines=plan_bom_lines,
    )


def _plan_over_time(view: View, charts: bool) -> tuple[pd.DataFrame | None, dict[str, Chart]]:
    """The plan-over-time table and (`charts`) its charts, from the view's timeline; none without one."""
    if view.timeline is None:
        return None, {}
    from tco.presentation import plan_timeline as pt

    figures: dict[str, Chart] = {}
    if charts:
        try:
            figures = pt.timeline_charts(view.timeline)
        except ImportError as e:  # altair missing from this install
            log.info("plan-over-time charts unavailable: %s", e)
    return pt.yearly_table(view.timeline), figures


def plan_timeline_display(rc: ReportContent) -> tuple[list[str], list[list[str]]]:
    """Headers in words with units and formatted cells of the plan-over-time yearly table (md, html)."""
    assert rc.plan_yearly is not None and rc.view.timeline is not None
    from tco.presentation.plan_timeline import display

    shown = display(rc.view.timeline)
    return [str(h) for h in shown.columns], [[str(v) for v in rec] for rec in shown.itertuples(index=False)]


def plan_timeline_notes(rc: ReportContent) -> list[str]:
    """The basis of the plan-over-time figures and the saving year by year, in words."""
    if rc.view.timeline is None:
        return []
    from tco.presentation import plan_timeline as pt

    return [pt.basis_note(rc.view.timeline), *pt.saving_lines(rc.view.timeline)]


def header(label: str, unit: str) -> str:
    """A column header with its unit: `TCO (USD)`; no parentheses for dimensionless columns."""
    u = labels.unit_words(unit)
    return f"{label} ({u})" if u and unit != "month" and u.lower() != label.lower() else label


def display_table(
    frame: pd.DataFrame, columns: Mapping[str, str], content: Units
) -> tuple[list[str], list[list[str]]]:
    """Headers (label and unit) and formatted cells of `frame`'s `columns` (those present), for people."""
    present = [c for c in columns if c in frame.columns]
    heads = [
        labels.header(c, content.unit(c)) if c in LABELS else header(columns[c], content.unit(c))
        for c in present
    ]
    rows = [
        [numbers.value(v, content.unit(c), content.currency) for c, v in zip(present, rec, strict=True)]
        for rec in frame[present].itertuples(index=False, name=None)
    ]
    return heads, rows


def generic_table(frame: pd.DataFrame, content: ReportContent) -> tuple[list[str], list[list[str]]]:
    """Every column of a frame (e.g. an analysis table), units from its attrs or the report's unit map."""
    units = dict(frame.attrs.get("units", {})) if isinstance(frame.attrs.get("units"), dict) else {}
    flat = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
    hidden = HIDDEN_ANALYSIS_COLUMNS | ({"input"} if "label" in flat.columns else set())
    cols = [str(c) for c in flat.columns if str(c) not in hidden]
    heads = [labels.header(c, units.get(c, content.units.get(c, ""))) for c in cols]
    rows = [
        [
            labels.label(v)
            if c in NAMED_VALUES and isinstance(v, str)
            else numbers.value(v, units.get(c, content.units.get(c, "")), content.currency)
            for c, v in zip(cols, rec, strict=True)
        ]
        for rec in flat[cols].itertuples(index=False, name=None)
    ]
    return heads, rows


# Analysis columns whose cells are field names (shown in words) and columns people do not need to read.
NAMED_VALUES = frozenset({"metric", "input"})
# (percent differences are left out: ratios to the baseline read in one notation, `vs_baseline_x` as ×0.52)
HIDDEN_ANALYSIS_COLUMNS = frozenset(
    {"is_baseline", "vs_baseline_pct", "tco_vs_baseline_pct", "emissions_vs_baseline_pct"}
)


def summary_labels() -> dict[str, str]:
    return {**SUMMARY_IDS, **SUMMARY_COLUMNS}


def yearly_labels(frame: pd.DataFrame | None = None) -> dict[str, str]:
    """Option, year, the known yearly columns and, from `frame`, any other cost line (e.g. a new one)."""
    out = {"option": LABELS["option"], "year": LABELS["year"], **{k: LABELS[k] for k in _YEARLY_HEAD}}
    if frame is not None:
        out.update(
            {
                str(c): labels.label(str(c))
                for c in frame.columns
                if str(c).endswith("_cost") and str(c) not in _YEARLY_TAIL
            }
        )
    out.update({k: LABELS[k] for k in _YEARLY_TAIL})
    return out


ASSUMPTION_LABELS = {
    "option": "Option",
    "parameter": "Parameter",
    "value": "Value",
    "unit": "Unit",
    "source": "Source",
    "year": "Source year",
}


def assumption_rows(content: ReportContent) -> tuple[list[str], list[list[str]]]:
    heads = list(ASSUMPTION_LABELS.values())
    rows = [
        [
            numbers.assumption_value(v) if k == "value" else "" if numbers.is_missing(v) else str(v)
            for k, v in zip(ASSUMPTION_LABELS, rec, strict=True)
        ]
        for rec in content.assumptions[list(ASSUMPTION_LABELS)].itertuples(index=False, name=None)
    ]
    return heads, rows
