"""Reports of evaluated scenarios, every format with the same content.

    >>> from tco.api import evaluate
    >>> from tco.presentation import reports
    >>> data = reports.render(evaluate(), "md")          # bytes
    >>> reports.write(evaluate(), "xlsx", "out/report.xlsx")

Formats (one module each): `md` (markdown.py), `csv` (csvfmt.py: one file per table), `json` (jsonfmt.py:
schema `slm-tco.report/1`), `xlsx` (xlsx.py: live Excel formulas over an Assumptions sheet), `html`
(html.py: one self-contained file with inline SVG charts). `terminal.py` builds the rich summary table.

Every report carries: the scenario header, the comparison with the baseline, the summary, projections,
assumptions with sources, analysis results (sensitivity, uncertainty, break-evens; passed as `analysis`, or
computed with `tco.analysis.analysis_tables` when that exists and the results carry their scenario) and
the charts of `tco.presentation.charts.report_charts`; a scenario with `workload.tasks` adds the task plan
(`tco.presentation.plan`: the plan sentence, the plans compared and the per-task table).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tco.errors import InputError
from tco.presentation.reports import content
from tco.scenario.yamlio import write_atomic

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results

FORMATS = ("md", "csv", "json", "xlsx", "html")
EXTENSIONS = {"md": ".md", "csv": ".csv", "json": ".json", "xlsx": ".xlsx", "html": ".html"}
# Formats whose content includes the charts (json carries their Vega-Lite specs).
_WITH_CHARTS = {"md", "json", "html"}


class ReportError(InputError):
    """A report was asked for in a way that cannot work (unknown format)."""


def _check(fmt: str) -> str:
    f = fmt.lower().lstrip(".")
    if f == "markdown":
        f = "md"
    if f not in FORMATS:
        raise ReportError(
            f"unknown report format {fmt!r}, expected one of {', '.join(FORMATS)}", field="format"
        )
    return f


def gather(
    results: Results, fmt: str, analysis: Mapping[str, pd.DataFrame] | None = None
) -> content.ReportContent:
    return content.gather(results, analysis, charts=_check(fmt) in _WITH_CHARTS)


def render(results: Results, fmt: str, *, analysis: Mapping[str, pd.DataFrame] | None = None) -> bytes:
    """The report in format `fmt` as bytes (csv: the summary table; `write` gives every table)."""
    f = _check(fmt)
    rc = gather(results, f, analysis)
    # format modules load on use: openpyxl alone costs a cold `tco report` 0.15 s
    from tco.presentation.reports import csvfmt, html, jsonfmt, markdown, xlsx

    if f == "md":
        return markdown.render(rc)
    if f == "csv":
        return csvfmt.render(rc)
    if f == "json":
        return jsonfmt.render(rc)
    if f == "html":
        return html.render(rc)
    return xlsx.render(rc, results)


def write(
    results: Results, fmt: str, path: str | Path, *, analysis: Mapping[str, pd.DataFrame] | None = None
) -> Path:
    """Write the report to `path` atomically; csv writes one file per table (see tco.presentation.reports.csvfmt)."""
    f = _check(fmt)
    target = Path(path)
    if f == "csv":
        from tco.presentation.reports import csvfmt

        return csvfmt.write(gather(results, f, analysis), target)
    return write_atomic(target, render(results, f, analysis=analysis))


def default_filename(results: Results, fmt: str) -> str:
    """`<scenario file stem or name>-report.<ext>`; csv: a directory name `<stem>-report`."""
    f = _check(fmt)
    sc = results.scenario
    stem = (
        Path(sc.file).stem
        if sc is not None and sc.file not in ("", "scenario")
        else (sc.name if sc is not None else "scenario")
    )
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem).strip("-.") or "scenario"
    return f"{safe}-report" if f == "csv" else f"{safe}-report{EXTENSIONS[f]}"


__all__ = ["EXTENSIONS", "FORMATS", "ReportError", "default_filename", "render", "write"]
