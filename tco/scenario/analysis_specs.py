"""Scenario sections for decision analysis: `option_grids`, `sensitivity` and `uncertainty`.

Every model forbids unknown keys. Values are checked here (input names, units, parameter order) and kept as
written; they are converted to engine units, with the scenario's exchange rates, when an analysis runs.

Inputs that can be varied (names in `tco.scenario.variables.VARIABLES`)::

    energy_per_query  throughput  electricity_price  grid_intensity  pue  utilisation  unit_price (hardware)
    lifetime  cloud_price  api_price  embodied  carbon_price  maintenance  host_power   <- per option
    queries_per_day  annual_growth  peak_to_average  discount_rate      <- whole workload / finance

A value is a **factor** (a bare number multiplying each option's resolved value: 1.2 = +20 %) or an
**absolute** value replacing it ("0.12 USD/kWh", "3 years", "350 gCO2e/kWh", "40 %"). Values with a unit are
absolute. Bare numbers are factors, except for pue, utilisation, annual_growth, peak_to_average and
discount_rate, where they are absolute (a PUE of 1.4, a growth of 0.2); write `kind: factor` or
`kind: absolute` to say it explicitly. Money may be in any currency the scenario has a rate for.

Option grids (expanded before the scenario is validated; each list is an axis, everything else is shared;
ids are the grid id followed by each axis value, in the order the axes are written)::

    option_grids:
      - id: l8b                      # -> l8b-llama-3.1-8b-h100-fr-on-prem, l8b-llama-3.1-8b-h100-fr-cloud, ...
        profile: [llama-3.1-8b-h100, llama-3.1-8b-l4]
        region: [fr, us-va]
        deployment: [on-prem, cloud]
        pue: 1.3                     # shared by every option of the grid
      - id: api
        deployment: api
        api: [together-llama-3.1-8b, together-llama-3.1-70b]

Sensitivity (tornado ranges; when absent, or for inputs not listed, profiles/methods/sensitivity.yaml
gives the ranges)::

    sensitivity:
      use_defaults: true             # false: only the inputs listed here
      inputs:
        energy_per_query: ±20 %      # factor 0.8 .. 1.2
        electricity_price: {low: 0.06 USD/kWh, high: 0.20 USD/kWh}
        pue: {low: 1.1, high: 1.6}   # absolute (pue is a ratio)
        lifetime: {low: 3 years, high: 6 years}
        unit_price: {low: 0.8, high: 1.3, source: "street prices 2025"}
      options:                       # per-option ranges, replacing the ones above for that option
        llm-h100:
          utilisation: {low: 30 %, high: 70 %}
      breakeven:                     # inputs searched for a rank flip (defaults in sensitivity.yaml)
        pair: [llm-h100, slm-l4]     # default: the two best-ranked eligible options
        inputs:
          queries_per_day: {low: 0.1, high: 10}
          carbon_price: {low: 0 USD/tCO2e, high: 500 USD/tCO2e}

Uncertainty (Monte Carlo; `dist` is range (uniform), triangular, normal or lognormal)::

    uncertainty:
      samples: 10000
      seed: 42
      inputs:                        # apply to every option, with the same draw for each (see montecarlo.py)
        energy_per_query: {dist: triangular, low: 0.8, mode: 1.0, high: 1.3}
        electricity_price: {dist: normal, mean: 0.12 USD/kWh, sd: 0.02 USD/kWh}
        queries_per_day: {dist: lognormal, median: 1.0, sigma: 0.3}
        pue: {dist: range, low: 1.2, high: 1.5}
      options:                       # per-option distributions, replacing the ones above for that option
        llm-h100:
          unit_price: {dist: triangular, low: 28000 USD, mode: 31900 USD, high: 40000 USD}

normal: `mean`, `sd`; lognormal: `median` and `sigma` (standard deviation of the natural log, a bare
number); range: `low`, `high`; triangular: `low`, `mode`, `high`. Samples outside an input's valid range
(a negative price, a PUE below 1, a utilisation above 100 %) are clipped to it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tco.errors import UnitError
from tco.scenario.units import MAX_TEXT
from tco.scenario.variables import Kind, Variable, check_value, infer_kind, variable

_ID = r"^[a-z0-9][a-z0-9._-]*$"
_PM = re.compile(r"^\s*(?:±|\+-|\+/-)\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*%\s*$")

Raw = str | float


class _Strict(BaseModel):
    # tco.scenario.schema.Strict without arbitrary types; defined here because tco.scenario.schema imports
    # this module (the scenario file embeds these sections), so this module must not import it back.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A low/high range of one input."""

    low: Raw
    high: Raw
    kind: Kind | None = None
    source: str | None = None
    year: int | None = Field(default=None, ge=1950, le=2100)


RangeLike = Range | str


def range_parts(var: Variable, spec: RangeLike) -> tuple[Kind, Raw, Raw]:
    """(kind, low, high) of a range written as "±20 %" or {low, high}; raises UnitError when invalid."""
    if isinstance(spec, str):
        m = _PM.match(spec) if len(spec) <= MAX_TEXT else None
        if not m:
            raise UnitError(
                f"got {spec[:60]!r}{'...' if len(spec) > 60 else ''}, expected a relative range such as "
                "'±20 %' or a mapping {low, high}"
            )
        x = float(m.group(1)) / 100.0
        return "factor", 1.0 - x, 1.0 + x
    kind = infer_kind(var, [spec.low, spec.high], spec.kind)
    check_value(var, spec.low, kind)
    check_value(var, spec.high, kind)
    return kind, spec.low, spec.high


# the parameters each distribution family takes (scenario `uncertainty` and sweep files)
DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "range": ("low", "high"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
}


def check_dist_params(dist: str, spec: Any) -> None:
    """Raise ValueError unless `spec` sets exactly the parameters family `dist` takes (`DIST_PARAMS`)."""
    need = DIST_PARAMS[dist]
    given = {
        k for k in ("low", "mode", "high", "mean", "sd", "median", "sigma") if getattr(spec, k) is not None
    }
    missing = [k for k in need if k not in given]
    if missing:
        raise ValueError(f"a {dist} distribution needs {', '.join(need)}; missing {', '.join(missing)}")
    extra = sorted(given - set(need))
    if extra:
        raise ValueError(f"a {dist} distribution takes {', '.join(need)}, not {', '.join(extra)}")


class Distribution(_Strict):
    """A probability distribution of one input (as a factor or in the input's unit)."""

    dist: Literal["range", "uniform", "triangular", "normal", "lognormal"]
    low: Raw | None = None
    mode: Raw | None = None
    high: Raw | None = None
    mean: Raw | None = None
    sd: Raw | None = None
    median: Raw | None = None
    sigma: float | None = Field(default=None, ge=0.0, le=5.0)
    kind: Kind | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _params(self) -> Distribution:
        check_dist_params(self.dist, self)
        return self

    def values(self) -> dict[str, Raw]:
        """Parameters that carry the input's unit (sigma excluded)."""
        return {k: getattr(self, k) for k in DIST_PARAMS[self.dist] if k != "sigma"}


def check_distribution(var: Variable, d: Distribution) -> Kind:
    """The kind of `d` for `var`; raises UnitError naming the parameter when a value does not fit."""
    vals = d.values()
    kind = infer_kind(var, list(vals.values()), d.kind)
    for k, v in vals.items():
        try:
            check_value(var, v, kind)
        except UnitError as e:
            raise UnitError(f"{k}: {e.detail}") from e
    return kind


def _check_names(table: dict[str, Any], *, option_level: bool) -> None:
    for name in table:
        var = variable(name)
        if option_level and var.target != "option":
            raise UnitError(
                f"{name!r} applies to the whole {var.target}, not to one option; give it under inputs"
            )


def _check_ranges(table: dict[str, RangeLike], *, option_level: bool = False) -> dict[str, RangeLike]:
    try:
        _check_names(table, option_level=option_level)
        for name, spec in table.items():
            try:
                range_parts(variable(name), spec)
            except UnitError as e:
                raise UnitError(f"{name}: {e.detail}") from e
    except UnitError as e:
        raise ValueError(e.detail) from e
    return table


def _check_dists(table: dict[str, Distribution], *, option_level: bool = False) -> dict[str, Distribution]:
    try:
        _check_names(table, option_level=option_level)
        for name, d in table.items():
            try:
                check_distribution(variable(name), d)
            except UnitError as e:
                raise UnitError(f"{name}.{e.detail}") from e
    except UnitError as e:
        raise ValueError(e.detail) from e
    return table


class BreakevenSpec(_Strict):
    """Inputs searched for the value at which two options swap rank."""

    use_defaults: bool = True
    pair: tuple[str, str] | None = None
    inputs: dict[str, RangeLike] = Field(default_factory=dict)

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, v: dict[str, RangeLike]) -> dict[str, RangeLike]:
        return _check_ranges(v)


class SensitivitySpec(_Strict):
    """Low/high ranges for the tornado analysis, and break-even searches."""

    use_defaults: bool = True
    inputs: dict[str, RangeLike] = Field(default_factory=dict)
    options: dict[str, dict[str, RangeLike]] = Field(default_factory=dict)
    breakeven: BreakevenSpec = Field(default_factory=BreakevenSpec)

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, v: dict[str, RangeLike]) -> dict[str, RangeLike]:
        return _check_ranges(v)

    @field_validator("options")
    @classmethod
    def _options(cls, v: dict[str, dict[str, RangeLike]]) -> dict[str, dict[str, RangeLike]]:
        for oid, table in v.items():
            try:
                _check_ranges(table, option_level=True)
            except ValueError as e:
                raise ValueError(f"{oid}: {e}") from e
        return v


class UncertaintySpec(_Strict):
    """Monte Carlo: how many samples, the seed, and input distributions."""

    samples: int = Field(default=2000, ge=2, le=1_000_000)
    seed: int = Field(default=0, ge=0)
    inputs: dict[str, Distribution] = Field(default_factory=dict)
    options: dict[str, dict[str, Distribution]] = Field(default_factory=dict)

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, v: dict[str, Distribution]) -> dict[str, Distribution]:
        return _check_dists(v)

    @field_validator("options")
    @classmethod
    def _options(cls, v: dict[str, dict[str, Distribution]]) -> dict[str, dict[str, Distribution]]:
        for oid, table in v.items():
            try:
                _check_dists(table, option_level=True)
            except ValueError as e:
                raise ValueError(f"{oid}: {e}") from e
        return v


class SensitivityDefaults(_Strict):
    """profiles/methods/sensitivity.yaml: default tornado and break-even ranges, each with its rationale."""

    tornado: dict[str, Range]
    breakeven: dict[str, Range]
    uncertainty: dict[str, Distribution] = Field(default_factory=dict)

    @field_validator("uncertainty")
    @classmethod
    def _dists(cls, v: dict[str, Distribution]) -> dict[str, Distribution]:
        v = _check_dists(v)
        for name, d in v.items():
            if not d.source:
                raise ValueError(f"uncertainty.{name}: a default distribution needs source (its rationale)")
        return v

    @model_validator(mode="after")
    def _sourced(self) -> SensitivityDefaults:
        for section in ("tornado", "breakeven"):
            table = getattr(self, section)
            try:
                _check_ranges(table)
            except ValueError as e:
                raise ValueError(f"{section}.{e}") from e
            for name, r in table.items():
                if not r.source or r.year is None:
                    raise ValueError(
                        f"{section}.{name}: a default range needs source (its rationale) and year"
                    )
        return self
