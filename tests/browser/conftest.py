"""Fixtures for the browser tests: one `storechat demo` per module (SQLite and
the embedded Redis) and a headless Chromium driven by Playwright.

The browser is the system's Chromium (/usr/bin/chromium, or STORECHAT_CHROMIUM);
nothing is ever downloaded. Without it the tests are skipped, unless STORECHAT_REQUIRE_BROWSER=1
(CI), when its absence is a failure.
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

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


# ---- processes: whatever the demo started must be gone when it stops


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) for every process we can see (Linux /proc)."""
    found: dict[int, tuple[int, str]] = {}
    if not Path("/proc/self/stat").exists():
        return found  # not Linux: nothing to check with
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it exited while we looked
        # The command name in field 2 may hold spaces and parentheses: split after the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        found[int(entry.name)] = (ppid, cmdline)
    return found


def _owned_by(running: Running, instance: Path) -> set[int]:
    """The demo's process tree, plus its embedded redis-server (which daemonizes)."""
    procs = _processes()
    owned = {running.proc.pid}
    grew = True
    while grew:
        kids = {pid for pid, (ppid, _) in procs.items() if ppid in owned} - owned
        owned |= kids
        grew = bool(kids)
    url_file = instance / "redis.url"
    if url_file.exists():
        socket = urlsplit(url_file.read_text().strip()).path
        if socket:
            owned |= {pid for pid, (_, cmd) in procs.items() if socket in cmd and "redis-server" in cmd}
    return owned


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("browser-demo")
    running = _start_demo(tmp, {})
    try:
        yield running
    finally:
        owned = _owned_by(running, tmp / "instance")
        try:
            _stop(running)
        finally:
            left = _reap(owned)
    assert running.proc.returncode == 0, "storechat demo did not stop cleanly"
    assert not left, f"storechat demo left processes behind: {left}"


def _reap(owned: set[int], grace: float = 15) -> list[int]:
    """Wait for `owned` to exit; SIGKILL (by pid) and return the ones that did not."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in owned):
        time.sleep(0.1)
    left = sorted(p for p in owned if _alive(p))
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


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
