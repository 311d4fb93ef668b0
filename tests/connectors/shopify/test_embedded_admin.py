"""The inbox embedded in the Shopify admin: the app URL with App Bridge's
session token (real JWTs, signed with PyJWT as Shopify signs them), the
staff member found through Shopify's token exchange (replayed with
``responses``), the inbox's JSON API with ``Authorization: Bearer``, and the
framing headers."""
from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.accounts.users import close_user, create_user
from core.db import Conversation, Database, PlatformStaff, Shop, User, Visitor
from tests.connectors.shopify.app_fixtures import (  # noqa: F401 - fixtures
    app_settings,
    client,
    flask_app,
    shopify,
    svc,
)
from tests.fakes.shopify_admin import SHOP
from tests.fakes.shopify_app import CLIENT_ID, FakeShopify, session_token

OTHER = "other-shop.myshopify.com"
APP_BRIDGE = '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>'


def add_shop(db: Database, domain: str, name: str, *, active: bool = True) -> int:
    with db.session() as session:
        shop = Shop(name=name, platform="shopify", platform_ref=domain, site_key=f"sk_{domain.split('.')[0]}",
                    connector_config={}, active=active)
        session.add(shop)
        session.flush()
        return shop.id


def add_conversation(db: Database, shop_id: int, visitor: str) -> int:
    with db.session() as session:
        session.add(Visitor(id=visitor, shop_id=shop_id, email=f"{visitor}@example.com"))
        session.flush()
        conversation = Conversation(shop_id=shop_id, visitor_id=visitor, status="waiting_human")
        session.add(conversation)
        session.flush()
        return conversation.id


@pytest.fixture
def shop_id(db: Database) -> int:
    return add_shop(db, SHOP, "Aardvark Goods")


def open_admin(client: FlaskClient, token: str, shop: str = SHOP):  # type: ignore[no-untyped-def]
    return client.get("/connect/shopify/admin", query_string={
        "embedded": "1", "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdC1zaG9w", "id_token": token,
        "locale": "en", "shop": shop, "timestamp": "1764000000", "hmac": "ignored"})


def boot(page: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'<script id="boot" type="application/json">(.*?)</script>', page, re.S)
    assert match, page[:500]
    return json.loads(match.group(1))


def users(db: Database) -> list[User]:
    with db.session() as session:
        return list(session.scalars(select(User).order_by(User.id)))


def test_the_app_url_signs_the_staff_member_in_and_shows_the_inbox(
    client: FlaskClient, shopify: FakeShopify, db: Database, shop_id: int
) -> None:
    shopify.add_staff(42, "Owner@Example.com", first_name="Ada", last_name="Owner", account_owner=True)
    add_conversation(db, shop_id, "v_embedded")
    resp = open_admin(client, session_token("42"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page[:500]
    assert "Aardvark Goods" in page and "v_embedded@example.com" in page and "owner@example.com" in page
    # Shopify's rules for embedded apps: App Bridge from its CDN, first in the head, with the app's key.
    head = page.split("</head>")[0]
    assert f'<meta name="shopify-api-key" content="{CLIENT_ID}">' in head
    assert head.index(APP_BRIDGE) < head.index("<link") and head.count("<script") == 1
    assert boot(page)["embedded"] is True and boot(page)["ticket"] and boot(page)["csrf"] == ""
    # Framed by this shop's admin only, private, and no session cookie is set.
    assert resp.headers["Content-Security-Policy"] == \
        f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Referrer-Policy"] == "same-origin"
    assert "Set-Cookie" not in resp.headers
    assert 'action="/admin/sign-out"' not in page and "/admin/team/" not in page

    [user] = users(db)
    assert (user.shop_id, user.email, user.name, user.role) == (shop_id, "owner@example.com", "Ada Owner", "owner")
    [exchange] = shopify.token_exchanges()
    assert exchange["requested_token_type"] == "urn:shopify:params:oauth:token-type:online-access-token"
    assert exchange["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"

    # The next time, the staff member is known: no second exchange, the same user.
    assert open_admin(client, session_token("42")).status_code == 200
    assert len(shopify.token_exchanges()) == 1 and len(users(db)) == 1
    with db.session() as session:
        [link] = session.scalars(select(PlatformStaff))
        assert (link.platform, link.staff_id, link.user_id) == ("shopify", "42", user.id)


def test_a_staff_member_who_does_not_own_the_shop_becomes_an_agent_or_their_existing_user(
    client: FlaskClient, shopify: FakeShopify, db: Database, shop_id: int
) -> None:
    existing = create_user(db, shop_id, "kim@example.com", role="owner", name="Kim")
    shopify.add_staff(7, "kim@example.com")
    shopify.add_staff(8, "lee@example.com", first_name="Lee", last_name="")
    assert open_admin(client, session_token("7")).status_code == 200
    assert open_admin(client, session_token("8")).status_code == 200
    by_email = {u.email: u for u in users(db)}
    assert by_email["kim@example.com"].id == existing.id and by_email["kim@example.com"].role == "owner"
    assert (by_email["lee@example.com"].role, by_email["lee@example.com"].name) == ("agent", "Lee")


def test_an_unverified_address_never_takes_over_an_existing_account(
    client: FlaskClient, shopify: FakeShopify, db: Database, shop_id: int
) -> None:
    create_user(db, shop_id, "boss@example.com", role="owner")
    shopify.add_staff(9, "boss@example.com", email_verified=False)
    resp = open_admin(client, session_token("9"))
    assert resp.status_code == 403 and 'id="boot"' not in resp.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(PlatformStaff)).all() == []


def test_a_closed_account_stays_closed(client: FlaskClient, shopify: FakeShopify, db: Database, shop_id: int) -> None:
    shopify.add_staff(42, "gone@example.com")
    assert open_admin(client, session_token("42")).status_code == 200
    [user] = users(db)
    close_user(db, shop_id, user.id)
    resp = open_admin(client, session_token("42"))
    assert resp.status_code == 403 and "closed" in resp.get_data(as_text=True)
    assert client.get("/admin/inbox/api/conversations",
                      headers={"Authorization": f"Bearer {session_token('42')}"}).status_code == 401


@pytest.mark.parametrize("case", ["forged", "wrong_audience", "expired", "not_yet_valid", "iss_dest_mismatch",
                                  "no_expiry", "not_myshopify", "no_subject", "garbage", "missing"])
def test_a_token_that_does_not_verify_is_refused(
    client: FlaskClient, shopify: FakeShopify, db: Database, shop_id: int, case: str
) -> None:
    shopify.add_staff(42, "owner@example.com", account_owner=True)
    token = {
        "forged": lambda: session_token(secret="shpss_someone-elses-secret-0123456789"),
        "wrong_audience": lambda: session_token(aud="another-app"),
        "expired": lambda: session_token(now=1_700_000_000),
        "not_yet_valid": lambda: session_token(nbf=2_000_000_000),
        "iss_dest_mismatch": lambda: session_token(iss=f"https://{OTHER}/admin"),
        "no_expiry": lambda: session_token(exp=None),
        "not_myshopify": lambda: session_token(iss="https://evil.example/admin", dest="https://evil.example"),
        "no_subject": lambda: session_token(sub=None),
        "garbage": lambda: "not.a.jwt",
        "missing": lambda: "",
    }[case]()
    resp = open_admin(client, token)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 401
    assert 'id="boot"' not in page and "Aardvark" not in page and "owner@example.com" not in page
    assert "could not confirm who you are" in page and "Set-Cookie" not in resp.headers
    # The refusal may be shown in Shopify's admin; nothing else may frame it.
    assert resp.headers["Content-Security-Policy"] == "frame-ancestors https://admin.shopify.com;"
    assert shopify.token_exchanges() == [] and users(db) == []
    api = client.get("/admin/inbox/api/conversations", headers={"Authorization": f"Bearer {token or 'x'}"})
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("installed", [False, True])
def test_a_shop_not_installed_or_inactive_is_sent_to_the_install(
    client: FlaskClient, shopify: FakeShopify, db: Database, installed: bool
) -> None:
    if installed:
        add_shop(db, SHOP, "Paused Goods", active=False)
    shopify.add_staff(42, "owner@example.com", account_owner=True)
    resp = open_admin(client, session_token("42"))
    page = resp.get_data(as_text=True)
    # Out of the admin's frame to the grant screen (which refuses to be framed): no inbox, nothing of the shop.
    assert resp.status_code == 200 and f"/connect/shopify/install?shop={SHOP}" in page
    assert "window.top.location.href" in page
    assert 'id="boot"' not in page and "Paused Goods" not in page and APP_BRIDGE not in page
    assert shopify.token_exchanges() == [] and users(db) == []


def test_the_json_api_takes_the_session_token_and_keeps_shops_apart(
    client: FlaskClient, shopify: FakeShopify, db: Database, shop_id: int
) -> None:
    mine = add_conversation(db, shop_id, "v_mine")
    other_shop = add_shop(db, OTHER, "Other Goods")
    theirs = add_conversation(db, other_shop, "v_theirs")
    shopify.add_staff(42, "owner@example.com", account_owner=True)

    def get(path: str):  # type: ignore[no-untyped-def]
        # App Bridge signs each request with a fresh token.
        return client.get(path, headers={"Authorization": f"Bearer {session_token('42')}"})

    listing = get("/admin/inbox/api/conversations?view=open")
    assert listing.status_code == 200, listing.get_data(as_text=True)
    assert [c["conversation_id"] for c in listing.get_json()["conversations"]] == [mine]
    assert get(f"/admin/inbox/api/conversations/{mine}").status_code == 200
    refused = get(f"/admin/inbox/api/conversations/{theirs}")
    assert refused.status_code == 404 and "v_theirs" not in refused.get_data(as_text=True)
    assert get("/admin/inbox/api/ticket").get_json()["ticket"]
    assert "Set-Cookie" not in listing.headers
    # Without a token the script is answered 401 (it cannot follow a redirect to a sign-in page).
    assert client.get("/admin/inbox/api/conversations").status_code == 401


def test_a_bearer_request_is_the_tokens_alone(
    client: FlaskClient, shopify: FakeShopify, db: Database, shop_id: int
) -> None:
    """With a Bearer token the session cookie is not read, so CSRF does not apply."""
    from core.accounts.users import set_password

    user = create_user(db, shop_id, "owner@example.com", role="owner")
    set_password(db, user.id, "correct horse battery")
    page = client.get("/admin/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/admin/sign-in", data={"email": "owner@example.com", "password": "correct horse battery",
                                        "csrf_token": csrf})
    assert client.get("/admin/inbox/api/conversations").status_code == 200  # the cookie signs in ...
    forged = client.get("/admin/inbox/api/conversations", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401  # ... but not a request that brings a token of its own
    # A state-changing request signed by a token needs no CSRF token; without one it is refused.
    shopify.add_staff(42, "owner@example.com", account_owner=True)
    assert client.post("/admin/sign-out-everywhere", headers={
        "Authorization": f"Bearer {session_token('42')}"}).status_code == 302
    assert client.post("/admin/sign-out-everywhere").status_code == 400


def test_other_admin_pages_still_refuse_every_frame(client: FlaskClient, shop_id: int) -> None:
    assert client.get("/admin/sign-in").headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_when_shopify_will_not_say_who_it_is_nobody_is_signed_in(
    client: FlaskClient, shopify: FakeShopify, db: Database, shop_id: int
) -> None:
    # Staff 42 is unknown to the token exchange (Shopify answers 400); staff 43's
    # exchange names someone else.
    shopify.add_staff(43, "someone@example.com")
    shopify.staff["43"] = {**shopify.staff["43"], "id": 44}
    for sub in ("42", "43"):
        resp = open_admin(client, session_token(sub))
        assert resp.status_code == 502 and 'id="boot"' not in resp.get_data(as_text=True)
        assert client.get("/admin/inbox/api/conversations",
                          headers={"Authorization": f"Bearer {session_token(sub)}"}).status_code == 401
    assert users(db) == []
    with db.session() as session:
        assert session.scalars(select(PlatformStaff)).all() == []
