"""The report formats, each declared once: `tco report --format` (its check, its help), the default file names
and the app's download choices all read this registry.

A format is a module with `render(content: ReportContent) -> bytes` (and `write(content, path) -> Path` when
it writes more than one file, as csv does), declared here with what it needs computed (`charts`, `workbook`)
and how it is named. A new format is its module and one `register(ReportFormat(...))` line below (see the
README, "Extending slm-tco"); a format registered at run time (a plugin) shows up in the same places.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from tco.errors import InputError
from tco.scenario.yamlio import write_atomic

if TYPE_CHECKING:
    from tco.presentation.reports.content import ReportContent


class ReportError(InputError):
    """A report was asked for in a way that cannot work (unknown format)."""


@dataclass(frozen=True)
class ReportFormat:
    """One report format: its name on the command line, what people call it, the file it makes, the module
    that renders it (imported on use: openpyxl alone costs a cold `tco report` 0.15 s) and what it needs
    computed besides the results (the charts' data, the workbook's cached values)."""

    name: str  # `--format NAME`
    label: str  # for people: the app's download choice
    extension: str  # ".md"
    mime: str
    module: str  # "tco.presentation.reports.markdown"
    charts: bool = False  # the content includes the charts (json: their Vega-Lite specs)
    workbook: bool = False  # needs the workbook's cached values (tco.analysis.workbook)
    binary: bool = False  # bytes no terminal shows: written to a file only
    folder: bool = False  # `write` makes a folder of files unless the path ends in `extension`
    aliases: tuple[str, ...] = ()  # other names `--format` and `-o NAME.ext` accept

    def renderer(self) -> ModuleType:
        return importlib.import_module(self.module)

    def render(self, content: ReportContent) -> bytes:
        data: bytes = self.renderer().render(content)
        return data

    def write(self, content: ReportContent, path: Path) -> Path:
        """Write the report to `path` atomically (a format of many files: its own `write`)."""
        module = self.renderer()
        if hasattr(module, "write"):
            written: Path = module.write(content, path)
            return written
        return write_atomic(path, module.render(content))

    def file_name(self, stem: str, *, download: bool = False) -> str:
        """`<stem>-report<extension>`; a format of many files: the folder `<stem>-report`, unless the file is
        downloaded (one file: what `render` gives)."""
        return f"{stem}-report" if self.folder and not download else f"{stem}-report{self.extension}"


FORMATS: dict[str, ReportFormat] = {}


def register(fmt: ReportFormat) -> ReportFormat:
    """Add a format (or replace the one of the same name); returns it."""
    FORMATS[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    FORMATS.pop(name, None)


def find(name: str) -> ReportFormat | None:
    """The format `name` (any case, a leading dot or an alias accepted), None when there is none."""
    key = name.lower().lstrip(".")
    return next((f for f in FORMATS.values() if key == f.name or key in f.aliases), None)


def get(name: str) -> ReportFormat:
    """The format `name` (as `find` reads it), else one ReportError line naming the formats there are."""
    fmt = find(name)
    if fmt is None:
        raise ReportError(
            f"unknown report format {name!r}, expected one of {', '.join(FORMATS)}", field="format"
        )
    return fmt


def from_suffix(suffix: str) -> ReportFormat | None:
    """The format whose extension (or alias) a file name's suffix is, if any."""
    key = suffix.lower().lstrip(".")
    for fmt in FORMATS.values():
        if key == fmt.extension.lstrip(".") or key == fmt.name or key in fmt.aliases:
            return fmt
    return None


def describe() -> str:
    """The formats for a help text: `md (Markdown), csv (CSV), ...`."""
    return ", ".join(f"{f.name} ({f.label})" for f in FORMATS.values())


register(
    ReportFormat(
        "md",
        "Markdown",
        ".md",
        "text/markdown",
        "tco.presentation.reports.markdown",
        charts=True,
        aliases=("markdown",),
    )
)
register(ReportFormat("csv", "CSV", ".csv", "text/csv", "tco.presentation.reports.csvfmt", folder=True))
register(
    ReportFormat("json", "JSON", ".json", "application/json", "tco.presentation.reports.jsonfmt", charts=True)
)
register(
    ReportFormat(
        "xlsx",
        "Excel",
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "tco.presentation.reports.xlsx",
        workbook=True,
        binary=True,
    )
)
register(ReportFormat("html", "HTML", ".html", "text/html", "tco.presentation.reports.html", charts=True))
