"""The two install callbacks fed generated requests: the Shopify OAuth callback
(``GET /connect/shopify/callback``, signed with the app's secret so what is
fuzzed is past the HMAC: shop, timestamp, state, code, extra and repeated
parameters) and WooCommerce's key callback (``POST
/connect/woocommerce/callback``: the query's site key and store, and the body,
from a valid key delivery with a fresh valid state, mutated). Every answer is a
documented redirect or JSON error, never a 500; a refused callback changes no shop."""
from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from core.db import Database, Shop
from core.install.host import CoreInstallHost
from core.services import Services
from tests.connectors.shopify.app_fixtures import app_settings, client, flask_app, shopify, svc  # noqa: F401
from tests.connectors.woocommerce import app_fixtures as woo_fixtures
from tests.fakes.shopify_admin import SHOP
from tests.fakes.shopify_app import FakeShopify, callback_params, signed_callback
from tests.fakes.woocommerce_store import KEY, SECRET, STORE, default_store
from tests.fuzz import invariants
from tests.fuzz.strategies import deep_mutated, fuzz_settings, json_values, texts

#: bad_request: core/api/input_guard.py refuses a NUL in the query before any route.
SHOPIFY_ERRORS = {400: {"bad_shop_domain", "stale_request", "no_code", "bad_request"}, 401: {"bad_hmac"}, 403: {"bad_state"}}


def query_texts(limit: int = 40) -> st.SearchStrategy[str]:
    """What a decoded query string can hold: any text but lone surrogates (percent-decoding
    makes U+FFFD of bytes that are not UTF-8)."""
    return texts(limit).map(lambda s: s.encode("utf-8", "replace").decode("utf-8"))


def _shops(db: Database) -> list[tuple[Any, ...]]:
    with db.session() as session:
        return [tuple(r) for r in session.execute(select(Shop.id, Shop.platform, Shop.platform_ref, Shop.site_key,
                                                         Shop.active).order_by(Shop.id))]


def test_shopify_oauth_callback(client: FlaskClient, shopify: FakeShopify, svc: Services, db: Database,
                                cases: Any) -> None:
    host = CoreInstallHost(svc)
    params = st.fixed_dictionaries({
        "shop": st.one_of(st.just(SHOP), st.just(SHOP.upper()), st.just("other.myshopify.com"), query_texts(60)),
        "timestamp": st.one_of(st.just("now"), st.sampled_from(["0", "-1", "1e9", "99999999999999999999", "", " 1"]),
                               query_texts(12)),
        "state": st.one_of(st.just("fresh"), st.just("fresh"), query_texts(80)),
        "code": st.one_of(st.just("grant"), st.just("grant"), st.just(""), query_texts(80)),
    }, optional={"host": query_texts(40), "extra": query_texts(20), "hmac_in_list": st.just("x")})

    @given(p=params, extra=st.dictionaries(query_texts(10), query_texts(10), max_size=2), sign=st.booleans())
    @fuzz_settings(150)
    def run(p: dict[str, str], extra: dict[str, str], sign: bool) -> None:
        cases()
        before = _shops(db)
        shop = p["shop"]
        state = host.issue_state("shopify", SHOP) if p["state"] == "fresh" else p["state"]
        code = shopify.grant_code() if p["code"] == "grant" else p["code"]
        stamp = str(int(time.time())) if p["timestamp"] == "now" else p["timestamp"]
        query = {**callback_params(state, code, shop=SHOP), "shop": shop, "timestamp": stamp,
                 **{k: v for k, v in p.items() if k in ("host", "extra")}, **extra}
        query.pop("hmac", None)
        resp = client.get("/connect/shopify/callback", query_string=signed_callback(query) if sign else query)
        assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
        if resp.status_code == 302:
            return  # installed (or installed again): core's landing page
        body = resp.get_json()
        assert body and "error" in body, resp.get_data(as_text=True)[:300]
        code_ = body["error"]["code"]
        assert code_ in SHOPIFY_ERRORS.get(resp.status_code, ()) or resp.status_code == 502, body
        assert _shops(db) == before, "a refused install changed a shop"

    run()
    invariants.chat(db)
    with db.session() as session:
        assert len(list(session.scalars(select(Shop).where(Shop.platform == "shopify")))) <= 1


WOO_ANSWERS = {200: "connected", 400: None, 403: "bad_state", 413: "payload_too_large", 502: None}


def test_woocommerce_key_callback(rsps: Any, settings: Any, db: Database, redis: Any, cases: Any,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.woocommerce import connector as connector_module
    from core.app import create_app

    monkeypatch.setattr(connector_module, "SLEEP", lambda seconds: None)
    default_store().install(rsps)
    settings.public_url = woo_fixtures.PUBLIC
    app = create_app(settings)
    try:
        client = app.test_client()
        shop = woo_fixtures.wp_shop.__wrapped__(db)
        valid = woo_fixtures.keys_body("STATE")
        bodies = st.one_of(
            deep_mutated(valid, overrides=st.fixed_dictionaries({}, optional={"user_id": st.just("STATE")})),
            json_values().map(lambda v: {"user_id": "STATE", "x": v}),
        )

        @given(body=bodies,
               site_key=st.one_of(st.just(shop.site_key), st.just(shop.site_key), query_texts(70)),
               store=st.one_of(st.just(STORE), st.just(STORE), st.just(STORE + "/"), st.just("http://shop.example.com"),
                               st.just("https://127.0.0.1"), st.just("https://[::1]"), query_texts(60)),
               raw=st.sampled_from([None] * 6 + ["", "{", "[]", "null", "x" * 9000]),
               content_type=st.sampled_from(["application/json;charset=UTF-8", "text/plain", "application/x-www-form-urlencoded"]))
        @fuzz_settings(250)
        def run(body: dict[str, Any], site_key: str, store: str, raw: str | None, content_type: str) -> None:
            cases()
            before = _shops(db)
            if body.get("user_id") == "STATE":
                body = {**body, "user_id": woo_fixtures.connect_state(shop.site_key)}
            data = raw if raw is not None else json.dumps(body)
            resp = client.post("/connect/woocommerce/callback", query_string={"site_key": site_key, "store": store},
                               data=data, headers={"Content-Type": content_type})
            assert resp.status_code in WOO_ANSWERS, (resp.status_code, resp.get_data(as_text=True)[:500])
            answer = resp.get_json()
            assert answer is not None, resp.get_data(as_text=True)[:300]
            if resp.status_code == 200:
                assert answer["status"] == "connected"
                return
            assert answer["error"]["code"] and answer["error"]["message"], answer
            if WOO_ANSWERS[resp.status_code]:
                assert answer["error"]["code"] == WOO_ANSWERS[resp.status_code], answer
            assert _shops(db) == before, "a refused callback changed a shop"

        run()
        with db.session() as session:
            refs = [s.platform_ref for s in session.scalars(select(Shop).where(Shop.platform == "woocommerce"))]
        assert len(refs) == len(set(refs)), "two WooCommerce shops for one store"
        invariants.webhooks(db)
    finally:
        app.extensions["storechat"].close()
