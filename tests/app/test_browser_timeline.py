"""The "Plan over time" view in a real browser (Chromium, 1440 and 1024 px): the yearly table and the yearly cost
chart's bars are the timeline `compute_view` gives; the discount rate slider moves both to the edited scenario's
numbers; no chart text is cut or overlaps. Saves test-artifacts/view-plan-over-time-<width>.png (copied to docs/
with SLM_TCO_UPDATE_SCREENSHOT=1)."""

from __future__ import annotations

import os
import re
import shutil

import pandas as pd
import pytest

from tco.api import LoadedScenario, compute_view, load_scenario
from tco.presentation import plan_timeline as pt
from tco.scenario import edit
from tests.app import test_browser
from tests.app.test_browser import (
    ROOT,
    TEXTS_JS,
    VIEW_BOX_JS,
    WIDTHS,
    _idle,
    _open,
    _playwright,
    _until,
    text_problems,
)

server = test_browser.server  # the fixture: streamlit run app.py on a free port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEW = "Plan over time"
TABLE_JS = """() => {
  const t = document.querySelector("[data-testid='stTable'] table");
  if (!t) return null;
  const heads = Array.from(t.querySelectorAll('thead th')).map(e => e.innerText.trim());
  const rows = Array.from(t.querySelectorAll('tbody tr')).map(
    r => Array.from(r.querySelectorAll('th, td')).map(e => e.innerText.trim()));
  return {heads, rows};
}"""
_BAR = re.compile(
    r"Year: (?P<year>\d+); Cost per year, present value \([A-Z]{3}\): [-\u2212\d,.]+; Component: (?P<component>[^;]+); "
    r"order: \d+; Plan: (?P<plan>[^;]+); Cost \([A-Z]{3}\): (?P<cost>[-\u2212\d,.]+)"
)


def _table(page: object) -> list[list[str]] | None:
    got = page.evaluate(TABLE_JS)  # type: ignore[attr-defined]
    return None if got is None else [got["heads"], *got["rows"]]


def _want(loaded: LoadedScenario) -> tuple[list[list[str]], pd.DataFrame]:
    tl = compute_view(loaded).timeline
    assert tl is not None
    shown = pt.display(tl)
    return [list(shown.columns), *[[str(v) for v in r] for r in shown.values.tolist()]], pt.yearly_cost_frame(
        tl
    )


def _bars(page: object) -> pd.DataFrame:
    svg = page.evaluate(  # type: ignore[attr-defined]
        "() => Array.from(document.querySelectorAll(\"[data-testid='stVegaLiteChart'] svg\")).map(s => s.outerHTML).join('')"
    )
    return pd.DataFrame(
        [
            {
                "plan": m["plan"],
                "year": int(m["year"]),
                "component": m["component"].replace("&amp;", "&"),
                "cost": float(m["cost"].replace(",", "").replace("\u2212", "-")),
            }
            for m in _BAR.finditer(svg)
        ],
        columns=["plan", "year", "component", "cost"],
    )


def _check_bars(page: object, want: pd.DataFrame) -> None:
    bars = _until(page, lambda: len(_bars(page)), len(want))
    assert bars == len(want)
    merged = want.merge(_bars(page), on=["plan", "year", "component"], suffixes=("", "_svg"))
    assert len(merged) == len(want)
    for _, row in merged.iterrows():
        assert row["cost_svg"] == pytest.approx(row["cost"], abs=0.5)  # whole units of money in the label


@pytest.mark.parametrize("width", WIDTHS)
def test_plan_over_time_view_shows_the_timeline_and_follows_the_discount_rate(
    server: str, width: int
) -> None:
    sync_api = _playwright()
    loaded = load_scenario()
    table, bars = _want(loaded)
    edited = loaded.with_changes(edit.set_discount_rate(loaded.raw, 10.0))  # 8 % + 4 steps of 0.5
    table2, bars2 = _want(edited)
    assert table2 != table
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    p, (browser, page) = _open(sync_api, server, width)
    try:
        page.locator(".st-key-view_plan button", has_text=VIEW).first.click()  # type: ignore[attr-defined]
        page.locator("[data-testid='stTable']").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
        _idle(page)
        page.wait_for_timeout(1500)  # type: ignore[attr-defined]  # Vega draws after the element appears
        assert _until(page, lambda: _table(page), table) == table
        _check_bars(page, bars)
        found = text_problems(page.evaluate(TEXTS_JS, "[data-testid='stVegaLiteChart']"))  # type: ignore[attr-defined]
        assert not found, found
        shot = artifacts / f"view-plan-over-time-{width}.png"
        page.set_viewport_size({"width": width, "height": 3600})  # type: ignore[attr-defined]  # the whole view
        page.wait_for_timeout(1000)  # type: ignore[attr-defined]
        left, top, right, bottom = page.evaluate(VIEW_BOX_JS, ".st-key-view_plan")  # type: ignore[attr-defined]
        clip = {"x": left - 8, "y": top - 8, "width": right - left + 16, "height": bottom - top + 16}
        page.screenshot(path=str(shot), clip=clip)  # type: ignore[attr-defined]
        thumb = page.locator("input[type=range][aria-label='Discount rate (%/year)']").first  # type: ignore[attr-defined]
        thumb.focus()
        for _ in range(4):
            thumb.press("ArrowRight")
        _idle(page)
        assert _until(page, lambda: _table(page), table2) == table2
        _check_bars(page, bars2)
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
    if width == WIDTHS[0] and os.environ.get("SLM_TCO_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "docs" / "view-plan-over-time.png")
