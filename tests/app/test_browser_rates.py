"""The cloud rate and the API prices per million tokens in a real browser (Chromium, 1440 and 1024 px): each
typed into its option's card moves the cards to the engine's numbers for the same edit of the scenario, and
the downloaded YAML carries it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tco.api import load_scenario
from tco.scenario import edit
from tests.app.test_browser import (  # noqa: F401  (server is a fixture)
    WIDTHS,
    _expected_numbers,
    _idle,
    _lever_then_reset,
    _open,
    _playwright,
    _type_number,
    server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCENARIO = "slm-vs-llm"

# lever: (keys and values typed, the same edit of the scenario); each from the file (Reset what-ifs)
RATE_LEVERS: dict[str, tuple[list[tuple[str, float]], Any]] = {
    "cloud rate 5 USD/h": (
        [("w:opt:llm-8b-h100-cloud:cloud_rate", 5.0)],
        lambda raw: edit.set_option_cloud_price(raw, "llm-8b-h100-cloud", 5.0, "USD"),
    ),
    "API 0.44 in, 1.76 out per Mtoken": (
        [("w:opt:api-70b:api_input", 0.44), ("w:opt:api-70b:api_output", 1.76)],
        lambda raw: edit.set_option_api_price(raw, "api-70b", 0.44, 1.76, "USD"),
    ),
}


@pytest.mark.parametrize("width", WIDTHS)
def test_cloud_rate_and_api_prices_move_the_numbers_the_engine_gives(
    server: str,  # noqa: F811
    tmp_path: Path,
    width: int,
) -> None:
    sync_api = _playwright()
    loaded = load_scenario(SCENARIO)
    first = _expected_numbers(loaded)
    p, (browser, page) = _open(sync_api, server, width, SCENARIO)
    try:
        page.locator("[data-testid='stExpander'] summary", has_text="prices and financing").click()  # type: ignore[attr-defined]
        for lever, (typed, change) in RATE_LEVERS.items():
            for key, value in typed:
                _type_number(page, key, value)
                _idle(page)
            _lever_then_reset(page, loaded, change, first, lever, tmp_path)
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
