"""The key callback calls the ``store`` its caller chose, so it calls public https
addresses only: a loopback store, a name resolving to a private or metadata address, and a
store redirecting to one are refused without a request reaching them, and the answer says
"could not reach the store" the same way a closed port does, without the address or the
network error. Traffic stays on loopback (see tests/fakes/loopback_service.py)."""
from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import Database, Product, Shop
from tests.connectors.woocommerce.app_fixtures import (  # noqa: F401 - fixtures
    app_settings,
    client,
    connect_state,
    flask_app,
    keys_body,
    post_keys,
    svc,
    the_shop,
    wp_shop,
)
from tests.fakes.loopback_service import (  # noqa: F401 - a fixture
    LoopbackService,
    closed_port,
    fake_dns,
    json_route,
    off_loopback,
    redirect,
)
from tests.fakes.woocommerce_store import PREMIUM_QUALITY, STORE

PRODUCTS = "/wp-json/wc/v3/products"


def _callback(client: FlaskClient, db: Database, shop: Shop, store: str) -> Any:
    """Point the shop at ``store`` (the plugin's own shop keyed by it) and post fresh keys."""
    with db.session() as session:
        session.get(Shop, shop.id).platform_ref = store
    return post_keys(client, shop.site_key, keys_body(connect_state(shop.site_key, store=store)), store=store)


def _nothing_stored(db: Database, shop: Shop) -> None:
    assert the_shop(db, shop.id).platform == "wordpress"
    with db.session() as session:
        assert session.scalar(select(func.count(Product.id))) == 0


def _says_only_unreachable(resp: Any, *internals: str) -> None:
    assert resp.status_code in (400, 502)
    text = json.dumps(resp.get_json())
    for internal in ("127.0.0.", "10.0.0.", "169.254", "::1", "ffff", "Errno", "Max retries", "Connection",
                     "HTTPConnection", "/wp-json", *internals):
        assert internal not in text, (internal, text)


def test_a_loopback_store_is_refused_before_any_request(
        client: FlaskClient, db: Database, wp_shop: Shop, outbound_production: None,
        off_loopback: list[Any]) -> None:
    """The reproduction: a store on 127.0.0.1 redirecting to an internal path."""
    with LoopbackService(routes={"/internal": json_route([PREMIUM_QUALITY])}) as internal:
        internal.routes[PRODUCTS] = redirect("/internal")
        for store in (internal.url, f"https://127.0.0.1:{internal.port}", f"https://[::1]:{internal.port}"):
            resp = _callback(client, db, wp_shop, store)
            assert resp.status_code == 400, resp.get_json()
            assert resp.get_json()["error"]["message"] == "StoreChat connects only to stores at a public https address"
        assert internal.hits == []
    _nothing_stored(db, wp_shop)
    assert off_loopback == []


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "::ffff:127.0.0.1"])
def test_a_public_looking_store_resolving_to_a_private_address_is_refused(
        address: str, client: FlaskClient, db: Database, wp_shop: Shop, outbound_production: None,
        monkeypatch: pytest.MonkeyPatch, off_loopback: list[Any]) -> None:
    fake_dns(monkeypatch, {"shop.example.com": [address]})
    resp = _callback(client, db, wp_shop, STORE)
    assert resp.status_code == 502 and resp.get_json()["error"]["code"] == "store_unreachable"
    _says_only_unreachable(resp, address, "shop.example.com")
    _nothing_stored(db, wp_shop)
    assert off_loopback == []


def test_a_redirect_to_a_private_address_is_refused_on_that_hop(
        client: FlaskClient, db: Database, wp_shop: Shop, outbound_development: None,
        monkeypatch: pytest.MonkeyPatch, off_loopback: list[Any]) -> None:
    """Development allows the store on 127.0.0.1 only; its redirect to another address
    (by address or by a name resolving to it) is refused, and nothing from there is stored."""
    with LoopbackService("127.0.0.2", routes={"/internal": json_route([PREMIUM_QUALITY])}) as internal, \
            LoopbackService() as store:
        fake_dns(monkeypatch, {"inside.example.com": ["127.0.0.2"]})
        for target in (f"{internal.url}/internal", f"http://inside.example.com:{internal.port}/internal"):
            store.routes[PRODUCTS] = redirect(target)
            resp = _callback(client, db, wp_shop, store.url)
            assert resp.status_code == 502 and resp.get_json()["error"]["code"] == "store_unreachable"
            _says_only_unreachable(resp, str(internal.port), str(store.port), "inside.example.com")
        assert [hit[1].split("?")[0] for hit in store.hits] == [PRODUCTS, PRODUCTS]
        assert internal.hits == []
    _nothing_stored(db, wp_shop)
    assert off_loopback == []


def test_a_refused_address_reads_like_a_closed_port(
        client: FlaskClient, db: Database, wp_shop: Shop, outbound_development: None,
        monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    closed = _callback(client, db, wp_shop, f"http://127.0.0.1:{closed_port()}")
    fake_dns(monkeypatch, {"shop.example.com": ["10.0.0.5"]})
    refused = _callback(client, db, wp_shop, "http://shop.example.com:8080")
    assert closed.status_code == refused.status_code == 502
    assert closed.get_json() == refused.get_json()
    _says_only_unreachable(closed, "shop.example.com", "8080")


def test_the_development_allowance_reaches_a_local_store(
        client: FlaskClient, db: Database, wp_shop: Shop, outbound_development: None) -> None:
    """The allowance is what lets a local store through (and only it: see the tests above)."""
    with LoopbackService(routes={PRODUCTS: json_route([PREMIUM_QUALITY]),
                                 "/wp-json/wc/v3/webhooks": json_route({"id": 1})}) as store:
        resp = _callback(client, db, wp_shop, store.url)
        assert resp.status_code == 200, resp.get_json()
        assert store.hits[0][1].startswith(PRODUCTS)
    assert the_shop(db, wp_shop.id).platform == "woocommerce"
