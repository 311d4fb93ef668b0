"""Outside business hours, in headless Chromium: a shopper who asks for a
person is offered the email field at once, told when the team is back.

The app runs in this process (tests/live.py), on the test database and
Redis, with a shop whose only open day is three days away; its
`contact_after` is five minutes, so only the business hours can bring the
email field this soon.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.app import create_app
from core.business_hours import DAY_NAMES, DAYS
from core.db import Shop
from tests.browser.storefront import Tab, make_opener
from tests.live import serve

pytestmark = pytest.mark.browser

ZONE = "America/New_York"
SITE_KEY = "sk_after_hours"


@pytest.fixture
def db_kind() -> str:
    return "sqlite"  # the browser's part does not depend on the database


@pytest.fixture
def reopens() -> datetime:
    return datetime.combine(datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=3),
                            datetime.min.time().replace(hour=9), tzinfo=ZoneInfo(ZONE))


@pytest.fixture
def site(settings, db, redis, reopens: datetime) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        session.add(Shop(name="Night Owl", platform="csv", site_key=SITE_KEY, connector_config={}, settings={
            "contact_after": 300,
            "business_hours": {"timezone": ZONE, "week": {DAYS[reopens.weekday()]: [{"opens": "09:00",
                                                                                       "closes": "17:00"}]}},
        }))
    app = create_app(settings.model_copy(update={"demo": True}))  # the demo storefront page, for the snippet
    try:
        with serve(app) as url:
            yield url
    finally:
        app.extensions["storechat"].close()


@pytest.fixture
def open_tab(browser: Any, site: str) -> Iterator[Callable[..., Tab]]:
    opener, close = make_opener(browser, SimpleNamespace(base=site))  # type: ignore[arg-type]
    yield opener
    errors = close()
    assert not errors, f"uncaught errors in the page: {errors}"


def test_outside_hours_asking_for_a_person_offers_the_email_and_says_when(open_tab: Callable[..., Tab],
                                                                         reopens: datetime) -> None:
    from playwright.sync_api import expect

    tab = open_tab(f"/demo/?site_key={SITE_KEY}&lang=en-US")
    tab.open_chat()
    tab.ask("hello")
    human = tab.panel.locator("button", has_text="Talk to a person")
    expect(human).to_be_visible()
    human.click()
    email = tab.panel.locator("input[type=email]")
    expect(email).to_be_visible(timeout=5000)  # at once, not after contact_after (300 s)
    offer = tab.panel.locator(".r.system").filter(has=tab.page.locator("input[type=email]"))
    expect(offer).to_contain_text(f"Our team is back {DAY_NAMES[DAYS[reopens.weekday()]]} at 9:00\u00a0AM. "
                                  "Leave your email and we'll answer you there.")
    email.fill("owl@example.com")
    email.press("Enter")
    expect(tab.rows("system").filter(has_text="Thanks! We'll reply to owl@example.com.")).to_have_count(1)
