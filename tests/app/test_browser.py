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

import pytest

from tco.api import evaluate, load_scenario
from tco.presentation import whatif

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


def test_headline_changes_with_queries_per_day(server: str) -> None:
    sync_api = _playwright()
    loaded = load_scenario()
    first = str(evaluate(loaded).summary["option"].iloc[0])
    before = whatif.headlines(evaluate(loaded), first)[0].value
    edited = loaded.with_changes(whatif.set_queries_per_day(loaded.raw, NEW_QUERIES_PER_DAY))
    after = whatif.headlines(evaluate(edited), first)[0].value
    assert before != after

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:  # type: ignore[attr-defined]
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(server, wait_until="domcontentloaded")
            tco = page.locator(f".st-key-headline-{first} [data-testid='stMetricValue']").first
            tco.wait_for(timeout=45_000)
            assert tco.inner_text().strip() == before

            box = page.get_by_label("Queries per day")
            box.fill(str(NEW_QUERIES_PER_DAY))
            box.press("Enter")
            page.wait_for_function(
                "([sel, want]) => { const e = document.querySelector(sel); return e && e.innerText.trim() === want; }",
                arg=[f".st-key-headline-{first} [data-testid='stMetricValue']", after],
                timeout=30_000,
            )
            assert tco.inner_text().strip() == after

            page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
            page.set_viewport_size({"width": 1440, "height": 1700})  # Streamlit scrolls inside the page
            page.wait_for_timeout(1000)  # let Vega finish drawing
            shot = artifacts / "app.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("SLM_TCO_UPDATE_SCREENSHOT"):  # refresh the README's picture on purpose only
        docs = ROOT / "docs"
        docs.mkdir(exist_ok=True)
        shutil.copyfile(shot, docs / "screenshot.png")
