"""What every sheet of the workbook shares: styles, the first data row, cell references and sheet titles."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from tco.engine.inputs import OptionInputs

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEAD_FILL = PatternFill("solid", fgColor="F4F4F6")
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")  # editable inputs
LOAD_FILL = PatternFill("solid", fgColor="E8F1FB")  # the load model's sums, read by the projection
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
FIRST_ROW = 5  # first data row of the Assumptions and projection sheets
NEVER = 1e9  # month marker for "never breaks even" in the helper columns

STATIC = object()  # marks a projection cell written as the engine's value (see STATIC_NOTE)
STATIC_NOTE = "static: slm-tco engine value"


def quote(sheet: str) -> str:
    """A sheet title as a formula names it: `'Projection a'`."""
    return "'" + sheet.replace("'", "''") + "'"


def sheet_title(prefix: str, name: str, taken: set[str]) -> str:
    """A valid, unique worksheet title (31 characters at most, none of []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", f"{prefix}{name}")[:31]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def header_row(ws: Worksheet, row: int, heads: list[str]) -> None:
    for j, h in enumerate(heads, start=1):
        cell = ws.cell(row=row, column=j, value=h)
        cell.font = BOLD
        cell.fill = HEAD_FILL


def is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


@dataclass
class Inputs:
    """Where each input lives on the Assumptions sheet: (option or "(all)", field) -> absolute reference."""

    refs: dict[tuple[str, str], str]

    def __call__(self, option: str, name: str) -> str:
        return self.refs[(option, name)]


class Row:
    """Same-row and range references of one projection sheet."""

    def __init__(self, letters: dict[str, str], r: int, first: int, last: int) -> None:
        self.letters, self.r, self.first, self.last = letters, r, first, last

    def __getitem__(self, key: str) -> str:
        return f"{self.letters[key]}{self.r}"

    def prev(self, key: str) -> str:
        return f"{self.letters[key]}{self.r - 1}"

    def nxt(self, key: str) -> str:
        return f"{self.letters[key]}{self.r + 1}"

    def above(self, key: str) -> str:
        """Range of `key` from the first data row to the row above this one."""
        col = self.letters[key]
        return f"${col}${self.first}:{col}{self.r - 1}"

    def upto(self, key: str) -> str:
        """Range of `key` from the first data row to this one."""
        col = self.letters[key]
        return f"${col}${self.first}:{col}{self.r}"

    def whole(self, key: str) -> str:
        col = self.letters[key]
        return f"${col}${self.first}:${col}${self.last}"


@dataclass(frozen=True)
class Month:
    """What a block of projection cells needs for one month: the option, its inputs' cells (`a`) and the
    scenario-wide ones (`g`), this row's references (`x`), the month index, the horizon, the baseline's
    projection sheet, this month's cells of the option's Load sheet (`load`, hosted options) and the
    resale fraction of a unit bought this month (on-prem options credited at resale value)."""

    option: OptionInputs
    a: Callable[[str], str]
    g: Callable[[str], str]
    x: Row
    t: int
    months: int
    base_sheet: str
    load: Callable[[str], str] | None = None
    resale_fraction: float | None = None

    @property
    def m(self) -> str:
        """This month's index cell."""
        return self.x["month"]

    @property
    def first(self) -> bool:
        return self.t == 0

    @property
    def last(self) -> bool:
        return self.t == self.months - 1

    @property
    def hosted(self) -> bool:
        return self.option.deployment != "api"

    @property
    def life(self) -> str:
        """Lifetime in whole months (at least 1), as the engine rounds it."""
        return f"MAX(ROUND({self.a('lifetime_months')},0),1)" if self.hosted else "1"
