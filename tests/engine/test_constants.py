"""Units and types once: every conversion constant agrees with the pint registry, the resolver converts
through `convert`, and a unit field's type is what mypy sees (`Annotated[float, Unit("W")]`)."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from tco.engine import constants as k
from tco.scenario.units import STEPS, Money, Unit, convert, registry


@pytest.mark.parametrize(("pair", "factor"), list(STEPS.items()), ids=[f"{a or '1'}->{b}" for a, b in STEPS])
def test_every_conversion_step_is_the_registrys_factor(pair: tuple[str, str], factor: float) -> None:
    ureg = registry()
    unit, to = pair
    # money is written with USD standing for any currency: the factor is the same for every currency
    assert ureg.Quantity(1.0, to or "dimensionless").to(unit or "dimensionless").magnitude == pytest.approx(
        factor, rel=1e-15
    )


def test_the_time_constants_are_pints_month_and_day() -> None:
    ureg = registry()
    assert ureg.Quantity(1, "month").to("hour").magnitude == pytest.approx(k.HOURS_PER_MONTH, rel=1e-15)
    assert ureg.Quantity(1, "month").to("day").magnitude == pytest.approx(k.DAYS_PER_MONTH, rel=1e-15)
    assert ureg.Quantity(1, "day").to("second").magnitude == k.SECONDS_PER_DAY
    assert ureg.Quantity(1, "day").to("hour").magnitude == k.HOURS_PER_DAY
    assert ureg.Quantity(1, "year").to("month").magnitude == pytest.approx(k.MONTHS_PER_YEAR, rel=1e-15)


def test_convert_goes_either_way_exactly_as_a_hand_written_conversion() -> None:
    assert convert(700.0, "W", "kW") == 700.0 / 1000.0
    assert convert(0.7, "kW", "W") == 0.7 * 1000.0
    assert convert(80.0, "USD/tCO2e", "USD/kgCO2e") == 80.0 / 1000.0
    assert convert(38.48, "J", "kWh") == 38.48 / 3.6e6
    assert convert(2.0, "month", "h") == 2.0 * 730.5


def test_a_conversion_that_is_not_declared_names_the_ones_that_are() -> None:
    with pytest.raises(ValueError, match=r"no conversion from 'W' to 'MW', expected one of W -> kW, "):
        convert(1.0, "W", "MW")


class _Part(BaseModel):
    power: Annotated[float, Unit("kW", maximum=10.0)]
    price: Annotated[Money, Unit("USD/h")] | None = None


def test_a_unit_field_parses_once_into_its_unit_and_money_keeps_its_currency() -> None:
    part = _Part.model_validate({"power": "700 W", "price": "2.5 EUR/h"})
    assert part.power == pytest.approx(0.7)
    assert part.price == Money(2.5, "EUR", "USD/h")
    assert part.model_dump(mode="json") == {"power": pytest.approx(0.7), "price": "2.5 EUR/h"}
    assert _Part.model_json_schema()["properties"]["power"]["unit"] == "kW"
    with pytest.raises(ValidationError, match="expected at most 10 kW"):
        _Part.model_validate({"power": "11 kW"})
