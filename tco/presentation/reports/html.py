"""HTML report: one self-contained file, inline CSS, charts as inline SVG, no scripts or external URLs.

Charts are the same Altair charts as the app (`tco.presentation.charts.report_charts`), rendered to static SVG with
vl-convert (no browser needed). Tables come from the same frames as the other formats; projections are
yearly here (monthly ones are in the CSV, JSON and xlsx reports).
"""

from __future__ import annotations

import re
from html import escape

from tco.presentation.labels import title as table_title
from tco.presentation.reports import content as c
from tco.presentation.reports.markdown import (
    PLAN_ASSUMPTIONS,
    PLAN_SECTION,
    SECTIONS,
    TIMELINE_SECTION,
    scenario_lines,
)

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 78rem; padding: 0 1rem; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; vertical-align: top; }
th { background: #f4f4f6; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.baseline td { font-weight: 600; }
.scroll { overflow-x: auto; }
.note { color: #555; font-size: .9rem; }
.answer { font-size: 1.05rem; background: #f3f7fb; border-left: 4px solid #4e79a7; padding: .6rem .9rem; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
"""

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>\s*")


def table(
    heads: list[str],
    rows: list[list[str]],
    *,
    numeric_from: int | None = None,
    row_classes: list[str] | None = None,
) -> str:
    """An HTML table; cells from column `numeric_from` on are right-aligned numbers."""
    out = ['<div class="scroll"><table>', "<thead><tr>"]
    out += [f"<th>{escape(h)}</th>" for h in heads]
    out.append("</tr></thead><tbody>")
    for i, r in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = [
            f'<td class="num">{escape(x)}</td>'
            if numeric_from is not None and j >= numeric_from
            else f"<td>{escape(x)}</td>"
            for j, x in enumerate(r)
        ]
        out.append(f"<tr{cls}>{''.join(cells)}</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def chart_svg(chart: c.Chart) -> str:
    """Static SVG markup of an Altair chart (XML declaration stripped, ready to inline)."""
    import vl_convert as vlc  # lazy: only when charts are rendered

    return _XML_DECL.sub("", vlc.vegalite_to_svg(chart.to_dict()))


def plan_timeline_section(rc: c.ReportContent) -> list[str]:
    """The plan-over-time section (a portfolio with a plan): the basis, the saving by year, the yearly table
    and the charts (the same as the Markdown report's)."""
    if rc.plan_yearly is None:
        return []
    out = [f'<h2 id="plan-over-time">{TIMELINE_SECTION}</h2>']
    out.append(
        '<ul class="note">' + "".join(f"<li>{escape(n)}</li>" for n in c.plan_timeline_notes(rc)) + "</ul>"
    )
    heads, rows = c.plan_timeline_display(rc)
    out.append(table(heads, rows, numeric_from=2))
    for name, chart in rc.plan_charts.items():
        out.append(f'<figure aria-label="{escape(name)}">{chart_svg(chart)}</figure>')
    return out


def plan_bom_section(rc: c.ReportContent) -> list[str]:
    """The bill of materials of the optimised plan, the lines under it and the runner-up plan's bill (the
    same as the Markdown report's); nothing without hosted fleets."""
    if rc.plan_bom is None:
        return []
    heads, rows = c.plan_display(rc.plan_bom, rc)
    out = [f"<h3>{escape(c.BOM_TITLE)}</h3>", table(heads, rows, numeric_from=5)]
    out.append('<ul class="note">' + "".join(f"<li>{escape(x)}</li>" for x in rc.plan_bom_lines) + "</ul>")
    if rc.plan_bom_runner_up is not None:
        heads, rows = c.plan_display(rc.plan_bom_runner_up, rc)
        out += [f"<h3>{escape(c.BOM_RUNNER_UP_TITLE)}</h3>", table(heads, rows, numeric_from=5)]
    return out


def render(rc: c.ReportContent) -> bytes:
    title = escape(rc.title)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}: slm-tco report</title>",
        f"<style>{CSS}</style>",
        "</head><body>",
        f"<h1>{title}</h1>",
    ]
    if rc.plan_answer:  # a task portfolio: the plan first
        out.append(f'<p class="answer"><strong>The plan:</strong> {escape(rc.plan_answer)}</p>')
    if rc.answer:
        out.append(f'<p class="answer"><strong>{c.answer_label(rc)}:</strong> {escape(rc.answer)}</p>')
    if rc.scenario.get("description"):
        out.append(f"<p>{escape(str(rc.scenario['description']))}</p>")
    out.append(table(["Item", "Value"], [[a, b] for a, b in scenario_lines(rc)]))

    out.append(f'<h2 id="comparison">{SECTIONS[0]}</h2>')
    if rc.comparison:
        out.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in rc.comparison) + "</ul>")
    else:
        out.append("<p>Only one option: nothing to compare.</p>")
    if rc.plans is not None and rc.plan_tasks is not None:
        out.append(f'<h2 id="plan">{PLAN_SECTION}</h2>')
        out.append(f'<p class="answer"><strong>The plan:</strong> {escape(rc.plan_answer)}</p>')
        out.append(f'<p class="note">{escape(c.PLAN_NOTE)}</p>')
        heads, rows = c.plan_display(rc.plans, rc)
        out.append("<h3>Plans compared</h3>")
        out.append(table(heads, rows, numeric_from=2))
        heads, rows = c.plan_display(rc.plan_tasks, rc)
        out.append("<h3>Per task</h3>")
        out.append(table(heads, rows, numeric_from=4))
        out += plan_bom_section(rc)
        if rc.plan_assumptions:
            out.append(f"<h3>{PLAN_ASSUMPTIONS}</h3>")
            out.append(
                '<ul class="note">' + "".join(f"<li>{escape(a)}</li>" for a in rc.plan_assumptions) + "</ul>"
            )
    out += plan_timeline_section(rc)

    heads, rows = c.display_table(rc.summary, c.summary_labels(), rc)
    classes = ["baseline" if b else "" for b in rc.summary["is_baseline"]]
    out.append(f'<h2 id="summary">{SECTIONS[1]}</h2>')
    out.append(table(heads, rows, numeric_from=len(c.SUMMARY_IDS), row_classes=classes))
    out.append(
        f'<p class="note">Baseline (bold): {escape(str(rc.scenario["baseline"]))}. '
        "Levelised cost is the NPV of cost over discounted queries.</p>"
    )
    if rc.notes:
        out.append('<ul class="note">' + "".join(f"<li>{escape(n)}</li>" for n in rc.notes) + "</ul>")

    heads, rows = c.display_table(rc.yearly, c.yearly_labels(rc.yearly), rc)
    out.append(f'<h2 id="yearly">{SECTIONS[2]}</h2>')
    out.append(f'<p class="note">{escape(c.YEARLY_NOTE)}</p>')
    out.append(table(heads, rows, numeric_from=2))

    out.append(f'<h2 id="analysis">{SECTIONS[3]}</h2>')
    if rc.analysis:
        for name, frame in rc.analysis.items():
            heads, rows = c.generic_table(frame, rc)
            out.append(f"<h3>{escape(table_title(name))}</h3>")
            out.append(table(heads, rows))
    else:
        out.append(
            '<p class="note">No sensitivity or uncertainty results in this report (see the notes above).</p>'
        )

    out.append(f'<h2 id="charts">{SECTIONS[4]}</h2>')
    if rc.charts:
        for name, chart in rc.charts.items():
            # the chart carries its own title: the figure only names it for screen readers
            out.append(f'<figure aria-label="{escape(name)}">{chart_svg(chart)}</figure>')
    else:
        out.append('<p class="note">No charts in this report (see the notes above).</p>')

    heads, rows = c.assumption_rows(rc)
    out.append(f'<h2 id="assumptions">{SECTIONS[5]}</h2>')
    out.append(table(heads, rows))
    out.append("</body></html>")
    return ("\n".join(out) + "\n").encode("utf-8")
