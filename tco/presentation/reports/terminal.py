"""The terminal view for people: a rich summary table (units in the headers) and comparison lines.

The CLI prints these; this module only builds them (library code never prints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from tco.presentation.reports import content as c

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results


def summary_table(results: Results) -> Table:
    """One row per option (baseline marked), the summary columns with their units in the headers."""
    rc = c.ReportContent(
        title="",
        scenario={},
        currency=results.currency,
        units=c.units_of(results),
        comparison=[],
        summary=results.summary.reset_index(drop=True),
        per_period=results.per_period,
        yearly=results.per_period.iloc[0:0],
        assumptions=results.assumptions,
        analysis={},
    )
    heads, rows = c.display_table(rc.summary, c.summary_labels(), rc)
    fin = results.resolved.finance
    name = results.scenario.name if results.scenario is not None else "scenario"
    # Options as columns, measures as rows: readable in an 80-column terminal for a handful of options.
    table = Table(
        title=f"{name}: {fin.months} months from {fin.start}",
        caption=f"* baseline ({results.baseline})",
        header_style="bold",
    )
    table.add_column("")
    for row, is_base in zip(rows, rc.summary["is_baseline"], strict=True):
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
    from tco.presentation import plan
    from tco.presentation.answer import answer

    text = answer(results).text
    if plan.has_tasks(results.scenario):
        assert results.scenario is not None
        return f"{plan.single_option_scope(results.scenario)}: {text}"
    return text


def plan_view(results: Results) -> list[str | Table]:
    """For a task portfolio (`workload.tasks`): the plan sentence, the plans compared and the per-task table
    (the optimised and the baseline plan); empty for a scenario without tasks. Notes (a plan that could not
    be priced) come as lines."""
    plan_answer, plans, per_task, note = c.plan_content(results)
    if note:
        return [note]
    if plans is None or per_task is None:
        return []
    rc = c.ReportContent(
        title="",
        scenario={},
        currency=results.currency,
        units={},
        comparison=[],
        summary=results.summary.iloc[0:0],
        per_period=results.per_period.iloc[0:0],
        yearly=results.per_period.iloc[0:0],
        assumptions=results.assumptions.iloc[0:0],
        analysis={},
        plan_answer=plan_answer,
        plans=plans,
        plan_tasks=per_task,
    )
    out: list[str | Table] = [f"The plan: {plan_answer}"]
    for name, frame in (("Plans compared", plans), ("Per task", per_task)):
        heads, rows = c.plan_display(frame, rc)
        table = Table(title=name, header_style="bold")
        for h, col in zip(heads, frame.columns, strict=True):
            text = frame[col].dtype == object and col != "meets_limits"
            table.add_column(h, justify="left" if text else "right", overflow="fold")
        for r in rows:
            table.add_row(*r)
        out.append(table)
    return out
