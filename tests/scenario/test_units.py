"""Parsing quantities with units at the edges: exact values and exact messages."""

from __future__ import annotations

from typing import Any

import pytest

from tco.errors import InputError, UnitError
from tco.scenario.units import Money, Parsed, parse, parse_money, parse_rate


def test_fraction_bounds_read_as_percent() -> None:
    with pytest.raises(UnitError, match=r"expected at most 1 \(100 %\)"):
        parse("150 %", "", maximum=1.0)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("700 W", "kW", 0.7),
        ("36 months", "month", 36.0),
        ("3 years", "month", 36.0),
        ("20 %", "", 0.2),
        ("2.5 Wh/query", "kWh", 0.0025),
        ("350 gCO2e/kWh", "kgCO2e/kWh", 0.35),
        ("1.2 tCO2e", "kgCO2e", 1200.0),
        ("70 billion", "", 7e10),
        ("1e6 query/day", "1/day", 1e6),
    ],
)
def test_parse_converts_to_the_requested_unit(text: str, unit: str, expected: float) -> None:
    assert parse(text, unit) == pytest.approx(expected, rel=1e-12)


def test_money_keeps_its_currency_until_a_rate_is_given() -> None:
    m = parse_money("0.11 EUR/kWh", "USD/kWh")
    assert m == Money(0.11, "EUR", "USD/kWh")
    assert m.to("USD", {"EUR": 1.1}) == pytest.approx(0.121)


def test_money_per_mtoken_is_stored_per_token() -> None:
    assert parse_money("0.60 USD/Mtoken", "USD/token").value == pytest.approx(6e-7)


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("700 kg", "W", "got '700 kg', expected a quantity convertible to W"),
        ("abc", "W", "cannot read 'abc' as a quantity (unknown unit 'abc')"),
        # pint raises AttributeError for '_' rather than saying it is no unit (found by the CLI fuzzer)
        ("_", "s", "cannot read '_' as a quantity (unknown unit '_')"),
        ("5 __x", "s", "cannot read '5 __x' as a quantity (unknown unit '__x')"),
        ("-5 W", "W", "got '-5 W', expected at least 0 W"),
        ("nan W", "W", "got 'nan W', expected a finite number in W"),
        ("1e300 W", "W", "got '1e300 W', which is implausibly large (over 1e+15 W)"),
        ("", "W", "got an empty value, expected a number with a unit"),
        ("700", "W", "got '700' without a unit, expected a quantity in W"),
    ],
)
def test_bad_quantities_get_one_exact_line(text: str, unit: str, message: str) -> None:
    with pytest.raises(UnitError) as e:
        parse(text, unit)
    assert str(e.value) == message
    assert "\n" not in str(e.value)


def test_unit_error_is_also_a_type_error_and_an_input_error() -> None:
    with pytest.raises(TypeError):
        parse("5 kg", "W")
    assert issubclass(UnitError, InputError)


def test_missing_exchange_rate_says_which_field_to_add() -> None:
    with pytest.raises(UnitError) as e:
        parse_money("0.2 GBP/kWh", "USD/kWh").to("USD", {})
    assert str(e.value) == (
        "amount is in GBP but no exchange rate for GBP is given, expected currency.rates.GBP such as '1.08 USD/GBP'"
    )


def test_rate_must_be_in_reporting_per_foreign_currency() -> None:
    assert parse_rate("1.08 USD/EUR", "USD", "EUR") == pytest.approx(1.08)
    with pytest.raises(UnitError, match="expected a rate in USD/EUR"):
        parse_rate("1.08 EUR/USD", "USD", "EUR")


def test_a_parsed_quantity_is_taken_as_it_is_and_its_range_checked_in_its_own_words() -> None:
    assert parse(Parsed(1234.5, "1/day", "1234.5 query/day"), "1/day") == 1234.5
    with pytest.raises(UnitError, match=r"^got '-2.0 s', expected at least 0 s$"):
        parse(Parsed(-2.0, "s", "-2.0 s"), "s")


def test_a_parsed_quantity_in_another_unit_is_parsed_from_its_text() -> None:
    assert parse(Parsed(2.0, "h", "2 h"), "s") == pytest.approx(7200.0, rel=1e-12)


@pytest.mark.parametrize("value", [0, 2, 0.1, 1.4, 3e9, 123456.789])
def test_a_bare_number_where_a_plain_one_is_expected_is_the_same_with_or_without_pint(value: float) -> None:
    from tco.scenario.units import _parse

    assert parse(value, "") == _parse(value, "", 0.0, None) == float(value)


@pytest.mark.parametrize("value", [True, float("nan"), -1.0])
def test_a_bare_number_keeps_its_messages(value: Any) -> None:
    from tco.scenario.units import _parse

    with pytest.raises(UnitError) as fast:
        parse(value, "")
    with pytest.raises(UnitError) as slow:
        _parse(value, "", 0.0, None)
    assert str(fast.value) == str(slow.value)
