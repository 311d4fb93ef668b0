"""Proactive triggers in headless Chromium: time on page, scroll depth, exit
intent (desktop only) and a URL match each load the chat UI and show the
greeting, at most once per browser session (sessionStorage), and not before
they fire: until then the page has only the loader and the config.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.storefront import Tab, shop_settings
from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser

GREETING = "Need a hand finding your size?"



def _quiet(tab: Tab, ms: int = 1500) -> None:
    """Nothing fired: no greeting, and no chat UI loaded."""
    from playwright.sync_api import expect

    expect(tab.launcher).to_be_visible()
    tab.page.wait_for_timeout(ms)
    expect(tab.teaser).to_have_count(0)
    assert tab.requested("/widget/v1/chat.js") == [], "the chat UI loaded without a trigger"


def _fired(tab: Tab) -> None:
    from playwright.sync_api import expect

    expect(tab.teaser).to_be_visible()
    expect(tab.teaser).to_contain_text(GREETING)
    expect(tab.panel).to_be_hidden()  # shown beside the launcher; the page keeps the focus
    expect(tab.launcher.locator(".bd")).to_have_text("1")
    assert len(tab.requested("/widget/v1/chat.js")) == 1
    assert tab.sockets == [], "a socket before the shopper wrote or opened the chat"


def _scroll_to_bottom(tab: Tab) -> None:
    tab.page.mouse.move(640, 400)
    for _ in range(30):
        tab.page.mouse.wheel(0, 400)
        tab.page.wait_for_timeout(30)


def _leave_through_the_top(tab: Tab) -> None:
    tab.page.mouse.move(640, 300)
    tab.page.mouse.move(640, 5, steps=5)
    tab.page.mouse.move(640, -20, steps=2)


def test_time_on_page(open_tab: Callable[..., Tab], demo: Running, artifacts: Path) -> None:
    from playwright.sync_api import expect

    with shop_settings(demo, greeting=GREETING, triggers={"time": 2}):
        tab = open_tab()
        expect(tab.launcher).to_be_visible()
        assert tab.requested("/widget/v1/chat.js") == []
        _fired(tab)
        tab.page.screenshot(path=str(artifacts / "widget-greeting.png"))
        # The greeting opens the chat, where it is the first message.
        tab.teaser.locator(".gt").click()
        expect(tab.panel).to_be_visible()
        expect(tab.teaser).to_have_count(0)
        expect(tab.launcher.locator(".bd")).to_be_hidden()
        expect(tab.rows("assistant").first).to_contain_text(GREETING)
        tab.panel.locator("button.x").click()

        # Once per session: the next page of the same tab stays quiet.
        tab.page.goto(f"{demo.base}/demo/products/classic-leather-jacket", wait_until="load")
        tab.requests.clear()
        _quiet(tab, 3000)
        # A new session (another browser context) gets it again.
        _fired(open_tab())


def test_scroll_depth(open_tab: Callable[..., Tab], demo: Running) -> None:
    with shop_settings(demo, greeting=GREETING, triggers={"scroll": 60}):
        tab = open_tab()
        _quiet(tab)
        tab.page.mouse.move(640, 400)
        tab.page.mouse.wheel(0, 200)  # a little is not enough
        _quiet(tab, 500)
        _scroll_to_bottom(tab)
        _fired(tab)
        tab.teaser.locator("button.x").click()
        tab.page.reload(wait_until="load")
        tab.requests.clear()
        _scroll_to_bottom(tab)
        _quiet(tab)


def test_exit_intent_on_desktop_only(open_tab: Callable[..., Tab], demo: Running) -> None:
    with shop_settings(demo, greeting=GREETING, triggers={"exit": True}):
        tab = open_tab()
        _quiet(tab, 500)
        tab.page.mouse.move(640, 400)
        tab.page.mouse.move(640, 700, steps=3)  # moving about the page is not leaving
        _quiet(tab, 300)
        _leave_through_the_top(tab)
        _fired(tab)
        tab.page.reload(wait_until="load")
        tab.requests.clear()
        _leave_through_the_top(tab)
        _quiet(tab)

        # A phone has no pointer to leave with: never.
        phone = open_tab(viewport=(375, 740), is_mobile=True, has_touch=True)
        _quiet(phone, 500)
        phone.page.evaluate(
            "document.dispatchEvent(new MouseEvent('mouseout', {clientX: 100, clientY: -5, bubbles: true}))")
        _quiet(phone, 500)


def test_url_match(open_tab: Callable[..., Tab], demo: Running) -> None:
    with shop_settings(demo, greeting=GREETING, triggers={"url": "/demo/products/"}):
        tab = open_tab()
        _quiet(tab)  # the home page does not match
        tab.page.goto(f"{demo.base}/demo/products/classic-leather-jacket", wait_until="load")
        tab.requests.clear()
        _fired(tab)
        tab.page.goto(f"{demo.base}/demo/products/ocean-blue-shirt", wait_until="load")
        tab.requests.clear()
        _quiet(tab)

    # With another trigger, the URL limits it to the pages that match.
    with shop_settings(demo, greeting=GREETING, triggers={"url": "/demo/products/", "time": 0.5}):
        tab = open_tab()
        _quiet(tab, 2000)
        tab.page.goto(f"{demo.base}/demo/products/classic-leather-jacket", wait_until="load")
        tab.requests.clear()
        _fired(tab)
