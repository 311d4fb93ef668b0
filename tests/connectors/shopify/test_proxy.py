"""The App Proxy identity route: Shopify's signature (docs vector and real
requests), freshness, the installed shop, and a signed identity that core
accepts for that shop only."""
from __future__ import annotations

import time

import responses
from flask.testing import FlaskClient

from connectors.shopify.signatures import proxy_signature_ok
from core.db import Database
from core.security import identity
from core.settings import Settings
from tests.connectors.shopify.app_fixtures import (  # noqa: F401 - fixtures
    app_settings,
    client,
    flask_app,
    install,
    shopify,
    svc,
    the_shop,
)
from tests.fakes.shopify_admin import SHOP
from tests.fakes.shopify_app import FakeShopify, proxy_query

ROUTE = "/connect/shopify/proxy/identity"


def params(customer: str = "207119551", **extra: str) -> dict[str, str]:
    return {"shop": SHOP, "logged_in_customer_id": customer, "path_prefix": "/apps/storechat",
            "timestamp": str(int(time.time())), **extra}


def test_docs_vector() -> None:
    multi = {"extra": ["1", "2"], "shop": ["shop-name.myshopify.com"], "logged_in_customer_id": ["1"],
             "path_prefix": ["/apps/awesome_reviews"], "timestamp": ["1317327555"],
             "signature": ["4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"]}
    assert proxy_signature_ok(multi, "hush")
    assert not proxy_signature_ok({**multi, "extra": ["1"]}, "hush")
    assert not proxy_signature_ok(multi, "hush2")
    assert not proxy_signature_ok({k: v for k, v in multi.items() if k != "signature"}, "hush")


def test_logged_in_customer_gets_a_signed_identity_for_this_shop(
    client: FlaskClient, shopify: FakeShopify, db: Database, settings: Settings
) -> None:
    install(client, shopify)
    shop = the_shop(db)
    resp = client.get(f"{ROUTE}?{proxy_query(params())}")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store, private"
    body = resp.get_json()
    assert body["logged_in"] is True
    assert identity.read(settings.secret_key or "", body["identity"], shop.id) == "207119551"


def test_nobody_logged_in_gets_no_identity(client: FlaskClient, shopify: FakeShopify) -> None:
    install(client, shopify)
    resp = client.get(f"{ROUTE}?{proxy_query(params(customer=''))}")
    assert resp.status_code == 200 and resp.get_json() == {"identity": None, "logged_in": False}


def test_forged_or_replayed_requests_are_refused(client: FlaskClient, shopify: FakeShopify,
                                                 rsps: responses.RequestsMock) -> None:
    install(client, shopify)
    forged = proxy_query(params(), secret="wrong").replace("207119551", "207119552")
    assert client.get(f"{ROUTE}?{forged}").status_code == 401
    genuine = proxy_query(params())
    tampered = genuine.replace("207119551", "207119552")
    resp = client.get(f"{ROUTE}?{tampered}")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_signature"
    stale = proxy_query(params(timestamp=str(int(time.time()) - 3600)))
    resp = client.get(f"{ROUTE}?{stale}")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "stale_request"


def test_shop_not_installed_or_foreign_domain(client: FlaskClient) -> None:
    resp = client.get(f"{ROUTE}?{proxy_query(params())}")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "shop_not_installed"
    resp = client.get(f"{ROUTE}?{proxy_query(params(shop='evil.com'))}")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_shop_domain"
    resp = client.get(f"{ROUTE}?{proxy_query(params(customer='1 OR 1'))}")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_customer_id"
