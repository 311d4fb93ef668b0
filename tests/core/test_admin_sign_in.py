"""Signing in to the admin: pages, sessions, CSRF, lockout, one-time links."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.accounts.links import RESET, WELCOME, AccountLinks
from core.accounts.users import create_user, set_password
from core.app import create_app
from core.db import Database, Shop, User
from core.settings import Settings

PASSWORD = "correct horse battery"



@pytest.fixture
def owner(db: Database) -> User:
    with db.session() as session:
        shop = Shop(name="Sign-in Shop", platform="csv", site_key="sk_signin", connector_config={})
        session.add(shop)
        session.flush()
        shop_id = shop.id
    user = create_user(db, shop_id, "owner@example.com", role="owner")
    return set_password(db, user.id, PASSWORD)


def csrf(client: FlaskClient, path: str = "/admin/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/admin/sign-in", data={"email": email, "password": password, "csrf_token": csrf(client),
                                               **extra})


def test_the_admin_asks_to_sign_in_then_shows_the_shop(app: Flask, owner: User) -> None:
    client = app.test_client()
    response = client.get("/admin/inbox/")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]
    response = sign_in(client, "Owner@Example.com", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/inbox/")
    page = client.get("/admin/inbox/")
    assert page.status_code == 200
    assert "Sign-in Shop" in page.get_data(as_text=True) and "owner@example.com" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_the_session_cookie_is_http_only_and_same_site(app: Flask, owner: User) -> None:
    client = app.test_client()
    response = sign_in(client, "owner@example.com", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "storechat_session=" in cookie
    assert "Secure" not in cookie  # plain http here; https deployments set STORECHAT_PUBLIC_URL=https://...


def test_the_cookie_is_secure_when_served_over_https(settings: Settings, db: Database, redis, owner: User) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"public_url": "https://chat.example.com"}))
    try:
        response = sign_in(app.test_client(), "owner@example.com", PASSWORD)
        assert "Secure" in response.headers["Set-Cookie"]
    finally:
        app.extensions["storechat"].close()


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app: Flask, owner: User) -> None:
    client = app.test_client()
    wrong_password = sign_in(client, "owner@example.com", "not the password")
    unknown = sign_in(client, "nobody@example.com", PASSWORD)
    assert wrong_password.status_code == unknown.status_code == 401
    message = "That email and password do not match an account."
    assert message in wrong_password.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert client.get("/admin/inbox/").status_code == 302


def test_repeated_failures_lock_the_account_even_for_the_right_password(app: Flask, owner: User) -> None:
    client = app.test_client()
    statuses = [sign_in(client, "owner@example.com", f"guess number {n}").status_code for n in range(12)]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses  # slowed down, then locked
    locked = sign_in(client, "owner@example.com", PASSWORD)
    assert locked.status_code == 429 and "Try again in" in locked.get_data(as_text=True)
    assert client.get("/admin/inbox/").status_code == 302


def test_state_changing_requests_without_the_csrf_token_are_refused(app: Flask, owner: User) -> None:
    client = app.test_client()
    refused = client.post("/admin/sign-in", data={"email": "owner@example.com", "password": PASSWORD})
    assert refused.status_code == 400 and "did not come from StoreChat" in refused.get_data(as_text=True)
    forged = client.post("/admin/sign-in", data={"email": "owner@example.com", "password": PASSWORD,
                                                 "csrf_token": "forged"})
    assert forged.status_code == 400
    assert sign_in(client, "owner@example.com", PASSWORD).status_code == 302
    # Signed in: signing out everywhere without the token is refused too.
    assert client.post("/admin/sign-out-everywhere").status_code == 400
    assert client.get("/admin/inbox/").status_code == 200


def test_signing_out_everywhere_ends_every_session(app: Flask, owner: User) -> None:
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "owner@example.com", PASSWORD)
    sign_in(phone, "owner@example.com", PASSWORD)
    assert laptop.get("/admin/inbox/").status_code == phone.get("/admin/inbox/").status_code == 200
    token = csrf(phone, "/admin/inbox/")
    assert phone.post("/admin/sign-out-everywhere", data={"csrf_token": token}).status_code == 302
    assert laptop.get("/admin/inbox/").status_code == 302
    assert phone.get("/admin/inbox/").status_code == 302


def test_a_welcome_link_sets_the_password_once_and_signs_in(app: Flask, db: Database, owner: User,
                                                            settings: Settings) -> None:
    new = create_user(db, owner.shop_id, "agent@example.com", role="agent")
    token = AccountLinks(settings.secret_key).make(new, WELCOME)
    client = app.test_client()
    page = client.get(f"/admin/welcome/{token}")
    assert page.status_code == 200 and "agent@example.com" in page.get_data(as_text=True)
    token_csrf = csrf(client, f"/admin/welcome/{token}")
    mismatch = client.post(f"/admin/welcome/{token}", data={"password": PASSWORD, "confirm": PASSWORD + "x",
                                                            "csrf_token": token_csrf})
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    short = client.post(f"/admin/welcome/{token}", data={"password": "short", "confirm": "short",
                                                         "csrf_token": token_csrf})
    assert short.status_code == 400 and "at least 10" in short.get_data(as_text=True)
    done = client.post(f"/admin/welcome/{token}", data={"password": PASSWORD, "confirm": PASSWORD,
                                                        "csrf_token": token_csrf})
    assert done.status_code == 302
    home = client.get("/admin/inbox/").get_data(as_text=True)
    assert "agent@example.com" in home and "/admin/team" not in home  # agents do not manage the team
    replay = app.test_client().get(f"/admin/welcome/{token}")
    assert replay.status_code == 400 and "already been used" in replay.get_data(as_text=True)
    assert app.test_client().get(f"/admin/reset/{token}").status_code == 400  # not a reset link


def test_a_reset_link_ends_the_old_sessions(app: Flask, owner: User, settings: Settings) -> None:
    old = app.test_client()
    sign_in(old, "owner@example.com", PASSWORD)
    token = AccountLinks(settings.secret_key).make(owner, RESET)
    client = app.test_client()
    token_csrf = csrf(client, f"/admin/reset/{token}")
    new_password = "a brand new password"
    client.post(f"/admin/reset/{token}", data={"password": new_password, "confirm": new_password,
                                               "csrf_token": token_csrf})
    assert client.get("/admin/inbox/").status_code == 200
    assert old.get("/admin/inbox/").status_code == 302
    assert sign_in(app.test_client(), "owner@example.com", PASSWORD).status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/\\evil.example",
                                    "/widget/v1/loader.js"])
def test_after_sign_in_the_next_page_is_never_outside_the_admin(app: Flask, owner: User, target: str) -> None:
    client = app.test_client()
    token = csrf(client)
    response = client.post(f"/admin/sign-in?next={target}",
                           data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/inbox/")


def test_a_deactivated_shop_signs_its_team_out(app: Flask, db: Database, owner: User) -> None:
    client = app.test_client()
    sign_in(client, "owner@example.com", PASSWORD)
    with db.session() as session:
        session.get(Shop, owner.shop_id).active = False
    assert client.get("/admin/inbox/").status_code == 302


def test_another_shops_conversation_looks_like_none_at_all(app: Flask, db: Database, owner: User) -> None:
    from core.db import Conversation, Visitor

    with db.session() as session:
        other = Shop(name="Other Shop", platform="csv", site_key="sk_other_admin", connector_config={})
        session.add(other)
        session.flush()
        session.add(Visitor(id="v_other_admin", shop_id=other.id, email="secret@example.com"))
        session.flush()
        theirs = Conversation(shop_id=other.id, visitor_id="v_other_admin")
        session.add(theirs)
        session.flush()
        theirs_id = theirs.id
    client = app.test_client()
    sign_in(client, "owner@example.com", PASSWORD)
    for path in (f"/admin/inbox/api/conversations/{theirs_id}", f"/admin/inbox/api/conversations/{theirs_id}/orders"):
        other_shops, missing = client.get(path), client.get(path.replace(str(theirs_id), "987654"))
        assert other_shops.status_code == missing.status_code == 404
        assert "secret@example.com" not in other_shops.get_data(as_text=True)
        assert other_shops.get_json()["error"]["code"] == missing.get_json()["error"]["code"]
    assert client.get("/admin/inbox/api/counts").get_json()["open"] == 0  # the other shop's is not counted
    listed = client.get("/admin/inbox/api/conversations?view=all").get_json()
    assert theirs_id not in [c["conversation_id"] for c in listed["conversations"]]
    found = client.get("/admin/inbox/api/conversations?view=all&q=secret@example.com").get_json()
    assert found["conversations"] == []
