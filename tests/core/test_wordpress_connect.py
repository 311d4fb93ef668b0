"""StoreChat's side of the plugin's "Connect this site" and of disconnecting,
through the real routes, database and Redis; the plugin's REST routes are
answered by ``responses`` (the live test in tests/connectors/wordpress runs
the real plugin)."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.accounts.users import create_user, set_password
from core.app import create_app
from core.db import Database, Shop, SyncRun, User
from core.security import site_connect
from core.shop_connectors import open_config
from core.shops import create_shop
from core.wordpress_sites import CONNECT_ROUTE, DISCONNECT_ROUTE, disconnect_signature

SITE = "https://wp.example"
RETURN = f"{SITE}/wp-admin/options-general.php?page=storechat"
TOKEN = "0123456789abcdef0123456789abcdef"
PASSWORD = "owner-pass-0123"


@pytest.fixture
def app(settings, db, redis) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    app = create_app(settings)
    yield app
    app.extensions["storechat"].close()


@pytest.fixture
def shop(db: Database) -> Shop:
    shop = create_shop(db, "Content Shop", "csv", {"empty": True})
    set_password(db, create_user(db, shop.id, "owner@wp.example", role="owner").id, PASSWORD)
    set_password(db, create_user(db, shop.id, "agent@wp.example", role="agent").id, PASSWORD)
    return shop


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def signed_in(app: Flask, email: str = "owner@wp.example") -> FlaskClient:
    client = app.test_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    resp = client.post("/admin/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf(page)})
    assert resp.status_code == 302
    return client


def start(client: FlaskClient, site: str = SITE, back: str = RETURN, token: str = TOKEN):  # type: ignore[no-untyped-def]
    return client.get("/admin/wordpress/connect", query_string={"site": site, "return": back, "token": token})


def state_of(client: FlaskClient) -> tuple[str, str]:
    """Start a connect; (the approve page, its state)."""
    resp = start(client)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert urlsplit(location).path == "/admin/wordpress/approve"
    state = parse_qs(urlsplit(location).query)["state"][0]
    page = client.get(location).get_data(as_text=True)
    return page, state


def approve(client: FlaskClient, page: str, state: str):  # type: ignore[no-untyped-def]
    return client.post("/admin/wordpress/approve", data={"state": state, "csrf_token": csrf(page)})


def row(db: Database, shop_id: int) -> Shop:
    with db.session() as session:
        found = session.get(Shop, shop_id)
        assert found is not None
        return found


# -- starting ----------------------------------------------------------------------


@pytest.mark.parametrize(("query", "message"), [
    ({"site": "http://wp.example"}, "StoreChat connects only to sites at an https:// address"),
    ({"site": "https://192.168.1.5"}, "not a public address"),
    ({"site": "wp.example"}, "absolute https:// URL"),
    ({"return": "https://evil.example/wp-admin/"}, "not on the site being connected"),
    ({"return": "http://wp.example/wp-admin/"}, "not on the site being connected"),
    ({"token": "short"}, "connect token is malformed"),
])
def test_a_bad_start_is_refused_with_a_clear_message(app: Flask, shop: Shop, query: dict[str, str],
                                                     message: str) -> None:
    params = {"site": SITE, "back": RETURN, "token": TOKEN}
    params.update({"back" if k == "return" else k: v for k, v in query.items()})
    resp = start(app.test_client(), params["site"], params["back"], params["token"])
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def test_plain_http_sites_are_allowed_for_development(app: Flask, shop: Shop, outbound_development) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    resp = start(app.test_client(), "http://127.0.0.1:8080", "http://127.0.0.1:8080/wp-admin/options.php")
    assert resp.status_code == 302


def test_signed_out_the_approve_page_offers_sign_in_and_sign_up_only_when_allowed(
    app: Flask, shop: Shop, settings
) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    page, state = state_of(client)
    assert SITE in page and 'id="sign-in"' in page and 'id="sign-up"' not in page
    sign_in = re.search(r'id="sign-in" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert sign_in.startswith("/admin/sign-in?next=")
    settings.self_service_shops = True
    assert 'id="sign-up"' in client.get(f"/admin/wordpress/approve?state={state}").get_data(as_text=True)


# -- approving ---------------------------------------------------------------------


@responses.activate
def test_an_owner_approves_and_the_plugin_receives_its_keys(app: Flask, db: Database, shop: Shop) -> None:
    plugin = responses.post(SITE + CONNECT_ROUTE, json={"status": "connected"})
    client = signed_in(app)
    page, state = state_of(client)
    assert "Approve and connect" in page and "Content Shop" in page
    resp = approve(client, page, state)
    assert resp.status_code == 302 and resp.headers["Location"] == RETURN + "&storechat_connect=connected"

    sent = json.loads(plugin.calls[0].request.body)
    found = row(db, shop.id)
    config = open_config(db.settings, found)
    assert sent == {"token": TOKEN, "site_key": found.site_key, "identity_secret": config["identity_secret"]}
    assert (found.platform, found.platform_ref, config["site_url"]) == ("wordpress", SITE, SITE)
    assert found.settings["connection"]["state"] == "connected"
    with db.session() as session:  # the first import is queued
        assert session.scalar(select(SyncRun.status).where(SyncRun.shop_id == shop.id)) == "queued"


@responses.activate
def test_a_replayed_forged_or_stale_state_is_refused_and_connects_nothing(
    app: Flask, db: Database, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = responses.post(SITE + CONNECT_ROUTE, json={"status": "connected"})
    client = signed_in(app)
    page, state = state_of(client)
    assert approve(client, page, state).status_code == 302
    replay = approve(client, page, state)
    assert replay.status_code == 403 and "used already" in replay.get_data(as_text=True)

    forged = site_connect.sign("someone-elses-secret-key-0123456789abcdef", SITE, RETURN, TOKEN)
    altered = state[:-3] + ("AAA" if not state.endswith("AAA") else "BBB")
    for bad in (forged, altered, "", "x" * 5000):
        resp = approve(client, page, bad)
        assert resp.status_code == 403, bad[:20]
    assert "forged or altered" in approve(client, page, forged).get_data(as_text=True)

    _, fresh = state_of(client)
    monkeypatch.setattr(site_connect, "MAX_AGE", -1)
    stale = approve(client, page, fresh)
    assert stale.status_code == 403 and "expired" in stale.get_data(as_text=True)
    assert len(plugin.calls) == 1  # only the first approval reached the site


def test_an_agent_cannot_approve(app: Flask, db: Database, shop: Shop) -> None:
    client = signed_in(app, "agent@wp.example")
    resp = start(client)
    page = client.get(resp.headers["Location"])
    assert page.status_code == 403
    state = parse_qs(urlsplit(resp.headers["Location"]).query)["state"][0]
    owner_page, _ = state_of(signed_in(app))
    refused = client.post("/admin/wordpress/approve", data={"state": state, "csrf_token": csrf(owner_page)})
    assert refused.status_code in (400, 403)  # another session's CSRF token, or the role
    assert row(db, shop.id).platform == "csv"


@responses.activate
def test_when_the_plugin_refuses_its_keys_the_shop_is_not_left_connected(
    app: Flask, db: Database, shop: Shop
) -> None:
    responses.post(SITE + CONNECT_ROUTE, status=403, json={"code": "storechat_bad_token"})
    client = signed_in(app)
    page, state = state_of(client)
    resp = approve(client, page, state)
    assert resp.status_code == 502 and "did not accept the connection" in resp.get_data(as_text=True)
    found = row(db, shop.id)
    assert found.settings["connection"]["state"] == "disconnected"
    assert "identity_secret" not in open_config(db.settings, found)


# -- self-service sign-up ----------------------------------------------------------


def sign_up(client: FlaskClient, state: str, page: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"state": state, "csrf_token": csrf(page), "shop_name": "New Site Shop", "name": "Ada",
            "email": "ada@new.example", "password": "new-pass-0123", "confirm": "new-pass-0123"}
    data.update(fields)
    return client.post("/admin/wordpress/sign-up", data=data)


def test_sign_up_is_closed_unless_the_operator_opens_it(app: Flask, db: Database, shop: Shop) -> None:
    client = app.test_client()
    _, state = state_of(client)
    resp = sign_up(client, state, client.get("/admin/sign-in").get_data(as_text=True))  # a CSRF token
    assert resp.status_code == 403 and "does not create shops on request" in resp.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Shop)) == 1


@responses.activate
def test_sign_up_creates_the_shop_and_its_owner_and_connects(app: Flask, db: Database, shop: Shop,
                                                             settings) -> None:  # type: ignore[no-untyped-def]
    settings.self_service_shops = True
    responses.post(SITE + CONNECT_ROUTE, json={"status": "connected"})
    client = app.test_client()
    page, state = state_of(client)
    mismatch = sign_up(client, state, page, confirm="other-pass-0123")
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    short = sign_up(client, state, page, password="short", confirm="short")
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    resp = sign_up(client, state, page)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("storechat_connect=connected")
    with db.session() as session:
        new = session.scalar(select(Shop).where(Shop.name == "New Site Shop"))
        assert new is not None and (new.platform, new.platform_ref) == ("wordpress", SITE)
        owner = session.scalar(select(User).where(User.shop_id == new.id))
        assert (owner.email, owner.role) == ("ada@new.example", "owner")
    assert client.get("/admin/inbox/").status_code == 200  # signed in as the new owner
    other = app.test_client()
    again = sign_up(other, state, other.get("/admin/sign-in").get_data(as_text=True), email="eve@new.example",
                    shop_name="Replayed Shop")
    assert again.status_code == 403 and "used already" in again.get_data(as_text=True)
    with db.session() as session:  # a replayed sign-up creates nothing
        assert session.scalar(select(func.count()).select_from(Shop)) == 2


# -- the site page and disconnecting -------------------------------------------------


@responses.activate
def test_the_owner_disconnects_from_storechat_and_the_plugin_is_told(app: Flask, db: Database, shop: Shop) -> None:
    responses.post(SITE + CONNECT_ROUTE, json={"status": "connected"})
    told = responses.post(SITE + DISCONNECT_ROUTE, json={"status": "disconnected"})
    client = signed_in(app)
    page, state = state_of(client)
    approve(client, page, state)
    secret = open_config(db.settings, row(db, shop.id))["identity_secret"]

    site = client.get("/admin/wordpress/site").get_data(as_text=True)
    assert SITE in site and 'id="disconnect"' in site
    assert signed_in(app, "agent@wp.example").get("/admin/wordpress/site").status_code == 403
    refused = client.post("/admin/wordpress/site/disconnect", data={})
    assert refused.status_code == 400  # no CSRF token
    done = client.post("/admin/wordpress/site/disconnect", data={"csrf_token": csrf(site)})
    assert done.status_code == 200 and "The plugin removed its keys" in done.get_data(as_text=True)
    body = told.calls[0].request.body
    assert told.calls[0].request.headers["X-StoreChat-Signature"] == disconnect_signature(secret, body)
    found = row(db, shop.id)
    assert found.active and found.settings["connection"]["state"] == "disconnected"
    assert "identity_secret" not in open_config(db.settings, found)
    again = client.post("/admin/wordpress/site/disconnect", data={"csrf_token": csrf(site)})
    assert again.status_code == 400 and "not connected" in again.get_data(as_text=True)
