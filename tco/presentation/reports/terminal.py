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
    """The answer first (tco.presentation.answer): cheapest eligible option, savings, what it rests on."""
    from tco.presentation.answer import answer

    return answer(results).text
