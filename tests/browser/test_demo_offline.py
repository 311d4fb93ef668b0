"""The demo storefront works offline, as a newcomer's browser sees it: no
console error, no failed request (favicon included), every product picture
loaded, on the store page, a product page, the start page and the chat's
product cards.

Requests to other origins are refused here too, but counted as failures: the
demo must not need them.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.storefront import Tab
from tests.test_end_to_end import Running

pytestmark = pytest.mark.browser

#: Every <img> on the page (and in the widget's shadow root) with its natural width.
IMAGES = """() => {
  const host = document.querySelector('#storechat');
  const all = [...document.images, ...(host && host.shadowRoot ? host.shadowRoot.querySelectorAll('img') : [])];
  return all.map(i => [i.currentSrc || i.src, i.complete, i.naturalWidth]);
}"""


class Watched:
    """A browser context that records console errors, failed requests and error responses."""

    def __init__(self, browser: Any, demo: Running) -> None:
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(15_000)
        self.context.route("**/*", self._route)
        self.base = demo.base

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.base + "/"):
            route.continue_()
        else:
            self.problems.append(f"request to another origin: {route.request.url}")
            route.abort()

    def page(self, path: str) -> Any:
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))
        page.goto(f"{self.base}{path}", wait_until="load")
        # Lazy images load once scrolled to.
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # the favicon is fetched after load
        return page


@pytest.fixture
def watched(browser: Any, demo: Running) -> Iterator[Watched]:
    w = Watched(browser, demo)
    yield w
    w.context.close()


def _images_loaded(page: Any) -> list[list[Any]]:
    images = page.evaluate(IMAGES)
    assert images, "no images on the page"
    broken = [i for i in images if not (i[1] and i[2] > 0)]
    assert not broken, f"images that did not load: {broken}"
    return images  # type: ignore[no-any-return]


def test_store_and_product_pages_load_everything_locally(watched: Watched, demo: Running) -> None:
    store = watched.page("/demo/")
    images = _images_loaded(store)
    assert len(images) == 20 and all(src.startswith(f"{demo.base}/demo/images/") for src, _, _ in images)
    product = watched.page("/demo/products/classic-leather-jacket")
    assert _images_loaded(product) == [[f"{demo.base}/demo/images/classic-leather-jacket.svg", True, 400]]
    watched.page("/")
    assert watched.problems == []


def test_chat_product_cards_show_local_images(watched: Watched, demo: Running) -> None:
    page = watched.page("/demo/")
    tab = Tab(page, demo.base)
    tab.open_chat()
    tab.ask("do you have a leather jacket?")
    card = tab.answer().locator("img")
    card.first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    shown = page.evaluate(IMAGES)
    in_chat = [i for i in shown if "classic-leather-jacket" in i[0]]
    assert len(in_chat) >= 2 and all(i[1] and i[2] > 0 for i in in_chat), shown  # the page's and the card's
    assert watched.problems == []
