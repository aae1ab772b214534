"""The compare view in a real browser (Chromium, 1440 and 1024 px): pin the what-if, move a lever, open the
Compare view, and every cell of its results table is the one `tco.analysis.diff` gives for the same two
scenarios (worded by `tco.presentation.diff`), with the moved rows highlighted."""

from __future__ import annotations

import os
import shutil

import pytest

from tco.api import compute_view, diff_views, load_scenario
from tco.presentation import diff as diff_view
from tco.presentation import whatif
from tco.scenario import edit
from tests.app.test_browser import (  # noqa: F401  (server is a fixture)
    ROOT,
    VIEW_BOX_JS,
    WIDTHS,
    _idle,
    _open,
    _playwright,
    _until,
    server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLE_JS = """(sel) => Array.from(document.querySelectorAll(sel + ' tbody tr')).map(
  tr => Array.from(tr.querySelectorAll('td, th')).map(td => td.textContent.trim()))"""
HIGHLIGHT_JS = """(sel) => Array.from(document.querySelectorAll(sel + ' tbody tr')).map(
  tr => getComputedStyle(tr.querySelector('td')).backgroundColor)"""


def _click_until(page: object, click: object, shown: object, tries: int = 3) -> None:
    """`click()`, then wait for `shown` (a locator) to be visible; click again if it is not within 40 s (on a
    loaded machine a click that lands while a rerun finishes can be dropped)."""
    for attempt in range(tries):
        click()  # type: ignore[operator]
        try:
            shown.wait_for(timeout=40_000)  # type: ignore[attr-defined]
            return
        except Exception:
            if attempt == tries - 1:
                raise
            _idle(page)


def _rows(page: object, key: str) -> list[list[str]]:
    rows: list[list[str]] = page.evaluate(TABLE_JS, f".st-key-{key}")  # type: ignore[attr-defined]
    return rows


@pytest.mark.parametrize("width", WIDTHS)
def test_pin_move_a_lever_and_compare_shows_the_engines_differences(server: str, width: int) -> None:  # noqa: F811
    sync_api = _playwright()
    loaded = load_scenario()  # the task portfolio: option rows and the plan's headline
    rate = whatif.scenario_controls(loaded).discount_rate_pct + 0.5
    edited = loaded.with_changes(edit.set_discount_rate(loaded.raw, rate))
    d = diff_views(compute_view(loaded), compute_view(edited))
    want_inputs = [list(r) for r in diff_view.inputs_frame(d).itertuples(index=False)]
    frame = diff_view.results_frame(d)
    want = [list(r)[:-1] for r in frame.itertuples(index=False)]
    assert frame["Changed"].any() and not frame["Changed"].all()
    p, (browser, page) = _open(sync_api, server, width)
    try:
        # each step waits for what it caused, and clicks again if a rerun under way swallowed the click
        pin = page.get_by_role("button", name="Pin this what-if as A")  # type: ignore[attr-defined]
        _click_until(page, pin.click, page.get_by_role("button", name="Unpin A"))  # type: ignore[attr-defined]
        _idle(page)
        thumb = page.locator("input[type=range][aria-label='Discount rate (%/year)']").first  # type: ignore[attr-defined]
        before = float(thumb.input_value())
        thumb.focus()
        thumb.press("ArrowRight")
        assert _until(page, lambda: float(thumb.input_value()), before + 0.5) == before + 0.5
        _idle(page)
        compare = page.locator(".st-key-view_plan button", has_text="Compare")  # type: ignore[attr-defined]
        _click_until(page, compare.click, page.locator(".st-key-compare-results table").first)  # type: ignore[attr-defined]
        _idle(page)
        assert _until(page, lambda: _rows(page, "compare-inputs"), want_inputs) == want_inputs
        assert _until(page, lambda: _rows(page, "compare-results"), want) == want
        colours = page.evaluate(HIGHLIGHT_JS, ".st-key-compare-results")  # type: ignore[attr-defined]
        moved = {c for c, changed in zip(colours, frame["Changed"], strict=True) if changed}
        still = {c for c, changed in zip(colours, frame["Changed"], strict=True) if not changed}
        assert moved == {"rgb(255, 248, 197)"} and moved.isdisjoint(still)
        text = page.locator("[data-testid='stMainBlockContainer']").inner_text()  # type: ignore[attr-defined]
        assert diff_view.headline(d) in " ".join(text.split())
        shot = ROOT / "test-artifacts" / f"compare-{width}.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
        left, top, right, bottom = page.evaluate(VIEW_BOX_JS, ".st-key-view_plan")  # type: ignore[attr-defined]
        clip = {"x": left - 8, "y": top - 8, "width": right - left + 16, "height": bottom - top + 16}
        view_shot = ROOT / "test-artifacts" / f"view-compare-{width}.png"
        page.screenshot(path=str(view_shot), clip=clip)  # type: ignore[attr-defined]
        if width == WIDTHS[0] and os.environ.get("SLM_TCO_UPDATE_SCREENSHOT"):
            shutil.copyfile(view_shot, ROOT / "docs" / "view-compare.png")
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
