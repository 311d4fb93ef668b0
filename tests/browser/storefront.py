"""Helpers for the widget's browser tests: a tab on the demo storefront that
records what the page did, the shop's settings, and a person from the shop.

Requests to other origins (the sample catalog's CDN images) are refused so the
runs never depend on the internet.
"""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.test_end_to_end import READY, Running, _site_key

QUESTION = "do you have a leather jacket?"
ANSWER_TIMEOUT = 15_000  # ms
JACKET_VARIANT = "classic-leather-jacket:Default Title"
VISITOR_API = "/api/v1/visitor/"

# Runs before any page script: layout shifts and long tasks, as the page sees them.
PERF_PROBE = """
(() => {
  window.__shifts = []; window.__longTasks = [];
  try {
    new PerformanceObserver(l => l.getEntries().forEach(e => window.__shifts.push(e.value)))
      .observe({type: "layout-shift", buffered: true});
    new PerformanceObserver(l => l.getEntries().forEach(e => window.__longTasks.push(e.duration)))
      .observe({type: "longtask", buffered: true});
  } catch (e) {}
})();
"""


class Tab:
    """A page plus everything it did: requests, sockets and their frames, dialogs, errors."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.requests: list[tuple[str, str, str | None]] = []  # method, url, body
        self.sockets: list[str] = []
        self.blocked: list[str] = []  # sockets Playwright closed before they reached the server
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.log: list[str] = []
        page.on("request", lambda r: self.requests.append((r.method, r.url, r.post_data)))
        page.on("websocket", self._socket)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _socket(self, ws: Any) -> None:
        self.sockets.append(ws.url)

        def keep(into: list[dict[str, Any]], what: str) -> Callable[[str | bytes], None]:
            def add(payload: str | bytes) -> None:
                self.log.append(f"{what} {str(payload)[:200]}")
                try:
                    frame = json.loads(payload)
                except ValueError:
                    return
                if isinstance(frame, dict):
                    into.append(frame)
            return add

        ws.on("framereceived", keep(self.received, "received"))
        ws.on("framesent", keep(self.sent, "sent"))
        ws.on("close", lambda _: self.log.append(f"closed {ws.url}"))
        ws.on("socketerror", lambda error: self.log.append(f"socket error {error}"))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def requested(self, part: str, method: str | None = None) -> list[tuple[str, str, str | None]]:
        return [r for r in self.requests if part in r[1] and (method is None or r[0] == method)]

    def api(self, name: str) -> list[dict[str, Any]]:
        """The JSON bodies posted to /api/v1/visitor/<name> (the HTTP fallback)."""
        return [json.loads(body or "{}") for method, url, body in self.requests
                if method == "POST" and url.endswith(f"{VISITOR_API}{name}")]

    def frames(self, type_: str) -> list[dict[str, Any]]:
        return [f for f in self.received if f.get("type") == type_]

    def wait_frame(self, type_: str, count: int = 1, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.frames(type_)
            if len(found) >= count:
                return found[count - 1]
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no {type_!r} frame #{count}\n{self.diagnosis()}")

    def state(self) -> dict[str, Any] | None:
        """The widget's localStorage entry."""
        return self.page.evaluate(
            """() => { for (let i = 0; i < localStorage.length; i++) {
                 const k = localStorage.key(i);
                 if (k.startsWith("storechat:")) return JSON.parse(localStorage.getItem(k));
               } return null; }"""
        )

    def diagnosis(self) -> str:
        """What the sockets and the visitor API did, and the panel, for failure messages."""
        try:
            panel = self.panel.inner_text(timeout=1000)
        except Exception:  # noqa: BLE001 - only for the failure message
            panel = "(no panel)"
        text = "socket log:\n" + ("\n".join(self.log[-30:]) or "(no socket)")
        if any("Invalid frame header" in line for line in self.log):
            text += ("\n(\"Invalid frame header\": the server wrote something that is not a WebSocket frame,"
                     " usually an HTTP 500 after the socket handler raised; see the server's log)")
        calls = [f"{m} {u[len(self.base):]} {b or ''}"[:200] for m, u, b in self.requests if VISITOR_API in u]
        if calls or self.blocked:
            text += "\nvisitor API calls:\n" + ("\n".join(calls) or "(none)") + f"\nblocked sockets: {self.blocked}"
        return text + f"\n\npanel:\n{panel}"

    # ---- the widget (inside an open shadow root: Playwright's CSS pierces it)

    @property
    def host(self) -> Any:
        return self.page.locator("#storechat")

    @property
    def launcher(self) -> Any:
        return self.host.locator("button.L")

    @property
    def panel(self) -> Any:
        return self.host.locator("[role=dialog]")

    @property
    def input(self) -> Any:
        return self.panel.locator("form.f input")

    @property
    def teaser(self) -> Any:
        return self.host.locator(".g")

    def rows(self, author: str) -> Any:
        return self.panel.locator(f".r.{author}")

    def open_chat(self) -> None:
        from playwright.sync_api import expect

        expect(self.launcher).to_be_visible()
        self.launcher.click()
        expect(self.panel).to_be_visible()

    def reopened(self) -> None:
        """After a reload or a navigation: the panel that was open opens again by itself."""
        from playwright.sync_api import expect

        expect(self.panel).to_be_visible()
        expect(self.launcher).to_have_attribute("aria-expanded", "true")

    def ask(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def focused(self) -> str:
        """What has the focus, described: "launcher", a class and text inside the widget, or a page tag."""
        return self.page.evaluate(
            """() => {
              const a = document.activeElement;
              if (!a || a.id !== "storechat") return a ? a.tagName.toLowerCase() : "";
              const e = a.shadowRoot.activeElement;
              if (!e) return "host";
              if (e.classList.contains("L")) return "launcher";
              const name = e.getAttribute("aria-label") || e.textContent || "";
              return (e.tagName.toLowerCase() + "." + e.className + " " + name).trim();
            }"""
        )

    def answer(self, title: str = "Classic Leather Jacket") -> Any:
        from playwright.sync_api import expect

        answer = self.rows("assistant").filter(has_text=title)
        try:
            expect(answer.first).to_be_visible(timeout=ANSWER_TIMEOUT)
        except AssertionError as e:
            raise AssertionError(f"{e}\n\n{self.diagnosis()}") from None
        return answer.last


def jacket_answer(tab: Tab, demo: Running, timeout: int = ANSWER_TIMEOUT) -> Any:
    """The one assistant answer to :data:`QUESTION`: the jacket's price and its product card."""
    from playwright.sync_api import expect

    answer = tab.rows("assistant").filter(has_text="Classic Leather Jacket")
    try:
        expect(answer).to_have_count(1, timeout=timeout)
    except AssertionError as e:
        raise AssertionError(f"{e}\n\n{tab.diagnosis()}") from None
    expect(answer.locator(".b")).to_contain_text("$80.00")
    card = answer.locator(".c").filter(has_text="Classic Leather Jacket")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("$80.00")
    expect(card.locator("a")).to_have_attribute("href", f"{demo.base}/demo/products/classic-leather-jacket")
    return answer


def make_opener(browser: Any, demo: Running) -> tuple[Callable[..., Tab], Callable[[], list[str]]]:
    """``open(path="/demo/", viewport=(w, h), init="", **context options)`` and a
    ``close()`` that closes every context and returns the pages' uncaught errors."""
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(demo.base + "/"):
            route.continue_()
        else:
            route.abort()

    def open_(path: str = "/demo/", viewport: tuple[int, int] = (1280, 800), init: str = "",
              context: Any = None, sockets: bool = True, **options: Any) -> Tab:
        """``sockets=False``: every /ws/visitor socket is closed before it reaches the
        server (a network that blocks WebSockets), so the widget talks over HTTP."""
        if context is None:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, **options)
            contexts.append(context)
            context.set_default_timeout(15_000)
            context.route("**/*", route)
            context.add_init_script(PERF_PROBE + init)
            if not sockets:
                context.route_web_socket(re.compile(r".*/ws/visitor$"), lambda ws: ws.close())
        tab = Tab(context.new_page(), demo.base)
        tabs.append(tab)
        tab.page.goto(f"{demo.base}{path}", wait_until="load")
        return tab

    def close() -> list[str]:
        for context in contexts:
            context.close()
        return [e for tab in tabs for e in tab.errors]

    return open_, close


# ---- the shop


def database(demo: Running) -> Path:
    return Path(demo.env["STORECHAT_INSTANCE_PATH"]) / "storechat.db"


def set_settings(demo: Running, settings: dict[str, Any]) -> None:
    """Replace the demo shop's settings (branding, triggers...): the next config request sees them."""
    with sqlite3.connect(database(demo)) as conn:
        changed = conn.execute("UPDATE shops SET settings = ? WHERE platform_ref = 'demo'", (json.dumps(settings),))
        assert changed.rowcount == 1


@contextmanager
def shop_settings(demo: Running, **settings: Any) -> Iterator[None]:
    set_settings(demo, settings)
    try:
        yield
    finally:
        set_settings(demo, {})


def agent(demo: Running, name: str) -> Any:
    """A person from the shop on the agent socket (``storechat agent create``)."""
    from tests.realtime.agentclient import AgentClient

    made = demo.cli("agent", "create", _site_key(demo), "--name", name)
    credential = re.search(r"credential: (\S+)", made.stdout)
    assert credential, made.stdout + made.stderr
    client = AgentClient(demo.base)
    client.hello(credential.group(1))
    return client


TEAM_PASSWORD = "a long demo password"


def teammate(demo: Running, open_tab: Callable[..., Tab], email: str, name: str, role: str = "agent") -> Tab:
    """A new member of the demo shop's team: created with the CLI, who follows the
    printed one-time link, chooses a password and lands in the inbox."""
    from playwright.sync_api import expect

    made = demo.cli("user", "create", _site_key(demo), email, "--name", name, "--role", role)
    link = re.search(r"https?://\S+(/admin/welcome/\S+)", made.stdout)
    assert link, made.stdout + made.stderr
    tab = open_tab(path=link.group(1))
    tab.page.get_by_label("New password").fill(TEAM_PASSWORD)
    tab.page.get_by_label("The same password again").fill(TEAM_PASSWORD)
    tab.page.get_by_role("button", name="Save and sign in").click()
    expect(tab.page).to_have_url(re.compile(r"/admin/inbox/"))
    expect(tab.page.locator("#conn")).to_have_text("Online")
    return tab


def add_canned_replies(demo: Running, replies: dict[str, str]) -> None:
    """Canned replies (shortcut -> text) for the demo shop, straight into its database:
    the inbox reads them when it loads."""
    with sqlite3.connect(database(demo)) as conn:
        shop_id = conn.execute("SELECT id FROM shops WHERE platform_ref = 'demo'").fetchone()[0]
        conn.executemany(
            "INSERT INTO canned_replies (shop_id, shortcut, text, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
            [(shop_id, shortcut, text) for shortcut, text in replies.items()])


# ---- processes: whatever a demo started must be gone when it stops


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


def owned_by(running: Running, instance: Path) -> set[int]:
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


def reap(owned: set[int], grace: float = 15) -> list[str]:
    """Wait for `owned` to exit; SIGKILL (by pid) and return the ones that did not ("pid: command")."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in owned):
        time.sleep(0.1)
    left = sorted(p for p in owned if _alive(p))
    procs = _processes()
    named = [f"{pid}: {procs.get(pid, (0, '?'))[1][:200]}" for pid in left]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return named


def start_demo(instance: Path, port: int) -> Running:
    """`storechat demo` on a chosen port and instance folder, so that it can be
    stopped and started again as the same server (same address, database, secret)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env.update({"STORECHAT_INSTANCE_PATH": str(instance), "STORECHAT_WEB_WORKERS": "2"})
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "demo", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if m := READY.search(line):
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return Running(proc, m.group(1), env)
    proc.kill()
    raise AssertionError("storechat demo did not become ready:\n" + "".join(seen))
