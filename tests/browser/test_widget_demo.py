"""The widget in a real browser: headless Chromium (Playwright) on the demo
storefront of a running `storechat demo` (SQLite and the embedded Redis).

Covers what only a browser can show: the loader waits for the page to go
idle, the chat UI is fetched on the first click, a shopper's question gets a
grounded answer with a product card, a reload resumes the conversation, and
HTML typed by a shopper stays text. Screenshots land in test-artifacts/.

Requests to other origins (the sample catalog's CDN images) are refused so the
run never depends on the internet.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.storefront import QUESTION, Tab, jacket_answer
from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
ANSWER_TIMEOUT = 10_000  # ms

# Runs before any page script: note when requestIdleCallback callbacks fire.
IDLE_PROBE = """
(() => {
  window.__idleFired = [];
  const ric = window.requestIdleCallback;
  if (!ric) return;
  window.requestIdleCallback = function (cb, opts) {
    return ric.call(window, function (deadline) {
      window.__idleFired.push(performance.now());
      return cb(deadline);
    }, opts);
  };
})();
"""


@pytest.fixture
def open_tab(open_tab: Callable[..., Tab]) -> Callable[..., Tab]:
    """Tabs on /demo/ (the shared ones of conftest.py) that also note when
    requestIdleCallback callbacks fire (:data:`IDLE_PROBE`)."""

    def open_(viewport: tuple[int, int] = (1280, 800), **options: Any) -> Tab:
        return open_tab(viewport=viewport, init=IDLE_PROBE, **options)

    return open_


def _within_viewport(tab: Tab, locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    size = tab.page.viewport_size
    assert box is not None, "not rendered"
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] + 0.5, (box, size)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (box, size)
    return box


def _next_card_peeks(tab: Tab, answer: Any) -> None:
    """More cards than fit: the next one shows at the edge, so the row reads as scrollable."""
    cards = answer.locator(".c")
    if cards.count() < 3:
        return
    panel = tab.panel.bounding_box()
    third = cards.nth(2).bounding_box()
    assert third is not None and panel is not None
    assert third["x"] <= panel["x"] + panel["width"] - 24, (third, panel)


# ---- 1. nothing chat-related before the page is idle; chat.js only on the first click


def test_loader_waits_for_idle_and_chat_ui_loads_on_click(open_tab: Callable[..., Tab]) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    expect(tab.launcher).to_be_visible()
    tab.page.wait_for_timeout(1000)  # give a premature chat.js or socket time to show up

    timing = tab.page.evaluate(
        """() => {
          const nav = performance.getEntriesByType("navigation")[0];
          const config = performance.getEntriesByType("resource")
            .filter(e => e.name.includes("/widget/v1/config")).map(e => e.startTime);
          return {loadEventEnd: nav.loadEventEnd, idle: window.__idleFired, config};
        }"""
    )
    assert len(tab.requested("/widget/v1/loader.js")) == 1
    assert len(tab.requested("/widget/v1/config")) == 1, tab.requests
    assert timing["idle"], "the loader never used requestIdleCallback"
    assert len(timing["config"]) == 1, timing
    assert timing["config"][0] >= timing["loadEventEnd"], f"config fetched before the load event ended: {timing}"
    assert timing["config"][0] >= timing["idle"][0], f"config fetched before the page was idle: {timing}"
    assert tab.requested("/widget/v1/chat.js") == [], "chat.js loaded before any click"
    assert tab.sockets == [], "a socket opened before any click"
    expect(tab.launcher).to_have_attribute("aria-expanded", "false")

    with tab.page.expect_request(lambda r: "/widget/v1/chat.js" in r.url):
        with tab.page.expect_websocket(lambda ws: ws.url.endswith("/ws/visitor")):
            tab.open_chat()
            expect(tab.input).to_be_focused()
    expect(tab.launcher).to_have_attribute("aria-expanded", "true")
    tab.wait_frame("welcome", timeout=10)

    # Closing and reopening neither refetches anything nor opens a second socket.
    tab.panel.locator("button.x").click()
    expect(tab.panel).to_be_hidden()
    expect(tab.launcher).to_be_focused()
    tab.open_chat()
    expect(tab.input).to_be_focused()
    assert len(tab.requested("/widget/v1/chat.js")) == 1
    assert len(tab.requested("/widget/v1/config")) == 1
    assert len(tab.sockets) == 1


# ---- 2 + 3. a grounded answer with a product card; a reload resumes the conversation


def test_shopper_gets_an_answer_and_a_reload_resumes_it(
    open_tab: Callable[..., Tab], demo: Running, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    tab.open_chat()
    expect(tab.input).to_be_focused()
    tab.ask(QUESTION)
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    _next_card_peeks(tab, jacket_answer(tab, demo, ANSWER_TIMEOUT))
    expect(tab.panel.locator(".r.visitor.pending")).to_have_count(0)
    expect(tab.input).to_have_value("")
    tab.wait_frame("welcome", timeout=10)
    conversation = tab.frames("ack")[0]["conversation_id"]

    # Laid out sensibly on a desktop: the panel is on screen, above the launcher.
    panel = _within_viewport(tab, tab.panel)
    launcher = _within_viewport(tab, tab.launcher)
    assert panel["y"] + panel["height"] <= launcher["y"], "the panel covers the launcher"
    _within_viewport(tab, tab.input)
    tab.page.screenshot(path=str(artifacts / "widget-desktop.png"))

    # Reload: the conversation is shown again, once, and the socket resumes it.
    tab.page.reload(wait_until="load")
    tab.reopened()
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    jacket_answer(tab, demo, ANSWER_TIMEOUT)
    second = tab.wait_frame("welcome", 2, timeout=10)
    assert second["conversation_id"] == conversation
    tab.page.wait_for_timeout(500)  # a replay of what is already shown would land now
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    expect(tab.rows("assistant").filter(has_text="Classic Leather Jacket")).to_have_count(1)

    # Without the cached messages (only the visitor token kept) the server replays them.
    tab.page.evaluate(
        """() => {
          for (let i = 0; i < localStorage.length; i++) {
            const key = localStorage.key(i);
            if (!key.startsWith("storechat:")) continue;
            const st = JSON.parse(localStorage.getItem(key));
            st.msgs = []; st.seq = 0;
            localStorage.setItem(key, JSON.stringify(st));
          }
        }"""
    )
    tab.page.reload(wait_until="load")
    tab.reopened()
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    jacket_answer(tab, demo, ANSWER_TIMEOUT)
    assert tab.wait_frame("welcome", 3, timeout=10)["conversation_id"] == conversation

    # And the conversation carries on.
    tab.ask("thanks!")
    expect(tab.rows("visitor").filter(has_text="thanks!")).to_have_count(1)
    expect(tab.rows("assistant")).to_have_count(3, timeout=ANSWER_TIMEOUT)  # greeting + two answers
    acks = tab.frames("ack")
    assert acks and acks[-1]["seq"] == 3, acks


# ---- 4. HTML from a shopper is text


def test_html_in_a_message_is_shown_as_text(open_tab: Callable[..., Tab]) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    tab.open_chat()
    expect(tab.input).to_be_focused()
    tab.ask(XSS)
    mine = tab.rows("visitor").filter(has_text=XSS)
    expect(mine).to_have_count(1)
    expect(mine.locator(".b")).to_have_text("You: " + XSS)  # the visually hidden author label, then the text
    expect(mine).not_to_have_class(re.compile(r"\bpending\b"))  # acknowledged by the server
    expect(tab.rows("assistant")).to_have_count(2, timeout=ANSWER_TIMEOUT)  # greeting + the reply
    tab.page.wait_for_timeout(500)

    def injected() -> dict[str, int]:
        return tab.page.evaluate(
            """() => {
              const root = document.getElementById("storechat").shadowRoot;
              const bubble = [...root.querySelectorAll(".r.visitor .b")].pop();
              return {
                shadow: root.querySelectorAll('img[src="x"], img[onerror]').length,
                page: document.querySelectorAll('img[src="x"], img[onerror]').length,
                elementsInBubble: bubble.querySelectorAll("*:not(span.sr)").length,
              };
            }"""
        )

    assert injected() == {"shadow": 0, "page": 0, "elementsInBubble": 0}
    assert tab.page.locator('img[src="x"]').count() == 0
    assert tab.dialogs == []

    # Drawn again from the visitor's cache after a reload: still text.
    tab.page.reload(wait_until="load")
    tab.reopened()
    expect(tab.rows("visitor").filter(has_text=XSS)).to_have_count(1)
    tab.wait_frame("welcome", 2, timeout=10)
    tab.page.wait_for_timeout(500)
    assert injected() == {"shadow": 0, "page": 0, "elementsInBubble": 0}
    assert tab.dialogs == []


# ---- 5. a phone


def test_chat_on_a_phone(open_tab: Callable[..., Tab], demo: Running, artifacts: Path) -> None:
    from playwright.sync_api import expect

    tab = open_tab((375, 740), is_mobile=True, has_touch=True, device_scale_factor=2)
    _within_viewport(tab, tab.launcher)
    tab.open_chat()
    expect(tab.input).to_be_focused()
    tab.ask(QUESTION)
    _next_card_peeks(tab, jacket_answer(tab, demo, ANSWER_TIMEOUT))
    # The panel takes the whole screen; its header, close button and input fit on it.
    panel = _within_viewport(tab, tab.panel)
    assert panel["width"] >= 374 and panel["height"] >= 739, panel
    _within_viewport(tab, tab.panel.locator("button.x"))
    _within_viewport(tab, tab.input)
    _within_viewport(tab, tab.panel.locator("button.s"))
    expect(tab.panel.locator(".c").first).to_be_in_viewport()
    # 16px or more, or iOS Safari zooms the page when the input takes focus.
    assert tab.input.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
    tab.page.screenshot(path=str(artifacts / "widget-mobile.png"))
    # Closing gives the page back.
    tab.panel.locator("button.x").click()
    expect(tab.panel).to_be_hidden()
    _within_viewport(tab, tab.launcher)


def test_the_widgets_words_follow_the_language_the_assistant_answers_in(open_tab: Callable[..., Tab]) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    tab.open_chat()
    expect(tab.input).to_be_focused()
    tab.ask("¿Tienen chaquetas de cuero?")
    first = tab.rows("assistant").filter(has_text="Classic Leather Jacket")
    expect(first).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(first.locator(".b")).to_have_attribute("lang", "es")
    expect(first.locator(".b")).to_contain_text("80,00\u00a0$")
    field = tab.panel.locator("input")
    expect(field).to_have_attribute("aria-label", "Mensaje")
    expect(field).to_have_attribute("placeholder", "Escribe tu mensaje…")
    expect(tab.panel).to_have_attribute("lang", "es")
    # Cards drawn from now on use the Spanish words and number format.
    field.fill("¿cuánto cuesta el Classic Varsity Top?")
    field.press("Enter")
    card = tab.rows("assistant").locator(".c").filter(has_text="Classic Varsity Top")
    expect(card).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(card).to_contain_text("60,00\u00a0$")
    expect(card).to_contain_text("En stock")
