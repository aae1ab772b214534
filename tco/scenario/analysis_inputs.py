"""Turn a loaded scenario's `sensitivity` and `uncertainty` sections (and the shipped defaults) into numbers.

Ranges and distributions are converted to engine units with the scenario's exchange rates; option ids are
checked against the scenario's options. Errors name the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tco.errors import InputError, ScenarioError
from tco.scenario.analysis_checks import Bounds, check_monte_carlo_size, check_pair, parse_bounds
from tco.scenario.analysis_specs import SensitivityDefaults, UncertaintySpec
from tco.scenario.distributions import Dist, parse_distribution
from tco.scenario.repository import default_profiles_dir, validate
from tco.scenario.variables import VARIABLES, currency_rates, variable
from tco.scenario.yamlio import read_yaml

if TYPE_CHECKING:
    from tco.scenario.load import LoadedScenario

DEFAULTS_FILE = Path("methods") / "sensitivity.yaml"
REPORT_SAMPLES = 2000  # Monte Carlo samples in reports when the scenario does not say


def load_defaults(root: Path | None = None) -> SensitivityDefaults:
    """The default ranges: `root`/methods/sensitivity.yaml, or the shipped file when `root` has none."""
    path = (root / DEFAULTS_FILE) if root is not None else None
    if path is None or not path.exists():
        path = default_profiles_dir() / DEFAULTS_FILE
    return validate(SensitivityDefaults, read_yaml(path), file=str(path))


def rates_of(loaded: LoadedScenario) -> tuple[dict[str, float], str]:
    """Exchange rates into the reporting currency, and that currency."""
    cur = loaded.spec.currency.reporting
    try:
        return currency_rates(loaded.spec.currency.rates, cur), cur
    except InputError as e:
        raise e.located(file=loaded.file, field="currency.rates") from e


def _check_ids(ids: Any, loaded: LoadedScenario, field: str) -> None:
    known = [o.id for o in loaded.spec.options]
    for oid in ids:
        if oid not in known:
            raise ScenarioError(
                f"unknown option {oid!r}, expected one of {', '.join(known)}",
                file=loaded.file,
                field=f"{field}.{oid}",
            )


def _ordered(table: dict[str, Bounds]) -> dict[str, Bounds]:
    return {n: table[n] for n in VARIABLES if n in table}


def tornado_bounds(loaded: LoadedScenario) -> tuple[dict[str, Bounds], dict[str, dict[str, Bounds]]]:
    """Ranges for every option, and per-option ranges, from the scenario and the shipped defaults."""
    rates, cur = rates_of(loaded)
    spec = loaded.spec.sensitivity
    shared: dict[str, Bounds] = {}
    if spec is None or spec.use_defaults:
        d = load_defaults(loaded.repo.root)
        for name, r in d.tornado.items():
            shared[name] = parse_bounds(
                name, r, rates, cur, file=str(DEFAULTS_FILE), field=f"tornado.{name}", source=r.source or ""
            )
    per_option: dict[str, dict[str, Bounds]] = {}
    if spec is not None:
        for name, spec_range in spec.inputs.items():
            shared[name] = parse_bounds(
                name,
                spec_range,
                rates,
                cur,
                file=loaded.file,
                field=f"sensitivity.inputs.{name}",
                source="scenario",
            )
        _check_ids(spec.options, loaded, "sensitivity.options")
        for oid, table in spec.options.items():
            per_option[oid] = _ordered(
                {
                    name: parse_bounds(
                        name,
                        r,
                        rates,
                        cur,
                        file=loaded.file,
                        field=f"sensitivity.options.{oid}.{name}",
                        source=f"scenario, option {oid}",
                    )
                    for name, r in table.items()
                }
            )
    return _ordered(shared), per_option


def breakeven_bounds(loaded: LoadedScenario) -> tuple[dict[str, Bounds], tuple[str, str] | None]:
    """Ranges searched for a rank flip, and the pair of options named by the scenario (if any)."""
    rates, cur = rates_of(loaded)
    spec = loaded.spec.sensitivity
    be = spec.breakeven if spec is not None else None
    out: dict[str, Bounds] = {}
    if be is None or be.use_defaults:
        d = load_defaults(loaded.repo.root)
        for name, r in d.breakeven.items():
            out[name] = parse_bounds(
                name, r, rates, cur, file=str(DEFAULTS_FILE), field=f"breakeven.{name}", source=r.source or ""
            )
    pair = None
    if be is not None:
        for name, spec_range in be.inputs.items():
            out[name] = parse_bounds(
                name,
                spec_range,
                rates,
                cur,
                file=loaded.file,
                field=f"sensitivity.breakeven.inputs.{name}",
                source="scenario",
            )
        if be.pair is not None:
            check_pair(be.pair, [o.id for o in loaded.spec.options], loaded.file)
            pair = be.pair
    return _ordered(out), pair


@dataclass(frozen=True)
class UncertaintyInputs:
    samples: int
    seed: int
    shared: dict[str, Dist]
    per_option: dict[str, dict[str, Dist]]
    from_defaults: bool = False  # the scenario has no `uncertainty` section: shipped default distributions


def uncertainty_inputs(
    loaded: LoadedScenario, samples: int | None = None, seed: int | None = None
) -> UncertaintyInputs:
    """Distributions of the scenario's `uncertainty` section, samples and seed.

    A scenario without the section gets the default distributions of profiles/methods/sensitivity.yaml,
    each with its rationale, so `tco uncertainty` always shows a spread worth reading.
    """
    rates, cur = rates_of(loaded)
    from_defaults = loaded.spec.uncertainty is None
    if from_defaults:
        spec = UncertaintySpec(inputs=load_defaults(loaded.repo.root).uncertainty)
    else:
        spec = loaded.spec.uncertainty or UncertaintySpec()

    def parse(name: str, d: Any, field: str) -> Dist:
        try:
            return parse_distribution(variable(name), d, rates, cur)
        except (InputError, ValueError) as e:
            raise ScenarioError(getattr(e, "detail", str(e)), file=loaded.file, field=field) from e

    shared = {n: parse(n, d, f"uncertainty.inputs.{n}") for n, d in spec.inputs.items()}
    _check_ids(spec.options, loaded, "uncertainty.options")
    per_option = {
        oid: {n: parse(n, d, f"uncertainty.options.{oid}.{n}") for n, d in table.items()}
        for oid, table in spec.options.items()
    }
    n = samples if samples is not None else (spec.samples if loaded.spec.uncertainty else REPORT_SAMPLES)
    check_monte_carlo_size(
        n,
        len(loaded.spec.options),
        loaded.resolved.finance.months,
        file=loaded.file if samples is None else None,
        field="--samples"
        if samples is not None
        else "uncertainty.samples"
        if loaded.spec.uncertainty is not None
        else f"uncertainty.samples (not given: {n:,} for reports; set it lower, or report --no-analysis)",
    )
    return UncertaintyInputs(n, seed if seed is not None else spec.seed, shared, per_option, from_defaults)
