"""The cloud rate and the API prices per million tokens as levers (AppTest, on slm-vs-llm): each writes the
option's own price into the scenario (`cloud_price`, `api_price`), the cards are the engine's for that edit,
the engine's cost moved by exactly what the rate says, and emptying the box gives the data's price back."""

from __future__ import annotations

import pytest

from tco.api import evaluate, load_scenario
from tco.presentation import whatif
from tco.scenario import edit
from tests.app.test_app import expected, open_app, screen

SCENARIO = "slm-vs-llm"


def test_the_cloud_rate_lever_sets_the_rent_the_engine_charges() -> None:
    loaded = load_scenario(SCENARIO)
    m = whatif.money_controls(loaded, "llm-8b-h100-cloud")
    assert m.cloud_rate == pytest.approx(2.5) and m.cloud_quote is None  # the gpu-cloud tier's H100 price
    at = open_app(SCENARIO)
    box = at.number_input(key=whatif.option_key("llm-8b-h100-cloud", "cloud_rate"))
    assert box.value is None
    box.set_value(5.0).run()
    assert not at.exception, at.exception
    edited = loaded.with_changes(edit.set_option_cloud_price(loaded.raw, "llm-8b-h100-cloud", 5.0, "USD"))
    assert at.session_state["whatif_raw"] == edited.raw
    assert edited.raw["options"][1]["cloud_price"] == "5 USD/h"
    assert screen(at) == expected(edited)
    before = evaluate(loaded).per_period.query("option == 'llm-8b-h100-cloud'")
    after = evaluate(edited).per_period.query("option == 'llm-8b-h100-cloud'")
    assert after["cloud_cost"].sum() == pytest.approx(2 * before["cloud_cost"].sum())  # twice the rate
    at.number_input(key=whatif.option_key("llm-8b-h100-cloud", "cloud_rate")).set_value(None).run()
    assert at.session_state["whatif_raw"] == loaded.raw


def test_the_api_price_levers_set_the_price_per_million_tokens() -> None:
    loaded = load_scenario(SCENARIO)
    m = whatif.money_controls(loaded, "api-70b")
    assert (m.api_offer_in, m.api_offer_out, m.api_currency) == (
        pytest.approx(0.88),
        pytest.approx(0.88),
        "USD",
    )
    at = open_app(SCENARIO)
    at.number_input(key=whatif.option_key("api-70b", "api_input")).set_value(0.44).run()
    at.number_input(key=whatif.option_key("api-70b", "api_output")).set_value(1.76).run()
    assert not at.exception, at.exception
    edited = loaded.with_changes(edit.set_option_api_price(loaded.raw, "api-70b", 0.44, 1.76, "USD"))
    assert edited.raw["options"][3]["api_price"] == {"input": "0.44 USD/Mtoken", "output": "1.76 USD/Mtoken"}
    assert at.session_state["whatif_raw"] == edited.raw
    assert screen(at) == expected(edited)

    def per_query(p_in: float, p_out: float) -> float:
        raw = edit.set_option_api_price(loaded.raw, "api-70b", p_in, p_out, "USD")
        return float(evaluate(loaded.with_changes(raw)).resolved.options[3].api_cost_per_query)

    t_in, t_out = per_query(1e6, 0.0), per_query(0.0, 1e6)  # 1 USD a token: the tokens of a query
    assert (t_in, t_out) == (pytest.approx(loaded.spec.workload.tokens_in), pytest.approx(50))
    want = (t_in * 0.44 + t_out * 1.76) / 1e6  # tokens x price per token, by hand
    assert float(evaluate(edited).resolved.options[3].api_cost_per_query) == pytest.approx(want)
    assert float(evaluate(loaded).resolved.options[3].api_cost_per_query) == pytest.approx(
        (t_in + t_out) * 0.88 / 1e6
    )


def test_the_cloud_market_lever_rents_in_that_market_at_its_sourced_price() -> None:
    loaded = load_scenario(SCENARIO)
    m = whatif.money_controls(loaded, "llm-8b-h100-cloud")
    assert (m.cloud_market, m.cloud_markets) == ("gpu-cloud", ("gpu-cloud", "hyperscaler", "owner"))
    at = open_app(SCENARIO)
    at.selectbox(key=whatif.option_key("llm-8b-h100-cloud", "cloud_market")).set_value("hyperscaler").run()
    assert not at.exception, at.exception
    edited = loaded.with_changes(edit.set_option_cloud_tier(loaded.raw, "llm-8b-h100-cloud", "hyperscaler"))
    assert at.session_state["whatif_raw"] == edited.raw
    assert edited.raw["options"][1]["cloud_tier"] == "hyperscaler"
    assert screen(at) == expected(edited)
    prices = dict(loaded.repo.hardware["h100-sxm"].prices.items())
    before = evaluate(loaded).per_period.query("option == 'llm-8b-h100-cloud'")["cloud_cost"].sum()
    after = evaluate(edited).per_period.query("option == 'llm-8b-h100-cloud'")["cloud_cost"].sum()
    ratio = prices["hyperscaler"].price.value / prices["gpu-cloud"].price.value  # 4.25 / 2.5 USD/h
    assert after == pytest.approx(before * ratio)


def test_only_priced_markets_and_pricings_are_offered() -> None:
    """A T4 is rented only from hyperscalers and has no committed price: no market to pick, no `committed`;
    an A100 has no owner price and no committed tier in either market."""
    m = whatif.money_controls(load_scenario(SCENARIO), "slm-distilbert-t4")
    assert m.cloud_markets == ("hyperscaler",) and m.pricings == ("on-demand", "spot")
    m = whatif.money_controls(load_scenario("procurement"), "l8b-llama-3.1-8b-a100-cloud")
    assert m.cloud_markets == ("gpu-cloud", "hyperscaler") and "committed" not in m.pricings
    at = open_app(SCENARIO)
    keys = {w.key for w in at.selectbox}
    assert whatif.option_key("slm-distilbert-t4", "cloud_market") not in keys  # one market: nothing to pick
    assert at.selectbox(key=whatif.option_key("slm-distilbert-t4", "pricing")).options == [
        "on-demand",
        "spot",
    ]
