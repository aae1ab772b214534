"""Totals block of a projection month: the cash total, the tax saving (accounting view), the after-tax total,
the discount factor and the discounted figures, cumulative cost and emissions, and the break-even and payback
helpers (cumulative cost at or below the baseline's from this month on)."""

from __future__ import annotations

from typing import Any

from tco.engine import components
from tco.presentation.reports.xlsx.layout import NEVER, Month, Row, quote


def _sum(x: Row, keys: list[str]) -> str:
    """`SUM(F7:K7)+M7`: the cells of `keys`, contiguous runs of columns as one range each."""
    order = {k: i for i, k in enumerate(x.letters)}
    parts: list[str] = []
    run: list[str] = []
    for k in sorted(keys, key=order.__getitem__):
        if run and order[k] != order[run[-1]] + 1:
            parts.append(f"SUM({x[run[0]]}:{x[run[-1]]})" if len(run) > 1 else x[run[0]])
            run = []
        run.append(k)
    if run:
        parts.append(f"SUM({x[run[0]]}:{x[run[-1]]})" if len(run) > 1 else x[run[0]])
    return "+".join(parts) or "0"


def total_cells(m: Month) -> dict[str, Any]:
    """The total is every cost component of the engine's table; the tax saving is the tax rate x (the
    deductible components + the accounting lines), as tco.engine.components.cash_flows adds them."""
    g, x = m.g, m.x
    f: dict[str, Any] = {"total_cost": "=" + _sum(x, [c.column for c in components.COMPONENTS])}
    deductible = "+".join(
        [
            _sum(x, [c.column for c in components.COMPONENTS if c.deductible]),
            *(x[a.column] for a in components.ACCOUNTING_LINES),
        ]
    )
    f["tax_saving"] = f"={g('tax_rate')}*({deductible})"
    f["total_cost_after_tax"] = f"={x['total_cost']}-{x['tax_saving']}"
    f["discount_factor"] = f"=(1+{g('discount_rate')})^(-({m.m}+{g('discount_timing')})/12)"
    f["total_cost_discounted"] = f"={x['total_cost']}*{x['discount_factor']}"
    f["total_cost_after_tax_discounted"] = f"={x['total_cost_after_tax']}*{x['discount_factor']}"
    f["queries_discounted"] = f"={x['queries']}*{x['discount_factor']}"
    for cum, key in (
        ("cumulative_cost", "total_cost"),
        ("cumulative_cost_discounted", "total_cost_discounted"),
        ("cumulative_emissions_kg", "emissions_kg"),
    ):
        f[cum] = f"={x[key]}" if m.first else f"={x.prev(cum)}+{x[key]}"
    base = quote(m.base_sheet)
    for prefix, cum, cand in (
        ("", "cumulative_cost", "break_even_candidate"),
        ("discounted_", "cumulative_cost_discounted", "payback_candidate"),
    ):
        below, stays = f"{prefix}at_or_below_baseline", f"{prefix}stays_at_or_below_baseline"
        f[below] = f"={x[cum]}<={base}!{x[cum]}+1E-9"
        f[stays] = f"={x[below]}" if m.last else f"=AND({x[below]},{x.nxt(stays)})"
        f[cand] = f"=IF({x[stays]},{m.m},{NEVER:.0E})"
    return f
