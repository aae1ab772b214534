"""What a buyer asks of the shipped prices: which are old, which name no source, which are missing.

`check_prices` looks at every price tier of every accelerator (README "Price tiers") against a month
(`as_of`) and an age limit; `tco data check` prints what it finds. Nothing here changes the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tco.scenario.resolve.prices import DEFAULT_FALLBACK, months_between
from tco.scenario.schema import TIERS, Hardware

# The tiers options price in when nothing else is named: purchase for on-prem, gpu-cloud for cloud.
DEFAULT_TIERS = ("purchase", "gpu-cloud")
# Source texts that name nobody a buyer could ask.
PLACEHOLDER_SOURCES = frozenset({"n/a", "na", "none", "unknown", "tbd", "todo", "-", "?", "source"})
KINDS = ("stale", "unsourced", "missing", "fallback", "absent")


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing) about one price.

    kind: stale (older than the limit), unsourced (no source a buyer can check), missing (no price in a
    default tier and no fallback), fallback (no gpu-cloud price: cloud options use the hyperscaler price),
    absent (no price in a non-default tier; listed only on request).
    """

    kind: str
    hardware: str
    tier: str
    detail: str


def check_prices(
    hardware: Mapping[str, Hardware], *, as_of: str, max_age_months: float = 12.0, all_tiers: bool = False
) -> list[Finding]:
    """Findings for every accelerator (CPU entries are priced by scenarios: skipped), hardware in file
    order, then by kind. `as_of` is a month (YYYY-MM); a price dated more than `max_age_months` before it
    is stale."""
    out: list[Finding] = []
    for hw in hardware.values():
        if hw.type != "gpu":
            continue
        found: list[Finding] = []
        for tier, price in hw.prices.items():
            age = months_between(price.date, as_of)
            if age > max_age_months:
                found.append(
                    Finding("stale", hw.id, tier, f"dated {price.date}, {age} months before {as_of}")
                )
            if price.source.strip().lower() in PLACEHOLDER_SOURCES:
                found.append(Finding("unsourced", hw.id, tier, f"source is {price.source!r}"))
        for tier in DEFAULT_TIERS:
            if hw.prices.get(tier) is not None:
                continue
            fallback = DEFAULT_FALLBACK.get(tier)
            if fallback is not None and hw.prices.get(fallback) is not None:
                found.append(
                    Finding(
                        "fallback", hw.id, tier, f"no {tier} price: cloud options use the {fallback} price"
                    )
                )
            else:
                found.append(Finding("missing", hw.id, tier, f"no {tier} price in any source read"))
        if all_tiers:
            found += [
                Finding("absent", hw.id, t, "no price in this tier")
                for t in TIERS
                if t not in DEFAULT_TIERS and hw.prices.get(t) is None
            ]
        out += sorted(found, key=lambda f: (KINDS.index(f.kind), TIERS.index(f.tier)))
    return out


def failing(findings: list[Finding]) -> list[Finding]:
    """The findings that make `tco data check` exit 1: stale, unsourced or missing prices."""
    return [f for f in findings if f.kind in ("stale", "unsourced", "missing")]
