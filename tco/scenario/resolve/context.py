"""What every resolution step shares: the scenario, the reference data, currency conversion, the
assumptions being recorded, and lookups that fail with one line naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from tco.engine.constants import J_PER_KWH as J_PER_KWH  # re-exported: defined in tco.engine.constants
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.errors import ScenarioError, UnitError
from tco.scenario.repository import Repository
from tco.scenario.schema import Hardware, Option, Region, Scenario, SiteFields
from tco.scenario.units import Money, parse_rate

T = TypeVar("T")


@dataclass
class Resolved:
    """Engine inputs of a whole scenario, and the assumptions behind them."""

    options: list[OptionInputs]
    workload: WorkloadInputs
    finance: FinanceInputs
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    baseline: str | None = None
    rates: dict[str, float] = field(default_factory=dict)  # reporting currency per unit of each currency


class Recorder:
    """The assumptions table, one row per number used: option, parameter, value, unit, source, year."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, option: str, parameter: str, value: Any, unit: str, source: str, year: Any = None) -> None:
        self.rows.append(
            {
                "option": option,
                "parameter": parameter,
                "value": value,
                "unit": unit,
                "source": source,
                "year": year,
            }
        )


def _rates(scenario: Scenario, file: str) -> dict[str, float]:
    rep = scenario.currency.reporting
    out: dict[str, float] = {}
    for cur, text in scenario.currency.rates.items():
        try:
            out[cur] = parse_rate(text, rep, cur)
        except UnitError as e:
            raise e.located(file=file, field=f"currency.rates.{cur}") from e
    return out


class Context:
    """One scenario being resolved: its reference data, exchange rates and assumptions recorder."""

    def __init__(
        self, scenario: Scenario, repo: Repository, file: str, rates: dict[str, float] | None = None
    ) -> None:
        self.s = scenario
        self.repo = repo
        self.file = file
        self.rates = _rates(scenario, file) if rates is None else dict(rates)
        self.cur = scenario.currency.reporting
        self.rec = Recorder()
        # tokens per query every option answers with (set by resolve.workload before the options)
        self.tokens_in = 0.0
        self.tokens_out = 0.0

    def money(self, m: Money, where: str) -> float:
        """An amount in the reporting currency; a missing exchange rate names the field."""
        try:
            return m.to(self.cur, self.rates)
        except UnitError as e:
            raise e.located(file=self.file, field=where) from e

    def error(self, where: str, msg: str) -> ScenarioError:
        return ScenarioError(msg, file=self.file, field=where)


def site_value(ctx: Context, opt: Option, name: str) -> tuple[Any, str, Any]:
    """(value, source, year) of a site field for an option: the option's own, the scenario default, or the
    built-in default for its deployment (profiles/defaults.yaml); (None, "", None) when none is set.

    The scenario's `defaults` describe the user's own sites: they apply to on-prem and cloud options, never
    to an API option, which runs in its provider's datacentre (its own fields, then the offering's data and
    the built-in API defaults)."""
    own = getattr(opt, name)
    if own is not None:
        return own, f"scenario option {opt.id}", None
    shared = getattr(ctx.s.defaults, name) if opt.deployment != "api" else None
    if shared is not None:
        return shared, "scenario defaults", None
    builtin = ctx.repo.defaults.for_deployment(opt.deployment).get(name)
    if builtin is None:
        return None, "", None
    parsed = ctx.repo.site_defaults.get(opt.deployment)  # parsed when the reference data was loaded
    value = getattr(parsed, name) if parsed is not None else _builtin_value(name, builtin.value)
    return value, builtin.source, builtin.year


@lru_cache(maxsize=512)
def _builtin_value(name: str, text: str) -> Any:
    return getattr(SiteFields.model_validate({name: text}), name)


def lookup(ctx: Context, table: Mapping[str, T], key: str | None, where: str, what: str) -> T:
    """An entry of the reference data by id, or one line naming the field and the ids that exist."""
    if key is None:
        raise ctx.error(where, f"missing: set `{where.rsplit('.', 1)[-1]}` on the option or in `defaults`")
    found = table.get(key)
    if found is None:
        known = ", ".join(sorted(table)) or "(none)"
        raise ctx.error(where, f"unknown {what} {key!r}, expected one of {known}")
    return found


def region(ctx: Context, region_id: str | None, where: str) -> Region:
    return lookup(ctx, ctx.repo.regions, region_id, where, "region")


def hardware(ctx: Context, hw_id: str, where: str) -> Hardware:
    return lookup(ctx, ctx.repo.hardware, hw_id, where, "hardware")
