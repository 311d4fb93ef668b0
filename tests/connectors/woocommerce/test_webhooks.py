"""WooCommerce webhooks through StoreChat's real route and an RQ worker
(PLATFORMS.md B5): the signature over the raw bytes (forgeries 401), the
unsigned ping answered 200 and not recorded, each delivery processed once,
and each topic's effect in the database."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connectors.woocommerce.webhooks import signature
from core.catalog import search
from core.db import Conversation, Database, Event, Product, Shop, Visitor, WebhookDelivery
from core.services import Services
from core.shop_connectors import open_config
from core.testing.jobs import run_queued_jobs
from tests.connectors.woocommerce.app_fixtures import (  # noqa: F401 - fixtures
    app_settings,
    client,
    connect,
    flask_app,
    svc,
    the_shop,
    webhook_headers,
    wp_shop,
)
from tests.fakes.woocommerce_store import ORDER_727, PREMIUM_QUALITY, SHIP_YOUR_IDEA, FakeWoo, variation


@pytest.fixture
def shop_id(client: FlaskClient, svc: Services, db: Database, wp_shop: Shop, woo: FakeWoo) -> int:
    connect(client, wp_shop)
    assert run_queued_jobs(svc) == []  # the first sync
    return wp_shop.id


@pytest.fixture
def secret(svc: Services, db: Database, shop_id: int) -> str:
    return open_config(svc.settings, the_shop(db, shop_id))["webhook_secret"]


def deliver(client: FlaskClient, topic: str, payload: Any, secret: str, **kwargs: Any) -> Any:
    body = json.dumps(payload).encode()
    return client.post("/webhooks/woocommerce", data=body, headers=webhook_headers(topic, body, secret, **kwargs))


def processed(client: FlaskClient, svc: Services, topic: str, payload: Any, secret: str, **kwargs: Any) -> None:
    resp = deliver(client, topic, payload, secret, **kwargs)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert run_queued_jobs(svc) == []


def product_row(db: Database, shop_id: int, external_id: str) -> Product | None:
    with db.session() as session:
        row = session.scalar(select(Product).where(Product.shop_id == shop_id, Product.external_id == external_id))
        if row is not None:
            _ = list(row.variants)
            session.expunge_all()
        return row


def deliveries(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(WebhookDelivery))


def test_docs_vector() -> None:
    assert signature("s3cret", b'{"id":727,"status":"processing"}') == "CBGQM/uSsZa0es2U4cfBfxFah8cclSEsqTSIiiel8PQ="


def test_the_ping_is_answered_200_and_not_recorded(client: FlaskClient, db: Database, shop_id: int) -> None:
    resp = client.post("/webhooks/woocommerce", data=b"webhook_id=142",
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)"})
    assert resp.status_code == 200 and resp.get_json() == {"status": "pong"}
    assert deliveries(db) == 0
    # Anything else unsigned is no ping.
    resp = client.post("/webhooks/woocommerce", data=b"webhook_id=142&x=1")
    assert resp.status_code == 401


@pytest.mark.parametrize("forgery", ["wrong secret", "body changed", "no signature", "re-serialized body",
                                     "other store"])
def test_forgeries_are_401_and_recorded_nowhere(client: FlaskClient, db: Database, secret: str,
                                                forgery: str) -> None:
    body = json.dumps(dict(PREMIUM_QUALITY, name="Forged"), indent=1).encode()
    headers = webhook_headers("product.updated", body, "wrong-secret" if forgery == "wrong secret" else secret)
    if forgery == "body changed":
        body = body.replace(b'"Forged"', b'"Forgex"')
    if forgery == "no signature":
        del headers["X-WC-Webhook-Signature"]
    if forgery == "re-serialized body":
        body = json.dumps(json.loads(body)).encode()
    if forgery == "other store":
        headers["X-WC-Webhook-Source"] = "https://other.example/"
    resp = client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_signature"
    assert deliveries(db) == 0


def test_product_updated_is_searchable_when_the_job_ends(client: FlaskClient, svc: Services, db: Database,
                                                         shop_id: int, secret: str) -> None:
    changed = dict(PREMIUM_QUALITY, name="Premium Quokka Tee", stock_status="outofstock",
                   date_modified_gmt="2026-11-25T10:00:00")
    processed(client, svc, "product.updated", changed, secret)
    row = product_row(db, shop_id, "794")
    assert row is not None and row.title == "Premium Quokka Tee" and row.available is False
    with db.session() as session:
        assert [h.id for h in search.search_products(session, shop_id, "quokka")] == [row.id]


def test_variable_product_stock_is_read_through_the_api(client: FlaskClient, svc: Services, db: Database,
                                                        woo: FakeWoo, shop_id: int, secret: str) -> None:
    woo.variations[22] = [variation(733, "Black", manage_stock=True, stock_quantity=0),
                          variation(732, "Green", manage_stock=True, stock_quantity=0)]
    before = len(woo.calls)
    processed(client, svc, "product.updated", dict(SHIP_YOUR_IDEA, date_modified_gmt="2026-11-25T10:00:00"), secret)
    row = product_row(db, shop_id, "22")
    assert row is not None and row.available is False
    assert [v.inventory_quantity for v in row.variants] == [0, 0]
    assert any("/products/22/variations" in c for c in woo.calls[before:])


def test_product_created_then_deleted(client: FlaskClient, svc: Services, db: Database, shop_id: int,
                                      secret: str) -> None:
    new = copy.deepcopy(PREMIUM_QUALITY)
    new.update(id=901, name="Wombat Lamp", slug="wombat-lamp", permalink="https://example.com/product/wombat-lamp/")
    processed(client, svc, "product.created", new, secret)
    assert product_row(db, shop_id, "901") is not None
    processed(client, svc, "product.deleted", {"id": 901}, secret)
    assert product_row(db, shop_id, "901") is None
    assert product_row(db, shop_id, "794") is not None


def test_a_duplicate_delivery_is_processed_once(client: FlaskClient, svc: Services, db: Database, shop_id: int,
                                                secret: str) -> None:
    payload = dict(PREMIUM_QUALITY, name="Once Only", date_modified_gmt="2026-11-25T10:00:00")
    first = deliver(client, "product.updated", payload, secret, delivery="d41d8cd98f00b204e9800998ecf8427e")
    again = deliver(client, "product.updated", payload, secret, delivery="d41d8cd98f00b204e9800998ecf8427e")
    assert (first.get_json()["status"], again.get_json()["status"]) == ("queued", "duplicate")
    assert run_queued_jobs(svc) == []
    assert deliveries(db) == 1
    with db.session() as session:
        assert session.scalar(select(WebhookDelivery.status)) == "processed"


def test_order_created_is_attributed_to_its_conversation(client: FlaskClient, svc: Services, db: Database,
                                                         shop_id: int, secret: str) -> None:
    with db.session() as session:
        session.add(Visitor(id="v-woo-1", shop_id=shop_id))
        session.flush()
        conversation = Conversation(shop_id=shop_id, visitor_id="v-woo-1")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    order = copy.deepcopy(ORDER_727)
    order["meta_data"][2]["value"] = str(conversation_id)
    processed(client, svc, "order.created", order, secret)
    with db.session() as session:
        [event] = session.scalars(select(Event).where(Event.shop_id == shop_id, Event.kind == "order_created"))
        assert event.conversation_id == conversation_id
        assert (event.data["order_id"], event.data["name"], event.data["total_price"]) == ("727", "#727", "29.35")
        assert "john.doe@example.com" not in json.dumps(event.data)


def test_malformed_signed_bodies_are_400(client: FlaskClient, db: Database, shop_id: int, secret: str) -> None:
    body = b"[1, 2]"
    resp = client.post("/webhooks/woocommerce", data=body, headers=webhook_headers("product.updated", body, secret))
    assert resp.status_code == 400
    headers = webhook_headers("product.updated", b"{}", secret)
    del headers["X-WC-Webhook-Delivery-ID"]
    assert client.post("/webhooks/woocommerce", data=b"{}", headers=headers).status_code == 400
    assert deliveries(db) == 0


def test_the_same_delivery_id_from_another_store_is_its_own(client: FlaskClient, svc: Services, db: Database,
                                                            shop_id: int, secret: str) -> None:
    """Delivery ids are per site: another store's delivery with this store's id (by chance, or sent
    on purpose by that store's owner) must not make this store's delivery a "duplicate"."""
    from core.shops import create_shop

    other_store = "https://other-store.example"
    create_shop(db, "Other", "woocommerce", {"store_url": other_store, "consumer_key": "ck_o",
                                             "consumer_secret": "cs_o", "webhook_secret": "other-secret"},
                platform_ref=other_store)
    same = "d41d8cd98f00b204e9800998ecf8427e"
    first = deliver(client, "product.deleted", {"id": 999}, "other-secret", delivery=same, source=other_store + "/")
    assert first.status_code == 200 and first.get_json()["status"] == "queued"
    mine = deliver(client, "product.deleted", {"id": PREMIUM_QUALITY["id"]}, secret, delivery=same)
    assert mine.status_code == 200 and mine.get_json()["status"] == "queued"
    assert run_queued_jobs(svc) == []
    assert product_row(db, shop_id, str(PREMIUM_QUALITY["id"])) is None


def test_orders_count_for_the_chat_only_within_the_shops_attribution_window(
        client: FlaskClient, svc: Services, db: Database, shop_id: int, secret: str) -> None:
    """The real order's meta_data carries _storechat_conversation; its date_created_gmt
    (2017-03-22T19:28:02) is measured against the conversation's last activity."""
    placed = datetime(2017, 3, 22, 19, 28, 2, tzinfo=timezone.utc)
    ids = []
    with db.session() as session:
        for vid, days in (("v-woo-recent", 6), ("v-woo-old", 8)):
            session.add(Visitor(id=vid, shop_id=shop_id))
            session.flush()
            conversation = Conversation(shop_id=shop_id, visitor_id=vid, created_at=placed - timedelta(days=days + 1),
                                        updated_at=placed - timedelta(days=days))
            session.add(conversation)
            session.flush()
            ids.append(conversation.id)
    for n, conversation_id in enumerate(ids):
        order = copy.deepcopy(ORDER_727)
        order["id"], order["number"] = 900 + n, str(900 + n)
        order["meta_data"][2]["value"] = str(conversation_id)
        processed(client, svc, "order.created", order, secret)
    with db.session() as session:
        found = {e.conversation_id: e.data["attributed"]
                 for e in session.scalars(select(Event).where(Event.shop_id == shop_id, Event.kind == "order_created"))}
    assert found == {ids[0]: True, ids[1]: False}  # the default window: 7 days
