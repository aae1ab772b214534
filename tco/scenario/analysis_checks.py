"""Checks of a scenario's analysis sections that need its options: made at load, before any analysis.

`tco validate` and `tco report` load every scenario through `tco.scenario.load`, which calls
`check_analysis_sections`; the analyses (tco.scenario.analysis_inputs) parse the same way, so what one
refuses the other refuses too. Also the size check of a Monte Carlo request, made before allocating.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tco.errors import InputError, ScenarioError
from tco.scenario.analysis_specs import RangeLike, range_parts
from tco.scenario.distributions import Dist, parse_distribution
from tco.scenario.variables import Kind, Variable, currency_rates, value_in_engine_units, variable

if TYPE_CHECKING:
    from tco.scenario.schema import Scenario


@dataclass(frozen=True)
class Bounds:
    """A parsed low/high range of one input: factors, or values in engine units."""

    variable: Variable
    kind: Kind
    low: float
    high: float
    source: str = ""


def parse_bounds(
    name: str,
    spec: RangeLike,
    rates: Mapping[str, float],
    cur: str,
    *,
    file: str,
    field: str,
    source: str = "",
) -> Bounds:
    try:
        var = variable(name)
        kind, lo, hi = range_parts(var, spec)
        low = value_in_engine_units(var, lo, kind, rates, cur)
        high = value_in_engine_units(var, hi, kind, rates, cur)
    except InputError as e:
        raise ScenarioError(e.detail, file=file, field=field) from e
    src = source or (getattr(spec, "source", None) or "")
    return Bounds(var, kind, low, high, src)


# Memory of a Monte Carlo run: the engine holds about this many float64 (samples, months) arrays per option
# at its peak (its monthly series, the totals and temporaries). Measured with tracemalloc on the shipped
# scenarios at 5,000 samples (benchmarks/montecarlo_memory.py) with the hour-by-hour load model: 31.2 to 37.7
# (35.3 with peak_to_average sampled, which builds the hour axis); 48 leaves a margin.
ARRAYS_PER_OPTION = 48
MEMORY_LIMIT_BYTES = 4 * 2**30


def monte_carlo_bytes(samples: int, options: int, months: int) -> int:
    """Estimated peak memory (bytes) of a Monte Carlo run of `samples` over `options` and `months`."""
    return samples * options * months * ARRAYS_PER_OPTION * 8


def check_monte_carlo_size(samples: int, options: int, months: int, *, file: str | None, field: str) -> None:
    """Refuse, before allocating, a Monte Carlo run that would need more than MEMORY_LIMIT_BYTES."""
    need = monte_carlo_bytes(samples, options, months)
    if need > MEMORY_LIMIT_BYTES:
        most = max(1, MEMORY_LIMIT_BYTES // monte_carlo_bytes(1, options, months))
        raise ScenarioError(
            f"{samples:,} samples x {options} options x {months} months need about {need / 2**30:.1f} GiB, "
            f"over the limit of {MEMORY_LIMIT_BYTES / 2**30:.0f} GiB; expected at most {most:,} samples "
            "for this scenario (or fewer options or a shorter horizon)",
            file=file,
            field=field,
        )


def check_analysis_sections(spec: Scenario, file: str) -> None:
    """Check the scenario's own `sensitivity` and `uncertainty` entries against its options, at load.

    The same parsing the analyses do (units, order of low/mode/high, sd >= 0, option ids, a break-even
    pair of two different options), so `tco validate` and `tco report` refuse what `tco breakeven` would.
    """
    sens, unc = spec.sensitivity, spec.uncertainty
    if sens is None and unc is None:
        return
    cur = spec.currency.reporting
    try:
        rates = currency_rates(spec.currency.rates, cur)
    except InputError as e:
        raise e.located(file=file, field="currency.rates") from e
    known = [o.id for o in spec.options]

    def check_ids(ids: Any, field: str) -> None:
        for oid in ids:
            if oid not in known:
                raise ScenarioError(
                    f"unknown option {oid!r}, expected one of {', '.join(known)}",
                    file=file,
                    field=f"{field}.{oid}",
                )

    if sens is not None:
        for name, r in sens.inputs.items():
            parse_bounds(name, r, rates, cur, file=file, field=f"sensitivity.inputs.{name}")
        check_ids(sens.options, "sensitivity.options")
        for oid, table in sens.options.items():
            for name, r in table.items():
                parse_bounds(name, r, rates, cur, file=file, field=f"sensitivity.options.{oid}.{name}")
        for name, r in sens.breakeven.inputs.items():
            parse_bounds(name, r, rates, cur, file=file, field=f"sensitivity.breakeven.inputs.{name}")
        if sens.breakeven.pair is not None:
            check_pair(sens.breakeven.pair, known, file)
    if unc is not None:
        months = max(1, round(spec.horizon))
        check_monte_carlo_size(unc.samples, len(spec.options), months, file=file, field="uncertainty.samples")
        for name, d in unc.inputs.items():
            _parse_dist(name, d, rates, cur, file, f"uncertainty.inputs.{name}")
        check_ids(unc.options, "uncertainty.options")
        for oid, dtable in unc.options.items():
            for name, d in dtable.items():
                _parse_dist(name, d, rates, cur, file, f"uncertainty.options.{oid}.{name}")


def check_pair(pair: tuple[str, str], known: list[str], file: str) -> None:
    for i, oid in enumerate(pair):
        if oid not in known:
            raise ScenarioError(
                f"unknown option {oid!r}, expected one of {', '.join(known)}",
                file=file,
                field=f"sensitivity.breakeven.pair[{i}]",
            )
    if pair[0] == pair[1]:
        raise ScenarioError(
            f"names {pair[0]!r} twice, expected two different options",
            file=file,
            field="sensitivity.breakeven.pair",
        )


def _parse_dist(name: str, d: Any, rates: Mapping[str, float], cur: str, file: str, field: str) -> Dist:
    try:
        return parse_distribution(variable(name), d, rates, cur)
    except (InputError, ValueError) as e:
        raise ScenarioError(getattr(e, "detail", str(e)), file=file, field=field) from e
