"""How numbers read for people, shared by the app, the answer sentence, the CLI and the reports.

Money to the unit with thousands separators (`1,234,567 USD`), ratios to the baseline in one notation
(`×0.59`, `×41`), and never scientific notation.
"""

from __future__ import annotations

import math
import re

_EXPONENT = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?[eE][-+]?\d+(?![\w.])")


def money(value: float, currency: str = "", *, cents: bool = False) -> str:
    """`1,234,567 USD` (to the unit) or `1,234,567.89 USD` with `cents`; `n/a` when missing."""
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    text = f"{v:,.2f}" if cents else f"{v:,.0f}"
    if text in ("-0", "-0.00"):
        text = text[1:]
    return f"{text} {currency}".strip()


def ratio(value: float) -> str:
    """A ratio to the baseline, always as a multiplier: `×1.91`, `×41`, `×0.15`, `×0.010`; `n/a` when missing."""
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 10:
        return f"×{v:,.0f}"
    if a >= 1 or a == 0:
        return f"×{v:.2f}"
    decimals = 1 - math.floor(math.log10(a))  # two significant digits
    return f"×{v:.{decimals}f}"


def plain(value: float, digits: int = 4) -> str:
    """A quantity to `digits` significant digits, thousands separators, no exponent: `0.0001234`, `12,345`."""
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    if v == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(v)))
    if magnitude >= digits - 1:
        return f"{v:,.0f}"
    decimals = digits - 1 - magnitude
    return f"{v:,.{decimals}f}".rstrip("0").rstrip(".") if "." in f"{v:.{decimals}f}" else f"{v:,.0f}"


def no_exponent(text: str) -> str:
    """`x0.8 (2.552e+04 USD/accelerator)` -> `x0.8 (25,520 USD/accelerator)`: numbers without exponents."""
    return _EXPONENT.sub(lambda m: plain(float(m[0])), text)


__all__ = ["money", "no_exponent", "plain", "ratio"]
