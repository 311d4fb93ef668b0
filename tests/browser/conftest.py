"""Fixtures for the browser tests: one `storechat demo` per module (SQLite and
the embedded Redis) and a headless Chromium driven by Playwright.

The browser is the system's Chromium (/usr/bin/chromium, or STORECHAT_CHROMIUM);
nothing is ever downloaded. Without it the tests are skipped, unless STORECHAT_REQUIRE_BROWSER=1
(CI), when its absence is a failure.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.storefront import Tab, make_opener, owned_by, reap
from tests.test_end_to_end import Running, _start_demo, _stop

#: Debian's Chromium; STORECHAT_CHROMIUM points elsewhere (e.g. /usr/bin/chromium-browser).
CHROMIUM = Path(os.environ.get("STORECHAT_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Where npm installs what only the tests use (axe-core); gitignored, kept between runs.
NPM_PREFIX = ARTIFACTS / "npm"


def _unavailable(reason: str) -> None:
    if os.environ.get("STORECHAT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"STORECHAT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("browser-demo")
    running = _start_demo(tmp, {})
    try:
        yield running
    finally:
        owned = owned_by(running, tmp / "instance")
        try:
            _stop(running)
        finally:
            left = reap(owned)
    assert running.proc.returncode == 0, "storechat demo did not stop cleanly"
    assert not left, f"storechat demo left processes behind: {left}"


# ---- the browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (install Debian's chromium package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_tab(browser: Any, demo: Running) -> Iterator[Callable[..., Tab]]:
    """Tabs on the module's demo, each in a browser context of its own; at the end
    every context is closed and no page may have had an uncaught error. (A module
    that needs another kind of tab defines its own ``open_tab``.)"""
    opener, close = make_opener(browser, demo)
    yield opener
    errors = close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS



# ---- axe-core, for the accessibility checks: from the npm registry, never served by the product


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's axe.min.js, installed with npm into test-artifacts/npm once (and reused after).
    Without npm or the registry the tests are skipped, unless STORECHAT_REQUIRE_BROWSER=1."""
    script = NPM_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if not npm:
        _unavailable("npm is not installed (the accessibility checks install axe-core with it)")
    NPM_PREFIX.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--fetch-retries=1", "--prefix", str(NPM_PREFIX), "axe-core@4"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        _unavailable("npm install axe-core@4 did not finish in 300 s")
    if done.returncode != 0 or not script.is_file():
        _unavailable(f"npm install axe-core@4 failed ({done.returncode}): {(done.stderr or done.stdout)[-800:]}")
    return script
