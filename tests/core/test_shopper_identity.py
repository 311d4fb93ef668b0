"""A signed shopper identity presented at hello becomes the visitor's verified
customer id, which order lookups use; a missing, forged, expired or foreign
identity leaves (or makes) the visitor anonymous."""
from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from core.db import Database, Shop, Visitor
from core.security import identity
from core.settings import Settings

API = "/api/v1/visitor"


def hello(base_url: str, **body: object) -> dict:
    resp = requests.post(base_url + API + "/hello", data=json.dumps({"site_key": "sk_test", **body}),
                         headers={"Content-Type": "application/json"}, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def customer_of(db: Database, visitor_token: str, settings: Settings, shop: Shop) -> str | None:
    from core.security.tokens import VisitorTokens

    visitor_id = VisitorTokens(settings.secret_key or "", 3600).read(visitor_token, shop.id).visitor_id
    with db.session() as session:
        row = session.get(Visitor, visitor_id)
        return row.customer_ref if row is not None else None


def test_identity_at_hello_is_kept_and_cleared(base_url: str, db: Database, settings: Settings, shop: Shop) -> None:
    signed = identity.sign(settings.secret_key or "", shop.id, "207119551")
    token = hello(base_url, identity=signed)["token"]
    assert customer_of(db, token, settings, shop) == "207119551"
    # Other calls leave it; a message keeps the same visitor.
    resp = requests.post(base_url + API + "/messages", data=json.dumps(
        {"site_key": "sk_test", "token": token, "client_id": "c1", "text": "where is my order"}), timeout=30)
    assert resp.status_code == 201
    assert customer_of(db, token, settings, shop) == "207119551"
    # A hello without one (logged out) clears it.
    hello(base_url, token=token)
    assert customer_of(db, token, settings, shop) is None


@pytest.mark.parametrize("bad", ["forged", "other shop", "expired", "garbage"])
def test_bad_identity_leaves_the_visitor_anonymous(base_url: str, db: Database, settings: Settings, shop: Shop,
                                                   bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = hello(base_url, identity=identity.sign(settings.secret_key or "", shop.id, "1"))["token"]
    value = {
        "forged": identity.sign("another-secret-" + "z" * 30, shop.id, "207119551"),
        "other shop": identity.sign(settings.secret_key or "", shop.id + 1, "207119551"),
        "garbage": "not-a-token",
    }.get(bad)
    if bad == "expired":
        value = identity.sign(settings.secret_key or "", shop.id, "207119551")
        monkeypatch.setattr(identity, "TTL", -1)
    hello(base_url, token=token, identity=value)
    assert customer_of(db, token, settings, shop) is None


def test_verified_customer_reaches_the_order_lookup(db: Database, settings: Settings, shop: Shop) -> None:
    """The assistant builds its tools with the visitor's verified customer id."""
    from core.assistant.tools import Tools

    with db.session() as session:
        session.add(Visitor(id="v-1", shop_id=shop.id, customer_ref="207119551"))
    with db.session() as session:
        visitor = session.scalar(select(Visitor).where(Visitor.id == "v-1"))
        tools = Tools(session, session.get(Shop, shop.id), None, verified_customer_id=visitor.customer_ref)
        assert tools.verified_customer_id == "207119551"


def test_a_store_signed_identity_is_checked_with_the_shops_identity_secret(
        base_url: str, db: Database, settings: Settings, shop: Shop) -> None:
    """The WordPress plugin signs with the shop's identity secret (docs/connectors.md)."""
    secret = "wp-identity-secret-0123456789"
    signed = identity.sign_identity(secret, "42")
    # No identity secret on the shop yet: the token cannot be checked, the visitor stays anonymous.
    token = hello(base_url, identity=signed)["token"]
    assert customer_of(db, token, settings, shop) is None
    with db.session() as session:
        row = session.get(Shop, shop.id)
        row.settings = {**(row.settings or {}), "identity_secret": secret}
    hello(base_url, token=token, identity=signed)
    assert customer_of(db, token, settings, shop) == "42"
    hello(base_url, token=token, identity=identity.sign_identity("another-secret-0123456789", "42"))
    assert customer_of(db, token, settings, shop) is None
