"""How numbers look in human-readable reports (terminal, Markdown, HTML).

Money totals get thousands separators and 2 decimals; per-query (and per-1k-query) values 4 significant
digits, never in scientific notation; counts thousands separators; ratios to the baseline as `×0.52`;
everything else 4 significant digits. Missing values show as an en
dash, never as `nan`. Machine formats (CSV, JSON, xlsx) keep full precision and do not use this module.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from tco.presentation.format import no_exponent, plain, ratio

MISSING = "–"
SIGNIFICANT = 4  # digits for per-query values and other non-money quantities

# Units whose values are per query (or per 1k queries, per correct answer): shown to 4 significant digits.
PER_QUERY_MARKERS = ("/query", "/1k", "/correct")


def is_missing(v: Any) -> bool:
    """True for None, NaN and pandas' missing markers."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return bool(np.isnan(v))
    return False


def money(v: Any) -> str:
    """A money total: `34,555.93` (thousands separators, 2 decimals)."""
    if is_missing(v):
        return MISSING
    return f"{float(v):,.2f}"


def significant(v: Any, digits: int = SIGNIFICANT) -> str:
    """A value to `digits` significant digits, with thousands separators when it is large: `0.01194`."""
    if is_missing(v):
        return MISSING
    x = float(v)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude >= digits - 1:
        return f"{x:,.0f}"
    decimals = digits - 1 - magnitude
    return f"{x:,.{decimals}f}"


def count(v: Any) -> str:
    """A count (queries, accelerators): `2,894,744,139`."""
    if is_missing(v):
        return MISSING
    x = float(v)
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 or abs(x) >= 1000 else significant(x)


def value(v: Any, unit: str, currency: str) -> str:
    """Format one cell of a report table given its column's unit."""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if is_missing(v):
        return MISSING
    if isinstance(v, str):
        return no_exponent(v)
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if not isinstance(v, float | np.floating):
        return str(v)
    if unit == "x":
        return ratio(float(v))
    if unit == "%":
        return f"{float(v):,.1f} %"
    if any(m in unit for m in PER_QUERY_MARKERS):
        return significant(v)
    if unit == currency:
        return money(v)
    if unit in ("query", "accelerator", "month", "replica"):
        return count(v)
    return significant(v)


def assumption_value(text: Any) -> str:
    """An assumption's value (text from the resolver) without scientific notation: `2e+06` -> `2,000,000`."""
    s = "" if is_missing(text) else str(text)
    if "e" not in s.lower():
        return s
    try:
        x = float(s)
    except ValueError:
        return s
    return plain(x, 6) if math.isfinite(x) else s
