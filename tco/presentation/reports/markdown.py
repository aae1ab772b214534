"""Markdown report: one document with every section, readable as plain text and rendered.

Projections are yearly here (monthly ones are in the CSV, JSON and xlsx reports). Charts are embedded as
data-URI SVG images (`![title](data:image/svg+xml;base64,...)`), so the file stands alone; renderers that
refuse data URIs (GitHub) show the chart title instead.
"""

from __future__ import annotations

import base64

from tco.presentation.labels import title as table_title
from tco.presentation.reports import content as c
from tco.presentation.reports import numbers

SECTIONS = (
    "Comparison with the baseline",
    "Summary",
    "Yearly projections",
    "Sensitivity and uncertainty",
    "Charts",
    "Assumptions and sources",
)
PLAN_SECTION = "Task plan"  # only when the scenario lists workload.tasks
TIMELINE_SECTION = "Plan over time"  # the optimised plan against its baseline, year by year (with the plan)
PLAN_ASSUMPTIONS = "How the plans are found and priced"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table(heads: list[str], rows: list[list[str]], *, numeric_from: int | None = None) -> str:
    """A GitHub-flavoured Markdown table; columns from `numeric_from` on (if given) are right-aligned."""
    align = ["---" if numeric_from is None or i < numeric_from else "---:" for i in range(len(heads))]
    lines = ["| " + " | ".join(_cell(h) for h in heads) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def _svg_image(title: str, chart: c.Chart) -> str:
    import vl_convert as vlc  # lazy: only when charts are rendered

    svg = vlc.vegalite_to_svg(chart.to_dict())
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"![{title}](data:image/svg+xml;base64,{data})"


def scenario_lines(rc: c.ReportContent) -> list[tuple[str, str]]:
    """The header facts as (label, text) pairs, shared with the HTML report."""
    s = rc.scenario
    return [
        ("Scenario file", str(s.get("file") or "(built in code)")),
        ("Currency", str(s["currency"])),
        ("Start", str(s["start"])),
        ("Horizon", f"{s['horizon_months']} months"),
        ("Discount rate", f"{s['discount_rate'] * 100:.4g} %/year"),
        (
            "Workload",
            f"{numbers.count(s['queries_per_day'])} queries/day, growing {s['annual_growth'] * 100:.4g} %/year",
        ),
        ("Baseline", str(s["baseline"])),
        ("Options", ", ".join(s["options"])),
    ]


def plan_timeline_section(rc: c.ReportContent) -> list[str]:
    """The plan-over-time section (a portfolio with a plan): the basis, the saving by year, the yearly table
    and the charts."""
    if rc.plan_yearly is None:
        return []
    out = [f"## {TIMELINE_SECTION}", ""]
    out += [f"- {n}" for n in c.plan_timeline_notes(rc)] + [""]
    heads, rows = c.plan_timeline_display(rc)
    out += [table(heads, rows, numeric_from=2), ""]
    for title, chart in rc.plan_charts.items():
        out += [f"### {title}", "", _svg_image(title, chart), ""]
    return out


def plan_bom_section(rc: c.ReportContent) -> list[str]:
    """The bill of materials of the optimised plan, the lines under it (totals per GPU type and region, the
    runner-up's cost, what the catalogue search left out) and the runner-up plan's bill; nothing without
    hosted fleets."""
    if rc.plan_bom is None:
        return []
    heads, rows = c.plan_display(rc.plan_bom, rc)
    out = [f"### {c.BOM_TITLE}", "", table(heads, rows, numeric_from=5), ""]
    out += [f"- {line}" for line in rc.plan_bom_lines] + [""]
    if rc.plan_bom_runner_up is not None:
        heads, rows = c.plan_display(rc.plan_bom_runner_up, rc)
        out += [f"### {c.BOM_RUNNER_UP_TITLE}", "", table(heads, rows, numeric_from=5), ""]
    return out


def render(rc: c.ReportContent) -> bytes:
    out: list[str] = [f"# {rc.title}", ""]
    if rc.plan_answer:  # a task portfolio: the plan first
        out += [f"**The plan:** {rc.plan_answer}", ""]
    if rc.answer:
        out += [f"**{c.answer_label(rc)}:** {rc.answer}", ""]
    if rc.scenario.get("description"):
        out += [str(rc.scenario["description"]), ""]
    out += [table(["Item", "Value"], [[a, b] for a, b in scenario_lines(rc)]), ""]

    out += [f"## {SECTIONS[0]}", ""]
    out += [f"- {line}" for line in rc.comparison] or ["Only one option: nothing to compare."]
    out.append("")
    if rc.plans is not None and rc.plan_tasks is not None:
        out += [f"## {PLAN_SECTION}", "", f"**The plan:** {rc.plan_answer}", "", c.PLAN_NOTE, ""]
        heads, rows = c.plan_display(rc.plans, rc)
        out += ["### Plans compared", "", table(heads, rows, numeric_from=2), ""]
        heads, rows = c.plan_display(rc.plan_tasks, rc)
        out += ["### Per task", "", table(heads, rows, numeric_from=4), ""]
        out += plan_bom_section(rc)
        if rc.plan_assumptions:
            out += [f"### {PLAN_ASSUMPTIONS}", "", *[f"- {a}" for a in rc.plan_assumptions], ""]
    out += plan_timeline_section(rc)

    heads, rows = c.display_table(rc.summary, c.summary_labels(), rc)
    out += [f"## {SECTIONS[1]}", "", table(heads, rows, numeric_from=len(c.SUMMARY_IDS)), ""]
    base = rc.scenario["baseline"]
    out += [f"Baseline: {base}. Levelised cost is the NPV of cost over discounted queries.", ""]
    out += [f"- {n}" for n in rc.notes]
    if rc.notes:
        out.append("")

    heads, rows = c.display_table(rc.yearly, c.yearly_labels(rc.yearly), rc)
    out += [f"## {SECTIONS[2]}", "", c.YEARLY_NOTE, "", table(heads, rows, numeric_from=2), ""]

    out += [f"## {SECTIONS[3]}", ""]
    if rc.analysis:
        for name, frame in rc.analysis.items():
            heads, rows = c.generic_table(frame, rc)
            out += [f"### {table_title(name)}", "", table(heads, rows), ""]
    else:
        out += ["No sensitivity or uncertainty results in this report (see the notes above).", ""]

    out += [f"## {SECTIONS[4]}", ""]
    if rc.charts:
        for title, chart in rc.charts.items():
            out += [f"### {title}", "", _svg_image(title, chart), ""]
    else:
        out += ["No charts in this report (see the notes above).", ""]

    heads, rows = c.assumption_rows(rc)
    out += [f"## {SECTIONS[5]}", "", table(heads, rows), ""]
    return "\n".join(out).encode("utf-8")
