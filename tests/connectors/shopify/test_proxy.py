"""The App Proxy identity route: Shopify's signature (docs vector and real
requests), freshness, the installed shop, and a signed identity that core
accepts for that shop only."""
from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
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
from tests.fakes.shopify_app import FakeShopify, proxy_query, proxy_signature

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


def _refused_without_identity(resp: object) -> None:
    assert resp.status_code in (400, 401), resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "identity" not in resp.get_json()  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", ["logged_in_customer_id", "shop", "timestamp", "path_prefix"])
def test_a_repeated_shopify_parameter_is_refused(client: FlaskClient, shopify: FakeShopify, key: str) -> None:
    """A shopper who adds ``?logged_in_customer_id=999`` to the storefront URL gets a request Shopify
    signs with both values joined (``999,``): it must not read as customer 999."""
    install(client, shopify)
    genuine = params(customer="")
    first = {"logged_in_customer_id": "999", "shop": SHOP, "timestamp": genuine["timestamp"],
             "path_prefix": "/apps/storechat"}[key]
    pairs = [(key, first), *genuine.items()]
    resp = client.get(f"{ROUTE}?{proxy_query(pairs)}")
    _refused_without_identity(resp)
    assert resp.get_json()["error"]["code"] == "bad_proxy_query"


def test_parameters_a_shopper_adds_cannot_shift_what_is_signed(client: FlaskClient, shopify: FakeShopify) -> None:
    """The signature concatenates ``k=v`` with no separator, so a shopper's own parameters can be
    re-cut into another query with the same message: here one that names customer 999."""
    install(client, shopify)
    genuine = params(customer="")  # nobody logged in
    sent_by_shopper = [("a", "1"), ("blogged_in_customer_id", "999m"), ("c", "l")]
    signature = proxy_signature([*sent_by_shopper, *genuine.items()])  # what Shopify signs and forwards
    recut = [("a", "1b"), ("logged_in_customer_id", "999"), ("mc", "ll"), ("ogged_in_customer_id", ""),
             *((k, v) for k, v in genuine.items() if k != "logged_in_customer_id")]
    assert proxy_signature(recut) == signature  # the same message, so the same signature
    resp = client.get(f"{ROUTE}?{urlencode([*recut, ('signature', signature)])}")
    _refused_without_identity(resp)
    assert resp.get_json()["error"]["code"] == "bad_proxy_query"


def test_missing_or_extra_parameters_are_refused(client: FlaskClient, shopify: FakeShopify) -> None:
    install(client, shopify)
    for drop in ("shop", "logged_in_customer_id", "path_prefix", "timestamp"):
        query = proxy_query({k: v for k, v in params().items() if k != drop})
        resp = client.get(f"{ROUTE}?{query}")
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_proxy_query", drop
    resp = client.get(f"{ROUTE}?{proxy_query(params(extra='1'))}")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_proxy_query"
    resp = client.get(f"{ROUTE}?{proxy_query(params(path_prefix='/apps/storechat=x'))}")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_proxy_query"


@pytest.mark.parametrize("key", ["shop", "timestamp", "signature", "hmac"])
def test_proxy_signature_refuses_keys_shopify_never_repeats(key: str) -> None:
    pairs = [("shop", "a.myshopify.com"), ("timestamp", "1317327555"), ("hmac", "x"), (key, "b")]
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        multi.setdefault(k, []).append(v)
    multi["signature"] = [*multi.get("signature", []), proxy_signature(pairs, "hush")]
    assert not proxy_signature_ok(multi, "hush")
