"""Probability distributions of inputs, sampled by inverse transform from seeded uniforms, vectorised.

Each input gets its own uniform stream, `numpy.random.default_rng(SeedSequence([seed, k]))` with k the
input's position in `VARIABLES`: the draws of one input do not change when another is added or removed, and
the same seed gives the same numbers. Every option that an input applies to is sampled from the *same*
uniforms (common random numbers): an input sits at the same quantile for every option in a given sample, so
comparisons between options reflect their differences, not sampling noise. Per-option distributions keep
that rank correlation (they transform the same uniforms).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tco.scenario.analysis_specs import Distribution, check_distribution
from tco.scenario.variables import VARIABLES, Kind, Variable, value_in_engine_units

# Coefficients of Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def _poly(coeffs: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    out = np.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        out = out * x + c
    return out


def normal_quantile(p: np.ndarray) -> np.ndarray:
    """Standard normal quantile of probabilities in (0, 1), vectorised (Acklam's algorithm)."""
    p = np.clip(np.asarray(p, dtype=float), 1e-300, 1.0 - 1e-16)
    out = np.empty_like(p)
    low = p < _P_LOW
    high = p > 1.0 - _P_LOW
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    out[mid] = _poly(_A, r) * q / (_poly(_B, r) * r + 1.0)
    ql = np.sqrt(-2.0 * np.log(p[low]))
    out[low] = _poly(_C, ql) / (_poly(_D, ql) * ql + 1.0)
    qh = np.sqrt(-2.0 * np.log1p(-p[high]))
    out[high] = -_poly(_C, qh) / (_poly(_D, qh) * qh + 1.0)
    return out


@dataclass(frozen=True)
class Dist:
    """A parsed distribution: family and parameters as factors or in engine units."""

    family: str  # range, triangular, normal, lognormal
    params: Mapping[str, float]
    kind: Kind

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities `u` (inverse transform)."""
        p = self.params
        if self.family in ("range", "uniform"):
            return p["low"] + (p["high"] - p["low"]) * u
        if self.family == "triangular":
            a, c, b = p["low"], p["mode"], p["high"]
            if b == a:
                return np.full_like(u, a)
            fc = (c - a) / (b - a)
            left = a + np.sqrt(u * (b - a) * (c - a))
            right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
            return np.where(u < fc, left, right)
        z = normal_quantile(u)
        if self.family == "normal":
            return p["mean"] + p["sd"] * z
        return p["median"] * np.exp(p["sigma"] * z)  # lognormal

    def mean(self) -> float:
        """Analytic mean (before clipping to the input's valid range)."""
        p = self.params
        if self.family in ("range", "uniform"):
            return (p["low"] + p["high"]) / 2.0
        if self.family == "triangular":
            return (p["low"] + p["mode"] + p["high"]) / 3.0
        if self.family == "normal":
            return p["mean"]
        return p["median"] * float(np.exp(p["sigma"] ** 2 / 2.0))


def parse_distribution(var: Variable, d: Distribution, rates: Mapping[str, float], currency: str) -> Dist:
    """A validated scenario distribution in engine units (or as factors), ordered parameters checked."""
    kind = check_distribution(var, d)
    params = {k: value_in_engine_units(var, v, kind, rates, currency) for k, v in d.values().items()}
    if d.dist == "lognormal":
        params["sigma"] = float(d.sigma or 0.0)
    if d.dist == "triangular" and not params["low"] <= params["mode"] <= params["high"]:
        raise ValueError(f"expected low <= mode <= high, got {d.low}, {d.mode}, {d.high}")
    if d.dist in ("range", "uniform") and not params["low"] <= params["high"]:
        raise ValueError(f"expected low <= high, got {d.low}, {d.high}")
    if d.dist == "normal" and params["sd"] < 0:
        raise ValueError(f"expected sd >= 0, got {d.sd}")
    if d.dist == "lognormal" and params["median"] <= 0:
        raise ValueError(f"expected a positive median, got {d.median}")
    return Dist(d.dist, params, kind)


def uniforms(seed: int, names: list[str], samples: int) -> dict[str, np.ndarray]:
    """One seeded (samples,) uniform stream per input name, independent of which other inputs are drawn."""
    order = list(VARIABLES)
    return {
        n: np.random.default_rng(np.random.SeedSequence([seed, order.index(n)])).random(samples)
        for n in names
    }
