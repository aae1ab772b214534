"""The terminal views for people: rich tables (units in the headers), the answer and comparison lines.

`tco report` prints `plan_view` (a task portfolio), `answer_line`, `summary_table` and `comparison_lines`;
`tco plan` prints `plan_view` and `plan_lines`. The plan's tables are `tco.presentation.plan`'s, rendered by
`plan_tables`, the one renderer of a plan in the terminal. The CLI prints these; this module only builds
them (library code never prints).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
from rich.table import Table

from tco.presentation import plan as plan_view_of
from tco.presentation.reports import content as c

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results
    from tco.analysis.portfolio import PortfolioPlans
    from tco.analysis.view import View


def summary_table(results: Results) -> Table:
    """One row per option (baseline marked), the summary columns with their units in the headers."""
    summary = results.summary.reset_index(drop=True)
    heads, rows = c.display_table(
        summary, c.summary_labels(), c.UnitMap(c.units_of(results), results.currency)
    )
    fin = results.resolved.finance
    name = results.scenario.name if results.scenario is not None else "scenario"
    # Options as columns, measures as rows: readable in an 80-column terminal for a handful of options.
    table = Table(
        title=f"{name}: {fin.months} months from {fin.start}",
        caption=f"* baseline ({results.baseline})",
        header_style="bold",
    )
    table.add_column("")
    for row, is_base in zip(rows, summary["is_baseline"], strict=True):
        table.add_column(f"{row[0]} *" if is_base else str(row[0]), justify="right", overflow="fold")
    for i, head in enumerate(heads[1:], start=1):
        table.add_row(head, *(str(r[i]) for r in rows))
    return table


def comparison_lines(results: Results) -> list[str]:
    """`slm-l4 vs llm-h100: 41x cheaper per 1k queries, 900x less CO2e per query, quality 0.91 vs 0.93`."""
    return c.comparison_lines(results)


def answer_line(results: Results) -> str:
    """The answer first (tco.presentation.answer): cheapest eligible option, savings, what it rests on. For a
    task portfolio it follows the plan and says what it is: each option alone carrying the whole demand."""
    from tco.presentation.answer import answer

    text = answer(results).text
    if plan_view_of.has_tasks(results.scenario):
        assert results.scenario is not None
        return f"{plan_view_of.single_option_scope(results.scenario)}: {text}"
    return text


def _rich(frame: pd.DataFrame, title: str, currency: str) -> Table:
    """A plan table (tco.presentation.plan) as a rich Table: headers in words with units, text left, numbers
    right."""
    shown = plan_view_of.display(frame, currency)
    table = Table(title=title, header_style="bold")
    for head, col in zip(shown.columns, frame.columns, strict=True):
        number = pd.api.types.is_numeric_dtype(frame[col])  # booleans too: yes/no, right beside the numbers
        table.add_column(str(head), justify="right" if number else "left", overflow="fold")
    for rec in shown.itertuples(index=False):
        table.add_row(*(str(v) for v in rec))
    return table


def _rich_by_task(frame: pd.DataFrame, title: str, currency: str) -> Table:
    """The per-task plan table turned on its side, as the app shows it: one column per task, one row per
    measure (headers in words with units), one section per plan, so that every measure reads in a terminal."""
    shown = plan_view_of.display(frame, currency)
    plan_head, task_head = shown.columns[0], shown.columns[1]
    tasks = list(dict.fromkeys(shown[task_head]))
    table = Table(title=title, header_style="bold")
    table.add_column("")
    for task in tasks:
        table.add_column(str(task), justify="right", overflow="fold")
    for plan in dict.fromkeys(shown[plan_head]):
        rows = shown[shown[plan_head] == plan].set_index(task_head)
        measures = [plan_head, *shown.columns[2:]]
        for i, head in enumerate(measures):
            cells = [str(rows.at[t, head]) if t in rows.index else "–" for t in tasks]
            table.add_row(str(head), *cells, end_section=i == len(measures) - 1)
    return table


def plan_tables(plans: PortfolioPlans) -> list[Table]:
    """The plans compared (with the carbon price paid, where the scenario sets one) and the per-task table of
    the optimised and the baseline plan: the same tables every report format and the app show."""
    cur = plans.currency
    return [
        _rich(plan_view_of.plans_table(plans), "Plans compared", cur),
        _rich_by_task(plan_view_of.tasks_table(plans), "Per task", cur),
        *([_rich(plan_view_of.bom_table(plans), c.BOM_TITLE, cur)] if plans.bill_of_materials else []),
    ]


def plan_view(view: View) -> list[str | Table]:
    """For a task portfolio (`workload.tasks`): the plan sentence, the plans compared and the per-task table
    (the optimised and the baseline plan); empty for a scenario without tasks. A plan that could not be found
    comes as its note."""
    if view.plan_missing is not None:
        return [c.PLAN_MISSING.format(error=view.plan_missing)]
    if view.plans is None:
        return []
    return [f"The plan: {plan_view_of.plan_sentence(view.plans)}", *plan_tables(view.plans)]


def plan_lines(plans: PortfolioPlans) -> list[str]:
    """What `tco plan` says under the tables: the saving against the baseline plan, the search model's
    estimate against the engine's price, tasks with no queries, notes, and how plans are found and priced."""
    cur = plans.currency
    best = plans.optimised
    out = []
    if plans.baseline is not None:
        b = plans.baseline
        saving = b.cost - best.cost
        kg = b.kg - best.kg
        pct = f" ({saving / b.cost:.0%})" if b.cost > 0 else ""
        kpct = f" ({kg / b.kg:.0%})" if b.kg > 0 else ""
        out.append(f"optimised vs {b.name}: saves {saving:,.0f} {cur}{pct} NPV and {kg:,.0f} kgCO2e{kpct}")
    if not math.isnan(plans.search_value):
        moved = (
            ""
            if plans.search_routes == best.routes
            else "; improved by single-task moves priced by the engine"
        )
        out.append(
            f"search model's estimate of its plan: {plans.search_value:,.0f} (objective {best.objective}); "
            f"the engine's price of the plan shown: {best.objective_value:,.0f}{moved}"
        )
    if best.unserved:
        out.append(f"tasks with no queries (not routed): {', '.join(best.unserved)}")
    out += plan_view_of.search_lines(plans)
    out += [f"note: {note}" for note in plans.notes]
    out += [f"- {line}" for line in plans.assumptions]
    out += [f"- cascade {k['id']}: {k['escalate']:.1%} escalated, {k['source']}" for k in plans.cascades]
    return out


def frame_table(frame: pd.DataFrame, title: str | None = None) -> Table:
    """A frame of plain values (a reference-data table, tco.presentation.reference) as a terminal table:
    headers as the frame names them, text left, numbers right, never in scientific notation."""
    from tco.presentation.format import plain

    table = Table(title=title, header_style="bold")
    numeric = [pd.api.types.is_numeric_dtype(frame[col]) for col in frame.columns]
    for col, num in zip(frame.columns, numeric, strict=True):
        table.add_column(str(col), justify="right" if num else "left", overflow="fold")
    for rec in frame.itertuples(index=False):
        table.add_row(*("" if v is None else plain(v) if isinstance(v, float) else str(v) for v in rec))
    return table
