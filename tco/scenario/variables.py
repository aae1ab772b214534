"""The inputs that sensitivity, uncertainty and break-even analysis may vary, and how a value reaches the engine.

Each input has a name users write in a scenario (`electricity_price`), the engine field(s) it drives
(`OptionInputs.electricity_price`), the unit its values are written in and the unit the engine computes in.
A value is either a *factor* (a bare number multiplying each option's resolved value: 1.2 = 20 % more) or an
*absolute* value (with a unit where the input has one, "0.12 USD/kWh", "3 years", "40 %") that replaces it.

Pure: no I/O. The analysis modules build (samples,) arrays per input and hand them to `apply`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tco.errors import UnitError
from tco.scenario.units import parse, parse_money, parse_rate

Kind = Literal["factor", "absolute"]
Target = Literal["option", "workload", "finance"]


@dataclass(frozen=True)
class Variable:
    """One input analysis can vary."""

    name: str
    label: str
    target: Target
    fields: tuple[str, ...]  # engine fields a factor multiplies
    absolute_field: str  # engine field an absolute value sets
    unit: str  # unit values are parsed into (engine unit, before `scale`); "USD" stands for any currency
    money: bool = False
    scale: float = 1.0  # engine value = parsed value x scale
    minimum: float | None = 0.0  # bounds in engine units; samples are clipped to them
    maximum: float | None = None
    default_kind: Kind = "factor"  # for bare numbers; values with a unit are always absolute
    display_unit: str = ""  # unit a person reads ("USD" replaced by the reporting currency)
    display_scale: float = 1.0  # display value = engine value x display_scale

    def display(self, engine_value: float, currency: str) -> str:
        """Text of an engine value in the display unit: "0.12 USD/kWh"."""
        unit = self.display_unit.replace("USD", currency)
        return f"{engine_value * self.display_scale:.4g} {unit}".strip()

    def display_unit_for(self, currency: str) -> str:
        return self.display_unit.replace("USD", currency)


def _v(*args: Any, **kwargs: Any) -> Variable:
    return Variable(*args, **kwargs)


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        _v(
            "energy_per_query",
            "energy per query",
            "option",
            ("energy_per_query_kwh",),
            "energy_per_query_kwh",
            "kWh",
            display_unit="Wh/query",
            display_scale=1000.0,
        ),
        _v(
            "throughput",
            "throughput per replica",
            "option",
            ("throughput_qps",),
            "throughput_qps",
            "1/s",
            minimum=1e-9,
            display_unit="query/s",
        ),
        _v(
            "electricity_price",
            "electricity price",
            "option",
            ("electricity_price",),
            "electricity_price",
            "USD/kWh",
            money=True,
            display_unit="USD/kWh",
        ),
        _v(
            "grid_intensity",
            "grid intensity",
            "option",
            ("grid_intensity_kg_per_kwh",),
            "grid_intensity_kg_per_kwh",
            "kgCO2e/kWh",
            display_unit="gCO2e/kWh",
            display_scale=1000.0,
        ),
        _v("pue", "PUE", "option", ("pue",), "pue", "", minimum=1.0, maximum=3.0, default_kind="absolute"),
        _v(
            "utilisation",
            "utilisation",
            "option",
            ("utilisation",),
            "utilisation",
            "",
            minimum=0.01,
            maximum=1.0,
            default_kind="absolute",
            display_unit="%",
            display_scale=100.0,
        ),
        _v(
            "unit_price",
            "hardware price",
            "option",
            ("unit_price",),
            "unit_price",
            "USD",
            money=True,
            display_unit="USD/accelerator",
        ),
        _v(
            "lifetime",
            "hardware lifetime",
            "option",
            ("lifetime_months",),
            "lifetime_months",
            "month",
            minimum=1.0,
            maximum=240.0,
            display_unit="months",
        ),
        _v(
            "cloud_price",
            "cloud price",
            "option",
            ("cloud_price_per_hour", "cloud_on_demand_price_per_hour"),
            "cloud_price_per_hour",
            "USD/h",
            money=True,
            display_unit="USD/accelerator-hour",
        ),
        _v(
            "api_price",
            "API price per query",
            "option",
            ("api_cost_per_query",),
            "api_cost_per_query",
            "USD",
            money=True,
            display_unit="USD/query",
        ),
        _v(
            "embodied",
            "embodied emissions",
            "option",
            ("embodied_kg_per_accelerator", "api_embodied_kg_per_query"),
            "embodied_kg_per_accelerator",
            "kgCO2e",
            display_unit="kgCO2e/accelerator",
        ),
        _v(
            "carbon_price",
            "carbon price",
            "option",
            ("carbon_price_per_kg",),
            "carbon_price_per_kg",
            "USD/kgCO2e",
            money=True,
            display_unit="USD/tCO2e",
            display_scale=1000.0,
        ),
        _v(
            "queries_per_day",
            "demand",
            "workload",
            ("queries_per_day",),
            "queries_per_day",
            "1/day",
            minimum=1.0,  # per-query results need queries: varied demand is clipped to one a day at least
            display_unit="query/day",
        ),
        _v(
            "annual_growth",
            "demand growth",
            "workload",
            ("annual_growth",),
            "annual_growth",
            "",
            minimum=-0.99,
            maximum=10.0,
            default_kind="absolute",
            display_unit="%/year",
            display_scale=100.0,
        ),
        _v(
            "peak_to_average",
            "peak to average",
            "workload",
            ("peak_to_average",),
            "peak_to_average",
            "",
            minimum=1.0,
            maximum=24.0,
            default_kind="absolute",
        ),
        *(
            _v(
                name,
                label,
                "option",
                (name,),
                name,
                "",
                minimum=-0.99,
                maximum=10.0,
                default_kind="absolute",
                display_unit="%/year",
                display_scale=100.0,
            )
            for name, label in (
                ("hardware_price_trend", "hardware price trend"),
                ("cloud_price_trend", "cloud price trend"),
                ("api_price_trend", "API price trend"),
            )
        ),
        _v(
            "financing_rate",
            "loan or lease rate",
            "option",
            ("financing_rate",),
            "financing_rate",
            "",
            minimum=0.0,
            maximum=1.0,
            default_kind="absolute",
            display_unit="%/year",
            display_scale=100.0,
        ),
        _v(
            "carbon_price_trend",
            "carbon price trend",
            "finance",
            ("carbon_price_trend",),
            "carbon_price_trend",
            "",
            minimum=-0.99,
            maximum=10.0,
            default_kind="absolute",
            display_unit="%/year",
            display_scale=100.0,
        ),
        _v(
            "discount_rate",
            "discount rate",
            "finance",
            ("discount_rate",),
            "discount_rate",
            "",
            minimum=0.0,
            maximum=1.0,
            default_kind="absolute",
            display_unit="%/year",
            display_scale=100.0,
        ),
        _v(
            "maintenance",
            "maintenance",
            "option",
            ("maintenance",),
            "maintenance",
            "",
            maximum=1.0,
            display_unit="%/year",
            display_scale=100.0,
        ),
        _v(
            "host_power",
            "host power",
            "option",
            ("host_power_kw",),
            "host_power_kw",
            "kW",
            display_unit="W/accelerator",
            display_scale=1000.0,
        ),
    )
}


def variable(name: str) -> Variable:
    """The input called `name`, or a UnitError listing the known ones."""
    try:
        return VARIABLES[name]
    except KeyError:
        raise UnitError(f"unknown input {name!r}, expected one of {', '.join(VARIABLES)}") from None


def has_unit(raw: Any) -> bool:
    """Whether a user value carries a unit ("0.1 USD/kWh", "40 %"), as opposed to a bare number."""
    if isinstance(raw, bool | int | float):
        return False
    try:
        float(str(raw).strip())
    except ValueError:
        return True
    return False


def check_value(var: Variable, raw: Any, kind: Kind) -> None:
    """Raise UnitError when `raw` cannot be a value of `var` of this kind (no currency conversion yet)."""
    if kind == "factor":
        if has_unit(raw):
            raise UnitError(
                f"got {raw!r}: a factor is a bare number; write kind: absolute for a value with a unit"
            )
        parse(raw, "", minimum=None)
    elif var.money:
        parse_money(raw, var.unit, minimum=None)
    else:
        parse(raw, var.unit, minimum=None)


def value_in_engine_units(
    var: Variable, raw: Any, kind: Kind, rates: Mapping[str, float], currency: str
) -> float:
    """A user value as a factor (bare) or in the engine's unit (absolute), currency converted."""
    if kind == "factor":
        check_value(var, raw, kind)
        return parse(raw, "", minimum=None)
    if var.money:
        return parse_money(raw, var.unit, minimum=None).to(currency, dict(rates)) * var.scale
    return parse(raw, var.unit, minimum=None) * var.scale


def infer_kind(var: Variable, values: list[Any], explicit: Kind | None) -> Kind:
    """`explicit` if given (checked against the values), else absolute when any value has a unit, else the
    input's default."""
    with_unit = any(has_unit(v) for v in values if v is not None)
    if explicit is not None:
        return explicit
    return "absolute" if with_unit else var.default_kind


def currency_rates(rates_text: Mapping[str, str], reporting: str) -> dict[str, float]:
    """Exchange rates of a scenario's `currency.rates` into the reporting currency."""
    return {cur: parse_rate(text, reporting, cur) for cur, text in rates_text.items()}
