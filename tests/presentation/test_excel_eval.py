"""The test-only Excel evaluator follows Excel where Python would not (checked by hand against Excel's
documented rules; the whole report workbook is also checked against the `formulas` package)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.presentation.excel_eval import ExcelError, Workbook


def _book(**formulas: str) -> Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "My sheet"
    for r, (a, b) in enumerate(((1.0, 1.0), (2.0, 2.0), (3.0, 3.0)), start=1):
        ws.cell(row=r, column=1, value=a)
        ws.cell(row=r, column=2, value=b)
    ws["A4"] = "text"
    for i, f in enumerate(formulas.values(), start=1):
        ws.cell(row=i, column=4, value=f)
    buf = io.BytesIO()
    wb.save(buf)
    return Workbook(io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("=-2^2", 4.0),  # unary minus binds tighter than ^
        ("=2^3^2", 64.0),  # ^ is left-associative
        ("=ROUND(2.5,0)+ROUND(-2.5,0)", 0.0),  # halves away from zero: 3 + -3
        ("=SUMPRODUCT(A1:A3>1)", 0.0),  # a logical array counts 0 unless coerced
        ("=SUMPRODUCT((A1:A3>1)*A1:A3)", 5.0),
        ("=SUMPRODUCT(A1:A3,B1:B3)", 14.0),
        ('=SUMIFS(A1:A3,B1:B3,">="&2)', 5.0),
        ("=SUMIFS(A1:A3,B1:B3,2)", 2.0),
        ('=COUNTIF(A1:A3,"<3")', 2.0),
        ("=SUM(A1:A4)+MAX(A1:A4)", 9.0),  # text in a range is skipped
        ("=MATCH(2.5,A1:A3,1)+INDEX(B1:B3,3)", 5.0),
        ("=IF(0,1/0,7)", 7.0),  # IF evaluates only the branch taken
        ("=CEILING(2.1,1)+FLOOR(2.9,1)+INT(-1.5)", 3.0),
        ("=N(A4)+N(TRUE)+ISNUMBER(A1)", 2.0),
        ("='My sheet'!A3*(1+1E-9)", 3.000000003),
        ('=IF(AND(A1>0,A2<>2),"",A3)', 3.0),
        ('="x"&2&"|"&0.5', "x2|0.5"),
    ],
)
def test_formulas_compute_as_in_excel(formula: str, expected: object) -> None:
    got = _book(f=formula).value("My sheet", "D1")
    assert got == (pytest.approx(expected) if isinstance(expected, float) else expected)


@pytest.mark.parametrize("formula", ["=1/0", "=MATCH(0.5,A1:A3,1)", "=A4+1", "=VLOOKUP(1,A1:B3,2)"])
def test_errors_and_functions_outside_the_subset_raise(formula: str) -> None:
    with pytest.raises(ExcelError):
        _book(f=formula).value("My sheet", "D1")
