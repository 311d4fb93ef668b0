"""The widget's features in headless Chromium on the demo storefront of a
running `storechat demo`: add to cart against the demo store's Shopify-like
cart, quick replies, talking to a person, the email form, the rating after a
close, the unread badge, a keyboard-only conversation, replies written as they
come (`delta`), the consent notice, branding, dark mode, languages and
right-to-left, and the loader's rules (one cacheable config request, no
layout shift, no cookies, nothing from other origins).

Each test that changes the shop's settings puts them back; this module has its
own `storechat demo` (the `demo` fixture is per module).
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.storefront import (
    ANSWER_TIMEOUT,
    JACKET_VARIANT,
    QUESTION,
    Tab,
    agent,
    database,
    shop_settings,
)
from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser



def _luminance(rgb: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(float(x)) for x in re.findall(r"[\d.]+", rgb)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _colors(locator: Any) -> tuple[str, str]:
    return locator.evaluate("e => { const s = getComputedStyle(e); return [s.color, s.backgroundColor]; }")


# ---- the loader's rules


def test_loader_one_cacheable_config_no_shift_no_cookies_no_other_origins(
    open_tab: Callable[..., Tab], demo: Running
) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    expect(tab.launcher).to_be_visible()
    tab.page.wait_for_timeout(800)
    configs = tab.requested("/widget/v1/config")
    assert len(configs) == 1, configs
    response = tab.page.request.get(configs[0][1])
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["etag"]
    # Nothing moved on the page when the launcher appeared.
    assert tab.page.evaluate("window.__shifts") == []
    # Before any click: the loader, launcher.js, the launcher's config and the load beacon,
    # from StoreChat's own origin.
    widget = [u for _, u, _ in tab.requests if "/widget/" in u or "/api/" in u or "/ws/" in u]
    assert [urlsplit(u).path for u in widget] == ["/widget/v1/loader.js", "/widget/v1/launcher.js",
                                                  "/widget/v1/config", "/widget/v1/events"], widget

    tab.open_chat()
    tab.ask(QUESTION)
    tab.answer()
    assert tab.page.context.cookies() == [], "the widget set a cookie"
    own = {urlsplit(demo.base).netloc}
    chat_calls = [u for _, u, _ in tab.requests if "/widget/" in u or "/api/" in u]
    assert {urlsplit(u).netloc for u in chat_calls} == own, chat_calls
    assert all(urlsplit(u).netloc in own for u in tab.sockets)
    # The socket's words and the script were fetched once, the latter by its versioned URL.
    chat = tab.requested("/widget/v1/chat.js")
    assert len(chat) == 1 and "?v=" in chat[0][1]


# ---- product cards and add to cart


def test_add_to_cart_posts_to_the_store_cart_and_says_so(open_tab: Callable[..., Tab], demo: Running) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    tab.open_chat()
    tab.ask(QUESTION)
    answer = tab.answer()
    card = answer.locator(".c").filter(has_text="Classic Leather Jacket")
    expect(card).to_contain_text("In stock")
    expect(card.locator("img")).to_have_count(1)
    expect(card.locator("a")).to_have_text("View")
    add = card.locator("button")
    expect(add).to_have_text("Add to cart")
    expect(add).to_have_attribute("aria-label", "Add to cart: Classic Leather Jacket")

    with tab.page.expect_response(lambda r: r.url.endswith("/demo/cart/add.js")) as added:
        add.click()
    response = added.value
    assert response.status == 200
    request = response.request
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.post_data or "") == {"items": [{"id": JACKET_VARIANT, "quantity": 1}]}
    assert response.json()["items"][0]["product_title"] == "Classic Leather Jacket"
    expect(tab.rows("system").filter(has_text="Added Classic Leather Jacket to your cart.")).to_have_count(1)
    # The store heard about it (the `storechat:cart` event) and shows its cart.
    expect(tab.page.locator("#cart-count")).to_have_text("1")
    cart = tab.page.request.get(f"{demo.base}/demo/cart.js").json()
    assert [(i["id"], i["quantity"]) for i in cart["items"]] == [(JACKET_VARIANT, 1)]
    # A cart attribute names the conversation, so the order it becomes can be attributed to the chat.
    for _ in range(50):
        attributes = tab.page.request.get(f"{demo.base}/demo/cart.js").json()["attributes"]
        if attributes:
            break
        time.sleep(0.1)
    assert list(attributes) == ["storechat_conversation"] and attributes["storechat_conversation"].isdigit()

    # Sold out since the card was drawn: the store refuses, and the chat says why.
    with _sold_out(demo, JACKET_VARIANT):
        with tab.page.expect_response(lambda r: r.url.endswith("/demo/cart/add.js")) as again:
            add.click()
        assert again.value.status == 422
    refused = tab.rows("system").filter(has_text="Couldn't add Classic Leather Jacket to your cart.")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("The product 'Classic Leather Jacket' is already sold out.")
    expect(tab.page.locator("#cart-count")).to_have_text("1")
    expect(add).to_be_enabled()


@contextmanager
def _sold_out(demo: Running, variant: str) -> Iterator[None]:
    def available(value: bool) -> None:
        with sqlite3.connect(database(demo)) as conn:
            assert conn.execute("UPDATE variants SET available = ? WHERE external_id = ?",
                                (value, variant)).rowcount == 1
    available(False)
    try:
        yield
    finally:
        available(True)


# ---- quick replies, a person, the email form, the rating


def test_quick_replies_send_their_text(open_tab: Callable[..., Tab]) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    tab.open_chat()
    tab.ask("hi")
    quick = tab.panel.locator(".q button")
    expect(quick.first).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(quick).to_have_text(["Where is my order?", "Shipping costs", "Returns policy"])
    quick.filter(has_text="Shipping costs").click()
    expect(tab.rows("visitor").filter(has_text="Shipping costs")).to_have_count(1)
    expect(tab.rows("assistant")).to_have_count(3, timeout=ANSWER_TIMEOUT)  # greeting + two answers
    sent = [f["text"] for f in tab.sent if f.get("type") == "message"]
    assert sent == ["hi", "Shipping costs"], sent


def _sent(tab: Tab, type_: str, http: bool) -> list[dict[str, Any]]:
    """What the widget sent of a kind: socket frames, or the HTTP fallback's posts (without
    the site key and token every post carries)."""
    if not http:
        return [f for f in tab.sent if f.get("type") == type_]
    return [{k: v for k, v in body.items() if k not in ("site_key", "token")} for body in tab.api(type_)]


@pytest.mark.parametrize("http", [False, True], ids=["socket", "http"])
def test_talk_to_a_person_then_leave_an_email(open_tab: Callable[..., Tab], demo: Running, http: bool) -> None:
    from playwright.sync_api import expect

    with shop_settings(demo, contact_after=1):
        tab = open_tab(sockets=not http)
        tab.open_chat()
        human = tab.panel.locator("button", has_text="Talk to a person")
        expect(human).to_be_hidden()  # nothing to hand over before the first message
        tab.ask(QUESTION)
        tab.answer()
        expect(human).to_be_visible()
        human.click()
        notice = tab.rows("system").filter(has_text="I've asked someone from the team to join.")
        expect(notice).to_have_count(1)
        expect(human).to_be_hidden()
        assert _sent(tab, "handoff", http) == [{"type": "handoff"}]

        # No one comes within `contact_after` seconds: the widget offers to answer by email.
        email = tab.panel.locator("input[type=email]")
        expect(email).to_be_visible(timeout=5000)
        expect(tab.panel.locator(".r.system").filter(has=tab.page.locator("input[type=email]"))).to_contain_text(
            "No one is available right now.")
        email.fill("not an address")
        email.press("Enter")
        assert not _sent(tab, "contact", http)
        email.fill("shopper@example.com")
        email.press("Enter")
        expect(tab.rows("system").filter(has_text="Thanks! We'll reply to shopper@example.com.")).to_have_count(1)
        assert _sent(tab, "contact", http) == [{"type": "contact", "email": "shopper@example.com"}]
        if not http:
            tab.wait_frame("contact_saved")
        expect(tab.input).to_be_focused()
        assert (tab.sockets == []) == http


@pytest.mark.parametrize("http", [False, True], ids=["socket", "http"])
def test_rating_after_a_person_closes_the_conversation(open_tab: Callable[..., Tab], demo: Running,
                                                       http: bool) -> None:
    from playwright.sync_api import expect

    person = agent(demo, f"Robin {http}")
    try:
        tab = open_tab(sockets=not http)
        tab.open_chat()
        tab.ask(QUESTION)
        tab.answer()
        conversation = tab.state()["conv"]
        person.action("take", conversation, expect_status="human")
        expect(tab.panel.locator(".h .u")).to_have_text(f"You're chatting with Robin {http}")
        person.say(conversation, "Happy to help!")
        expect(tab.rows("agent").filter(has_text="Happy to help!")).to_have_count(1)
        person.action("close", conversation, expect_status="closed")
        expect(tab.rows("system").filter(has_text="This conversation was closed.")).to_have_count(1)
        rating = tab.panel.locator(".r.system").filter(has_text="How was this conversation?")
        expect(rating).to_have_count(1)
        expect(rating.locator("button")).to_have_count(2)
        rating.get_by_role("button", name="Good").click()
        expect(tab.rows("system").filter(has_text="Thanks for your feedback!")).to_have_count(1)
        assert _sent(tab, "rate", http) == [{"type": "rate", "conversation_id": conversation, "score": 5}]
        if not http:
            assert tab.wait_frame("rated") == {"type": "rated", "conversation_id": conversation, "score": 5}
        expect(tab.input).to_be_focused()
    finally:
        person.close()


def test_unread_badge_counts_replies_while_closed(open_tab: Callable[..., Tab], demo: Running) -> None:
    from playwright.sync_api import expect

    person = agent(demo, "Kim")
    try:
        tab = open_tab()
        tab.open_chat()
        tab.ask(QUESTION)
        tab.answer()
        conversation = tab.state()["conv"]
        person.action("take", conversation, expect_status="human")
        tab.panel.locator("button.x").click()
        badge = tab.launcher.locator(".bd")
        expect(badge).to_be_hidden()
        person.say(conversation, "Are you still there?")
        expect(badge).to_have_text("1")
        person.say(conversation, "I found a size for you.")
        expect(badge).to_have_text("2")
        expect(tab.launcher).to_have_attribute("aria-label", "Open chat, 2 unread")
        tab.launcher.click()
        expect(badge).to_be_hidden()
        expect(tab.rows("agent")).to_have_count(2)
    finally:
        person.close()


# ---- keyboard only


def test_keyboard_only_conversation(open_tab: Callable[..., Tab]) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    expect(tab.launcher).to_be_visible()
    keys = tab.page.keyboard
    # The launcher is the page's last stop: Shift+Tab from the start reaches it.
    keys.press("Shift+Tab")
    assert tab.focused() == "launcher"
    keys.press("Enter")
    expect(tab.panel).to_be_visible()
    expect(tab.input).to_be_focused()
    keys.type(QUESTION)
    keys.press("Enter")
    answer = tab.answer()
    expect(answer.locator(".c button").first).to_be_visible()

    # Tab goes round inside the panel and never back to the page.
    seen = []
    for _ in range(40):
        keys.press("Tab")
        seen.append(tab.focused())
    assert "launcher" not in seen and all(s.startswith(("button", "input", "a", "div")) for s in seen), seen
    assert any("Add to cart" in s for s in seen) and any(s.startswith("input") for s in seen), seen
    closes = [i for i, s in enumerate(seen) if s.startswith("button.x")]
    assert len(closes) >= 2, seen  # went round at least once
    for _ in range(40):
        keys.press("Shift+Tab")
        assert tab.focused() != "launcher"

    # Add to cart with the keyboard: focus it, press Enter.
    while "Add to cart: Classic Leather Jacket" not in tab.focused():
        keys.press("Tab")
    keys.press("Enter")
    expect(tab.rows("system").filter(has_text="Added Classic Leather Jacket to your cart.")).to_have_count(1)

    # Escape closes, and the focus goes back to the launcher.
    keys.press("Escape")
    expect(tab.panel).to_be_hidden()
    assert tab.focused() == "launcher"
    expect(tab.launcher).to_have_attribute("aria-expanded", "false")
    keys.press("Enter")
    expect(tab.panel).to_be_visible()
    expect(tab.input).to_be_focused()


# ---- replies written as they come


def test_delta_frames_draw_the_reply_then_the_message_replaces_it(
    open_tab: Callable[..., Tab], browser: Any, demo: Running
) -> None:
    """An LLM engine streams `delta` frames; the demo's built-in engine does not, so
    the test's socket route adds two in front of the assistant's message."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(demo.base + "/") else r.abort())
    held: list[Any] = []

    def relay(page_side: Any) -> None:
        server = page_side.connect_to_server()

        def down(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "message" and frame.get("author") == "assistant":
                held.append(lambda: page_side.send(message))
                for text in ("We have the", "We have the Classic Leather"):
                    page_side.send(json.dumps({"type": "delta", "conversation_id": frame["conversation_id"],
                                               "reply_to": frame["seq"] - 1, "text": text}))
                return
            page_side.send(message)

        server.on_message(down)
        page_side.on_message(lambda m: server.send(m))

    context.route_web_socket(re.compile(r".*/ws/visitor$"), relay)
    try:
        tab = open_tab(context=context)
        tab.open_chat()
        tab.ask(QUESTION)
        draft = tab.panel.locator(".r.assistant.draft")
        expect(draft).to_have_text("Assistant: We have the Classic Leather")
        expect(draft).to_have_attribute("aria-hidden", "true")
        expect(draft).to_have_count(1)
        assert held, "the assistant's message never came"
        held.pop()()
        expect(draft).to_have_count(0)
        tab.answer()
        expect(tab.rows("assistant")).to_have_count(2)  # greeting + the final reply
    finally:
        context.close()


# ---- consent


def test_consent_notice_comes_before_any_connection(open_tab: Callable[..., Tab], demo: Running) -> None:
    from playwright.sync_api import expect

    with shop_settings(demo, consent_text="We keep this chat to answer you.",
                       consent_url="https://shop.example/privacy"):
        tab = open_tab()
        tab.open_chat()
        notice = tab.panel.locator(".cn")
        expect(notice).to_contain_text("We keep this chat to answer you.")
        expect(notice.locator("a")).to_have_attribute("href", "https://shop.example/privacy")
        accept = notice.get_by_role("button", name="Accept")
        expect(accept).to_be_focused()
        expect(tab.input).to_be_hidden()
        tab.page.wait_for_timeout(500)
        assert tab.sockets == [] and not tab.requested("/api/v1/visitor/")
        accept.press("Enter")
        expect(notice).to_have_count(0)
        expect(tab.input).to_be_focused()
        tab.ask(QUESTION)
        tab.answer()
        # Accepted once: the next page asks no more.
        tab.page.reload(wait_until="load")
        tab.reopened()
        expect(tab.panel.locator(".cn")).to_have_count(0)


# ---- branding, dark mode, languages


def test_branding_from_the_shop_settings(open_tab: Callable[..., Tab], demo: Running, artifacts: Path) -> None:
    from playwright.sync_api import expect

    with shop_settings(demo, color="#ffd400", position="left", launcher_text="Questions?", launcher_icon="help",
                       title="Ask Sunny", greeting="Hello from Sunny!", powered_by=False,
                       avatar_url="javascript:alert(1)"):
        tab = open_tab()
        expect(tab.launcher).to_have_text("Questions?")
        box = tab.launcher.bounding_box()
        assert box and box["x"] < 100, box  # on the left
        # Yellow is too light for white text: the launcher's text is black (AA).
        fg, bg = _colors(tab.launcher)
        assert _contrast(fg, bg) >= 4.5 and _luminance(fg) < 0.01, (fg, bg)
        tab.launcher.click()
        expect(tab.panel).to_be_visible()
        expect(tab.panel).to_have_attribute("aria-label", "Ask Sunny")
        expect(tab.panel.locator(".h .n")).to_have_text("Ask Sunny")
        fg, bg = _colors(tab.panel.locator(".h"))
        assert _contrast(fg, bg) >= 4.5, (fg, bg)
        expect(tab.rows("assistant").first).to_contain_text("Hello from Sunny!")
        expect(tab.panel.locator(".w")).to_have_count(0)  # no "powered by"
        expect(tab.panel.locator("img.av")).to_have_count(0)  # not an http(s) avatar
        panel = tab.panel.bounding_box()
        assert panel and panel["x"] < 100, panel
        tab.ask("hi")
        quick = tab.panel.locator(".q button").first
        expect(quick).to_be_visible(timeout=ANSWER_TIMEOUT)
        # Accent-coloured text on the light panel is darkened until it passes AA.
        fg, bg = _colors(quick)
        assert _contrast(fg, bg) >= 4.5, (fg, bg)
        tab.page.screenshot(path=str(artifacts / "widget-branded.png"))


def test_dark_mode_follows_the_system(open_tab: Callable[..., Tab], demo: Running, artifacts: Path) -> None:
    from playwright.sync_api import expect

    with shop_settings(demo, avatar_url=f"{demo.base}/demo/avatar.svg"):
        tab = open_tab(color_scheme="dark")
        tab.open_chat()
        avatar = tab.panel.locator("img.av")
        expect(avatar).to_have_count(1)
        expect(avatar).to_have_js_property("complete", True)
        assert avatar.evaluate("e => e.naturalWidth") > 0
        tab.ask(QUESTION)
        tab.answer()
        _, bg = _colors(tab.panel)
        assert _luminance(bg) < 0.05, bg
        fg, bg = _colors(tab.rows("assistant").first.locator(".b"))
        assert _contrast(fg, bg) >= 4.5, (fg, bg)
        fg, bg = _colors(tab.panel.locator(".r.assistant .c a").first)
        assert _contrast(fg, "rgb(13, 17, 23)") >= 4.5, fg
        tab.page.screenshot(path=str(artifacts / "widget-dark.png"))
    with shop_settings(demo, dark_mode=False, avatar_url=f"{demo.base}/demo/no-such-avatar.png"):
        tab = open_tab(color_scheme="dark")
        tab.open_chat()
        _, bg = _colors(tab.panel)
        assert _luminance(bg) > 0.9, bg
        expect(tab.panel.locator("img.av")).to_have_count(0)  # an avatar that does not load is left out


def test_german_page_gets_german_words(open_tab: Callable[..., Tab]) -> None:
    from playwright.sync_api import expect

    tab = open_tab("/demo/?lang=de")
    expect(tab.launcher).to_have_attribute("aria-label", "Chat \u00f6ffnen")
    tab.open_chat()
    expect(tab.input).to_have_attribute("aria-label", "Nachricht")
    expect(tab.input).to_have_attribute("placeholder", "Nachricht eingeben\u2026")
    expect(tab.panel.locator("button.s")).to_have_text("Senden")
    expect(tab.panel.locator("button.x")).to_have_attribute("aria-label", "Chat schlie\u00dfen")
    expect(tab.panel).to_have_attribute("lang", "de")
    expect(tab.rows("assistant").first).to_have_text(re.compile("Fragen Sie mich alles"))
    tab.ask(QUESTION)
    answer = tab.answer()
    card = answer.locator(".c").filter(has_text="Classic Leather Jacket")
    expect(card).to_contain_text("Auf Lager")
    expect(card.locator("button")).to_have_text("In den Warenkorb")
    expect(card).to_contain_text("80,00\u00a0$")  # German number format, the shop's currency


def test_right_to_left_page(open_tab: Callable[..., Tab], artifacts: Path) -> None:
    from playwright.sync_api import expect

    tab = open_tab("/demo/?lang=ar")
    tab.open_chat()
    expect(tab.panel).to_have_attribute("dir", "rtl")
    tab.ask(QUESTION)
    answer = tab.answer()
    panel = tab.panel.bounding_box()
    mine = tab.rows("visitor").locator(".b").bounding_box()
    theirs = answer.locator(".b").bounding_box()
    assert panel and mine and theirs
    # Mirrored: the shopper's bubbles on the left, the assistant's on the right.
    assert mine["x"] - panel["x"] < 30, (mine, panel)
    assert panel["x"] + panel["width"] - (theirs["x"] + theirs["width"]) < 30, (theirs, panel)
    # Each text keeps its own direction: this English answer reads left to right.
    assert answer.locator(".b").evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert tab.input.evaluate("e => getComputedStyle(e).direction") == "rtl"
    close = tab.panel.locator("button.x").bounding_box()
    assert close and close["x"] < panel["x"] + 60, close  # the header's close button is on the left
    tab.page.screenshot(path=str(artifacts / "widget-rtl.png"))
