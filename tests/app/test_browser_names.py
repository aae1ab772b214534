"""Option names in a real browser: moving DistilBERT to India renames it on the page (its option card, the
plan sentence, the cards of each option alone) to the name the engine builds from its current region."""

from __future__ import annotations

import pytest

from tco.api import compute_view, load_scenario
from tco.scenario import edit
from tests.app.test_browser import (  # noqa: F401  (server is a fixture)
    WIDTHS,
    _choose,
    _css_key,
    _idle,
    _open,
    _playwright,
    _until,
    server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OPTION = "slm-distilbert-t4"


@pytest.mark.parametrize("width", WIDTHS)
def test_moving_an_option_to_india_renames_it_on_the_page(server: str, width: int) -> None:  # noqa: F811
    loaded = load_scenario()
    moved = compute_view(loaded.with_changes(edit.set_option_region(loaded.raw, OPTION, "in")))
    name = str(moved.results.summary.loc[OPTION, "name"])
    assert name == "Fine-tuned DistilBERT, T4 cloud, India"
    assert moved.plans is not None and moved.plans.names[OPTION] == name
    sync_api = _playwright()
    p, (browser, page) = _open(sync_api, server, width)
    try:
        page.locator("[data-testid='stExpander'] summary", has_text="prices and financing").click()  # type: ignore[attr-defined]
        key = f"w:opt:{OPTION}:region"
        box = page.locator(f".{_css_key(key)} input").first  # type: ignore[attr-defined]
        for _ in range(3):  # under load the list may not have filtered yet when Enter comes: pick again
            _choose(page, key, "India (in)")
            _idle(page)
            if box.input_value() == "India (in)":
                break
        assert box.input_value() == "India (in)"

        def text() -> str:
            body: str = page.locator("[data-testid='stMainBlockContainer']").inner_text()  # type: ignore[attr-defined]
            return " ".join(body.split())

        assert _until(page, lambda: name in text(), True), text()
        body = text()
        assert "T4 cloud, France" not in body
        assert f"sentiment on {name}" in body  # the plan sentence still routes sentiment to it
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
