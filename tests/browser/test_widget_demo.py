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

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser

QUESTION = "do you have a leather jacket?"
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


class Tab:
    """A page plus everything it did: requests, sockets and their frames, dialogs, errors."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.requests: list[str] = []
        self.sockets: list[str] = []
        self.frames: list[dict[str, Any]] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.log: list[str] = []  # socket events, for failure messages
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", self._socket)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _socket(self, ws: Any) -> None:
        self.sockets.append(ws.url)

        def received(payload: str | bytes) -> None:
            try:
                frame = json.loads(payload)
            except ValueError:
                return
            if isinstance(frame, dict):
                self.frames.append(frame)
                self.log.append(f"received {str(payload)[:200]}")

        ws.on("framereceived", received)
        ws.on("framesent", lambda payload: self.log.append(f"sent {str(payload)[:200]}"))
        ws.on("close", lambda _: self.log.append(f"closed {ws.url}"))
        ws.on("socketerror", lambda error: self.log.append(f"socket error {error}"))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def requested(self, part: str) -> list[str]:
        return [u for u in self.requests if part in u]

    # ---- the widget (inside an open shadow root: Playwright's CSS pierces it)

    @property
    def launcher(self) -> Any:
        return self.page.locator("#storechat").locator("button.L")

    @property
    def panel(self) -> Any:
        return self.page.locator("#storechat").locator("[role=dialog]")

    @property
    def input(self) -> Any:
        return self.panel.locator("input[aria-label=Message]")

    def rows(self, author: str) -> Any:
        return self.panel.locator(f".r.{author}")

    def wait_welcome(self, count: int = 1) -> dict[str, Any]:
        deadline_ms = 10_000
        step = 100
        for _ in range(deadline_ms // step):
            welcomes = [f for f in self.frames if f.get("type") == "welcome"]
            if len(welcomes) >= count:
                return welcomes[count - 1]
            self.page.wait_for_timeout(step)
        raise AssertionError(f"no welcome frame #{count}\n{self.diagnosis()}")

    def diagnosis(self) -> str:
        """What the socket did, for failure messages."""
        text = "socket log:\n" + ("\n".join(self.log) or "(no socket)")
        if any("Invalid frame header" in line for line in self.log):
            text += ("\n(\"Invalid frame header\": the server wrote something that is not a WebSocket frame,"
                     " usually an HTTP 500 after the socket handler raised; see the server's log)")
        return text

    def open_chat(self) -> None:
        from playwright.sync_api import expect

        expect(self.launcher).to_be_visible()
        self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.input).to_be_focused()

    def reopened(self) -> None:
        """After a reload or a navigation: the panel that was open opens again by itself."""
        from playwright.sync_api import expect

        expect(self.panel).to_be_visible()
        expect(self.launcher).to_have_attribute("aria-expanded", "true")

    def ask(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")


@pytest.fixture
def open_tab(browser: Any, demo: Running) -> Iterator[Callable[..., Tab]]:
    """Opens /demo/ in a fresh browser context (its own localStorage)."""
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(demo.base + "/"):
            route.continue_()
        else:
            route.abort()

    def open_(viewport: tuple[int, int] = (1280, 800), **options: Any) -> Tab:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, **options)
        contexts.append(context)
        context.set_default_timeout(15_000)
        context.route("**/*", route)
        context.add_init_script(IDLE_PROBE)
        tab = Tab(context.new_page(), demo.base)
        tabs.append(tab)
        tab.page.goto(f"{demo.base}/demo/", wait_until="load")
        return tab

    yield open_
    for context in contexts:
        context.close()
    errors = [e for tab in tabs for e in tab.errors]
    assert not errors, f"uncaught errors in the page: {errors}"


def _within_viewport(tab: Tab, locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    size = tab.page.viewport_size
    assert box is not None, "not rendered"
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] + 0.5, (box, size)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (box, size)
    return box


def _assert_answer(tab: Tab, demo: Running) -> Any:
    from playwright.sync_api import expect

    answer = tab.rows("assistant").filter(has_text="Classic Leather Jacket")
    try:
        expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT)
    except AssertionError as e:
        raise AssertionError(f"{e}\n\npanel:\n{tab.panel.inner_text()}\n\n{tab.diagnosis()}") from None
    expect(answer.locator(".b")).to_contain_text("$80.00")
    card = answer.locator(".c").filter(has_text="Classic Leather Jacket")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("$80.00")
    expect(card.locator("a")).to_have_attribute("href", f"{demo.base}/demo/products/classic-leather-jacket")
    return answer


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
    expect(tab.launcher).to_have_attribute("aria-expanded", "true")
    tab.wait_welcome()

    # Closing and reopening neither refetches anything nor opens a second socket.
    tab.panel.locator("button.x").click()
    expect(tab.panel).to_be_hidden()
    expect(tab.launcher).to_be_focused()
    tab.open_chat()
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
    tab.ask(QUESTION)
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    _next_card_peeks(tab, _assert_answer(tab, demo))
    expect(tab.panel.locator(".r.visitor.pending")).to_have_count(0)
    expect(tab.input).to_have_value("")
    tab.wait_welcome()
    conversation = next(f["conversation_id"] for f in tab.frames if f.get("type") == "ack")

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
    _assert_answer(tab, demo)
    second = tab.wait_welcome(2)
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
    _assert_answer(tab, demo)
    assert tab.wait_welcome(3)["conversation_id"] == conversation

    # And the conversation carries on.
    tab.ask("thanks!")
    expect(tab.rows("visitor").filter(has_text="thanks!")).to_have_count(1)
    expect(tab.rows("assistant")).to_have_count(3, timeout=ANSWER_TIMEOUT)  # greeting + two answers
    acks = [f for f in tab.frames if f.get("type") == "ack"]
    assert acks and acks[-1]["seq"] == 3, acks


# ---- 4. HTML from a shopper is text


def test_html_in_a_message_is_shown_as_text(open_tab: Callable[..., Tab]) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    tab.open_chat()
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
    tab.wait_welcome(2)
    tab.page.wait_for_timeout(500)
    assert injected() == {"shadow": 0, "page": 0, "elementsInBubble": 0}
    assert tab.dialogs == []


# ---- 5. a phone


def test_chat_on_a_phone(open_tab: Callable[..., Tab], demo: Running, artifacts: Path) -> None:
    from playwright.sync_api import expect

    tab = open_tab((375, 740), is_mobile=True, has_touch=True, device_scale_factor=2)
    _within_viewport(tab, tab.launcher)
    tab.open_chat()
    tab.ask(QUESTION)
    _next_card_peeks(tab, _assert_answer(tab, demo))
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
