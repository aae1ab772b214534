"""The one pint registry of slm-tco and the parsers that turn user text into plain floats.

Every number a user types carries a unit ("0.12 USD/kWh", "350 gCO2e/kWh", "700 W"). It is parsed here,
once, checked for dimension, range and finiteness, and converted to the unit the engine computes in.
Currencies are separate dimensions: converting between them needs a rate the scenario states, so money is
parsed into an amount in a *placeholder* unit plus the currency it was given in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from tokenize import TokenError  # raised by pint's parser on garbage input
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pint takes a quarter of a second to import: loaded when a quantity is first parsed
    import pint
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

from tco.engine.constants import (
    G_PER_KG,
    HOURS_PER_MONTH,
    J_PER_KWH,
    KG_PER_T,
    PER_BILLION,
    SECONDS_PER_HOUR,
    TOKENS_PER_MTOKEN,
    W_PER_KW,
    WH_PER_KWH,
)
from tco.errors import UnitError

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "JPY", "CNY", "INR", "SEK", "PLN", "CAD", "AUD", "CHF")
# Placeholder currency used in expected units ("USD/kWh" means "some currency per kWh").
PLACEHOLDER_CURRENCY = "USD"
# Largest magnitude accepted in any expected unit: far beyond any real input, small enough that products
# of a few of them stay finite in float64.
MAX_MAGNITUDE = 1e15


def _pint() -> Any:
    """The pint module, imported on first use (the except clauses below evaluate it only when raising)."""
    import pint

    return pint


@cache
def registry() -> pint.UnitRegistry:
    """The project's single unit registry (built once, on first use)."""
    import pint

    ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, on_redefinition="raise")
    with resources.files("tco.scenario").joinpath("units.txt").open("r", encoding="utf-8") as fh:
        ureg.load_definitions(fh.read().splitlines())
    return ureg


# A quantity is a number and a unit, nothing else: "2000000 query/day", "0.12 USD/kWh", "20 %", "1e6",
# "70 billion". The unit is unit names joined by "/", "*" or a space, each with an optional small integer
# power ("m^2", "s**-1"). Nothing is evaluated: no arithmetic between numbers, no powers of numbers, so
# reading a value is bounded in time and "31 900 USD" cannot silently become 27,900 USD.
MAX_TEXT = 120  # characters; the longest shipped quantity is under 40
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_FACTOR = rf"{_NAME}(?: ?(?:\^|\*\*) ?-?[1-4])?"
_UNIT = rf"{_FACTOR}(?:(?: ?[/*] ?| ){_FACTOR})*"
# whitespace is collapsed to single spaces first, so no part of this pattern can match a space two ways
_QUANTITY = re.compile(rf"(?P<number>{_NUMBER})? ?(?P<unit>(?:1? ?/ ?)?{_UNIT})?")
_UNIT_ONLY = re.compile(rf"(?:1? ?/ ?)?{_UNIT}")
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(?:([ ,'_\u00a0\u202f])[0-9]{3})+(?:\.[0-9]*)?(?=\s|$|[A-Za-z%/])")
_SPECIALS = {"nan": math.nan, "inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf}
EXAMPLES = "such as '2000000 query/day', '0.12 USD/kWh', '20 %' or '1e6'"


def _normalise(text: str) -> str:
    return " ".join(text.replace("%", " percent ").split())


def _grammar_error(value: str, text: str) -> UnitError:
    """The one line saying why `text` is not a number followed by a unit."""
    grouped = _GROUPED.match(text)
    if grouped:
        digits = re.sub(r"[ ,'_\u00a0\u202f]", "", grouped.group(0))
        return UnitError(
            f"got {value!r}: digit-group separators are not read, expected the number written "
            f"without them such as {digits!r}"
        )
    odd = next((c for c in text if ord(c) > 127), None)
    if odd is not None:
        return UnitError(
            f"got {value!r}: the character {odd!r} (U+{ord(odd):04X}) is not part of a quantity, expected "
            f"a number and a unit in plain ASCII {EXAMPLES}"
        )
    if re.search(r"[0-9]\s*(?:\*\*|\^)", text) or re.search(rf"{_NUMBER}.*[/*]\s*[0-9]", text):
        return UnitError(
            f"got {value!r}: arithmetic is not read in quantities, expected one number and a unit {EXAMPLES}"
        )
    return UnitError(f"cannot read {value!r} as a quantity, expected a number and a unit {EXAMPLES}")


def _known(ureg: Any, name: str) -> bool:
    """Whether the registry defines `name`; pint raises AttributeError for names such as "_" instead of
    answering no."""
    try:
        return name in ureg
    except AttributeError:
        return False


@lru_cache(maxsize=1024)
def _unit(text: str) -> Any:
    """The pint Unit of a unit text that passed the grammar (names checked against the registry)."""
    ureg = registry()
    for name in re.findall(_NAME, text):
        if not _known(ureg, name):
            raise UnitError(f"unknown unit {name!r}")
    try:
        return ureg.Unit(text)
    except (_pint().errors.PintError, ValueError, TypeError, AttributeError, SyntaxError, TokenError) as e:
        raise UnitError(f"cannot read the unit {text!r} ({_short(e)})") from e


def to_quantity(value: Any) -> pint.Quantity:
    """Parse text such as "0.12 USD/kWh" (or a bare number) into a pint Quantity.

    Only a number followed by a unit is read; anything else raises UnitError (one line) saying what was
    expected. Raises UnitError for non-text values other than plain numbers.
    """
    ureg = registry()
    if isinstance(value, bool):
        raise UnitError(f"got {value!r}, expected a number with a unit")
    if isinstance(value, int | float):
        return ureg.Quantity(float(value), "dimensionless")
    if not isinstance(value, str):
        raise UnitError(
            f"got {type(value).__name__} {_clip(repr(value))}, expected a number with a unit as text"
        )
    if len(value) > MAX_TEXT:
        raise UnitError(
            f"got a value of {len(value)} characters ({_clip(repr(value))}), expected a number and a unit "
            f"of at most {MAX_TEXT} characters"
        )
    text = _normalise(value)
    if not text:
        raise UnitError("got an empty value, expected a number with a unit")
    head, _, rest = text.partition(" ")
    if head.lower() in _SPECIALS:  # "nan W", "inf": reported as not finite, with the expected unit
        number, unit_text = _SPECIALS[head.lower()], rest.strip()
        if unit_text and _UNIT_ONLY.fullmatch(unit_text) is None:
            raise _grammar_error(value, text)
    else:
        m = _QUANTITY.fullmatch(text)
        if m is None or (m.group("number") is None and m.group("unit") is None):
            raise _grammar_error(value, text)
        number = float(m.group("number")) if m.group("number") is not None else 1.0
        unit_text = (m.group("unit") or "").strip()
        if m.group("number") is None:
            _read_unit(value, unit_text)  # an unknown name is the better message
            raise UnitError(f"got {value!r} without a number, expected a number and a unit {EXAMPLES}")
    if unit_text.startswith("/"):
        unit_text = "1" + unit_text  # "5 /s" and "5 1/s": per second
    if not unit_text:
        return ureg.Quantity(number, "dimensionless")
    return ureg.Quantity(number, _read_unit(value, unit_text))


def _read_unit(value: str, unit_text: str) -> Any:
    try:
        return _unit(unit_text)
    except UnitError as e:
        raise UnitError(f"cannot read {value!r} as a quantity ({e.detail})") from e


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _short(e: Exception) -> str:
    return str(e).splitlines()[0][:120] if str(e) else type(e).__name__


def _currency_exponents(q: Any) -> dict[str, float]:
    return {str(u): float(p) for u, p in q.unit_items() if str(u) in CURRENCIES}


def _bound(x: float, unit: str) -> str:
    if unit in ("", "(dimensionless)"):
        return f"{x:g} ({x * 100:g} %)"
    return f"{x:g} {unit}"


def _check_magnitude(
    m: float, value: Any, unit: str, *, minimum: float | None, maximum: float | None, why: str = ""
) -> None:
    if not math.isfinite(m):
        raise UnitError(f"got {value!r}, expected a finite number" + (f" in {unit}" if unit else ""))
    if abs(m) > MAX_MAGNITUDE:
        raise UnitError(
            f"got {value!r}, which is implausibly large (over {MAX_MAGNITUDE:g} {unit})".replace(" )", ")")
        )
    because = f": {why}" if why else ""
    if minimum is not None and m < minimum:
        raise UnitError(f"got {value!r}, expected at least {_bound(minimum, unit)}{because}")
    if maximum is not None and m > maximum:
        raise UnitError(f"got {value!r}, expected at most {_bound(maximum, unit)}{because}")


def parse(
    value: Any, unit: str, *, minimum: float | None = 0.0, maximum: float | None = None, why: str = ""
) -> float:
    """Parse a quantity and return its magnitude in `unit` (no currency allowed in `unit`).

    A bare number is accepted only when `unit` is dimensionless ("", "percent" is not bare: 0.2 != 20 %).
    Negative values are rejected unless `minimum` says otherwise; `why` says why the range is what it is
    (added to the message). Text is parsed once and remembered: the app re-validates the same scenario on
    every slider move.
    """
    if isinstance(value, Parsed):
        if value.unit != unit:
            return parse(value.text, unit, minimum=minimum, maximum=maximum, why=why)
        _check_magnitude(value.value, value, unit, minimum=minimum, maximum=maximum, why=why)
        return value.value
    if not unit and type(value) in (int, float):  # a bare number where a plain one is expected: no pint
        m = float(value)
        _check_magnitude(m, value, unit, minimum=minimum, maximum=maximum, why=why)
        return m
    if isinstance(value, str):
        return _parse_text(value, unit, minimum, maximum, why)
    return _parse(value, unit, minimum, maximum, why)


@dataclass(frozen=True)
class Parsed:
    """A quantity already parsed: `value` in `unit`, read as `text` (`f"{value!r} {unit}"`, say).

    For values derived from validated ones (a task's queries per day in the portfolio planner): `parse`
    checks the range and takes `value` as it is, with no text parsed again (nor the registry built), or
    parses `text` when another unit is expected. Messages quote `text`, as for the text itself.
    """

    value: float
    unit: str
    text: str

    def __repr__(self) -> str:
        return repr(self.text)


@lru_cache(maxsize=8192)
def _parse_text(value: str, unit: str, minimum: float | None, maximum: float | None, why: str) -> float:
    return _parse(value, unit, minimum, maximum, why)


def _parse(value: Any, unit: str, minimum: float | None, maximum: float | None, why: str = "") -> float:
    ureg = registry()
    q = to_quantity(value)
    target = ureg.Unit(unit) if unit else ureg.dimensionless
    if q.dimensionless and q.unitless and not ureg.Quantity(1, target).dimensionless:
        raise UnitError(f"got {value!r} without a unit, expected a quantity in {unit}")
    try:
        m = float(q.to(target).magnitude)
    except _pint().DimensionalityError as e:
        raise UnitError(
            f"got {value!r}, expected a quantity convertible to {unit or 'a plain number or %'}"
        ) from e
    _check_magnitude(m, value, unit, minimum=minimum, maximum=maximum, why=why)
    return m


@dataclass(frozen=True)
class Money:
    """An amount per some unit, in the currency it was given in.

    `value` is the magnitude in the expected unit with the placeholder currency replaced by `currency`,
    e.g. "0.11 EUR/kWh" expected as "USD/kWh" gives Money(0.11, "EUR", "USD/kWh").
    """

    value: float
    currency: str
    unit: str

    def to(self, currency: str, rates: dict[str, float]) -> float:
        """Magnitude in `currency`; `rates[c]` is how many `currency` one unit of `c` is worth."""
        if self.currency == currency:
            return self.value
        if self.currency not in rates:
            raise UnitError(
                f"amount is in {self.currency} but no exchange rate for {self.currency} is given, expected "
                f"currency.rates.{self.currency} such as '1.08 {currency}/{self.currency}'"
            )
        return self.value * rates[self.currency]


def parse_money(value: Any, unit: str, *, minimum: float | None = 0.0, maximum: float | None = None) -> Money:
    """Parse an amount of money ("31900 USD", "0.11 EUR/kWh", "2.5 USD/h") against `unit`.

    `unit` spells the currency as USD, standing for any one currency; the amount may be given in any
    currency the registry knows, and keeps it.
    """
    if isinstance(value, str):
        return _parse_money_text(value, unit, minimum, maximum)
    return _parse_money(value, unit, minimum, maximum)


@lru_cache(maxsize=8192)
def _parse_money_text(value: str, unit: str, minimum: float | None, maximum: float | None) -> Money:
    return _parse_money(value, unit, minimum, maximum)


def _parse_money(value: Any, unit: str, minimum: float | None, maximum: float | None) -> Money:
    ureg = registry()
    q = to_quantity(value)
    found = _currency_exponents(q)
    if len(found) != 1 or next(iter(found.values())) != 1.0:
        raise UnitError(
            f"got {value!r}, expected an amount of money in {unit} (any of {', '.join(CURRENCIES)})"
        )
    currency = next(iter(found))
    swapped = q * ureg.Quantity(1, PLACEHOLDER_CURRENCY) / ureg.Quantity(1, currency)
    try:
        m = float(swapped.to(unit).magnitude)
    except _pint().DimensionalityError as e:
        raise UnitError(
            f"got {value!r}, expected an amount convertible to {unit.replace(PLACEHOLDER_CURRENCY, currency)}"
        ) from e
    _check_magnitude(m, value, unit.replace(PLACEHOLDER_CURRENCY, currency), minimum=minimum, maximum=maximum)
    return Money(m, currency, unit)


def parse_rate(value: Any, reporting: str, field_currency: str) -> float:
    """Parse an exchange rate such as "1.08 USD/EUR": how many `reporting` one `field_currency` buys."""
    ureg = registry()
    q = to_quantity(value)
    try:
        m = float(q.to(ureg.Unit(reporting) / ureg.Unit(field_currency)).magnitude)
    except _pint().DimensionalityError as e:
        raise UnitError(f"got {value!r}, expected a rate in {reporting}/{field_currency}") from e
    _check_magnitude(m, value, f"{reporting}/{field_currency}", minimum=None, maximum=None)
    if m <= 0:
        raise UnitError(f"got {value!r}, expected a positive rate in {reporting}/{field_currency}")
    return m


@dataclass(frozen=True)
class Unit:
    """Pydantic metadata of a field given with a unit, so that the field's type is what mypy sees:

        power: Annotated[float, Unit("W")]              # "700 W", "0.7 kW" -> 700.0 (W)
        price: Annotated[Money, Unit("USD/kWh")]        # "0.11 EUR/kWh" -> Money(0.11, "EUR", "USD/kWh")

    A float is parsed by `parse` into `unit` within [`minimum`, `maximum`] (`why` says why, in the
    message); Money by `parse_money` (any currency, written USD in `unit`), and written back as text.
    """

    unit: str
    minimum: float | None = 0.0
    maximum: float | None = None
    why: str = ""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        schema = handler(source)
        if source is Money:

            def money(v: Any) -> Money:
                if isinstance(v, Money):
                    return v
                return parse_money(v, self.unit, minimum=self.minimum, maximum=self.maximum)

            return core_schema.no_info_before_validator_function(
                money,
                schema,
                serialization=core_schema.plain_serializer_function_ser_schema(money_text),
            )

        def quantity(v: Any) -> float:
            return parse(v, self.unit, minimum=self.minimum, maximum=self.maximum, why=self.why)

        return core_schema.no_info_before_validator_function(quantity, schema)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        out["unit"] = self.unit
        return out


def money_text(m: Money) -> str:
    """An amount as a person writes it: "0.11 EUR/kWh"."""
    return f"{m.value:g} {m.unit.replace(PLACEHOLDER_CURRENCY, m.currency)}"


# The conversions between the units people read and write and the units the engine computes in:
# (from, to) -> how many `from` make one `to` (tco.engine.constants). `convert` divides by it (multiplies,
# the other way round), so a value comes out exactly as a hand-written conversion would give it;
# tests/scenario/test_units.py checks every factor against the pint registry.
STEPS: dict[tuple[str, str], float] = {
    ("W", "kW"): W_PER_KW,
    ("Wh", "kWh"): WH_PER_KWH,
    ("J", "kWh"): J_PER_KWH,
    ("J", "Wh"): SECONDS_PER_HOUR,
    ("gCO2e", "kgCO2e"): G_PER_KG,
    ("gCO2e/kWh", "kgCO2e/kWh"): G_PER_KG,
    ("USD/tCO2e", "USD/kgCO2e"): KG_PER_T,
    ("s", "h"): SECONDS_PER_HOUR,
    ("h", "month"): HOURS_PER_MONTH,
    ("", "billion"): PER_BILLION,
    ("USD/Mtoken", "USD/token"): TOKENS_PER_MTOKEN,
}


def convert(value: float, unit: str, to: str) -> float:
    """`value` given in `unit`, in `to`: one of the `STEPS` either way round ("W" to "kW", "kW" to "W").

    Money is written with USD standing for the currency it is in ("USD/tCO2e" to "USD/kgCO2e")."""
    if (unit, to) in STEPS:
        return value / STEPS[unit, to]
    if (to, unit) in STEPS:
        return value * STEPS[to, unit]
    known = ", ".join(f"{a or '1'} -> {b}" for a, b in STEPS)
    raise ValueError(f"no conversion from {unit or '1'!r} to {to!r}, expected one of {known} (either way)")
