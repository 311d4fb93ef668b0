"""The widget learns the shop's business hours from its config: open now or
not, when the team is back (in the page's language), and a cache lifetime
that never runs past the next opening or closing."""
from __future__ import annotations

import time as clock
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from core.business_hours import DAYS
from core.db import Database, Shop
from core.widget.routes import widget_config
from tests.core.test_widget_routes import app, client  # noqa: F401 - fixtures: the widget's app alone

UTC = timezone.utc
OFFICE = {d: [{"opens": "09:00", "closes": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}


def add_shop(db: Database, site_key: str, hours: dict[str, Any] | None, **settings: Any) -> Shop:
    with db.session() as session:
        shop = Shop(name="Clock Shop", platform="csv", platform_ref=site_key, site_key=site_key, locale="en",
                    settings={**settings, **({"business_hours": hours} if hours else {})})
        session.add(shop)
    return shop


def berlin(hours: dict[str, Any] | None = None) -> Shop:
    return Shop(name="Clock Shop", platform="csv", site_key="sk_x", locale="de",
                settings={"business_hours": {"timezone": "Europe/Berlin", "week": hours or OFFICE}})


def test_closed_on_a_friday_evening_back_on_monday_in_the_pages_language() -> None:
    friday_evening = datetime(2024, 3, 29, 16, 0, tzinfo=UTC)  # 17:00 in Berlin, before the clocks change
    found = widget_config(berlin(), "v", "en-US", friday_evening)["hours"]
    assert found == {
        "open": False,
        "next_open": "2024-04-01T07:00:00+00:00",  # Monday 9:00 CEST
        "away": "Our team is back Monday at 9:00\u00a0AM. Leave your email and we'll answer you there.",
        # till Berlin's midnight, when "Monday" stays but "tomorrow" would come closer
        "until": int(datetime(2024, 3, 29, 23, 0, tzinfo=UTC).timestamp() * 1000),
    }
    german = widget_config(berlin(), "v", None, friday_evening)["hours"]  # the shop's language
    assert german["away"].startswith("Unser Team ist am Montag um 9:00\u00a0Uhr wieder da.")
    sunday = widget_config(berlin(), "v", "en-GB", datetime(2024, 3, 31, 10, 0, tzinfo=UTC))["hours"]
    assert sunday["away"].startswith("Our team is back tomorrow at 9:00.")


def test_open_until_closing_time() -> None:
    tuesday_noon = datetime(2024, 6, 4, 10, 0, tzinfo=UTC)
    found = widget_config(berlin(), "v", "en", tuesday_noon)["hours"]
    assert found == {"open": True, "next_open": None, "away": None,
                     "until": int(datetime(2024, 6, 4, 15, 0, tzinfo=UTC).timestamp() * 1000)}


def test_closed_every_day_offers_the_email_without_a_time() -> None:
    shop = Shop(name="Gone", platform="csv", site_key="sk_x", settings={
        "business_hours": {"timezone": "UTC", "week": {}}})
    assert widget_config(shop, "v", "en", datetime(2024, 6, 4, tzinfo=UTC))["hours"] == {
        "open": False, "next_open": None, "away": None, "until": None}


def test_the_config_over_http_says_closed_and_when_the_team_is_back(client: FlaskClient, db: Database) -> None:
    zone = ZoneInfo("America/New_York")
    later = datetime.now(zone).date() + timedelta(days=3)
    add_shop(db, "sk_closed", {"timezone": "America/New_York",
                               "week": {DAYS[later.weekday()]: [{"opens": "09:00", "closes": "17:00"}]}})
    resp = client.get("/widget/v1/chat-config?site_key=sk_closed&lang=en-US")
    data = resp.get_json()["hours"]
    assert data["open"] is False
    opening = datetime(later.year, later.month, later.day, 9, 0, tzinfo=zone)
    assert datetime.fromisoformat(data["next_open"]) == opening
    assert data["away"] == (f"Our team is back {opening:%A} at 9:00\u00a0AM. "
                            "Leave your email and we'll answer you there.")
    age = int(resp.headers["Cache-Control"].removeprefix("public, max-age="))
    assert 0 <= age <= 60 and age <= data["until"] / 1000 - clock.time() + 1


def test_the_config_is_not_cached_past_closing_time(client: FlaskClient, db: Database) -> None:
    """Open until the next whole minute, 10-55 seconds away: max-age is no longer than that."""
    while not 5 <= datetime.now(UTC).second <= 50:
        clock.sleep(0.5)
    now = datetime.now(UTC)
    closing = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    closes = "24:00" if closing.hour == 0 and closing.minute == 0 else f"{closing:%H:%M}"
    add_shop(db, "sk_closing", {"timezone": "UTC", "week": {DAYS[now.weekday()]: [{"opens": "00:00",
                                                                                   "closes": closes}]}})
    resp = client.get("/widget/v1/chat-config?site_key=sk_closing")
    data = resp.get_json()["hours"]
    assert data["open"] is True and data["until"] == int(closing.timestamp() * 1000)
    age = int(resp.headers["Cache-Control"].removeprefix("public, max-age="))
    left = (closing - now).total_seconds()
    assert left - 2 <= age <= left < 60


def test_without_business_hours_the_config_is_as_before(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_always", None)
    resp = client.get("/widget/v1/chat-config?site_key=sk_always")
    assert resp.get_json()["hours"] is None
    assert resp.headers["Cache-Control"] == "public, max-age=60"


def test_hours_stored_badly_leave_the_widget_always_open(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_bad", {"timezone": "Atlantis/Capital", "week": {}})
    resp = client.get("/widget/v1/chat-config?site_key=sk_bad")
    assert resp.status_code == 200 and resp.get_json()["hours"] is None
