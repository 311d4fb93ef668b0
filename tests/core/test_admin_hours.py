"""The business hours page: owners set the time zone and the weekly hours;
bad input is refused naming the field, with nothing stored."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.accounts.users import create_user, set_password
from core.db import Database, Shop

PASSWORD = "correct horse battery"
WEEK = {"mon": "09:00-12:30, 13:30-18:00", "tue": "9:00-17:00", "wed": "", "thu": "", "fri": "09:00 - 24:00",
        "sat": "", "sun": ""}



@pytest.fixture
def shop_id(db: Database) -> int:
    with db.session() as session:
        shop = Shop(name="Hours Shop", platform="csv", site_key="sk_hours", connector_config={},
                    settings={"color": "#123456"})
        session.add(shop)
        session.flush()
        shop_id = shop.id
    for email, role in (("owner@example.com", "owner"), ("agent@example.com", "agent")):
        set_password(db, create_user(db, shop_id, email, role=role).id, PASSWORD)
    return shop_id


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    token = _token(client.get("/admin/sign-in").get_data(as_text=True))
    response = client.post("/admin/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def post(client: FlaskClient, **fields: str) -> Any:
    token = _token(client.get("/admin/hours/").get_data(as_text=True))
    return client.post("/admin/hours/", data={"csrf_token": token, **fields})


def stored(db: Database, shop_id: int) -> dict[str, Any]:
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return dict(shop.settings or {})


def test_the_owner_sets_the_hours_from_the_team_page(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    team = client.get("/admin/team/").get_data(as_text=True)
    assert 'href="/admin/hours/"' in team
    page = client.get("/admin/hours/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    options = re.findall(r"<option(?: selected)?>([^<]+)</option>", html)
    assert options == sorted(options) and "Europe/Berlin" in options and "America/New_York" in options
    assert "Always open" in html

    response = post(client, enabled="on", timezone="Europe/Berlin", closed_on="2024-12-26, 2024-12-25", **WEEK)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/hours/?saved=1")
    settings = stored(db, shop_id)
    assert settings["color"] == "#123456"  # the other settings stay
    assert settings["business_hours"] == {
        "timezone": "Europe/Berlin",
        "week": {"mon": [{"opens": "09:00", "closes": "12:30"}, {"opens": "13:30", "closes": "18:00"}],
                 "tue": [{"opens": "09:00", "closes": "17:00"}], "fri": [{"opens": "09:00", "closes": "24:00"}]},
        "closed_on": ["2024-12-25", "2024-12-26"],
    }
    again = client.get("/admin/hours/?saved=1").get_data(as_text=True)
    assert "Saved." in again and 'value="09:00-12:30, 13:30-18:00"' in again
    assert "<option selected>Europe/Berlin</option>" in again and 'value="2024-12-25, 2024-12-26"' in again

    # Unticked: always open again, the setting gone.
    assert post(client, timezone="Europe/Berlin", **WEEK).status_code == 303
    assert "business_hours" not in stored(db, shop_id) and stored(db, shop_id)["color"] == "#123456"


@pytest.mark.parametrize("fields, named", [
    ({"timezone": "Mars/Olympus"}, "Time zone: 'Mars/Olympus' is not a time zone"),
    ({"timezone": "Europe/Berlin", "tue": "09:00-12:00, 11:00-13:00"},
     "Tuesday: 09:00-12:00 and 11:00-13:00 overlap"),
    ({"timezone": "Europe/Berlin", "wed": "18:00-02:00"}, "Wednesday: 18:00-02:00 closes before it opens"),
    ({"timezone": "Europe/Berlin", "sun": "9 to 5"}, "Sunday: &#39;9 to 5&#39; is not an interval"),
    ({"timezone": "Europe/Berlin", "sat": "09:00-25:00"}, "Saturday: &#39;25:00&#39; is not a time"),
    ({"timezone": "Europe/Berlin", "closed_on": "2024-12-25, 2025-02-30"},
     "Closed on: &#39;2025-02-30&#39; is not a date like 2024-12-25"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(app: Flask, db: Database, shop_id: int,
                                                                    fields: dict[str, str], named: str) -> None:
    client = signed_in(app, "owner@example.com")
    before = {"enabled": "on", "timezone": "America/New_York", "mon": "10:00-16:00"}
    assert post(client, **before).status_code == 303
    saved = stored(db, shop_id)
    # Monday is fine; the field named is not: nothing of the form is stored.
    response = post(client, enabled="on", mon="08:00-20:00", **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert named.replace("'", "&#39;") in page, page
    assert 'aria-invalid="true"' in page
    assert 'value="08:00-20:00"' in page  # what was typed comes back
    assert stored(db, shop_id) == saved


def test_an_agent_may_not_see_or_change_the_hours(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "agent@example.com")
    assert client.get("/admin/hours/").status_code == 403
    # A valid token of the agent's own session (from a page an agent may see): still refused.
    token = _token(client.get("/admin/inbox/").get_data(as_text=True))
    response = client.post("/admin/hours/", data={"csrf_token": token, "enabled": "on",
                                                  "timezone": "UTC", "mon": "00:00-24:00"})
    assert response.status_code == 403
    assert "business_hours" not in stored(db, shop_id)


def test_a_form_without_the_csrf_token_is_refused(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    response = client.post("/admin/hours/", data={"enabled": "on", "timezone": "UTC", "mon": "00:00-24:00"})
    assert response.status_code == 400
    assert "business_hours" not in stored(db, shop_id)


def test_signed_out_the_page_asks_to_sign_in(app: Flask, shop_id: int) -> None:
    response = app.test_client().get("/admin/hours/")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]
