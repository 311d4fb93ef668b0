"""Issue 19, the widget's side, in headless Chromium: proactive triggers each
with its own message, the language a page gets from the languages the shop
offers, A/B variants picked per visitor (stable across reloads, balanced over
10,000 visitors), and the widget's analytics events (POST /widget/v1/events).

The A/B tests' server part (which experiments run) belongs to the analytics
side: here the shop's running tests are added to the two config responses by
a Playwright route, exactly in the shape the config carries them
(core/widget/routes.py, ``ab_tests``). The events endpoint may not exist in
this tree: the widget must not care whether it answers 204 or 404.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.storefront import Tab, shop_settings
from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser

GREETING = "Need a hand?"
TRIGGERS = [
    {"time": 600, "message": "Still there?"},
    {"scroll": 60, "message": "Seen enough? Ask me."},
    {"exit": True, "message": "Before you go: 10% off."},
    {"url": "/demo/products/", "message": "Questions about this product?"},
]


def events(tab: Tab) -> list[dict[str, Any]]:
    """The bodies the widget posted to /widget/v1/events (beacons, text/plain JSON)."""
    return [json.loads(body or "{}") for method, url, body in tab.requests
            if method == "POST" and url.endswith("/widget/v1/events")]


def kinds(tab: Tab) -> list[tuple[str, Any]]:
    return [(e["kind"], e.get("trigger")) for body in events(tab) for e in body["events"]]


def wait_for(tab: Tab, check: Callable[[], bool], what: str, timeout_ms: int = 10_000) -> None:
    for _ in range(timeout_ms // 100):
        if check():
            return
        tab.page.wait_for_timeout(100)
    raise AssertionError(f"{what}; requests: {tab.requests[-10:]}")


def teaser_says(tab: Tab, text: str) -> None:
    from playwright.sync_api import expect

    expect(tab.teaser).to_be_visible()
    expect(tab.teaser).to_contain_text(text)


# ---- proactive triggers: a list, each with its own message


def test_each_trigger_kind_shows_its_own_message(open_tab: Callable[..., Tab], demo: Running) -> None:
    from playwright.sync_api import expect

    with shop_settings(demo, greeting=GREETING, triggers=TRIGGERS):
        # Scroll depth (index 1) on the home page.
        tab = open_tab()
        expect(tab.launcher).to_be_visible()
        tab.page.wait_for_timeout(500)
        expect(tab.teaser).to_have_count(0)
        tab.page.mouse.move(640, 400)
        for _ in range(30):
            tab.page.mouse.wheel(0, 400)
            tab.page.wait_for_timeout(30)
        teaser_says(tab, TRIGGERS[1]["message"])
        wait_for(tab, lambda: ("trigger", 1) in kinds(tab), "no trigger event")
        # Its message is the panel's first line on this page.
        tab.teaser.locator(".gt").click()
        expect(tab.rows("assistant").first).to_contain_text(TRIGGERS[1]["message"])
        assert [k for k in kinds(tab) if k[0] == "trigger"] == [("trigger", 1)], "one trigger a session"

        # Exit intent (index 2).
        tab = open_tab()
        expect(tab.launcher).to_be_visible()
        tab.page.mouse.move(640, 300)
        tab.page.mouse.move(640, 5, steps=5)
        tab.page.mouse.move(640, -20, steps=2)
        teaser_says(tab, TRIGGERS[2]["message"])

        # A URL rule alone (index 3) fires at once on the pages it matches.
        tab = open_tab("/demo/products/classic-leather-jacket")
        teaser_says(tab, TRIGGERS[3]["message"])
        wait_for(tab, lambda: ("trigger", 3) in kinds(tab), "no trigger event")

    # Time on page; the first to fire wins; a trigger without a message shows the greeting.
    with shop_settings(demo, greeting=GREETING, triggers=[{"time": 3, "message": "Three seconds in."},
                                                          {"time": 0.5, "message": "Half a second in."}]):
        tab = open_tab()
        teaser_says(tab, "Half a second in.")
        tab.page.wait_for_timeout(3000)
        assert [k for k in kinds(tab) if k[0] == "trigger"] == [("trigger", 1)]
    with shop_settings(demo, greeting=GREETING, triggers=[{"time": 0.5}]):
        teaser_says(open_tab(), GREETING)


# ---- languages


@pytest.mark.parametrize("page_lang, label, panel_lang", [
    ("fr", "Ouvrir le chat", "fr"),   # offered: the page's
    ("it", "Chat öffnen", "de"),      # not offered: the shop's default
])
def test_the_page_language_when_offered(open_tab: Callable[..., Tab], demo: Running, page_lang: str, label: str,
                                        panel_lang: str) -> None:
    from playwright.sync_api import expect

    with shop_settings(demo, locale="de", languages=["fr", "es"]):
        tab = open_tab(f"/demo/?lang={page_lang}")
        expect(tab.launcher).to_have_attribute("aria-label", label)
        tab.open_chat()
        expect(tab.panel).to_have_attribute("lang", panel_lang)


# ---- A/B tests


AB = [
    {"id": "41", "target": "launcher_text", "variants": [{"key": "A", "weight": 50, "value": "Questions?"},
                                                          {"key": "B", "weight": 50, "value": "Ask us!"}]},
    {"id": "42", "target": "greeting", "variants": [{"key": "A", "weight": 50, "value": "Hello from A"},
                                                     {"key": "B", "weight": 50, "value": "Hello from B"}]},
]


def with_experiments(tab_context: Any) -> None:
    """The analytics side's part, stood in for: the running tests added to both config parts,
    as core/widget/routes.py serves them (texts only where the launcher shows them)."""
    def add(route: Any) -> None:
        response = route.fetch()
        data = response.json()
        chat = "/chat-config" in route.request.url
        data["ab"] = AB if chat else [
            {**t, "variants": [v if t["target"] == "launcher_text" else {"key": v["key"], "weight": v["weight"]}
                               for v in t["variants"]]} for t in AB]
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "content-length", "etag", "cache-control")}
        # Not kept: a reload asks again, and this route answers again.
        route.fulfill(status=200, body=json.dumps(data), headers={**headers, "cache-control": "no-store"})

    tab_context.route("**/widget/v1/config?*", add)
    tab_context.route("**/widget/v1/chat-config?*", add)


def ab_tab(open_tab: Callable[..., Tab], browser: Any, demo: Running, init: str = "") -> tuple[Tab, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(demo.base + "/") else r.abort())
    with_experiments(context)
    if init:
        context.add_init_script(init)
    return open_tab(context=context), context


def test_ab_variant_kept_across_reloads_and_sent_with_hello_and_events(
        open_tab: Callable[..., Tab], browser: Any, demo: Running) -> None:
    from playwright.sync_api import expect

    tab, context = ab_tab(open_tab, browser, demo)
    try:
        expect(tab.launcher).to_be_visible()
        text = tab.launcher.inner_text().strip()
        assert text in ("Questions?", "Ask us!")
        stored = tab.page.evaluate("[localStorage['storechat:ab:41'], localStorage['storechat:ab:42']]")
        assert all(0 < float(v) < 1 for v in stored), stored
        choices = tab.page.evaluate("({...__storechat.ab})")
        assert choices == {"41": "A" if text == "Questions?" else "B", "42": choices["42"]}
        for _ in range(3):
            tab.page.reload(wait_until="load")
            expect(tab.launcher).to_be_visible()
            assert tab.launcher.inner_text().strip() == text
            assert tab.page.evaluate("({...__storechat.ab})") == choices
        assert tab.page.context.cookies() == []

        # The load beacon of each page, with the choices; the greeting's variant in the panel.
        wait_for(tab, lambda: len([k for k in kinds(tab) if k[0] == "load"]) >= 4, "a load beacon missing")
        assert all(body["ab"] == choices and body["site_key"] for body in events(tab))
        tab.open_chat()
        expect(tab.rows("assistant").first).to_contain_text(f"Hello from {choices['42']}")
        tab.wait_frame("welcome")
        assert [f["ab"] for f in tab.sent if f.get("type") == "hello"] == [choices]
        wait_for(tab, lambda: ("open", None) in kinds(tab), "no open event")
        opened = [e for body in events(tab) for e in body["events"] if e["kind"] == "open"]
        assert len(opened) == 1 and "conversation_id" in opened[0]
    finally:
        context.close()


@pytest.mark.parametrize("stored, launcher_text, greeting", [(0.1, "Questions?", "A"), (0.9, "Ask us!", "B")])
def test_ab_variant_follows_the_stored_number(open_tab: Callable[..., Tab], browser: Any, demo: Running,
                                              stored: float, launcher_text: str, greeting: str) -> None:
    from playwright.sync_api import expect

    init = f"localStorage['storechat:ab:41'] = '{stored}'; localStorage['storechat:ab:42'] = '{1 - stored}';"
    tab, context = ab_tab(open_tab, browser, demo, init)
    try:
        expect(tab.launcher).to_have_text(launcher_text)
        assert tab.page.evaluate("({...__storechat.ab})") == {"41": greeting, "42": "B" if greeting == "A" else "A"}
    finally:
        context.close()


def test_ab_assignment_balanced_over_10000_visitors(open_tab: Callable[..., Tab]) -> None:
    """The page's own `pick` (launcher.js) over 10,000 random numbers, as 10,000 first visits
    would draw them: each variant gets its weight's share within 2 points; the same number
    always gets the same variant."""
    from playwright.sync_api import expect

    tab = open_tab()
    expect(tab.launcher).to_be_visible()
    counts = tab.page.evaluate("""() => {
        const variants = [{key: "A", weight: 50}, {key: "B", weight: 30}, {key: "C", weight: 20}];
        const counts = {A: 0, B: 0, C: 0}, again = [];
        for (let i = 0; i < 10000; i++) {
          const u = Math.random(), v = __storechat.pick(u, variants);
          counts[v.key]++;
          if (__storechat.pick(u, variants).key !== v.key) again.push(u);
        }
        counts.unstable = again.length;
        counts.edges = [0, 0.4999999, 0.5, 0.7999999, 0.8, 0.9999999].map(u => __storechat.pick(u, variants).key).join("");
        counts.zero = __storechat.pick(0.3, [{key: "X", weight: 0}, {key: "Y", weight: 1}]).key;
        return counts;
    }""")
    assert counts.pop("unstable") == 0
    assert counts.pop("edges") == "AABBCC"
    assert counts.pop("zero") == "Y"  # a weight of 0 is never picked
    for key, share in {"A": 0.5, "B": 0.3, "C": 0.2}.items():
        assert abs(counts[key] / 10000 - share) < 0.02, counts


# ---- events: add to cart from a card


def test_add_to_cart_event(open_tab: Callable[..., Tab]) -> None:
    from playwright.sync_api import expect

    from tests.browser.storefront import QUESTION

    tab = open_tab()
    tab.open_chat()
    tab.ask(QUESTION)
    tab.answer()
    add = tab.panel.locator(".c button").first
    add.click()
    expect(tab.rows("system").last).to_contain_text("Added")
    wait_for(tab, lambda: any(k == "add_to_cart" for k, _ in kinds(tab)), "no add_to_cart event")
    event = [e for body in events(tab) for e in body["events"] if e["kind"] == "add_to_cart"][0]
    assert event["product_id"] and isinstance(event["conversation_id"], int), event
