"""The server restarts in the middle of a chat: `storechat demo` is stopped and
started again on the same port with the same instance folder (database,
secret, embedded Redis), while a shopper's page stays open in headless
Chromium. The widget reconnects by itself (socket or HTTP, with backoff),
sends the line written while the server was down once, and the conversation
carries on with the same id and no gap or repeat.
"""
from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.storefront import QUESTION, Tab, make_opener, owned_by, reap, start_demo
from tests.test_end_to_end import Running, _stop

pytestmark = pytest.mark.browser

RECOVERY_TIMEOUT = 90_000  # ms: the demo restarts (processes, Redis, catalog sync) and backoff waits up to 30 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Restartable:
    def __init__(self, instance: Path, port: int) -> None:
        self.instance, self.port = instance, port
        self.running: Running | None = None
        self.stragglers: list[str] = []

    def start(self) -> Running:
        self.running = start_demo(self.instance, self.port)
        return self.running

    def stop(self) -> None:
        assert self.running is not None
        owned = owned_by(self.running, self.instance)
        try:
            _stop(self.running)
        finally:
            self.stragglers += reap(owned)
        assert self.running.proc.returncode == 0, "storechat demo did not stop cleanly"
        self.running = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Restartable]:
    srv = Restartable(tmp_path / "instance", _free_port())
    srv.start()
    try:
        yield srv
    finally:
        if srv.running is not None:
            srv.stop()
    assert not srv.stragglers, f"storechat demo left processes behind: {srv.stragglers}"


def test_server_restart_mid_chat_recovers(browser: Any, server: Restartable) -> None:
    from playwright.sync_api import expect

    first = server.running
    assert first is not None
    opener, close = make_opener(browser, first)
    try:
        tab: Tab = opener()
        tab.open_chat()
        tab.ask(QUESTION)
        tab.answer()
        state = tab.state()
        assert state and state["seq"] == 2, state
        conversation, token = state["conv"], state["token"]

        server.stop()
        # The shopper writes while the server is down: shown at once, pending.
        tab.ask("is it real leather?")
        pending = tab.rows("visitor").filter(has_text="is it real leather?")
        expect(pending).to_have_class("r visitor pending")

        again = server.start()
        assert again.base == first.base  # the same address: the page never changed
        expect(pending).not_to_have_class("r visitor pending", timeout=RECOVERY_TIMEOUT)
        expect(tab.rows("assistant")).to_have_count(3, timeout=RECOVERY_TIMEOUT)  # greeting + two answers
        expect(tab.rows("visitor").filter(has_text="is it real leather?")).to_have_count(1)
        expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
        expect(tab.panel.locator(".r.failed")).to_have_count(0)
        state = tab.state()
        assert state and (state["conv"], state["token"], state["seq"]) == (conversation, token, 4), state

        # And it goes on from there.
        tab.ask("thanks!")
        expect(tab.rows("assistant")).to_have_count(4, timeout=15_000)
        expect(tab.panel.locator(".r.visitor.pending")).to_have_count(0)
        assert tab.state()["seq"] == 6
    finally:
        errors = close()
    assert not errors, f"uncaught errors in the page: {errors}"
