"""`api_price` on an API option: its own price per million tokens, checked by pint at load; refused on a
hosted option and with a unit that is not money per token."""

from __future__ import annotations

import pytest

from tco.errors import InputError
from tco.scenario import edit
from tco.scenario.load import load_scenario


def _with(option: str, quote: dict[str, str]) -> None:
    loaded = load_scenario("slm-vs-llm")
    raw = edit.set_option_api_price(loaded.raw, "api-70b", None, None, "USD")
    next(o for o in raw["options"] if o["id"] == option)["api_price"] = quote
    loaded.with_changes(raw)


def test_the_quote_replaces_the_offerings_price_and_the_assumptions_say_so() -> None:
    loaded = load_scenario("slm-vs-llm")
    edited = loaded.with_changes(edit.set_option_api_price(loaded.raw, "api-70b", None, 2.0, "USD"))
    row = edited.resolved.options[3]
    per_token_in, per_token_out = 0.88e-6, 2.0e-6  # the offering's input price, the quote's output price
    assert row.api_cost_per_query == pytest.approx(200 * per_token_in + 50 * per_token_out)


def test_api_price_on_a_cloud_option_is_refused() -> None:
    with pytest.raises(InputError, match="api_price is for api options"):
        _with("llm-8b-h100-cloud", {"input": "1 USD/Mtoken"})


def test_api_price_in_a_wrong_unit_is_refused() -> None:
    with pytest.raises(InputError, match=r"api_price\.input"):
        _with("api-70b", {"input": "1 USD/kWh"})
