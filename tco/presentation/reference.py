"""The reference data as tables, the one renderer of `tco profiles list KIND` and the app's Profiles page.

One table per kind of reference data (`KINDS`): model profiles, hardware, regions, API offerings and the
shipped scenarios, each a frame of plain values with its unit in the header, every entry with where its
numbers come from. The CLI prints the frame as a terminal table (`tco.presentation.reports.terminal.
frame_table`), the app shows it as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from tco.engine.constants import PER_BILLION, TOKENS_PER_MTOKEN  # the schema stores prices per token
from tco.scenario.repository import Repository
from tco.scenario.schema import ApiOffering, Hardware, ModelProfile, Region


def profiles_table(profiles: Iterable[ModelProfile]) -> pd.DataFrame:
    """One row per model profile: what it is, where its numbers come from, its quality scores."""
    rows = []
    for p in profiles:
        ok = p.ok_points()
        rows.append(
            {
                "profile": p.id,
                "model": p.model.name,
                "kind": p.model.kind,
                "parameters (billion)": p.model.parameters / PER_BILLION,
                "hardware": p.hardware,
                "accelerators per replica": p.accelerators,
                "batch sizes": ", ".join(str(pt.batch_size) for pt in ok),
                "method": p.provenance.method,
                "source": p.provenance.source or p.provenance.meter or "",
                "year": str(p.provenance.year) if p.provenance.year else "",
                "quality": "; ".join(f"{q.task} {q.metric} {q.value:.3f}" for q in p.quality),
            }
        )
    return pd.DataFrame(rows)


def hardware_table(hardware: Iterable[Hardware]) -> pd.DataFrame:
    """One row per accelerator (or CPU server): memory, power, prices, embodied emissions, sources."""
    rows = []
    for h in hardware:
        rows.append(
            {
                "hardware": h.id,
                "name": h.name,
                "type": h.type,
                "memory (GB)": h.memory,
                "max power (W)": h.power.max,
                "idle power (W)": h.power.idle,
                "purchase price": _tier_text(h, "purchase", "{:,.0f}"),
                "cloud price (per h)": _tier_text(h, "gpu-cloud", "{:.2f}")
                or _tier_text(h, "hyperscaler", "{:.2f}"),
                "embodied, central (kgCO2e)": h.embodied.central,
                "power source": h.power.source,
            }
        )
    return pd.DataFrame(rows)


def _tier_text(h: Hardware, tier: str, fmt: str) -> str:
    """A price with its tier and date ("2.50 USD (gpu-cloud, 2026-03)"), empty where the tier has none."""
    t = h.prices.get(tier)
    if t is None:
        return ""
    return f"{fmt.format(t.price.value)} {t.price.currency} ({tier}, {t.date})"


def regions_table(regions: Iterable[Region]) -> pd.DataFrame:
    """One row per region: grid intensity and electricity price with their sources."""
    return pd.DataFrame(
        [
            {
                "region": r.id,
                "name": r.name,
                "grid intensity (gCO2e/kWh)": r.grid.intensity,
                "grid source": f"{r.grid.source} ({r.grid.year})",
                "electricity price (per kWh)": f"{r.electricity.price.value:.4f} {r.electricity.price.currency}",
                "price source": f"{r.electricity.source} ({r.electricity.year})",
            }
            for r in regions
        ]
    )


def _per_mtoken(per_token: float, currency: str) -> str:
    """An API price stored per token, shown per million tokens: `0.18 USD`."""
    return f"{per_token * TOKENS_PER_MTOKEN:,.4g} {currency}"


def apis_table(apis: Iterable[ApiOffering]) -> pd.DataFrame:
    """One row per API offering: model size, prices per million tokens, assumed region."""
    return pd.DataFrame(
        [
            {
                "api": a.id,
                "name": a.name,
                "provider": a.provider,
                "parameters (billion)": a.model.parameters / PER_BILLION,
                "input price (per million tokens)": _per_mtoken(a.price.input.value, a.price.input.currency),
                "output price (per million tokens)": _per_mtoken(
                    a.price.output.value, a.price.output.currency
                ),
                "region": a.region,
                "price source": f"{a.price.source} ({a.price.year})",
            }
            for a in apis
        ]
    )


def scenarios_table(repo: Repository) -> pd.DataFrame:
    """One row per shipped scenario: its name (what `tco report NAME` takes) and its file."""
    return pd.DataFrame(
        [{"scenario": name, "file": str(path)} for name, path in repo.scenario_files().items()],
        columns=["scenario", "file"],
    )


@dataclass(frozen=True)
class Kind:
    """One kind of reference data: what people call it and its table."""

    label: str
    table: Callable[[Repository], pd.DataFrame]


KINDS: dict[str, Kind] = {
    "models": Kind("Model profiles", lambda repo: profiles_table(repo.models.values())),
    "hardware": Kind("Hardware", lambda repo: hardware_table(repo.hardware.values())),
    "regions": Kind("Regions", lambda repo: regions_table(repo.regions.values())),
    "apis": Kind("API offerings", lambda repo: apis_table(repo.apis.values())),
    "scenarios": Kind("Scenarios", scenarios_table),
}


__all__ = [
    "KINDS",
    "Kind",
    "apis_table",
    "hardware_table",
    "profiles_table",
    "regions_table",
    "scenarios_table",
]
