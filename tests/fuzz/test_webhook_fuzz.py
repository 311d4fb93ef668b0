"""Every Shopify and WooCommerce webhook topic StoreChat handles, with bodies made
from the platforms' real sample payloads by mutating their fields (any depth,
any JSON type, odd unicode, NUL, lone surrogates), signed with the right secret
so the parser and the processing are what is fuzzed. The route answers a
documented 2xx or 4xx, never a 500; the job it queues is run in-process and
either does its work or fails with a clear error (a StoreChatError, the delivery
marked failed); the catalog, chats and deliveries stay whole."""
from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from sqlalchemy import select
from werkzeug.datastructures import Headers

from connectors.shopify import webhooks as shopify_webhooks
from connectors.woocommerce import webhooks as woo_webhooks
from core.db import Database, Shop, WebhookDelivery
from core.errors import StoreChatError
from core.services import Services
from core.shop_connectors import open_config
from core.testing.jobs import run_queued_jobs
from core.webhooks.processing import event_to_job, process_delivery
from tests.connectors.shopify.app_fixtures import (  # noqa: F401 - fixtures
    app_settings,
    client,
    flask_app,
    install,
    shopify,
    svc,
    the_shop,
)
from tests.connectors.woocommerce import app_fixtures as woo_fixtures
from tests.fakes.shopify_admin import DATA
from tests.fakes.shopify_app import FakeShopify, webhook_headers
from tests.fakes.woocommerce_store import ORDER_727, PREMIUM_QUALITY, SHIP_YOUR_IDEA, FakeWoo, default_store, variation
from tests.fuzz import invariants
from tests.fuzz.strategies import deep_mutated, fuzz_settings, json_values, texts

SHOPIFY_PRODUCT = json.loads((DATA / "product.json").read_text())["product"]
SHOPIFY_ORDER = json.loads((DATA / "order.json").read_text())["order"]
SHOPIFY_INVENTORY = json.loads((DATA / "inventory_level.json").read_text())["inventory_level"]
SHOPIFY_CUSTOMER = json.loads((DATA / "customer.json").read_text())["customer"]
#: Answers the webhook route may give (core/webhooks/routes.py); never a 5xx.
ROUTE_ANSWERS = {200: {"queued", "duplicate", "pong"},
                 400: {"record_invalid", "bad_webhook", "invalid_json"}, 401: {"bad_signature"},
                 404: {"webhooks_not_supported"}, 413: {"payload_too_large"}}
BATCH = 50


def header_texts() -> st.SearchStrategy[str]:
    """What an HTTP header value can carry: Latin-1 text without control characters."""
    return texts(30).map(lambda s: "".join(c for c in s if 0x20 <= ord(c) <= 0xFF and ord(c) != 0x7F))


def _ids() -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=10**6), st.sampled_from([0, -1, 2**31, 2**63, 10**30]),
                     json_values())


def shopify_bodies(domain: str) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(topic, body) for every topic the Shopify connector handles, plus unknown topics."""
    customer = {"id": SHOPIFY_CUSTOMER["id"], "email": SHOPIFY_CUSTOMER["email"], "phone": None}
    privacy = {"shop_id": 954889, "shop_domain": domain, "customer": customer, "orders_requested": [299938, 280263],
               "orders_to_redact": [299938], "data_request": {"id": 9999}}
    product = deep_mutated(SHOPIFY_PRODUCT, overrides=st.fixed_dictionaries({"id": _ids()}))
    return st.one_of(
        st.tuples(st.sampled_from(["products/create", "products/update"]), product),
        st.tuples(st.sampled_from(["products/create", "products/update"]), product),
        st.tuples(st.just("products/delete"), deep_mutated({"id": SHOPIFY_PRODUCT["id"]})),
        st.tuples(st.just("inventory_levels/update"), deep_mutated(SHOPIFY_INVENTORY)),
        st.tuples(st.just("orders/create"), deep_mutated(SHOPIFY_ORDER)),
        st.tuples(st.sampled_from(["customers/data_request", "customers/redact"]), deep_mutated(privacy)),
        st.tuples(st.one_of(header_texts(), st.just("orders/updated")), json_values().map(lambda v: {"x": v})),
    )


def process(svc: Services, platform: str, headers: dict[str, str], body: bytes) -> list[BaseException]:
    """Carry out the delivery the route just recorded, here and now, as its job would
    (core.jobs.process_webhook; RQ's per-shop limit would hold back all but the first
    job of a burst, so the job itself is not taken from Redis); the exception it raised."""
    parse = {"shopify": shopify_webhooks.parse, "woocommerce": woo_webhooks.parse}[platform]
    event = parse(Headers(headers), body)
    with svc.db.session() as session:
        delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.platform == platform,
                                                                WebhookDelivery.delivery_id == event.delivery_id))
        pk = delivery.id if delivery is not None and delivery.status == "received" else None
    if pk is None:
        return []
    try:
        process_delivery(svc.db, pk, event_to_job(event), schedule_purge=lambda *args: None)
    except Exception as exc:  # noqa: BLE001 - examined by the caller
        with svc.db.session() as session:
            delivery = session.get(WebhookDelivery, pk)
            assert delivery is not None and delivery.status == "failed" and delivery.error, "failure not recorded"
        return [exc]
    return []


def _clear_outcome(resp: Any, raised: list[BaseException], db: Database) -> None:
    assert resp.status_code in ROUTE_ANSWERS, resp.get_data(as_text=True)[:500]
    body = resp.get_json()
    assert body is not None, "not a JSON answer"
    outcome = body.get("status") if resp.status_code == 200 else (body.get("error") or {}).get("code")
    assert outcome in ROUTE_ANSWERS[resp.status_code], body
    for exc in raised:
        # A clear error: one StoreChat names (the delivery row says failed, with the message).
        if not isinstance(exc, StoreChatError):
            raise exc


def _check(db: Database, state: dict[str, int]) -> None:
    state["n"] += 1
    if state["n"] % BATCH == 0:
        invariants.catalog(db)
        invariants.webhooks(db)
        invariants.chat(db)


def test_shopify_webhook_bodies(client: FlaskClient, shopify: FakeShopify, db: Database, svc: Services,
                                cases: Any) -> None:
    install(client, shopify)
    assert run_queued_jobs(svc) == []  # the first sync
    domain = the_shop(db).platform_ref
    state = {"n": 0}
    # app/uninstalled and shop/redact end the shop: they are sent for a shop StoreChat does not have
    # (verified with the app's secret, recorded, processed as nothing to do), so the rest goes on.
    gone = "gone-shop.myshopify.com"

    @given(case=st.one_of(shopify_bodies(domain), st.tuples(st.sampled_from(["app/uninstalled", "shop/redact"]),
                                                            deep_mutated({"myshopify_domain": gone, "id": 1,
                                                                          "shop_domain": gone}))),
           raw_twist=st.sampled_from([None, None, None, b"", b"[1]", b"{", b"null"]))
    @fuzz_settings(150)
    def run(case: tuple[str, dict[str, Any]], raw_twist: bytes | None) -> None:
        cases()
        topic, payload = case
        body = raw_twist if raw_twist is not None else json.dumps(payload).encode()
        shop = gone if topic in ("app/uninstalled", "shop/redact") else domain
        headers = webhook_headers(topic, body, shop=shop)
        resp = client.post("/webhooks/shopify", data=body, headers=headers)
        queued = resp.status_code == 200 and resp.get_json().get("status") == "queued"
        _clear_outcome(resp, process(svc, "shopify", headers, body) if queued else [], db)
        _check(db, state)

    run()
    invariants.catalog(db)
    invariants.webhooks(db)
    with db.session() as session:
        assert session.get(Shop, the_shop(db).id).active


def woo_bodies() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    variable = copy.deepcopy(SHIP_YOUR_IDEA)
    return st.one_of(
        st.tuples(st.sampled_from(["product.created", "product.updated"]),
                  deep_mutated(PREMIUM_QUALITY, overrides=st.fixed_dictionaries({"id": _ids()}))),
        st.tuples(st.sampled_from(["product.created", "product.updated"]), deep_mutated(variable)),
        st.tuples(st.just("product.updated"), deep_mutated(variation(733, "Black"))),
        st.tuples(st.just("product.deleted"), deep_mutated({"id": 794})),
        st.tuples(st.just("order.created"), deep_mutated(ORDER_727)),
        st.tuples(st.one_of(header_texts(), st.just("coupon.created")), json_values().map(lambda v: {"x": v})),
    )


def test_woocommerce_webhook_bodies(rsps: Any, settings: Any, db: Database, redis: Any, cases: Any,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.woocommerce import connector as connector_module
    from core.app import create_app

    monkeypatch.setattr(connector_module, "SLEEP", lambda seconds: None)
    default_store().install(rsps)
    settings.public_url = woo_fixtures.PUBLIC
    app = create_app(settings)
    try:
        client = app.test_client()
        svc = app.extensions["storechat"]
        shop = woo_fixtures.wp_shop.__wrapped__(db)
        woo_fixtures.connect(client, shop)
        assert run_queued_jobs(svc) == []  # the first sync
        secret = open_config(svc.settings, woo_fixtures.the_shop(db, shop.id))["webhook_secret"]
        state = {"n": 0}

        @given(case=woo_bodies(), raw_twist=st.sampled_from([None, None, None, b"", b"[1]", b"{", b"webhook_id=12"]))
        @fuzz_settings(150)
        def run(case: tuple[str, dict[str, Any]], raw_twist: bytes | None) -> None:
            cases()
            topic, payload = case
            body = raw_twist if raw_twist is not None else json.dumps(payload).encode()
            headers = woo_fixtures.webhook_headers(topic if "." in topic else "x.y", body, secret,
                                                   delivery=uuid.uuid4().hex)
            headers["X-WC-Webhook-Topic"] = topic
            resp = client.post("/webhooks/woocommerce", data=body, headers=headers)
            queued = resp.status_code == 200 and resp.get_json().get("status") == "queued"
            _clear_outcome(resp, process(svc, "woocommerce", headers, body) if queued else [], db)
            _check(db, state)

        run()
        invariants.catalog(db)
        invariants.webhooks(db)
    finally:
        app.extensions["storechat"].close()
