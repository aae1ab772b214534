"""The answer first: one sentence that states what the numbers say, shown atop the app and every report.

It names the cheapest option that meets the latency SLO and the quality floor (and is not short of
capacity), what it saves over the horizon against the baseline, the lowest-emission eligible option, and
what the choice rests on: an end-of-horizon credit (the `end_value` line: book or resale value of hardware
still in service) that decides the ranking, or cheaper options left out and why.

Everything is read from `Results`; the app and the reports only show `answer(results).text`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tco.engine.constants import KG_PER_T
from tco.presentation.format import money, ratio

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results


@dataclass(frozen=True)
class Answer:
    """The sentence and the facts behind it (option ids, money in the reporting currency)."""

    text: str
    cheapest: str | None
    greenest: str | None
    savings: float | None  # baseline TCO minus the cheapest option's, reporting currency
    end_credit: float = 0.0  # end-of-horizon credit inside the cheapest option's TCO, reporting currency
    cheapest_without_credit: str | None = None  # who would be cheapest without end-of-horizon credits
    excluded: dict[str, str] = field(default_factory=dict)  # option -> why it is not eligible


def why_not_eligible(row: Any) -> list[str]:
    """Reasons an option (a summary row) is not eligible, in words; empty when it is."""
    out = []
    if not bool(row["slo_met"]):
        out.append("misses the latency SLO")
    if not bool(row["meets_quality_floor"]):
        q = row["quality"]
        out.append(
            "has no quality score for the task"
            if q is None or (isinstance(q, float) and math.isnan(q))
            else "is below the quality floor"
        )
    if bool(row["capacity_shortfall"]):
        out.append("has a fixed fleet too small for the load")
    if not bool(row.get("within_power_budget", True)):
        out.append("needs more provisioned power than its site's power budget")
    return out


def price_notes(results: Results) -> list[str]:
    """One line per option whose price is older than the scenario's `stale_price_age` (the assumptions'
    `stale price: ...` rows) or whose fleet exceeds its site's power budget, for reports and the app."""
    a = results.assumptions
    stale = a[a["parameter"].astype(str).str.startswith("stale price: ")]
    out = [
        f"{r.option}: {str(r.parameter).removeprefix('stale price: ')} {r.value}; check a current quote."
        for r in stale.itertuples()
    ]
    s = results.summary
    if "within_power_budget" in s:
        for oid, row in s[~s["within_power_budget"].astype(bool)].iterrows():
            out.append(
                f"{oid}: needs {row['provisioned_kw']:,.1f} kW provisioned, over its site's power budget of "
                f"{row['power_budget_kw']:,.1f} kW: not eligible."
            )
    return out


def end_of_horizon_credits(results: Results) -> pd.Series:
    """Per option, the end-of-horizon credit (`end_value_cost`, book or resale value of the units still in
    service when the horizon ends, as the scenario's `end_value` says) as a positive amount.

    Only that line counts: residual value of units retired on schedule is not a horizon effect, and a line
    negative in most months (a recurring credit such as a tax shield) is not an end-of-horizon credit.
    """
    pp = results.per_period
    if "end_value_cost" not in pp.columns:
        return pd.Series({str(o): 0.0 for o in pp["option"].unique()}, dtype=float)
    credit = -pp.groupby("option", sort=False, observed=True)["end_value_cost"].sum()
    return pd.Series({str(o): max(0.0, float(v)) for o, v in credit.items()}, dtype=float)


def answer(results: Results) -> Answer:
    """The one-sentence answer for `results`."""
    s = results.summary
    cur = results.currency
    months = int(results.resolved.finance.months)
    base = results.baseline
    excluded = {str(o): "; ".join(why) for o, row in s.iterrows() if (why := why_not_eligible(row))}
    eligible = s[[str(o) not in excluded for o in s["option"]]]
    if eligible.empty:
        reasons = "; ".join(f"{o} {why}" for o, why in excluded.items())
        return Answer(
            f"No option meets the latency SLO and the quality floor: {reasons}.",
            None,
            None,
            None,
            excluded=excluded,
        )
    tco = eligible["tco_cost"].astype(float)
    cheapest = str(tco.idxmin())
    greenest = str(eligible["emissions_kg"].astype(float).idxmin())
    tco_all = s["tco_cost"].astype(float)
    base_tco = float(tco_all[base])
    best_tco = float(tco[cheapest])
    savings = base_tco - best_tco
    name = str(s.loc[cheapest, "name"])
    parts = [f"Cheapest option that meets the latency SLO and the quality floor: {cheapest} ({name}), "]
    parts.append(f"{money(best_tco, cur)} over {months} months")
    if cheapest == base:
        parts.append(", the baseline itself")
        others = tco.drop(cheapest)
        if not others.empty:
            runner = str(others.idxmin())
            parts.append(f"; the next, {runner}, costs {money(float(others[runner]) - best_tco, cur)} more")
    else:
        verb = "saves" if savings >= 0 else "costs"
        parts.append(
            f", which {verb} {money(abs(savings), cur)} against the baseline {base} "
            f"(cost {ratio(best_tco / base_tco if base_tco else math.nan)}"
        )
        parts.append(f"; the baseline itself {excluded[base]})" if base in excluded else ")")
    g = float(eligible["emissions_kg"].astype(float)[greenest]) / KG_PER_T
    if greenest == cheapest:
        parts.append(f". It is also the lowest-emission eligible option ({_tonnes(g)} tCO2e).")
    else:
        parts.append(f". Lowest emissions among eligible options: {greenest} ({_tonnes(g)} tCO2e).")

    credits = end_of_horizon_credits(results)
    credit = max(0.0, float(credits.get(cheapest, 0.0)))
    without = (tco + credits.reindex(tco.index.astype(str)).fillna(0.0).to_numpy()).astype(float)
    cheapest_without = str(without.idxmin())
    rests: list[str] = []
    if cheapest_without != cheapest:
        rests.append(
            f"end-of-horizon credits for hardware still in service ({money(credit, cur)} for {cheapest}): "
            f"without them {cheapest_without} would be cheapest"
        )
    elif credit > 0:
        rests.append(
            f"it includes an end-of-horizon credit of {money(credit, cur)} for hardware still in service"
        )
    cheaper_out = [o for o in excluded if float(tco_all[o]) < best_tco]
    if cheaper_out:
        rests.append("cheaper but left out: " + "; ".join(f"{o} {excluded[o]}" for o in cheaper_out))
    if rests:
        parts.append(" The choice rests on: " + "; ".join(rests) + ".")
    return Answer(
        "".join(parts),
        cheapest,
        greenest,
        savings,
        end_credit=credit,
        cheapest_without_credit=cheapest_without,
        excluded=excluded,
    )


def _tonnes(t: float) -> str:
    return f"{t:,.1f}" if t >= 10 else f"{t:,.3f}" if np.isfinite(t) else "n/a"


__all__ = ["Answer", "answer", "end_of_horizon_credits", "price_notes", "why_not_eligible"]
