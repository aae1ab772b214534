"""End to end in a real browser: `streamlit run app.py` driven by headless Chromium through Playwright.

Reads a headline number, changes the queries per day, waits for the number the engine gives for the
edited scenario, and saves a screenshot (test-artifacts/app.png, copied to docs/screenshot.png for the
README). Uses Debian's /usr/bin/chromium; skipped without it unless CI is set.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tco.api import evaluate, load_scenario
from tco.scenario import edit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEW_QUERIES_PER_DAY = 5_000_000
SINGLE_TASK = "slm-vs-llm"  # the single-task scenario (the default before the portfolio) for the option views

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure)")
    pytest.skip(reason)


def _playwright() -> object:
    """Import Playwright, installing the Python package if it is missing (the browser is Debian's)."""
    try:
        return importlib.import_module("playwright.sync_api")
    except ImportError:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "playwright>=1.45"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            _unavailable(f"playwright is not installed and pip could not install it: {proc.stderr[-300:]}")
        return importlib.import_module("playwright.sync_api")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer {url}/_stcore/health within {timeout_s:.0f} s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install Debian's `chromium` package to run the browser test")
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        if proc.returncode not in (0, -15, None):
            print((tmp_path / "streamlit.log").read_text(errors="replace")[-3000:])


PLAN_ALERT = "[data-testid='stAlertContentSuccess'] [data-testid='stMarkdownContainer']"
PLAN_CARDS = ".st-key-plan-headline [data-testid='stMetricValue']"
NEW_FLOOR = 0.17  # summarisation's floor in ROUGE-L: above the 1B's 0.168, so the plan moves it
NEW_SENTIMENT_SHARE = 45  # % of the queries (was 50 %): what-if by the slider's arrow keys


def _pick(page: object, scenario: str) -> None:
    """Choose a shipped scenario in the sidebar, typed as a person would."""
    page.locator(".st-key-scenario_choice").click()  # type: ignore[attr-defined]
    page.keyboard.type(scenario)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]


def _shown(text: str) -> str:
    """`text` as Streamlit's markdown shows it: a cascade's "->" as an arrow."""
    return text.replace(" -> ", " → ")


def _wait_text(page: object, selector: str, want: str, timeout: float = 30_000) -> None:
    want = _shown(want)
    page.wait_for_function(  # type: ignore[attr-defined]
        "([sel, want]) => { const e = document.querySelector(sel); return e && e.innerText.trim() === want; }",
        arg=[selector, want],
        timeout=timeout,
    )


def _top(page: object, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()  # type: ignore[attr-defined]
    assert box is not None, f"{selector} is not on the page"
    return float(box["y"])


def test_first_screen_is_the_plan_and_its_what_ifs_change_it(server: str) -> None:
    """The default scenario (the task portfolio) opens on the plan sentence and its saving, the plan's cards
    and the per-task table, in that order; queries per day, a quality floor and a task's share change the plan
    to what `plan_portfolio` gives for the same edits. The first screen is the README's picture."""
    from tco.api import plan_portfolio
    from tco.presentation.plan import plan_headlines, plan_sentence

    sync_api = _playwright()
    loaded = load_scenario()
    assert Path(loaded.file).name == "portfolio.yaml"
    first = plan_portfolio(loaded)
    more = loaded.with_changes(edit.set_queries_per_day(loaded.raw, NEW_QUERIES_PER_DAY))
    floor = more.with_changes(edit.set_task_quality_floor(more.raw, "summarisation", NEW_FLOOR))
    share = floor.with_changes(edit.set_task_shares(floor.raw, {"sentiment": NEW_SENTIMENT_SHARE}))
    sentences = [plan_sentence(plan_portfolio(x)) for x in (more, floor, share)]
    assert len({plan_sentence(first), *sentences}) == 4  # each what-if changes the plan

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:  # type: ignore[attr-defined]
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(server, wait_until="domcontentloaded")
            alert = page.locator(PLAN_ALERT).first
            alert.wait_for(timeout=45_000)
            assert alert.inner_text().strip() == _shown(plan_sentence(first))
            assert alert.inner_text().startswith("The optimised plan saves ")
            page.locator("[data-testid='stTable']").first.wait_for(timeout=30_000)
            cards = [c.inner_text().strip() for c in page.locator(PLAN_CARDS).all()]
            assert cards == [h.value for h in plan_headlines(first)]
            # the plan first, then its cards, then the per-task table; each option alone folded below the cards
            plan_y, cards_y = _top(page, PLAN_ALERT), _top(page, PLAN_CARDS)
            assert plan_y < cards_y < _top(page, ".st-key-alone") < _top(page, "[data-testid='stTable']")
            assert not page.locator("[class*='st-key-headline-']").first.is_visible()
            page.wait_for_timeout(1000)
            shot = artifacts / "app.png"
            page.set_viewport_size({"width": 1440, "height": 1250})
            page.wait_for_timeout(800)
            page.screenshot(path=str(shot), full_page=True)

            box = page.get_by_label("Queries per day")
            box.fill(str(NEW_QUERIES_PER_DAY))
            box.press("Enter")
            _wait_text(page, PLAN_ALERT, sentences[0])
            floor_box = page.get_by_role("spinbutton", name="summarisation: quality floor (its own metric)")
            floor_box.fill(f"{NEW_FLOOR:.3f}")
            floor_box.press("Enter")
            _wait_text(page, PLAN_ALERT, sentences[1])
            thumb = page.locator("input[type=range][aria-label='sentiment: share of queries (%)']").first
            thumb.focus()
            for _ in range(50 - NEW_SENTIMENT_SHARE):  # step 1 %
                thumb.press("ArrowLeft")
            _wait_text(page, PLAN_ALERT, sentences[2])
            want = [h.value for h in plan_headlines(plan_portfolio(share))]
            _wait_text(page, PLAN_CARDS, want[0])  # the cards come a moment after the sentence in a rerun
            page.wait_for_function(  # and no rerun still under way
                "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000
            )
            assert [c.inner_text().strip() for c in page.locator(PLAN_CARDS).all()] == want
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("SLM_TCO_UPDATE_SCREENSHOT"):  # refresh the README's picture on purpose only
        docs = ROOT / "docs"
        docs.mkdir(exist_ok=True)
        shutil.copyfile(shot, docs / "screenshot.png")


# --------------------------------------------------------------------------- layout: text and tables

VIEWS = [
    "Cost over time",
    "Yearly cost",
    "Emissions",
    "Quality trade-off",
    "Load curve",
    "Hours",
    "Regions",
    "Assumptions",
    "Table",
]
WIDTHS = [1440, 1024]
# Every visible text element (and legend symbol) of every SVG chart under `root`: {chart, text, box}; the checks
# below run in Python so that a failure names the texts. Hidden texts (Vega's label-overlap removal sets
# opacity 0) do not count.
TEXTS_JS = """(root) => {
  const out = [];
  const charts = Array.from(document.querySelectorAll(root));
  charts.forEach((chart, ci) => {
    const svg = chart.tagName.toLowerCase() === 'svg' ? chart : chart.querySelector('svg');
    if (!svg) return;
    const frame = chart.getBoundingClientRect();
    const pane = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text, .role-legend-symbol path')) {
      const text = t.tagName.toLowerCase() === 'text' ? (t.textContent || '').trim() : '(legend symbol)';
      if (!text) continue;
      let hidden = false;
      for (let e = t; e && e !== svg; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0
            || e.getAttribute('opacity') === '0') { hidden = true; break; }
      }
      if (hidden) continue;
      const r = t.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      out.push({chart: ci, text, box: [r.left, r.top, r.right, r.bottom],
                frame: [Math.max(frame.left, pane.left), Math.max(frame.top, pane.top),
                        Math.min(frame.right, pane.right), Math.min(frame.bottom, pane.bottom)]});
    }
  });
  return out;
}"""
HEADERS_JS = """() => Array.from(document.querySelectorAll(
  "[data-testid='stDataFrame'] [role=columnheader], [data-testid='stDataFrame'] [role=rowheader], " +
  "[data-testid='stTable'] th"
)).map(e => (e.innerText || e.textContent || '').trim()).filter(x => x)"""
# The view area (from the view switch to the last chart or table), for the README's pictures.
VIEW_BOX_JS = """(sel) => {
  const v = document.querySelector(sel).getBoundingClientRect();
  let [l, t, r, b] = [v.left, v.top, v.right, v.bottom];
  for (const e of document.querySelectorAll(
      "[data-testid='stVegaLiteChart'], [data-testid='stDataFrame'], [data-testid='stTable']")) {
    const q = e.getBoundingClientRect();
    r = Math.max(r, q.right); b = Math.max(b, q.bottom);
  }
  return [l, t, r, b];
}"""
OVERLAP_PX = 1.0  # texts may touch; more than this in both directions is an overlap
# A text's box is its font's line box, a few px taller and wider than its glyphs: sticking out of the chart
# by less than this is Vega's own 5 px padding at work, not a cut.
CUT_PX = 4.0


def text_problems(texts: list[dict[str, object]]) -> list[str]:
    """Texts that overlap another text of the same chart, or that stick out of their chart (cut off)."""
    problems = []
    for t in texts:
        left, top, right, bottom = t["box"]  # type: ignore[misc]
        fl, ft, fr, fb = t["frame"]  # type: ignore[misc]
        if left < fl - CUT_PX or right > fr + CUT_PX or top < ft - CUT_PX or bottom > fb + CUT_PX:
            problems.append(f"cut off: {t['text']!r}")
        if "…" in str(t["text"]):
            problems.append(f"truncated: {t['text']!r}")
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if a["chart"] != b["chart"]:
                continue
            ax0, ay0, ax1, ay1 = a["box"]  # type: ignore[misc]
            bx0, by0, bx1, by1 = b["box"]  # type: ignore[misc]
            w = min(ax1, bx1) - max(ax0, bx0)
            h = min(ay1, by1) - max(ay0, by0)
            if w > OVERLAP_PX and h > OVERLAP_PX:
                problems.append(f"overlap: {a['text']!r} / {b['text']!r}")
    return problems


def test_text_problems_catches_overlap_and_cut_text() -> None:
    """The checker itself fails on what it should (so the browser tests below can fail)."""
    frame = [0, 0, 100, 100]
    ok = [{"chart": 0, "text": "a", "box": [0, 0, 10, 10], "frame": frame}]
    assert text_problems([*ok, {"chart": 0, "text": "b", "box": [10, 0, 20, 10], "frame": frame}]) == []
    assert text_problems([*ok, {"chart": 0, "text": "b", "box": [5, 5, 20, 20], "frame": frame}]) == [
        "overlap: 'a' / 'b'"
    ]
    assert text_problems([{"chart": 0, "text": "long", "box": [90, 0, 130, 10], "frame": frame}]) == [
        "cut off: 'long'"
    ]
    assert text_problems([{"chart": 0, "text": "Fine-tun…", "box": [0, 0, 9, 9], "frame": frame}]) == [
        "truncated: 'Fine-tun…'"
    ]


def _open(sync_api: object, server: str, width: int, scenario: str | None = None) -> tuple[object, object]:
    """The app in a new browser, on the default scenario or on `scenario` (picked in the sidebar)."""
    p = sync_api.sync_playwright().start()  # type: ignore[attr-defined]
    browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    # tall enough for a whole view: Streamlit scrolls inside its own container, not the page
    page = browser.new_page(viewport={"width": width, "height": 2200})
    page.goto(server, wait_until="domcontentloaded")
    page.locator("[data-testid='stMetricValue']").first.wait_for(timeout=45_000)
    if scenario is not None:
        _pick(page, scenario)
        page.locator(".st-key-view").first.wait_for(timeout=45_000)
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=45_000)
    return p, (browser, page)


def _show(page: object, view: str) -> None:
    page.locator(".st-key-view button", has_text=view).click()  # type: ignore[attr-defined]
    wanted = {
        "Assumptions": ["stDataFrame"],
        "Table": ["stDataFrame"],
        "Regions": ["stVegaLiteChart", "stDataFrame"],
    }
    for want in wanted.get(view, ["stVegaLiteChart"]):
        page.locator(f"[data-testid='{want}']").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000
    )
    page.wait_for_timeout(1200)  # type: ignore[attr-defined]  # Vega draws after the element appears


@pytest.mark.parametrize("width", WIDTHS)
def test_every_view_has_no_overlapping_or_cut_text_and_no_raw_field_names(server: str, width: int) -> None:
    from tco.presentation.labels import is_raw_name

    sync_api = _playwright()
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    p, (browser, page) = _open(sync_api, server, width, SINGLE_TASK)  # the views of each option
    problems: dict[str, list[str]] = {}
    try:
        for view in VIEWS:
            _show(page, view)
            found = text_problems(page.evaluate(TEXTS_JS, "[data-testid='stVegaLiteChart']"))  # type: ignore[attr-defined]
            heads = page.evaluate(HEADERS_JS)  # type: ignore[attr-defined]
            found += [f"raw field name in a table: {h!r}" for h in heads if is_raw_name(h)]
            if view in ("Assumptions", "Table", "Regions"):
                assert heads, f"{view}: no table headers found"
            if view == "Yearly cost":  # the bars drawn are the engine's cost lines (their ARIA labels)
                from tests.presentation.test_chart_data import check_yearly, yearly_bars

                svg = page.locator("[data-testid='stVegaLiteChart'] svg").first.inner_html()  # type: ignore[attr-defined]
                check_yearly(yearly_bars(svg), evaluate(load_scenario(SINGLE_TASK)), tolerance=0.5)
            if found:
                problems[view] = found
            slug = view.lower().replace(" ", "-")
            page.screenshot(path=str(artifacts / f"page-{slug}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
            left, top, right, bottom = page.evaluate(VIEW_BOX_JS, ".st-key-view")  # type: ignore[attr-defined]
            clip = {"x": left - 8, "y": top - 8, "width": right - left + 16, "height": bottom - top + 16}
            page.screenshot(path=str(artifacts / f"view-{slug}-{width}.png"), clip=clip)  # type: ignore[attr-defined]
        page.goto(f"{server}/profiles", wait_until="domcontentloaded")  # type: ignore[attr-defined]
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)  # type: ignore[attr-defined]
        page.wait_for_timeout(1000)  # type: ignore[attr-defined]
        heads = page.evaluate(HEADERS_JS)  # type: ignore[attr-defined]
        raw = [f"raw field name in a table: {h!r}" for h in heads if is_raw_name(h)]
        if raw:
            problems["Profiles"] = raw
        page.screenshot(path=str(artifacts / f"view-profiles-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
    assert not problems, "\n".join(f"{view}: {x}" for view, xs in problems.items() for x in xs)
    if width == WIDTHS[0] and os.environ.get("SLM_TCO_UPDATE_SCREENSHOT"):
        docs = ROOT / "docs"
        for shot in artifacts.glob(f"view-*-{width}.png"):
            shutil.copyfile(shot, docs / shot.name.replace(f"-{width}", ""))


@pytest.mark.parametrize("width", WIDTHS)
def test_html_report_charts_have_no_overlapping_or_cut_text(tmp_path: Path, width: int) -> None:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install Debian's `chromium` package to run the browser test")
    from tco.api import compute_view
    from tco.presentation import reports
    from tco.presentation.charts import report_charts

    view = compute_view(load_scenario(SINGLE_TASK), analysis={}, charts=True)
    path = reports.write(view, "html", tmp_path / "report.html")
    sync_api = _playwright()
    with sync_api.sync_playwright() as p:  # type: ignore[attr-defined]
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1100})
            page.goto(path.as_uri(), wait_until="load")
            texts = page.evaluate(TEXTS_JS, "figure svg")
            assert len({t["chart"] for t in texts}) == len(report_charts(view))
            problems = text_problems(texts)
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def test_plan_view_shows_who_serves_each_task_per_query_and_per_correct_answer(server: str) -> None:
    """The default scenario's Plan view: per task who serves it, quality against its floor, cost and gCO2e per
    query and per correct answer, with headers in words and units, and the bill of materials of the engine's
    plan; picture for the README."""
    from tco.api import plan_portfolio
    from tco.presentation.labels import is_raw_name

    sync_api = _playwright()
    plans = plan_portfolio(load_scenario())
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    p, (browser, page) = _open(sync_api, server, WIDTHS[0])
    try:
        page.locator(".st-key-view_plan button", has_text="Plan").first.wait_for(timeout=30_000)  # type: ignore[attr-defined]
        page.locator("[data-testid='stTable']").first.wait_for(timeout=30_000)  # type: ignore[attr-defined]
        page.wait_for_timeout(1500)  # type: ignore[attr-defined]
        heads = page.evaluate(HEADERS_JS)  # type: ignore[attr-defined]
        # tasks as columns, measures as rows: who serves what, per query and per correct answer, in view
        tasks = [t.task for t in plans.optimised.tasks]
        assert heads[:4] == tasks, heads
        assert not [h for h in heads if is_raw_name(h)], heads
        # every cell in full: the serving options' names and the measures' labels are not cut
        cells = page.evaluate(  # type: ignore[attr-defined]
            "() => Array.from(document.querySelectorAll(\"[data-testid='stTable'] td, "
            "[data-testid='stTable'] th\")).map(e => e.scrollWidth <= e.clientWidth + 1 ? '' : e.innerText)"
        )
        assert not [c for c in cells if c], cells
        table_text = " ".join(page.locator("[data-testid='stTable']").first.inner_text().split())  # type: ignore[attr-defined]
        for t in plans.optimised.tasks:
            assert _shown(plans.names[t.route]) in _shown(table_text), table_text
        assert "Cost per 1,000 correct answers (USD/1k correct answers)" in table_text, table_text
        for t in plans.optimised.tasks:  # one card per task, in words with units
            card = " ".join(page.locator(f".st-key-task-{t.task}").first.inner_text().split())  # type: ignore[attr-defined]
            assert _shown(plans.names[t.route]) in _shown(card), card
            assert "USD per 1,000 queries" in card and "USD per 1,000 correct answers" in card, card
            assert "gCO2e per query" in card and "gCO2e per correct answer" in card, card
        # the bill of materials under the plans compared: the engine's fleets, GPUs, servers and kW, in full
        bom = page.locator("[data-testid='stTable']", has_text="Bought or rented").first  # type: ignore[attr-defined]
        rows = [
            [" ".join(c.split()) for c in r]
            for r in bom.evaluate(
                "t => Array.from(t.querySelectorAll('tbody tr')).map(r => "
                "Array.from(r.querySelectorAll('td')).map(c => c.innerText))"
            )
        ]
        assert [r[2] for r in rows] == [plans.names[b.deployment] for b in plans.bill_of_materials], rows
        assert [(r[0], r[1], r[3]) for r in rows] == [
            (b.gpu, b.region, b.pay) for b in plans.bill_of_materials
        ]
        assert [(int(r[5]), int(r[6])) for r in rows] == [
            (b.gpus, b.servers) for b in plans.bill_of_materials
        ]
        assert [float(r[7]) for r in rows] == pytest.approx(
            [b.kw_provisioned for b in plans.bill_of_materials], rel=5e-4
        )
        bom.screenshot(path=str(artifacts / "plan-bom.png"))
        page.screenshot(path=str(artifacts / "page-plan.png"), full_page=True)  # type: ignore[attr-defined]
        left, top, right, bottom = page.evaluate(VIEW_BOX_JS, ".st-key-view_plan")  # type: ignore[attr-defined]
        clip = {"x": left - 8, "y": top - 8, "width": right - left + 16, "height": bottom - top + 16}
        page.screenshot(path=str(artifacts / "view-plan.png"), clip=clip)  # type: ignore[attr-defined]
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
    if os.environ.get("SLM_TCO_UPDATE_SCREENSHOT"):
        shutil.copyfile(artifacts / "view-plan.png", ROOT / "docs" / "view-plan.png")


# --------------------------------------------------------------------------- one source of truth for the what-if

# Every what-if widget on the page, by its key's CSS class: {class: {kind, value}}. A slider's value is its
# range input's, a number box's its text, a switch's whether it is on, a selectbox's the text its box shows.
WIDGETS_JS = """() => {
  const out = {};
  for (const e of document.querySelectorAll("[class*='st-key-w-']")) {
    const cls = Array.from(e.classList).find(c => c.startsWith('st-key-w-'));
    const range = e.querySelector('input[type=range]');
    const number = e.querySelector('input[type=number]');
    const check = e.querySelector('input[type=checkbox]');
    if (range) out[cls] = {kind: 'slider', value: range.value};
    else if (number) out[cls] = {kind: 'number', value: number.value};
    else if (check) out[cls] = {kind: 'switch', value: check.checked};
    else { const t = e.querySelector('input[role=combobox]'); out[cls] = {kind: 'select', value: t ? t.value : null}; }
  }
  return out;
}"""
# number boxes show their value in the widget's format (app.py)
NUMBER_FORMATS = {
    "qpd": "%.0f",
    "grid": "%.0f",
    "price": "%.4f",
    "floor": "%.3f",
    "fleet": "%d",
    "quote_pct": "%.1f",
    "lifetime": "%.0f",
    "financing_rate": "%.2f",
    "financing_term": "%.0f",
    "cloud_rate": "%.4f",  # empty: the tier's price
    "api_input": "%.4f",  # empty: the offering's price
    "api_output": "%.4f",
}
STATE_SCENARIOS = ("procurement", "financing", "portfolio")  # different queries/day, horizon, options, tasks


def _css_key(key: str) -> str:
    import re

    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)


def _expected_widgets(loaded: object) -> dict[str, object]:
    """What the browser must show in every what-if widget for `loaded` (tco.presentation.whatif.widget_state,
    selectboxes as their words)."""
    from tco.presentation import whatif

    repo = loaded.repo  # type: ignore[attr-defined]
    out: dict[str, object] = {}
    for key, value in whatif.widget_state(loaded).items():  # type: ignore[arg-type]
        field = key.rsplit(":", 1)[-1] if key.startswith("w:opt:") else key[2:].split(":")[0]
        if field in ("growth", "horizon", "discount", "carbon", "pue", "escalation", "share", "util", "tax"):
            shown: object = float(value)
        elif field in NUMBER_FORMATS:
            shown = "" if value is None else NUMBER_FORMATS[field] % value
        elif field == "auto":
            shown = bool(value)
        elif field == "hardware":
            shown = repo.hardware[value].name
        elif field == "profile":
            shown = f"{repo.models[value].model.name} ({value})"
        elif field == "region":
            shown = f"{repo.regions[value].name} ({value})"
        elif field == "api":
            shown = repo.apis[value].name
        elif field == "cloud_market":
            from tco.scenario.schema import TIER_LABELS

            shown = TIER_LABELS[value]
        elif field == "objective":
            from tco.presentation.plan import OBJECTIVES

            shown = OBJECTIVES[value][:1].upper() + OBJECTIVES[value][1:]
        else:  # the baseline (an option id), pricing, end value, financing: as written
            shown = value
        out[_css_key(key)] = shown
    return out


def _shown_widgets(page: object) -> dict[str, object]:
    raw = page.evaluate(WIDGETS_JS)  # type: ignore[attr-defined]
    return {k: float(v["value"]) if v["kind"] == "slider" else v["value"] for k, v in raw.items()}


def _idle(page: object) -> None:
    page.wait_for_timeout(400)  # type: ignore[attr-defined]  # a rerun's status shows a moment after the event
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000
    )


def _until(page: object, read: object, want: object, timeout_s: float = 60.0) -> object:
    """`read()` once it equals `want` (or, after `timeout_s`, whatever it is, for the assertion to show)."""
    deadline = time.monotonic() + timeout_s
    got = read()  # type: ignore[operator]
    while got != want and time.monotonic() < deadline:
        page.wait_for_timeout(300)  # type: ignore[attr-defined]
        got = read()  # type: ignore[operator]
    return got


def _numbers(page: object) -> list[str]:
    """The headline figures on the page: the plan's cards for a portfolio, then every option's (folded or not)."""
    values = page.evaluate(  # type: ignore[attr-defined]
        "() => Array.from(document.querySelectorAll(\"[data-testid='stMetricValue']\")).map(e => e.textContent.trim())"
    )
    return list(values)


def _expected_numbers(loaded: object) -> list[str]:
    from tco.api import compute_view
    from tco.presentation import whatif
    from tco.presentation.plan import plan_headlines

    view = compute_view(loaded)  # type: ignore[arg-type]
    res = view.results
    cards = [h.value for o in res.summary["option"] for h in whatif.headlines(res, str(o))]
    if view.plans is None:
        return cards
    return [h.value for h in plan_headlines(view.plans)] + cards  # the per-option cards sit folded below


def _downloaded_yaml(page: object, tmp_path: Path) -> dict[str, object]:
    from tco.scenario.yamlio import parse_yaml_text

    path = tmp_path / "downloaded.yaml"
    for attempt in range(3):  # a rerun that redraws the button cancels a download under way: ask again
        _idle(page)
        try:
            with page.expect_download() as info:  # type: ignore[attr-defined]
                page.locator(".st-key-download_scenario button").first.click()  # type: ignore[attr-defined]
            info.value.save_as(path)
            break
        except Exception:
            if attempt == 2:
                raise
    parsed: dict[str, object] = parse_yaml_text(path.read_bytes(), file=path.name)
    return parsed


def _agrees(page: object, loaded: object, tmp_path: Path, what: str) -> None:
    """Every widget, the headline numbers and the downloaded YAML are those of `loaded`."""
    from tco.scenario.yamlio import parse_yaml_text

    want = _expected_widgets(loaded)
    got = _until(page, lambda: _shown_widgets(page), want)
    assert got == want, f"{what}: widgets differ: " + ", ".join(
        f"{k}: shown {got.get(k)!r}, file {want.get(k)!r}"  # type: ignore[union-attr]
        for k in sorted(set(want) | set(got))  # type: ignore[arg-type]
        if got.get(k) != want.get(k)  # type: ignore[union-attr]
    )
    _idle(page)
    numbers = _expected_numbers(loaded)
    assert _until(page, lambda: _numbers(page), numbers) == numbers, what
    yaml_text = loaded.to_yaml()  # type: ignore[attr-defined]
    assert _downloaded_yaml(page, tmp_path) == parse_yaml_text(yaml_text.encode(), file="want.yaml"), what


@pytest.mark.parametrize("width", WIDTHS)
def test_switching_uploading_and_resetting_set_every_widget_from_the_file(
    server: str, tmp_path: Path, width: int
) -> None:
    """Scenarios with different inputs, an upload and a reset: after each, every what-if widget shows the file's
    value, the numbers are the engine's for it and the downloaded YAML is it; then one touch of one control
    computes the file with that one change (before, a stale value of the previous scenario came back)."""
    from tco.presentation import whatif

    sync_api = _playwright()
    p, (browser, page) = _open(sync_api, server, width)
    try:
        _agrees(page, load_scenario(), tmp_path, "first screen")
        for name in STATE_SCENARIOS:
            loaded = load_scenario(name)
            _pick(page, name)
            _agrees(page, loaded, tmp_path, f"picked {name}")
            # one step of the discount rate: the file with that change only
            thumb = page.locator("input[type=range][aria-label='Discount rate (%/year)']").first  # type: ignore[attr-defined]
            thumb.focus()
            thumb.press("ArrowRight")
            rate = whatif.scenario_controls(loaded).discount_rate_pct + 0.5
            _agrees(
                page,
                loaded.with_changes(edit.set_discount_rate(loaded.raw, rate)),
                tmp_path,
                f"{name} +0.5 %",
            )

        # reset after edits: every widget back to the file's value
        loaded = load_scenario(STATE_SCENARIOS[-1])
        box = page.get_by_label("Queries per day")  # type: ignore[attr-defined]
        box.fill("4000000")
        box.press("Enter")
        _until(page, lambda: _shown_widgets(page)[_css_key("w:qpd")], "4000000")
        _idle(page)
        page.locator(".st-key-reset button").click()  # type: ignore[attr-defined]
        _agrees(page, loaded, tmp_path, "reset")

        # an upload with inputs of its own (financing, 750,000 queries/day over 24 months)
        base = load_scenario("financing")
        mine = base.with_changes(edit.set_horizon(edit.set_queries_per_day(base.raw, 750_000.0), 24))
        path = tmp_path / "mine.yaml"
        path.write_text(mine.to_yaml())
        page.locator(".st-key-scenario_upload input[type=file]").set_input_files(str(path))  # type: ignore[attr-defined]
        _agrees(page, mine, tmp_path, "uploaded")
        thumb = page.locator("input[type=range][aria-label='Carbon price (USD/tCO2e)']").first  # type: ignore[attr-defined]
        thumb.focus()
        thumb.press("ArrowRight")
        carbon = whatif.scenario_controls(mine).carbon_price + 5.0
        _agrees(
            page, mine.with_changes(edit.set_carbon_price(mine.raw, carbon, "USD")), tmp_path, "uploaded +5"
        )
        page.screenshot(path=str(ROOT / "test-artifacts" / f"state-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_objective_control_puts_the_carbon_price_into_the_plan(
    server: str, tmp_path: Path, width: int
) -> None:
    """Plan objective 'cost with carbon', then the carbon price up 100 USD/tCO2e: the plan's cards, the
    objective line and the downloaded YAML are those plan_portfolio gives for the same scenario edits."""
    from tco.api import plan_portfolio
    from tco.presentation.plan import objective_line, plan_headlines

    sync_api = _playwright()
    loaded = load_scenario()
    with_carbon = loaded.with_changes(edit.set_plan_objective(loaded.raw, "cost-with-carbon"))
    priced = with_carbon.with_changes(edit.set_carbon_price(with_carbon.raw, 100.0, "USD"))
    want = [h.value for h in plan_headlines(plan_portfolio(priced))]
    before = [h.value for h in plan_headlines(plan_portfolio(loaded))]
    assert want[0] != before[0]
    p, (browser, page) = _open(sync_api, server, width)
    try:
        _choose(page, "w:objective", "Lowest net present cost with the carbon price")
        shown = _until(
            page,
            lambda: _shown_widgets(page)[_css_key("w:objective")],
            "Lowest net present cost with the carbon price",
        )
        assert shown == "Lowest net present cost with the carbon price"
        _idle(page)
        thumb = page.locator("input[type=range][aria-label='Carbon price (USD/tCO2e)']").first  # type: ignore[attr-defined]
        thumb.focus()
        for _ in range(20):  # 5 USD a step
            thumb.press("ArrowRight")
        _agrees(page, priced, tmp_path, "cost with carbon at 100 USD/tCO2e")
        assert _numbers(page)[:4] == want
        captions = page.locator("[data-testid='stCaptionContainer']").all_inner_texts()  # type: ignore[attr-defined]
        assert objective_line(plan_portfolio(priced)) in [c.strip() for c in captions]
        page.screenshot(path=str(ROOT / "test-artifacts" / f"objective-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]


def _choose(page: object, key: str, text: str) -> None:
    """Pick `text` in the selectbox of session key `key`, typed as a person would."""
    box = page.locator(f".{_css_key(key)} input[role=combobox]").first  # type: ignore[attr-defined]
    box.click()
    box.fill(text)
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    box.press("Enter")


def _type_number(page: object, key: str, value: float) -> None:
    box = page.locator(f".{_css_key(key)} input").first  # type: ignore[attr-defined]
    box.fill(f"{value:g}")
    box.press("Enter")


# lever: (how the page is moved, the same edit of the scenario); each starts from the file (Reset what-ifs)
MONEY_LEVERS: dict[str, tuple[Any, Any]] = {
    "quote -20 %": (
        lambda page: _type_number(page, "w:opt:buy-cash:quote_pct", -20),
        lambda raw: edit.set_option_hardware_price(raw, "buy-cash", 24_000.0, "USD"),
    ),
    "lifetime 24 months": (
        lambda page: _type_number(page, "w:opt:buy-cash:lifetime", 24),
        lambda raw: edit.set_option_lifetime(raw, "buy-cash", 24.0),
    ),
    "book end value": (
        lambda page: _choose(page, "w:opt:buy-cash:end_value", "book"),
        lambda raw: edit.set_option_end_value(raw, "buy-cash", "book"),
    ),
    "lease": (
        lambda page: _choose(page, "w:opt:buy-cash:financing", "lease"),
        lambda raw: edit.set_option_financing(raw, "buy-cash", "lease", 7.0),
    ),
    "loan rate 12 %": (
        lambda page: _type_number(page, "w:opt:buy-loan:financing_rate", 12),
        lambda raw: edit.set_option_financing(raw, "buy-loan", "loan", 12.0, 36.0),
    ),
    "spot": (
        lambda page: _choose(page, "w:opt:cloud-on-demand:pricing", "spot"),
        lambda raw: edit.set_option_pricing(raw, "cloud-on-demand", "spot"),
    ),
    "hyperscaler market": (
        lambda page: _choose(page, "w:opt:cloud-on-demand:cloud_market", "hyperscaler on-demand"),
        lambda raw: edit.set_option_cloud_tier(raw, "cloud-on-demand", "hyperscaler"),
    ),
}


def _lever_then_reset(
    page: object, loaded: Any, change: Any, first: list[str], lever: str, tmp_path: Path
) -> None:
    """After a lever was moved in the page: the cards are the engine's for `change` of the scenario (and
    moved from `first`), the downloaded YAML carries it, and Reset what-ifs brings back the file's numbers."""
    from tco.scenario.yamlio import parse_yaml_text

    edited = loaded.with_changes(change(loaded.raw))
    numbers = _expected_numbers(edited)
    assert numbers != first, lever
    _idle(page)
    assert _until(page, lambda: _numbers(page), numbers) == numbers, lever
    want = parse_yaml_text(edited.to_yaml().encode(), file="want.yaml")
    assert _downloaded_yaml(page, tmp_path) == want, lever
    page.locator(".st-key-reset button").click()  # type: ignore[attr-defined]
    _idle(page)
    assert _until(page, lambda: _numbers(page), first) == first, f"reset after {lever}"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_money_lever_moves_the_numbers_the_engine_gives(
    server: str, tmp_path: Path, width: int
) -> None:
    """On the financing scenario, each money lever in turn (from the file each time): the page's cards are the
    engine's for the same edit of the scenario, they moved, and the downloaded YAML carries the lever."""
    sync_api = _playwright()
    loaded = load_scenario("financing")
    first = _expected_numbers(loaded)
    p, (browser, page) = _open(sync_api, server, width, "financing")
    try:
        page.locator("[data-testid='stExpander'] summary", has_text="prices and financing").click()  # type: ignore[attr-defined]
        _agrees(page, loaded, tmp_path, "financing")
        for lever, (move, change) in MONEY_LEVERS.items():
            move(page)
            _lever_then_reset(page, loaded, change, first, lever, tmp_path)
        page.screenshot(path=str(ROOT / "test-artifacts" / f"money-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    finally:
        browser.close()  # type: ignore[attr-defined]
        p.stop()  # type: ignore[attr-defined]
