"""Two what-ifs side by side, in words (`tco diff`, the app's compare view): formats a
`tco.analysis.diff.WhatIfDiff`, never computes one.

Money to the unit with separators, the basis named (undiscounted TCO, net present cost with or without the
carbon price), emissions in kgCO2e, changes signed (`+1,234`), percentages of A (`+12.3 %`).
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from tco.presentation.format import money
from tco.presentation.labels import header

if TYPE_CHECKING:
    from tco.analysis.diff import WhatIfDiff

MAX_VALUE = 60  # characters of an input's value shown before "…" (a long description)
WIDTH = 100  # columns the terminal output fits
PLAN = "Optimised plan"  # the option column's words for the plan's rows


def number(value: float, unit: str = "", *, signed: bool = False) -> str:
    """A figure for people: thousands separators from 100 up, four significant digits below, `n/a` if missing."""
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    sign = "+" if signed and v > 0 else ""
    a = abs(v)
    # from 100 up to the unit with separators; below, four significant digits, never in scientific notation
    text = money(v) if a >= 100 or a == 0 else f"{v:.{max(0, 3 - math.floor(math.log10(a)))}f}"
    return f"{sign}{text}"


def percent(value: float) -> str:
    """`+12.3 %`, `-0.5 %`, `n/a` (A was 0)."""
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    return f"{v:+.1f} %"


def value_text(value: Any) -> str:
    """An input's value as written, on one line: text as is (long text cut with "…"), lists and mappings in
    YAML's flow style."""
    if isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, list):
        text = "[" + ", ".join(value_text(v) for v in value) + "]"
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def measure_words(measure: str, unit: str) -> str:
    """The measure's header from the one label table, with its unit."""
    return header(measure, unit)


def inputs_frame(d: WhatIfDiff) -> pd.DataFrame:
    """Every input that differs: field path, A's value, B's value (as written, with their units)."""
    rows = [{"Input (field path)": c.path, "A": value_text(c.a), "B": value_text(c.b)} for c in d.inputs]
    return pd.DataFrame(rows, columns=["Input (field path)", "A", "B"])


def results_frame(d: WhatIfDiff) -> pd.DataFrame:
    """The results of A and B side by side, in words: option (its name in B), measure with unit, A, B, change,
    change in % of A, and `Changed` (True where the value moved)."""
    names = d.names
    rows = []
    for r in d.results.to_dict("records"):
        who = PLAN if r["scope"] == "plan" else names.get(str(r["option"]), str(r["option"]))
        change = float(r["change"])
        rows.append(
            {
                "Option": who,
                "Measure": measure_words(str(r["measure"]), str(r["unit"])),
                "A": number(float(r["a"])),
                "B": number(float(r["b"])),
                "Change": number(change, signed=True),
                "Change (%)": percent(float(r["change_pct"])),
                "Changed": abs(change) > 0,
            }
        )
    return pd.DataFrame(rows, columns=["Option", "Measure", "A", "B", "Change", "Change (%)", "Changed"])


def route_lines(d: WhatIfDiff) -> list[str]:
    """`arithmetic: Llama 3.1 70B via API -> Llama 3.2 1B, L4 cloud, Virginia`, per task whose route moved."""
    names = d.names
    return [f"{t}: {names.get(a, a)} -> {names.get(b, b)}" for t, (a, b) in d.routes.items()]


def headline(d: WhatIfDiff) -> str:
    """One sentence: how many inputs differ, and how the plan's (else the first common option's) net present
    cost moves."""
    n = len(d.inputs)
    lead = f"B differs from A in {n} input{'s' if n != 1 else ''}"
    rows = d.results
    plan = rows[(rows["scope"] == "plan") & (rows["measure"] == "npv_cost_without_carbon")]
    if not plan.empty:
        r = plan.iloc[0]
        what = "the optimised plan's net present cost (without the carbon price)"
    elif not rows.empty:
        r = rows[rows["measure"] == "npv_cost"].iloc[0]
        what = f"{d.names.get(r['option'], r['option'])}'s net present cost"
    else:
        return f"{lead}; they have no option in common."
    return (
        f"{lead}; {what} moves from {money(r['a'], d.currency)} to {money(r['b'], d.currency)} "
        f"({number(r['change'], signed=True)} {d.currency}, {percent(r['change_pct'])})."
    )


def terminal_items(d: WhatIfDiff) -> list[Text | Table]:
    """What `tco diff` prints: the headline, the inputs that differ, the results per option (stacked under
    each option's name, so the table fits 100 columns), the routes that moved and the options only one has."""
    names = d.names
    items: list[Text | Table] = [Text(textwrap.fill(headline(d), WIDTH))]
    if d.inputs:
        t = Table(title="Inputs that differ (as written, with their units)", title_justify="left")
        t.add_column("Input (field path)", overflow="fold", max_width=36)
        t.add_column("A", overflow="fold", max_width=30)
        t.add_column("B", overflow="fold", max_width=30)
        for row in inputs_frame(d).to_dict("records"):
            t.add_row(*(str(v) for v in row.values()))
        items.append(t)
    else:
        items.append(Text("The two scenarios have the same inputs."))
    frame = results_frame(d)
    if not frame.empty:
        t = Table(
            title=f"Results: B against A ({d.currency}; change in % of A)",
            title_justify="left",
            header_style="bold",
        )
        t.add_column("Measure", overflow="fold", max_width=40)
        for col in ("A", "B", "Change", "Change (%)"):
            t.add_column(col, justify="right", no_wrap=True)
        for who, part in frame.groupby("Option", sort=False):
            t.add_row(Text(str(who), style="bold"), "", "", "", "")
            for r in part.to_dict("records"):
                cells = [str(r[c]) for c in ("A", "B", "Change", "Change (%)")]
                t.add_row(Text(f"  {r['Measure']}"), *cells, style="bold" if r["Changed"] else "dim")
        items.append(t)
    if d.plan_basis:
        items.append(Text(f"Plan objective: {d.plan_basis}.", style="dim"))
    for line in route_lines(d):
        items.append(Text(f"Routing moved: {line}"))
    if d.only_a:
        items.append(Text(f"Only in A: {', '.join(names.get(o, o) for o in d.only_a)}"))
    if d.only_b:
        items.append(Text(f"Only in B: {', '.join(names.get(o, o) for o in d.only_b)}"))
    return items


__all__ = ["headline", "inputs_frame", "number", "percent", "results_frame", "route_lines", "terminal_items"]
