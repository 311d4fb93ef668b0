"""The widget where WebSockets do not get through, in headless Chromium on the
demo storefront of a running `storechat demo`.

With `/ws/visitor` blocked the widget falls back by itself to the same
protocol over HTTP (POST hello / messages / typing, a long poll on GET
events): the shopper still gets an answer with a product card, and a reload
resumes the conversation. Also: `typing` frames while the shopper types, a
socket that comes back is used again, and what a person from the shop does
(take over, reply, close) is shown on either transport.

Requests to other origins (the sample catalog's CDN images) are refused so the
run never depends on the internet.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.storefront import QUESTION, VISITOR_API, Tab, jacket_answer
from tests.browser.storefront import agent as shop_agent
from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser

ANSWER_TIMEOUT = 15_000  # ms
API = VISITOR_API

# Runs before any page script. `window.__wsMode`: "fail" (the socket errors
# and closes without opening, like a proxy refusing the upgrade), "hang"
# (it never opens), anything else: a real WebSocket.
FAKE_WEBSOCKET = """
(() => {
  const Real = window.WebSocket;
  window.__wsMode = %s;
  window.__wsMade = 0;
  function Fake(url) {
    if (!window.__wsMode) return new Real(url);
    window.__wsMade++;
    const ws = this;
    ws.url = url; ws.readyState = 0;
    ws.send = () => { throw new Error("not open"); };
    ws.close = () => {
      if (ws.readyState === 3) return;
      ws.readyState = 3;
      setTimeout(() => ws.onclose && ws.onclose({code: 1006}), 0);
    };
    if (window.__wsMode === "fail") setTimeout(() => { ws.onerror && ws.onerror({}); ws.close(); }, 20);
  }
  Fake.CONNECTING = 0; Fake.OPEN = 1; Fake.CLOSING = 2; Fake.CLOSED = 3;
  window.WebSocket = Fake;
})();
"""



@pytest.fixture
def open_tab(browser: Any, demo: Running) -> Iterator[Callable[..., Tab]]:
    """Opens /demo/ in a fresh context. ``ws``: "ok", "route" (Playwright closes
    every /ws/visitor socket before the server sees it), "fail" or "hang" (see
    FAKE_WEBSOCKET)."""
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(demo.base + "/"):
            route.continue_()
        else:
            route.abort()

    def open_(ws: str = "ok", clock: bool = False) -> Tab:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        context.set_default_timeout(15_000)
        context.route("**/*", route)
        blocked: list[str] = []
        if ws == "route":
            # No connect_to_server(): the page's socket opens, then is closed before any frame.
            def block(socket: Any) -> None:
                blocked.append(socket.url)
                socket.close()

            context.route_web_socket(re.compile(r".*/ws/visitor$"), block)
        context.add_init_script(FAKE_WEBSOCKET % json.dumps(ws if ws in ("fail", "hang") else ""))
        page = context.new_page()
        if clock:
            page.clock.install()
        tab = Tab(page, demo.base)
        tab.blocked = blocked
        tabs.append(tab)
        page.goto(f"{demo.base}/demo/", wait_until="load")
        return tab

    yield open_
    for context in contexts:
        context.close()
    errors = [e for tab in tabs for e in tab.errors]
    assert not errors, f"uncaught errors in the page: {errors}"


def _no_socket_worked(tab: Tab) -> None:
    assert tab.received == [], f"a socket got frames: {tab.received[:3]}"
    assert not any(f.get("type") == "welcome" for f in tab.received)


# ---- 1. sockets blocked: the same chat over HTTP, resumed after a reload


@pytest.mark.parametrize("ws", ["route", "fail"])
def test_chat_works_over_http_when_websockets_are_blocked(
    open_tab: Callable[..., Tab], demo: Running, ws: str
) -> None:
    from playwright.sync_api import expect

    tab = open_tab(ws)
    tab.open_chat()
    expect(tab.input).to_be_focused()
    tab.ask(QUESTION)
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    jacket_answer(tab, demo)
    expect(tab.panel.locator(".r.visitor.pending")).to_have_count(0)

    # It got there over the visitor API, and no socket ever worked.
    assert tab.requested(API + "hello", "POST"), tab.diagnosis()
    assert len(tab.requested(API + "messages", "POST")) == 1, tab.diagnosis()  # acknowledged at once: sent once
    assert tab.requested(API + "events", "GET"), tab.diagnosis()
    # The long poll carries the token in a header: never in a URL (access logs keep those).
    assert not [u for _, u, _ in tab.requests if "token=" in u], tab.diagnosis()
    posted = json.loads(tab.requested(API + "messages", "POST")[0][2] or "{}")
    assert posted["text"] == QUESTION and posted["client_id"] and posted["token"], posted
    if ws == "route":
        assert len(tab.blocked) == 2 and all(u.endswith("/ws/visitor") for u in tab.blocked), tab.blocked
    else:
        assert tab.page.evaluate("window.__wsMade") >= 2
    _no_socket_worked(tab)
    state = tab.state()
    assert state["h"] == 1 and state["seq"] == 2 and state["token"], state
    conversation = state["conv"]

    # Reload: the conversation is shown again, once, and HTTP resumes after it.
    hellos = len(tab.requested(API + "hello"))
    tab.page.reload(wait_until="load")
    tab.reopened()
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    jacket_answer(tab, demo)
    deadline = time.monotonic() + 10
    while len(tab.requested(API + "hello")) <= hellos and time.monotonic() < deadline:
        tab.page.wait_for_timeout(100)
    assert len(tab.requested(API + "hello")) > hellos, tab.diagnosis()
    hello = json.loads(tab.requested(API + "hello")[-1][2] or "{}")
    assert hello["after_seq"] == 2 and hello["token"] == state["token"], hello
    tab.page.wait_for_timeout(500)  # a replay of what is already shown would land now
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    expect(tab.rows("assistant").filter(has_text="Classic Leather Jacket")).to_have_count(1)

    # And it carries on, in the same conversation.
    tab.ask("thanks!")
    expect(tab.rows("visitor").filter(has_text="thanks!")).to_have_count(1)
    expect(tab.rows("assistant")).to_have_count(3, timeout=ANSWER_TIMEOUT)  # greeting + two answers
    expect(tab.panel.locator(".r.visitor.pending")).to_have_count(0)
    assert tab.state()["conv"] == conversation
    assert tab.state()["seq"] == 4
    _no_socket_worked(tab)


def test_a_socket_that_never_opens_falls_back_after_5_s(open_tab: Callable[..., Tab], demo: Running) -> None:
    from playwright.sync_api import expect

    tab = open_tab("hang")
    started = time.monotonic()
    tab.open_chat()
    tab.ask(QUESTION)
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    jacket_answer(tab, demo)
    took = time.monotonic() - started
    # Two sockets of 5 s each (1 s apart), then HTTP.
    assert 10 <= took < 10 + ANSWER_TIMEOUT / 1000, took
    assert tab.page.evaluate("window.__wsMade") == 2
    assert len(tab.requested(API + "messages", "POST")) == 1, tab.diagnosis()


# ---- 2. sockets come back: the widget moves back to one


def test_widget_moves_back_to_a_websocket_when_it_works_again(
    open_tab: Callable[..., Tab], demo: Running
) -> None:
    from playwright.sync_api import expect

    tab = open_tab("fail", clock=True)
    tab.open_chat()
    tab.ask(QUESTION)
    jacket_answer(tab, demo)
    assert tab.sockets == [] and tab.state()["h"] == 1

    tab.page.evaluate("window.__wsMode = ''")  # the network lets sockets through again
    with tab.page.expect_websocket(lambda ws: ws.url.endswith("/ws/visitor")):
        tab.page.clock.fast_forward(61_000)
    deadline = time.monotonic() + 10
    while not any(f.get("type") == "welcome" for f in tab.received) and time.monotonic() < deadline:
        tab.page.wait_for_timeout(100)
    welcome = next((f for f in tab.received if f.get("type") == "welcome"), None)
    assert welcome and welcome["conversation_id"] == tab.state()["conv"], tab.diagnosis()
    hello = next(f for f in tab.sent if f.get("type") == "hello")
    assert hello["after_seq"] == 2

    # From now on over the socket: the next line is a socket frame, not a POST.
    posts = len(tab.requested(API + "messages", "POST"))
    tab.ask("thanks!")
    expect(tab.rows("assistant")).to_have_count(3, timeout=ANSWER_TIMEOUT)
    assert any(f.get("type") == "message" and f.get("text") == "thanks!" for f in tab.sent), tab.diagnosis()
    assert len(tab.requested(API + "messages", "POST")) == posts
    assert "h" not in tab.state()
    # The conversation was shown once throughout.
    expect(tab.rows("visitor").filter(has_text=QUESTION)).to_have_count(1)
    expect(tab.rows("assistant").filter(has_text="Classic Leather Jacket")).to_have_count(1)


# ---- 3. typing


def _type_slowly(tab: Tab, text: str, seconds: float) -> None:
    tab.input.press_sequentially(text, delay=int(seconds * 1000 / len(text)))


def test_typing_frames_are_sent_while_the_shopper_types(open_tab: Callable[..., Tab], demo: Running) -> None:
    from playwright.sync_api import expect

    tab = open_tab()
    tab.open_chat()
    # Nothing to hold before there is a conversation.
    _type_slowly(tab, "do you", 0.5)
    tab.input.fill("")
    tab.ask(QUESTION)
    jacket_answer(tab, demo)
    assert [f for f in tab.sent if f.get("type") == "typing"] == []

    started = time.monotonic()
    _type_slowly(tab, "and what about a matching bag", 4.5)
    took = time.monotonic() - started
    typing = [f for f in tab.sent if f.get("type") == "typing"]
    assert typing == [{"type": "typing"}] * len(typing)
    # The first keystroke after a sent line, then at most once every 2 s.
    assert 2 <= len(typing) <= 1 + int(took / 2), (len(typing), took)
    assert tab.requested(API + "typing") == []  # over the socket, not HTTP
    tab.input.press("Enter")
    expect(tab.rows("assistant")).to_have_count(3, timeout=ANSWER_TIMEOUT)


def test_typing_over_http(open_tab: Callable[..., Tab], demo: Running) -> None:
    tab = open_tab("route")
    tab.open_chat()
    tab.ask(QUESTION)
    jacket_answer(tab, demo)
    _type_slowly(tab, "and a bag", 1.0)
    posts = tab.requested(API + "typing", "POST")
    assert len(posts) == 1, tab.diagnosis()
    body = json.loads(posts[0][2] or "{}")
    assert body["token"] == tab.state()["token"] and body["site_key"], body
    _no_socket_worked(tab)


# ---- 4. a person from the shop: take over, reply, close


@pytest.mark.parametrize("ws", ["ok", "route"])
def test_agent_takeover_reply_and_close_are_shown(open_tab: Callable[..., Tab], demo: Running, ws: str) -> None:
    from playwright.sync_api import expect

    name = f"Sam {ws}"
    agent = shop_agent(demo, name)
    try:
        tab = open_tab(ws)
        tab.open_chat()
        tab.ask(QUESTION)
        jacket_answer(tab, demo)
        conversation = tab.state()["conv"]
        subtitle = tab.panel.locator(".h .u")
        expect(subtitle).to_have_text("")

        agent.action("take", conversation, expect_status="human")
        joined = tab.rows("system").filter(has_text=f"{name} joined the conversation.")
        expect(joined).to_have_count(1)
        # A notice: centred, small, text only.
        expect(joined.locator("*")).to_have_count(2)  # the bubble and its hidden label
        style = joined.locator(".b").evaluate(
            "e => { const s = getComputedStyle(e); return [s.textAlign, parseFloat(s.fontSize)]; }")
        assert style[0] == "center" and style[1] <= 12, style
        box, panel = joined.locator(".b").bounding_box(), tab.panel.bounding_box()
        assert box and panel
        assert abs((box["x"] + box["width"] / 2) - (panel["x"] + panel["width"] / 2)) < 12, (box, panel)
        # The conversation frame names the agent; over HTTP the long poll's `agent_name` does.
        expect(subtitle).to_have_text(f"You're chatting with {name}")

        agent.say(conversation, "Hi, I can help with sizes. <b>not bold</b>")
        reply = tab.rows("agent")
        expect(reply).to_have_count(1)
        expect(reply.locator(".b")).to_have_text("Agent: Hi, I can help with sizes. <b>not bold</b>")
        expect(reply.locator(".an")).to_have_text(name)
        assert reply.locator("b").count() == 0
        colors = tab.page.evaluate(
            """() => { const r = document.getElementById("storechat").shadowRoot;
                 const b = s => getComputedStyle(r.querySelector(s)).borderInlineStartWidth;
                 return [b(".r.agent .b"), b(".r.assistant .b")]; }""")
        assert colors[0] != colors[1], colors

        agent.action("close", conversation, expect_status="closed")
        expect(tab.rows("system").filter(has_text="This conversation was closed.")).to_have_count(1)
        expect(tab.rows("system").filter(has_text="Send a message to start a new conversation.")).to_have_count(1)
        expect(subtitle).to_have_text("")

        # The next line starts a new conversation, answered by the assistant again.
        tab.ask(QUESTION)
        answers = tab.rows("assistant").filter(has_text="Classic Leather Jacket")
        expect(answers).to_have_count(2, timeout=ANSWER_TIMEOUT)
        assert tab.state()["conv"] != conversation
        assert tab.state()["seq"] == 2
    finally:
        agent.close()
