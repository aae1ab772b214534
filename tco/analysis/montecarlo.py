"""Monte Carlo: inputs drawn from distributions, every sample through the engine at once, per option.

Vectorised: each varied input becomes a (samples,) array in OptionInputs / WorkloadInputs / FinanceInputs,
the engine runs once per option over a (samples, months) grid, and `tco.engine.summary.totals` gives the
per-sample totals. Seeded: the same seed gives the same numbers. Correlated: an input drawn for several
options uses the same uniforms for each (see tco.scenario.distributions), and workload/finance inputs
(queries_per_day, annual_growth, discount_rate...) are one draw shared by all options, so
P(A beats B) compares the options under the same conditions.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tco.analysis.evaluate import run_engine
from tco.analysis.settings import Setting, apply_option, apply_shared
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.engine.summary import totals
from tco.scenario.distributions import Dist, uniforms
from tco.scenario.variables import VARIABLES, variable

METRICS = ("tco_cost", "npv_cost", "cost_per_1k_queries", "emissions_kg", "g_per_query")
PERCENTILES = (10, 50, 90)


@dataclass
class MonteCarloResult:
    """Per-sample totals of every option: metrics[option][metric] is a (samples,) array."""

    samples: int
    seed: int
    inputs: list[str]
    currency: str
    metrics: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def units(self) -> dict[str, str]:
        c = self.currency
        return {
            "tco_cost": c,
            "npv_cost": c,
            "cost_per_1k_queries": f"{c}/1k queries",
            "emissions_kg": "kgCO2e",
            "g_per_query": "gCO2e/query",
        }

    def percentiles(self) -> pd.DataFrame:
        """One row per (option, metric): mean, P10, P50, P90 and the unit."""
        rows = []
        units = self.units()
        for oid, m in self.metrics.items():
            for name in METRICS:
                x = m[name]
                p = np.nanpercentile(x, PERCENTILES) if np.isfinite(x).any() else [np.nan] * len(PERCENTILES)
                rows.append(
                    {
                        "option": oid,
                        "metric": name,
                        "mean": float(np.nanmean(x)) if np.isfinite(x).any() else np.nan,
                        **{f"p{q}": float(v) for q, v in zip(PERCENTILES, p, strict=True)},
                        "unit": units[name],
                    }
                )
        df = pd.DataFrame(rows)
        df.attrs = {"samples": self.samples, "seed": self.seed, "inputs": list(self.inputs)}
        return df

    def win_probability(self, a: str, b: str, metric: str = "tco_cost") -> float:
        """P(metric of `a` < metric of `b`) over the samples (ties count as not beating)."""
        return float(np.mean(self.metrics[a][metric] < self.metrics[b][metric]))

    def win_probabilities(self, cost_metric: str = "tco_cost") -> pd.DataFrame:
        """Every pair of options: probability that the first is cheaper, and that it emits less."""
        rows = []
        for a, b in itertools.combinations(self.metrics, 2):
            rows.append(
                {
                    "option_a": a,
                    "option_b": b,
                    "p_a_cheaper": self.win_probability(a, b, cost_metric),
                    "p_a_lower_emissions": self.win_probability(a, b, "emissions_kg"),
                }
            )
        df = pd.DataFrame(rows, columns=["option_a", "option_b", "p_a_cheaper", "p_a_lower_emissions"])
        df.attrs = {"samples": self.samples, "seed": self.seed, "cost_metric": cost_metric}
        return df


def monte_carlo(
    options: list[OptionInputs],
    workload: WorkloadInputs,
    finance: FinanceInputs,
    shared: Mapping[str, Dist],
    per_option: Mapping[str, Mapping[str, Dist]] | None = None,
    *,
    samples: int = 2000,
    seed: int = 0,
) -> MonteCarloResult:
    """Sample the distributions (seeded, vectorised) and run the engine once per option."""
    per_option = per_option or {}
    for table in per_option.values():
        for name in table:
            if variable(name).target != "option":
                raise ValueError(f"{name!r} applies to the whole {variable(name).target}, not to one option")
    names = [n for n in VARIABLES if n in shared or any(n in t for t in per_option.values())]
    u = uniforms(seed, names, samples)
    shared_settings = {n: Setting(variable(n), d.kind, d.quantile(u[n])) for n, d in shared.items()}
    w2, f2 = apply_shared(workload, finance, shared_settings)
    varied = []
    for opt in options:
        own = {
            n: Setting(variable(n), d.kind, d.quantile(u[n])) for n, d in per_option.get(opt.id, {}).items()
        }
        varied.append(apply_option(opt, {**shared_settings, **own}))
    series = run_engine(varied, w2, f2)
    result = MonteCarloResult(samples, seed, names, finance.currency)
    for o in varied:
        t = totals(series[o.id], o, w2)
        result.metrics[o.id] = {m: np.broadcast_to(t[m], (samples,)).copy() for m in METRICS}
    return result
