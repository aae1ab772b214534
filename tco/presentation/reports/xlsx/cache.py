"""Cached values in a saved workbook: openpyxl writes formulas only, so each formula cell's value is added to
the sheet XML after saving (`<f>..</f><v/>` -> `<f>..</f><v>x</v>`), for readers that do not recalculate
(pandas, previews); Excel still recalculates on load and after every edit."""

from __future__ import annotations

import io
import math
import re
import zipfile
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import numpy as np

_FORMULA_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"((?: [a-z]+="[^"]*")*)><f>(.*?)</f><v\s*/></c>', re.S)
_TYPE_ATTR = re.compile(r' t="[^"]*"')
_SHEET_REL = re.compile(r'<sheet [^>]*name="([^"]*)"[^>]*r:id="([^"]*)"')
_REL = re.compile(
    r'<Relationship [^>]*Id="([^"]*)"[^>]*Target="([^"]*)"|<Relationship [^>]*Target="([^"]*)"[^>]*Id="([^"]*)"'
)


def _cell_xml(coord: str, attrs: str, formula: str, value: Any) -> str:
    if ' t="' in attrs:
        attrs = _TYPE_ATTR.sub("", attrs)
    if isinstance(value, bool | np.bool_):
        return f'<c r="{coord}"{attrs} t="b"><f>{formula}</f><v>{int(bool(value))}</v></c>'
    if isinstance(value, str):
        return f'<c r="{coord}"{attrs} t="str"><f>{formula}</f><v>{xml_escape(value)}</v></c>'
    x = float(value)
    if not math.isfinite(x):
        return f'<c r="{coord}"{attrs}><f>{formula}</f><v /></c>'
    return f'<c r="{coord}"{attrs}><f>{formula}</f><v>{x!r}</v></c>'


def with_cached_values(data: bytes, cache: dict[tuple[str, str], Any]) -> bytes:
    """Add cached values to the formula cells of a saved workbook: `<f>..</f><v/>` -> `<f>..</f><v>x</v>`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = {m[0]: m[1] for m in _SHEET_REL.findall(src.read("xl/workbook.xml").decode("utf-8"))}
    rels: dict[str, str] = {}
    for a, b, c_, d in _REL.findall(src.read("xl/_rels/workbook.xml.rels").decode("utf-8")):
        rels[a or d] = b or c_
    by_part: dict[str, dict[str, Any]] = {}
    for (sheet, coord), value in cache.items():
        target = rels[names[xml_escape(sheet, {'"': "&quot;"})]].lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        by_part.setdefault(part, {})[coord] = value
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            values = by_part.get(info.filename)
            if values:

                def fill(m: re.Match[str], values: dict[str, Any] = values) -> str:
                    if m[1] not in values:
                        return m[0]
                    return _cell_xml(m[1], m[2], m[3], values[m[1]])

                body = _FORMULA_CELL.sub(fill, body.decode("utf-8")).encode("utf-8")
            dst.writestr(info, body)
    return out.getvalue()
