#!/usr/bin/env python
"""What the storefront widget costs a store, measured in headless Chromium.

    .venv/bin/python bench/widget.py               # about a minute
    .venv/bin/python bench/widget.py --rounds 10 --chats 5 --cpu 6
    .venv/bin/python bench/widget.py --bytes       # only the bytes (part 1)

Starts `storechat demo` (a temporary instance folder, SQLite, the embedded
Redis) and drives Debian's Chromium (/usr/bin/chromium, or STORECHAT_CHROMIUM)
with Playwright. Requests to other origins (the catalog's CDN images) are
refused, so the run needs no internet. Prints figures; asserts nothing.

  1. bytes: what a page pays before any click, measured in Chromium (each
     response body as it came over the wire, gzipped: loader.js, launcher.js,
     the launcher's config, the load beacon's answer), against the budgets
     (loader 1,000 B, all of it 2,000 B) and the figures before issue 19; then
     what opening the chat adds (chat.js, budget 12,000 B, and the chat's
     config), and what the next page of the same visit pays
  2. time to launcher: from the page's load event to the launcher on screen
     (the loader waits for the page to go idle: that wait is most of it)
  3. send to first reply: from the shopper pressing Enter to the assistant's
     answer drawn in the panel, per question (the built-in engine, which
     holds a reply for `STORECHAT_ASSISTANT_DELAY` in case more lines come)
  4. long tasks (> 50 ms, PerformanceObserver "longtask") on the demo page
     with the widget and without it (the loader answered with an empty
     script), in the same run, alternating; then those of opening the chat
     and one exchange. `--cpu N` also runs them with the CPU slowed N times
     (as Lighthouse's mobile run does), where long tasks show up sooner.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("STORECHAT_CHROMIUM") or "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
READY = re.compile(r"demo store is ready: (http://\S+)/demo/")
QUESTIONS = ["do you have a leather jacket?", "how much is the Classic Leather Jacket?", "shipping costs",
             "what is your returns policy?", "show me wool jumpers", "hi", "thanks!"]

# Before any page script: long tasks, the load event, the launcher appearing, and
# (inside the widget's shadow root) each send and each reply drawn.
PROBE = """
(() => {
  const W = window.__bench = {long: [], sends: [], replies: [], launcher: null};
  new PerformanceObserver(l => l.getEntries().forEach(e => W.long.push([e.startTime, e.duration])))
    .observe({type: "longtask", buffered: true});
  const watchPanel = root => {
    new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
      if (n.nodeType !== 1) return;
      if (n.classList.contains("p")) {
        const form = n.querySelector("form.f");
        form.addEventListener("submit", () => W.sends.push(performance.now()), true);
        const list = n.querySelector(".m");
        new MutationObserver(ms2 => ms2.forEach(m2 => m2.addedNodes.forEach(r => {
          if (r.nodeType === 1 && r.matches(".r.assistant:not(.draft)")) W.replies.push(performance.now());
        }))).observe(list, {childList: true});
      }
      if (n.matches && n.matches("button.L") && W.launcher === null) {
        requestAnimationFrame(() => requestAnimationFrame(() => { W.launcher = performance.now(); }));
      }
    }))).observe(root, {childList: true});
  };
  const orig = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = orig.call(this, init);
    if (this.id === "" || this.id === "storechat") watchPanel(root);
    return root;
  };
})();
"""


def start_demo(instance: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env.update({"STORECHAT_INSTANCE_PATH": str(instance), "STORECHAT_LOG_LEVEL": "WARNING"})
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "demo", "--port", "0"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if m := READY.search(line):
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, m.group(1)
    proc.kill()
    raise SystemExit("storechat demo did not start:\n" + "".join(seen[-30:]))


#: Before issue 19 (commit 0492dd8, this bench's first figure): the loader and the one config.
BEFORE = {"loader": 1098, "config": 1189}
LOADER_BUDGET, PRE_CLICK_BUDGET, CHAT_BUDGET = 1000, 2000, 12000


def wire_bytes(base: str, browser: Any) -> None:
    """Every widget request of a first page view, then of the click, then of a second page."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    seen: list[Any] = []
    # No routing here: Playwright turns the HTTP cache off for a routed context (and this
    # page asks for nothing elsewhere before a click).
    page = context.new_page()
    page.on("requestfinished", lambda r: seen.append(r))

    def widget(since: int) -> list[tuple[str, int, int]]:
        found = []
        for r in seen[since:]:
            path = r.url[len(base):].split("?")[0]
            if "/widget/" in path or "/api/" in path:
                response = r.response()
                found.append((path, response.status if response else 0, r.sizes()["responseBodySize"]))
        return found

    try:
        page.goto(f"{base}/demo/", wait_until="load")
        page.locator("#storechat").locator("button.L").wait_for()
        page.wait_for_timeout(1500)
        first = widget(0)
        mark = len(seen)
        page.locator("#storechat").locator("button.L").click()
        page.locator("#storechat").locator("form.f input").wait_for()
        page.wait_for_timeout(1000)
        opened = widget(mark)
        page2 = context.new_page()
        page2.on("requestfinished", lambda r: seen.append(r))
        mark = len(seen)
        page2.goto(f"{base}/demo/products/classic-leather-jacket", wait_until="load")
        page2.locator("#storechat").locator("button.L").wait_for()
        page2.wait_for_timeout(1500)
        second = widget(mark)
    finally:
        context.close()
    size = {path: n for path, _, n in first}
    loader = size.get("/widget/v1/loader.js", 0)
    print("1. bytes before any click, first page of a visit (response bodies as received, gzipped)")
    for path, status, n in first:
        note = " (the events endpoint is not in this tree: its 404 page is not counted)" if (
            path.endswith("/events") and status == 404) else ""
        print(f"  {path:<28} {status}  {n:6,} B{note}")
    counted = sum(n for path, status, n in first if not (path.endswith("/events") and status == 404))
    print(f"  loader.js                     {loader:6,} B   budget {LOADER_BUDGET:,} B"
          f"   {'ok' if loader <= LOADER_BUDGET else 'MISSED'}   (before: {BEFORE['loader']:,} B)")
    print(f"  total before any click        {counted:6,} B   budget {PRE_CLICK_BUDGET:,} B"
          f"   {'ok' if counted <= PRE_CLICK_BUDGET else 'MISSED'}   (before: loader + config"
          f" {BEFORE['loader'] + BEFORE['config']:,} B)")
    print("  opening the chat adds")
    for path, status, n in opened:
        if path.startswith("/widget/"):
            budget = f"   budget {CHAT_BUDGET:,} B" if path.endswith("chat.js") else ""
            print(f"    {path:<26} {status}  {n:6,} B{budget}")
    print("  the next page of the visit (same browser)")
    for path, status, n in second:
        # Playwright reports a size below zero for an answer from the browser's cache.
        print(f"    {path:<26} {status}  {max(n, 0):6,} B{'   from the browser cache' if n <= 0 else ''}")
    print()


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return (f"p50 {statistics.median(values):7.1f} ms   min {values[0]:7.1f}   max {values[-1]:7.1f}"
            f"   (n={len(values)})")


def tasks_line(label: str, runs: list[list[list[Any]]]) -> str:
    counts = [len(r) for r in runs]
    totals = [sum(t[1] for t in r) for r in runs]
    blocking = [sum(max(0.0, t[1] - 50) for t in r) for r in runs]
    longest = max((t[1] for r in runs for t in r), default=0.0)
    return (f"  {label:<34} long tasks per page: mean {statistics.mean(counts):4.1f} "
            f"(total {statistics.mean(totals):6.1f} ms, over 50 ms {statistics.mean(blocking):6.1f} ms, "
            f"longest {longest:5.1f} ms)")


class Bench:
    def __init__(self, browser: Any, base: str, cpu: float) -> None:
        self.browser, self.base, self.cpu = browser, base, cpu

    def page(self, widget: bool = True) -> tuple[Any, Any]:
        context = self.browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(PROBE)

        def route(r: Any) -> None:
            url = r.request.url
            if not url.startswith(self.base + "/"):
                return r.abort()
            if not widget and "/widget/v1/loader.js" in url:
                return r.fulfill(status=200, content_type="text/javascript", body="")
            return r.continue_()

        context.route("**/*", route)
        page = context.new_page()
        if self.cpu > 1:
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": self.cpu})
        return context, page

    def load(self, widget: bool) -> tuple[list[list[float]], float | None]:
        context, page = self.page(widget)
        try:
            page.goto(f"{self.base}/demo/", wait_until="load")
            if widget:
                page.wait_for_function("window.__bench.launcher !== null", timeout=30_000)
            page.wait_for_timeout(1500)  # what the loader does after the launcher, if anything
            data = page.evaluate("""() => ({long: window.__bench.long, launcher: window.__bench.launcher,
                load: performance.getEntriesByType("navigation")[0].loadEventEnd})""")
            launcher = data["launcher"] - data["load"] if widget else None
            # Mark the tasks that began after the load event: the loader does nothing before it.
            return [[start, duration, start >= data["load"]] for start, duration in data["long"]], launcher
        finally:
            context.close()

    def chat(self, questions: list[str]) -> tuple[list[float], list[list[float]], list[list[float]]]:
        """Send to first reply per question; long tasks of opening the chat; of the exchanges."""
        context, page = self.page()
        try:
            page.goto(f"{self.base}/demo/", wait_until="load")
            page.wait_for_function("window.__bench.launcher !== null", timeout=30_000)
            page.wait_for_timeout(500)
            before = page.evaluate("window.__bench.long.length")
            launcher = page.locator("#storechat").locator("button.L")
            launcher.click()
            panel_input = page.locator("#storechat").locator("form.f input")
            panel_input.wait_for()
            page.wait_for_timeout(1000)  # chat.js parsed, the socket's welcome in
            opened = page.evaluate(f"window.__bench.long.slice({before})")
            before = page.evaluate("window.__bench.long.length")
            waits = []
            for n, question in enumerate(questions, start=1):
                panel_input.fill(question)
                panel_input.press("Enter")
                try:
                    page.wait_for_function(f"window.__bench.replies.length >= {n}", timeout=30_000)
                except Exception:
                    panel = page.locator("#storechat").locator("[role=dialog]").inner_text()
                    raise SystemExit(f"no answer to {question!r} within 30 s; the panel says:\n{panel}") from None
                # Let the reply settle, so the next question does not merge with it.
                page.wait_for_timeout(300)
            data = page.evaluate("window.__bench")
            for sent, got in zip(data["sends"], data["replies"]):
                waits.append(got - sent)
            exchanges = data["long"][before:]
            return waits, [[[*t, True] for t in opened]], [[[*t, True] for t in exchanges]]
        finally:
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="page loads with and without the widget (each)")
    parser.add_argument("--chats", type=int, default=3, help="conversations (each opens the chat and asks all)")
    parser.add_argument("--cpu", type=float, default=4, help="also run with the CPU slowed this many times (1: not)")
    parser.add_argument("--bytes", action="store_true", help="only the bytes (part 1)")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        raise SystemExit(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="storechat-bench-widget-"))
    proc, base = start_demo(tmp / "instance")
    try:
        print(f"storechat demo at {base} (instance {tmp / 'instance'})\n")

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                wire_bytes(base, browser)
                if args.bytes:
                    return
                for cpu in ([1.0, args.cpu] if args.cpu > 1 else [1.0]):
                    bench = Bench(browser, base, cpu)
                    title = "no CPU slowdown" if cpu == 1 else f"CPU slowed {cpu:g}x"
                    with_widget, without, launchers = [], [], []
                    for _ in range(args.rounds):
                        tasks, _ = bench.load(widget=False)
                        without.append(tasks)
                        tasks, launcher = bench.load(widget=True)
                        with_widget.append(tasks)
                        launchers.append(launcher)
                    waits, opened, exchanges = [], [], []
                    for _ in range(args.chats):
                        w, o, e = bench.chat(QUESTIONS)
                        waits += w
                        opened += o
                        exchanges += e
                    print(f"--- {title}")
                    print("2. time to launcher after the load event")
                    print(f"  {ms([x for x in launchers if x is not None])}")
                    print("3. send to first reply in the browser (built-in engine)")
                    print(f"  {ms(waits)}")
                    print("4. long tasks (> 50 ms)")
                    print(tasks_line("page without the widget", without))
                    print(tasks_line("page with the widget (loader)", with_widget))
                    after = [[t for t in r if t[2]] for r in without], [[t for t in r if t[2]] for r in with_widget]
                    print(tasks_line("  after the load event, without", after[0]))
                    print(tasks_line("  after the load event, with", after[1]))
                    added = (statistics.mean(len(r) for r in with_widget)
                             - statistics.mean(len(r) for r in without))
                    print(f"  {'difference, whole page load':<34} {added:+.1f} long tasks per page"
                          f" (over {args.rounds} loads each, alternating)")
                    print(tasks_line("opening the chat (chat.js, socket)", opened).replace("per page", "per open"))
                    asked = f"{len(QUESTIONS)} questions and answers"
                    print(tasks_line(asked, exchanges).replace("per page", "per chat"))
                    print()
            finally:
                browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
