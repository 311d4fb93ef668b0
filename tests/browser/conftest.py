"""Fixtures for the browser tests: one `storechat demo` per module (SQLite and
the embedded Redis) and a headless Chromium driven by Playwright.

The browser is the system's Chromium (/usr/bin/chromium, or STORECHAT_CHROMIUM);
nothing is ever downloaded. Without it the tests are skipped, unless STORECHAT_REQUIRE_BROWSER=1
(CI), when its absence is a failure.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.storefront import owned_by, reap
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
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
