"""Environmental impacts beside greenhouse gases, declared once: water, abiotic depletion, primary energy.

Each impact is one `Impact` in `IMPACTS`: its monthly column (`{column}`, in `unit`), the words people
read, and the function that computes it per month from what the option does (`compute`, given the
option, its numeric fields as columns and its `Operations`). The method is EcoLogits' (0.11, "LLM
inference" methodology) applied to every option, not only to API estimates:

- water (L) = IT kWh x WUE (on-site, cooling) + facility kWh x the grid's water per kWh (off-site, to
  generate the electricity). With facility = PUE x IT this is EcoLogits' `IT x (WUE + PUE x WUE_grid)`.
  A fine-tuning job's facility energy counts at the option's PUE: its IT kWh is `fine-tuning kWh / PUE`.
- ADPe (kgSbeq) = facility kWh (serving + fine-tuning) x the grid's ADPe per kWh, plus for an API option
  queries x its estimated embodied ADPe per query (the server's and GPUs' share, EcoLogits' rule).
- PE (MJ) = facility kWh x the grid's primary energy per kWh, plus for an API queries x its embodied PE.

Grid factors are location-based annual averages of the option's region: the renewable share and the grid
decarbonisation trend apply to CO2e only (no source gives their water, ADPe or PE). Owned and rented
hardware's embodied ADPe and PE are not counted (no sourced factors per accelerator); the README says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tco.engine.inputs import OptionInputs
from tco.engine.operations import Operations


@dataclass(frozen=True)
class Impact:
    """One impact: `compute(option, c, op)` gives its amount per month, (samples, months) or broadcastable."""

    column: str  # monthly column and horizon total of `tco.engine.summary.totals`
    unit: str
    label: str
    per_query: str  # the summary's per-query column
    per_query_unit: str
    per_query_scale: float  # per_query = total / queries x scale
    compute: Callable[[OptionInputs, dict[str, np.ndarray], Operations], np.ndarray]
    note: str


def _it_kwh_all(c: dict[str, np.ndarray], op: Operations) -> np.ndarray:
    """IT energy of serving plus the fine-tuning job's (its facility kWh / PUE)."""
    pue = np.where(c["pue"] > 0, c["pue"], 1.0)
    return op.it_kwh + op.fine_tuning_kwh / pue


def _water(option: OptionInputs, c: dict[str, np.ndarray], op: Operations) -> np.ndarray:
    return _it_kwh_all(c, op) * c["wue_l_per_kwh"] + op.energy_kwh * c["grid_water_l_per_kwh"]


def _adpe(option: OptionInputs, c: dict[str, np.ndarray], op: Operations) -> np.ndarray:
    usage = op.energy_kwh * c["grid_adpe_kg_per_kwh"]
    if option.deployment != "api":
        return usage
    return usage + op.queries * c["api_embodied_adpe_kg_per_query"]


def _pe(option: OptionInputs, c: dict[str, np.ndarray], op: Operations) -> np.ndarray:
    usage = op.energy_kwh * c["grid_pe_mj_per_kwh"]
    if option.deployment != "api":
        return usage
    return usage + op.queries * c["api_embodied_pe_mj_per_query"]


IMPACTS: tuple[Impact, ...] = (
    Impact(
        column="water_l",
        unit="L",
        label="Water",
        per_query="ml_water_per_query",
        per_query_unit="mL/query",
        per_query_scale=1e3,
        compute=_water,
        note="IT kWh x on-site WUE + facility kWh x the grid's water per kWh (EcoLogits' water rule)",
    ),
    Impact(
        column="adpe_kgsbeq",
        unit="kgSbeq",
        label="Abiotic depletion (ADPe)",
        per_query="mg_sb_per_query",
        per_query_unit="mgSbeq/query",
        per_query_scale=1e6,
        compute=_adpe,
        note="facility kWh x the grid's ADPe per kWh (+ API: embodied ADPe per query x queries)",
    ),
    Impact(
        column="pe_mj",
        unit="MJ",
        label="Primary energy (PE)",
        per_query="kj_pe_per_query",
        per_query_unit="kJ/query",
        per_query_scale=1e3,
        compute=_pe,
        note="facility kWh x the grid's primary energy per kWh (+ API: embodied PE per query x queries)",
    ),
)

IMPACT_UNITS: dict[str, str] = {
    **{i.column: i.unit for i in IMPACTS},
    **{i.per_query: i.per_query_unit for i in IMPACTS},
}


def impacts(option: OptionInputs, c: dict[str, np.ndarray], op: Operations) -> dict[str, np.ndarray]:
    """Monthly amount of every impact in `IMPACTS`, by column."""
    return {i.column: i.compute(option, c, op) for i in IMPACTS}
