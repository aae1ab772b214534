"""A small Excel formula evaluator for the subset of Excel the xlsx report writes, independent of slm-tco.

It reads a workbook's formulas (openpyxl), parses each one and computes it the way Excel does: operator
precedence (unary minus binds tighter than `^`), lazy IF, array arithmetic inside SUMPRODUCT (where a
boolean array counts as 0 unless coerced), SUMIFS/COUNTIF criteria such as `">="&5`, MATCH of type 1,
ROUND halves away from zero, empty cells as 0, text ignored by SUM/MIN/MAX. Anything outside the subset
(a function, an operator, an error value such as #DIV/0!) raises `ExcelError`, so a formula the report
starts writing in another form fails the tests instead of being mis-read.

The `formulas` package does the same in general, but takes minutes on a shipped scenario's workbook; this
one takes seconds, so the tests can recompute every cell of every shipped scenario.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import openpyxl
from openpyxl.utils import column_index_from_string, get_column_letter


class ExcelError(ValueError):
    """An Excel error value (#DIV/0!, #N/A, #VALUE!) or a formula outside the supported subset."""


_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>"(?:[^"]|"")*")
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)(?![A-Za-z0-9(])
  | (?P<func>[A-Z][A-Z0-9.]*)\(
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<bool>TRUE|FALSE)(?![A-Za-z0-9(])
  | (?P<op><=|>=|<>|[-+*/^&=<>(),])
    )""",
    re.X,
)
_CELL = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")


@dataclass
class Range:
    """A rectangular block of cells of one sheet, read lazily, row by row."""

    book: Workbook
    sheet: str
    cells: list[tuple[str, str]]  # (sheet, coordinate)

    def values(self) -> list[Any]:
        return [self.book.value(s, c) for s, c in self.cells]


Env = Callable[[], Any]


def _number(v: Any) -> float:
    """A value as an operand of arithmetic: empty is 0, a logical is 1 or 0, text is #VALUE!."""
    if v is None:
        return 0.0
    if isinstance(v, bool | np.bool_):
        return float(v)
    if isinstance(v, int | float | np.floating | np.integer):
        return float(v)
    raise ExcelError(f"#VALUE!: arithmetic on {v!r}")


def _array(v: Any) -> Any:
    """An operand of array arithmetic: a range becomes a float array, a scalar a float."""
    if isinstance(v, Range):
        return np.array([_number(x) for x in v.values()], dtype=float)
    if isinstance(v, np.ndarray):
        return v.astype(float)
    return _number(v)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        x = float(v)
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.15g}"
    return str(v)


def _rank(v: Any) -> tuple[int, Any]:
    """Excel's comparison order: numbers < text (case-insensitive) < logicals; empty compares as 0."""
    if v is None:
        return (0, 0.0)
    if isinstance(v, bool | np.bool_):
        return (2, bool(v))
    if isinstance(v, str):
        return (1, v.lower())
    return (0, float(v))


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _compare(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, Range | np.ndarray) or isinstance(b, Range | np.ndarray):
        return _COMPARE[op](_array(a), _array(b))
    ra, rb = _rank(a), _rank(b)
    if ra[0] != rb[0]:
        return _COMPARE[op](ra[0], rb[0])
    return bool(_COMPARE[op](ra[1], rb[1]))


def _arith(op: str, a: Any, b: Any) -> Any:
    x, y = _array(a), _array(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if np.any(np.asarray(y) == 0):
            raise ExcelError("#DIV/0!")
        return x / y
    if op == "^":
        return x**y
    raise ExcelError(f"operator {op}")


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        raise ExcelError(f"#VALUE!: {v!r} as a condition")
    return bool(_number(v))


def _numbers(args: list[Any]) -> list[float]:
    """The numbers of SUM/MIN/MAX arguments: ranges give their numeric cells only, direct values coerce."""
    out: list[float] = []
    for a in args:
        if isinstance(a, Range):
            out += [float(v) for v in a.values() if isinstance(v, int | float) and not isinstance(v, bool)]
        elif isinstance(a, np.ndarray):
            out += [float(v) for v in a.ravel()]
        else:
            out.append(_number(a))
    return out


def _criterion(c: Any) -> Callable[[Any], bool]:
    if isinstance(c, str):
        m = re.match(r"(<=|>=|<>|<|>|=)?(.*)$", c)
        assert m is not None
        op, rest = m[1] or "=", m[2]
        try:
            target: Any = float(rest)
        except ValueError:
            target = rest
    else:
        op, target = "=", _number(c)

    def test(v: Any) -> bool:
        if isinstance(target, float):
            if not isinstance(v, int | float) or isinstance(v, bool):
                return op == "<>"
            return bool(_COMPARE[op](float(v), target))
        return bool(_COMPARE[op](_text(v).lower(), target.lower()))

    return test


def _round(x: float, digits: float) -> float:
    scale = 10.0 ** int(digits)
    return math.copysign(math.floor(abs(x) * scale + 0.5) / scale, x)


def _sumproduct(*args: Any) -> float:
    arrays = []
    for a in args:
        if isinstance(a, Range):
            vals = a.values()
            arrays.append(
                np.array([v if isinstance(v, int | float) and not isinstance(v, bool) else 0.0 for v in vals])
            )
        elif isinstance(a, np.ndarray):
            arrays.append(np.zeros(a.shape) if a.dtype == bool else a.astype(float))
        else:
            raise ExcelError("SUMPRODUCT of a scalar")
    if len({x.shape for x in arrays}) != 1:
        raise ExcelError("#VALUE!: SUMPRODUCT of arrays of different sizes")
    return float(np.sum(np.prod(np.vstack(arrays), axis=0)))


def _match(x: Any, rng: Any, kind: Any = 1.0) -> float:
    if _number(kind) != 1:
        raise ExcelError("MATCH: only match type 1")
    v = _number(x)
    found = 0
    for i, y in enumerate(rng.values(), start=1):
        if _number(y) <= v:
            found = i
        else:
            break
    if not found:
        raise ExcelError("#N/A: MATCH below the first value")
    return float(found)


def _index(rng: Any, i: Any) -> Any:
    vals = rng.values()
    k = int(_number(i))
    if not 1 <= k <= len(vals):
        raise ExcelError("#REF!: INDEX out of range")
    return vals[k - 1]


def _ceiling(x: Any, s: Any) -> float:
    a, b = _number(x), _number(s)
    return 0.0 if b == 0 else math.ceil(a / b) * b


def _floor(x: Any, s: Any) -> float:
    a, b = _number(x), _number(s)
    if b == 0:
        raise ExcelError("#DIV/0!: FLOOR to 0")
    return math.floor(a / b) * b


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _n(v: Any) -> float:
    if isinstance(v, bool):
        return float(v)
    return float(v) if _is_number(v) else 0.0


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "SUM": lambda *a: float(sum(_numbers(list(a)))),
    "MAX": lambda *a: max(_numbers(list(a)), default=0.0),
    "MIN": lambda *a: min(_numbers(list(a)), default=0.0),
    "SUMPRODUCT": _sumproduct,
    "SUMIFS": lambda total, rng, crit: float(
        sum(
            _number(v)
            for v, w in zip(total.values(), rng.values(), strict=True)
            if _criterion(crit)(w) and _is_number(v)
        )
    ),
    "COUNTIF": lambda rng, crit: float(sum(1 for w in rng.values() if _criterion(crit)(w))),
    "ROUND": lambda x, d: _round(_number(x), _number(d)),
    "INT": lambda x: float(math.floor(_number(x))),
    "CEILING": _ceiling,
    "FLOOR": _floor,
    "INDEX": _index,
    "MATCH": _match,
    "AND": lambda *a: all(_truthy(x) for x in a),
    "ISNUMBER": _is_number,
    "N": _n,
}


class _Parser:
    """Recursive descent over the tokens of one formula into closures of no argument."""

    def __init__(self, book: Workbook, sheet: str, text: str) -> None:
        self.book, self.sheet = book, sheet
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ExcelError(f"cannot read {text[pos:]!r} in ={text}")
            kind = m.lastgroup
            assert kind is not None
            self.tokens.append((kind, m[kind]))
            pos = m.end()
        self.i = 0
        self.text = text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ExcelError(f"expected {value!r} at token {self.i} of ={self.text}")
        self.i += 1
        return tok

    def parse(self) -> Env:
        e = self.comparison()
        if self.peek() is not None:
            raise ExcelError(f"unexpected {self.peek()} in ={self.text}")
        return e

    def _binary(
        self, ops: tuple[str, ...], sub: Callable[[], Env], fn: Callable[[str, Any, Any], Any]
    ) -> Env:
        left = sub()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in ops:
            self.take()
            right = sub()
            left = (lambda op, a, b: lambda: fn(op, a(), b()))(tok[1], left, right)
        return left

    def comparison(self) -> Env:
        return self._binary(tuple(_COMPARE), self.concat, _compare)

    def concat(self) -> Env:
        return self._binary(("&",), self.additive, lambda _op, a, b: _text(a) + _text(b))

    def additive(self) -> Env:
        return self._binary(("+", "-"), self.multiplicative, _arith)

    def multiplicative(self) -> Env:
        return self._binary(("*", "/"), self.power, _arith)

    def power(self) -> Env:
        return self._binary(("^",), self.unary, _arith)

    def unary(self) -> Env:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            inner = self.unary()
            if tok[1] == "-":
                return lambda: -_array(inner())
            return inner
        return self.primary()

    def primary(self) -> Env:
        kind, value = self.take()
        if kind == "number":
            x = float(value)
            return lambda: x
        if kind == "string":
            s = value[1:-1].replace('""', '"')
            return lambda: s
        if kind == "bool":
            b = value == "TRUE"
            return lambda: b
        if kind == "ref":
            return self.reference(value)
        if kind == "func":
            return self.call(value)
        if kind == "op" and value == "(":
            e = self.comparison()
            self.take(")")
            return e
        raise ExcelError(f"unexpected {value!r} in ={self.text}")

    def reference(self, text: str) -> Env:
        sheet = self.sheet
        if "!" in text:
            sheet, text = text.rsplit("!", 1)
            if sheet.startswith("'"):
                sheet = sheet[1:-1].replace("''", "'")
        if ":" not in text:
            m = _CELL.fullmatch(text)
            assert m is not None
            coord = f"{m[1]}{m[2]}"
            return lambda: self.book.value(sheet, coord)
        a, b = (_CELL.fullmatch(part) for part in text.split(":"))
        assert a is not None and b is not None
        c0, c1 = sorted((column_index_from_string(a[1]), column_index_from_string(b[1])))
        r0, r1 = sorted((int(a[2]), int(b[2])))
        cells = [(sheet, f"{get_column_letter(c)}{r}") for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        rng = Range(self.book, sheet, cells)
        return lambda: rng

    def call(self, name: str) -> Env:
        args: list[Env] = []
        if self.peek() != ("op", ")"):
            args.append(self.comparison())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.comparison())
        self.take(")")
        if name == "IF":
            cond, yes = args[0], args[1]
            no = args[2] if len(args) > 2 else (lambda: False)
            return lambda: yes() if _truthy(cond()) else no()
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise ExcelError(f"function {name} is not in the evaluated subset")
        return lambda: fn(*(a() for a in args))


class Workbook:
    """Every cell of a workbook, formulas recomputed on demand (memoised) by the evaluator above."""

    def __init__(self, source: Any) -> None:
        wb = openpyxl.load_workbook(source)
        self.titles = {ws.title.lower(): ws.title for ws in wb.worksheets}
        self.cells: dict[tuple[str, str], Any] = {}
        self.formulas: dict[tuple[str, str], str] = {}
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    v = cell.value
                    if isinstance(v, str) and v.startswith("="):
                        self.formulas[(ws.title, cell.coordinate)] = v[1:]
                    elif v is not None:
                        self.cells[(ws.title, cell.coordinate)] = v
        self.computed: dict[tuple[str, str], Any] = {}
        self._busy: set[tuple[str, str]] = set()

    def value(self, sheet: str, coord: str) -> Any:
        key = (self.titles.get(sheet.lower(), sheet), coord)
        if key in self.computed:
            return self.computed[key]
        if key not in self.formulas:
            return self.cells.get(key)
        if key in self._busy:
            raise ExcelError(f"circular reference at {key}")
        self._busy.add(key)
        try:
            v = _Parser(self, key[0], self.formulas[key]).parse()()
        finally:
            self._busy.discard(key)
        if isinstance(v, Range | np.ndarray):
            raise ExcelError(f"{key}: a formula whose value is an array")
        if isinstance(v, np.floating | np.bool_):
            v = v.item()
        self.computed[key] = v
        return v

    def recompute(self) -> dict[tuple[str, str], Any]:
        """The value of every formula cell, by (sheet title, coordinate). A chain of cells (a cumulative
        column, the break-even test that looks at the next month) recurses once per month."""
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20 * len(self.formulas)))
        try:
            return {key: self.value(*key) for key in self.formulas}
        finally:
            sys.setrecursionlimit(limit)
