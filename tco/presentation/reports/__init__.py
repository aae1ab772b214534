"""Reports of computed views, every format with the same content.

    >>> from tco.api import compute_view, load_scenario
    >>> from tco.presentation import reports
    >>> view = compute_view(load_scenario(), analysis=True, charts=True)
    >>> data = reports.render(view, "md")          # bytes
    >>> reports.write(view, "html", "out/report.html")

(`tco.api.render_report` and `tco.api.write_report` compute the view a format needs and render it in one
call.) Formats are declared once in `formats.py` (one module each): `md` (markdown.py), `csv` (csvfmt.py: one
file per table), `json` (jsonfmt.py: schema `slm-tco.report/1`), `xlsx` (xlsx/: live Excel formulas over an
Assumptions sheet), `html` (html.py: one self-contained file with inline SVG charts). `terminal.py` builds
the rich views of `tco report` and `tco plan`.

Every report carries: the scenario header, the comparison with the baseline, the summary, projections,
assumptions with sources, the analysis results the view holds (sensitivity, uncertainty, break-evens), the
charts of `tco.presentation.charts.report_charts` and, for a scenario with `workload.tasks`, the task plan
(`tco.presentation.plan`: the plan sentence, the plans compared and the per-task table). Nothing here
computes: what is not in the view is named as missing in the report's notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tco.presentation.reports.formats import FORMATS, ReportError, ReportFormat, get, register

if TYPE_CHECKING:
    from tco.analysis.view import View
    from tco.presentation.reports.content import ReportContent

# The content module (pandas and the labels) loads on first use: the command line reads the format registry
# at start-up, and `tco report` from its cache should not pay for them.


def gather(view: View, fmt: str) -> ReportContent:
    """The content format `fmt` shows of `view`."""
    from tco.presentation.reports import content

    return content.gather(view, charts=get(fmt).charts)


def render(view: View, fmt: str) -> bytes:
    """The report in format `fmt` as bytes (csv: the summary table; `write` gives every table)."""
    f = get(fmt)
    return f.render(gather(view, f.name))


def write(view: View, fmt: str, path: str | Path) -> Path:
    """Write the report to `path` atomically; csv writes one file per table (see tco.presentation.reports.csvfmt)."""
    f = get(fmt)
    return f.write(gather(view, f.name), Path(path))


def default_filename(view: View, fmt: str) -> str:
    """`<scenario file stem or name>-report.<ext>`; csv: a directory name `<stem>-report`."""
    sc = view.results.scenario
    stem = (
        Path(sc.file).stem
        if sc is not None and sc.file not in ("", "scenario")
        else (sc.name if sc is not None else "scenario")
    )
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem).strip("-.") or "scenario"
    return get(fmt).file_name(safe)


__all__ = [
    "FORMATS",
    "ReportError",
    "ReportFormat",
    "default_filename",
    "gather",
    "get",
    "register",
    "render",
    "write",
]
