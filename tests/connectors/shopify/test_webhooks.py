"""Every Shopify webhook topic through StoreChat's real route and an RQ worker:
HMAC over the raw bytes (forgeries 401, compliance topics included), each
delivery processed once, catalog changes searchable when the job ends, stock
re-read exactly through GraphQL, orders attributed to their chat, uninstall,
and the privacy topics leaving nothing behind."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from connectors.shopify.signatures import webhook_hmac_ok
from core.catalog import search
from core.db import Base, Conversation, Database, Event, Message, Product, Shop, Visitor, WebhookDelivery
from core.services import Services
from core.settings import Settings
from core.shop_connectors import open_config
from core.testing.jobs import run_queued_jobs
from tests.connectors.shopify.app_fixtures import (  # noqa: F401 - fixtures
    app_settings,
    client,
    flask_app,
    install,
    shopify,
    svc,
    the_shop,
)
from tests.fakes.shopify_admin import DATA, SHOP
from tests.fakes.shopify_app import FakeShopify, webhook_headers

PRODUCT = json.loads((DATA / "product.json").read_text())["product"]
ORDER = json.loads((DATA / "order.json").read_text())["order"]


@pytest.fixture
def shop_id(client: FlaskClient, shopify: FakeShopify, db: Database, svc: Services) -> int:
    install(client, shopify)
    run_queued_jobs(svc)  # the first sync
    return the_shop(db).id


def deliver(client: FlaskClient, topic: str, payload: Any, **kwargs: Any) -> Any:
    body = json.dumps(payload).encode()
    return client.post("/webhooks/shopify", data=body, headers=webhook_headers(topic, body, **kwargs))


def processed(client: FlaskClient, svc: Services, topic: str, payload: Any, **kwargs: Any) -> None:
    resp = deliver(client, topic, payload, **kwargs)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert run_queued_jobs(svc) == []


def product_row(db: Database, shop_id: int, external_id: str) -> Product | None:
    with db.session() as session:
        return session.scalar(select(Product).where(Product.shop_id == shop_id, Product.external_id == external_id))


def test_docs_vector() -> None:
    assert webhook_hmac_ok(b'{"id": 1}', "E9XxLgppVNX12rqWuu0/CN/43MeuZC0xdhRuMq1MPWg=", "hush")
    assert not webhook_hmac_ok(b'{"id":1}', "E9XxLgppVNX12rqWuu0/CN/43MeuZC0xdhRuMq1MPWg=", "hush")


FORGERIES = ["wrong secret", "body changed", "no hmac", "re-serialized body"]
TOPICS = ["products/update", "orders/create", "app/uninstalled", "customers/data_request", "customers/redact",
          "shop/redact"]


def _forged(client: FlaskClient, topic: str, forgery: str) -> Any:
    body = json.dumps({"id": 1, "customer": {"id": 2, "email": "a@b.c"}, "title": "x"}, indent=1).encode()
    headers = webhook_headers(topic, body, secret="shpss_wrong" if forgery == "wrong secret" else
                              "shpss_storechat-test-secret-0123456789")
    if forgery == "body changed":
        body = body.replace(b'"x"', b'"y"')
    if forgery == "no hmac":
        del headers["X-Shopify-Hmac-Sha256"]
    if forgery == "re-serialized body":  # same JSON, other bytes: the HMAC covers bytes
        body = json.dumps(json.loads(body)).encode()
    return client.post("/webhooks/shopify", data=body, headers=headers)


def test_forged_webhooks_are_401_for_every_topic(client: FlaskClient, db: Database, shop_id: int) -> None:
    for topic in TOPICS:
        for forgery in FORGERIES:
            resp = _forged(client, topic, forgery)
            assert resp.status_code == 401, (topic, forgery)
            assert resp.get_json()["error"]["code"] == "bad_signature"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_forged_webhooks_for_a_shop_that_is_gone_are_401(client: FlaskClient, db: Database) -> None:
    for forgery in FORGERIES:
        assert _forged(client, "shop/redact", forgery).status_code == 401


def test_product_update_is_searchable_when_the_job_ends(client: FlaskClient, svc: Services, db: Database,
                                                        shop_id: int) -> None:
    changed = dict(PRODUCT, title="IPod Quokka Edition", tags="Emotive, Marsupial",
                   variants=[dict(v, inventory_quantity=0, inventory_policy="deny") for v in PRODUCT["variants"]])
    processed(client, svc, "products/update", changed)
    row = product_row(db, shop_id, "632910392")
    assert row is not None and row.title == "IPod Quokka Edition" and row.available is False
    assert [v.inventory_quantity for v in row.variants] == [0] * len(PRODUCT["variants"])
    assert row.url == "https://shop.example.com/products/ipod-nano"
    with db.session() as session:
        assert [h.id for h in search.search_products(session, shop_id, "quokka")] == [row.id]


def test_a_late_retry_of_an_older_update_does_not_undo_a_newer_one(
    client: FlaskClient, svc: Services, db: Database, shop_id: int
) -> None:
    newer = dict(PRODUCT, title="IPod Newer Title", updated_at="2026-11-25T10:00:00-05:00")
    older = dict(PRODUCT, title="IPod Older Title", updated_at="2026-11-25T09:00:00-05:00")
    processed(client, svc, "products/update", newer)
    processed(client, svc, "products/update", older)  # Shopify's retry of an earlier delivery
    row = product_row(db, shop_id, "632910392")
    assert row is not None and row.title == "IPod Newer Title"


def test_product_create_draft_is_kept_but_not_shown(client: FlaskClient, svc: Services, db: Database,
                                                    shop_id: int) -> None:
    draft = dict(PRODUCT, id=999001, handle="wombat-lamp", title="Wombat Lamp", status="draft",
                 variants=[dict(PRODUCT["variants"][0], id=999002)])
    processed(client, svc, "products/create", draft)
    row = product_row(db, shop_id, "999001")
    assert row is not None and row.published is False
    with db.session() as session:
        assert search.search_products(session, shop_id, "wombat") == []
    processed(client, svc, "products/update", dict(draft, status="active"))
    with db.session() as session:
        assert len(search.search_products(session, shop_id, "wombat")) == 1


def test_product_delete(client: FlaskClient, svc: Services, db: Database, shop_id: int) -> None:
    assert product_row(db, shop_id, "632910392") is not None
    processed(client, svc, "products/delete", {"id": 632910392})
    assert product_row(db, shop_id, "632910392") is None
    with db.session() as session:
        assert search.search_products(session, shop_id, "ipod nano 8gb") == [] or all(
            session.get(Product, h.id).external_id != "632910392" for h in  # type: ignore[union-attr]
            search.search_products(session, shop_id, "ipod nano 8gb"))


def test_inventory_level_update_rereads_the_product_exactly(
    client: FlaskClient, svc: Services, db: Database, shopify: FakeShopify, shop_id: int
) -> None:
    node = next(p for p in shopify.store.products if p["legacyResourceId"] == "632910392")
    first = node["_variants"][0]
    first["inventoryQuantity"], first["inventoryPolicy"] = 0, "DENY"
    item = first["inventoryItem"]["id"].rsplit("/", 1)[-1]
    before = len(shopify.admin.log)
    processed(client, svc, "inventory_levels/update",
              {"inventory_item_id": int(item), "location_id": 905684977, "available": 0,
               "updated_at": "2026-11-25T10:00:00-05:00",
               "admin_graphql_api_id": f"gid://shopify/InventoryLevel/905684977?inventory_item_id={item}"})
    row = product_row(db, shop_id, "632910392")
    assert row is not None
    assert row.variants[0].inventory_quantity == 0 and row.variants[0].available is False
    queries = [e["query"] for e in shopify.admin.log[before:]]
    assert any("inventoryItem(" in q for q in queries) and any("StoreChatProduct" in q for q in queries)


def test_inventory_update_for_an_unknown_item_changes_nothing(client: FlaskClient, svc: Services, db: Database,
                                                              shop_id: int) -> None:
    with db.session() as session:
        count = session.scalar(select(func.count()).select_from(Product))
    processed(client, svc, "inventory_levels/update", {"inventory_item_id": 1, "location_id": 2, "available": 3})
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == count


def _conversation(db: Database, shop_id: int, visitor_id: str, *, email: str | None = None,
                  customer: str | None = None, line: str = "hello") -> int:
    with db.session() as session:
        session.add(Visitor(id=visitor_id, shop_id=shop_id, email=email, customer_ref=customer))
        session.flush()
        conversation = Conversation(shop_id=shop_id, visitor_id=visitor_id, last_seq=1)
        session.add(conversation)
        session.flush()
        session.add(Message(conversation_id=conversation.id, seq=1, author="visitor", text=line))
        return conversation.id


def test_order_create_is_attributed_to_the_conversation_in_its_cart_attribute(
    client: FlaskClient, svc: Services, db: Database, shop_id: int
) -> None:
    conversation_id = _conversation(db, shop_id, "v-order")
    order = dict(ORDER, note_attributes=[*ORDER["note_attributes"],
                                         {"name": "storechat_conversation", "value": str(conversation_id)}])
    processed(client, svc, "orders/create", order)
    processed(client, svc, "orders/create", dict(ORDER, id=450789470, name="#1002"))  # no chat
    with db.session() as session:
        events = {e.data["name"]: e for e in session.scalars(select(Event).where(Event.kind == "order_created"))}
    assert events["#1001"].conversation_id == conversation_id
    assert events["#1001"].data["total_price"] == "409.94" and events["#1001"].data["currency"] == "USD"
    assert events["#1002"].conversation_id is None


def test_replayed_webhook_is_processed_once(client: FlaskClient, svc: Services, db: Database, shop_id: int) -> None:
    for _ in range(3):
        assert deliver(client, "orders/create", ORDER, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043").status_code == 200
        run_queued_jobs(svc)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "order_created")) == 1


def test_events_style_headers_are_accepted(client: FlaskClient, svc: Services, db: Database, shop_id: int) -> None:
    body = json.dumps({"id": 632910392}).encode()
    classic = webhook_headers("products/delete", body)
    headers = {"Content-Type": "application/json", "shopify-topic": "products/delete", "shopify-shop-domain": SHOP,
               "shopify-webhook-id": "evt-1", "shopify-hmac-sha256": classic["X-Shopify-Hmac-Sha256"]}
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 200
    run_queued_jobs(svc)
    assert product_row(db, shop_id, "632910392") is None


def test_missing_topic_or_id_is_400(client: FlaskClient, shop_id: int) -> None:
    body = b"{}"
    headers = webhook_headers("products/update", body)
    del headers["X-Shopify-Webhook-Id"]
    resp = client.post("/webhooks/shopify", data=body, headers=headers)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "record_invalid"


def test_app_uninstalled_stops_the_shop_and_forgets_the_tokens(
    client: FlaskClient, svc: Services, db: Database, settings: Settings, shop_id: int
) -> None:
    processed(client, svc, "app/uninstalled", {"id": 548380009, "name": "Aardvark Goods", "myshopify_domain": SHOP})
    shop = the_shop(db)
    assert shop.active is False
    config = open_config(settings, shop)
    assert "access_token" not in config and "refresh_token" not in config
    assert "$sealed" not in shop.connector_config


def _all_rows(db: Database) -> str:
    with db.engine.connect() as conn:
        rows = [repr(tuple(r)) for t in Base.metadata.sorted_tables for r in conn.execute(select(t))]
        rows += [repr(tuple(r)) for name in ("product_search", "document_search")
                 for r in conn.execute(text(f"SELECT * FROM {name}"))]
    return "\n".join(rows)


def test_customers_data_request_produces_the_shoppers_data(client: FlaskClient, svc: Services, db: Database,
                                                           shop_id: int) -> None:
    _conversation(db, shop_id, "v-bob-1", email="Bob.Norman@hostmail.com", line="where is my parcel, Bob here")
    _conversation(db, shop_id, "v-bob-2", customer="207119551", line="bob logged in asking")
    _conversation(db, shop_id, "v-alice", email="alice@example.com", line="alice asks")
    processed(client, svc, "customers/data_request", {
        "shop_id": 548380009, "shop_domain": SHOP, "orders_requested": [299938, 280263],
        "customer": {"id": 207119551, "email": "bob.norman@hostmail.com", "phone": "555-625-1199"},
        "data_request": {"id": 9999}})
    with db.session() as session:
        [event] = session.scalars(select(Event).where(Event.kind == "privacy_export"))
    export = event.data["export"]
    assert event.data["request_id"] == "9999"
    assert sorted(v["id"] for v in export["visitors"]) == ["v-bob-1", "v-bob-2"]
    texts = [m["text"] for c in export["conversations"] for m in c["messages"]]
    assert sorted(texts) == ["bob logged in asking", "where is my parcel, Bob here"]


def test_customers_redact_leaves_nothing_of_the_shopper(client: FlaskClient, svc: Services, db: Database,
                                                        shop_id: int) -> None:
    from core import jobs
    from core.security.rate_limit import Limits

    bob = _conversation(db, shop_id, "v-bob-1", email="bob.norman@hostmail.com", line="ZEBRA bob line one")
    _conversation(db, shop_id, "v-bob-2", customer="207119551", line="ZEBRA bob line two")
    alice = _conversation(db, shop_id, "v-alice", email="alice@example.com", line="alice line")
    # What their chatting left in Redis: rate buckets, and an email to each waiting to be sent.
    for visitor, conversation in (("v-bob-1", bob), ("v-alice", alice)):
        Limits(svc.redis).take(f"visitor:{visitor}", rate=0.001, burst=5)
        jobs.enqueue_shopper_email(svc.redis, conversation, timedelta(hours=1))
    processed(client, svc, "customers/data_request", {"shop_domain": SHOP, "customer": {
        "id": 207119551, "email": "bob.norman@hostmail.com"}, "data_request": {"id": 1}})
    processed(client, svc, "customers/redact", {
        "shop_id": 548380009, "shop_domain": SHOP,
        "customer": {"id": 207119551, "email": "bob.norman@hostmail.com", "phone": "555-625-1199"},
        "orders_to_redact": [299938, 280263, 220458]})
    rows = _all_rows(db)
    for marker in ("ZEBRA", "v-bob-", "207119551", "bob.norman@hostmail.com"):
        assert marker not in rows
    assert "alice line" in rows
    # Their Redis traces went with them (core/privacy_live.py); Alice's stay.
    assert [k.decode() for k in svc.redis.scan_iter("sc:rl:visitor:*")] == ["sc:rl:visitor:v-alice"]
    scheduled = jobs.queue(jobs.ASSISTANT, svc.redis).scheduled_job_registry.get_job_ids()
    assert [jobs.queue(jobs.ASSISTANT, svc.redis).fetch_job(j).args for j in scheduled] == [[alice]]


def test_shop_redact_after_uninstall_leaves_nothing_of_the_shop(client: FlaskClient, svc: Services, db: Database,
                                                               shop_id: int) -> None:
    _conversation(db, shop_id, "v-someone", email="someone@example.com", line="ZEBRA shop line")
    processed(client, svc, "app/uninstalled", {"id": 548380009})
    processed(client, svc, "shop/redact", {"shop_id": 548380009, "shop_domain": SHOP})
    rows = _all_rows(db)
    for marker in ("ZEBRA", "someone@example.com", SHOP, "IPod Nano", "Aardvark Goods"):
        assert marker not in rows, marker
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if "shop_id" in table.c:
                assert conn.scalar(select(func.count()).select_from(table).where(table.c.shop_id == shop_id)) == 0
    # A repeated shop/redact (Shopify retries) for the shop that is gone is answered and harmless.
    processed(client, svc, "shop/redact", {"shop_id": 548380009, "shop_domain": SHOP})


@pytest.mark.parametrize("topic,payload", [
    ("shop/redact", {"shop_id": 1, "shop_domain": "other-shop.myshopify.com"}),
    ("customers/redact", {"shop_id": 1, "shop_domain": "other-shop.myshopify.com",
                          "customer": {"id": 207119551, "email": "someone@example.com"}}),
    ("customers/data_request", {"shop_id": 1, "shop_domain": "other-shop.myshopify.com",
                                "customer": {"id": 207119551}, "data_request": {"id": 7}}),
    ("app/uninstalled", {"id": 1, "myshopify_domain": "other-shop.myshopify.com"}),
    ("shop/redact", {"shop_id": 1, "shop_domain": "not a shop"}),
])
def test_a_signed_body_of_another_shop_is_refused_under_this_shops_header(
    client: FlaskClient, svc: Services, db: Database, shop_id: int, topic: str, payload: dict[str, Any]
) -> None:
    """All shops' webhooks are signed with the one app secret and X-Shopify-Shop-Domain is not
    signed: a genuine body another shop received must not act on this one (here: erase it)."""
    _conversation(db, shop_id, "v-someone", email="someone@example.com", line="ZEBRA shop line")
    resp = deliver(client, topic, payload)  # header: SHOP
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_signature"
    assert run_queued_jobs(svc) == []
    shop = the_shop(db)
    assert shop.active is True and "ZEBRA shop line" in _all_rows(db)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    # The same body under its own shop's header is that shop's (one StoreChat does not have).
    assert deliver(client, topic, payload, shop="other-shop.myshopify.com").status_code == (
        401 if payload.get("shop_domain") == "not a shop" else 200)


def _active_at(db: Database, conversation_id: int, when: datetime) -> None:
    with db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        conversation.created_at = conversation.updated_at = when


def test_orders_count_for_the_chat_only_within_the_shops_attribution_window(
    client: FlaskClient, svc: Services, db: Database, shop_id: int
) -> None:
    """The real payload's note_attributes carry the cart attribute; the order's own
    created_at (2008-01-10T16:00Z) is measured against the conversation's last activity."""
    placed = datetime(2008, 1, 10, 16, 0, tzinfo=timezone.utc)
    recent, old = _conversation(db, shop_id, "v-recent"), _conversation(db, shop_id, "v-old")
    _active_at(db, recent, placed - timedelta(days=2))
    _active_at(db, old, placed - timedelta(days=10))

    def order(order_id: int, conversation_id: int) -> dict[str, Any]:
        return dict(ORDER, id=order_id, name=f"#{order_id}", note_attributes=[
            *ORDER["note_attributes"], {"name": "storechat_conversation", "value": str(conversation_id)}])

    processed(client, svc, "orders/create", order(5001, recent))
    processed(client, svc, "orders/create", order(5002, old))
    with db.session() as session:
        session.get(Shop, shop_id).settings = {**(session.get(Shop, shop_id).settings or {}),
                                               "analytics": {"attribution_days": 14}}
    processed(client, svc, "orders/create", order(5003, old))
    with db.session() as session:
        found = {e.data["name"]: (e.conversation_id, e.data["attributed"])
                 for e in session.scalars(select(Event).where(Event.kind == "order_created"))}
    assert found == {"#5001": (recent, True), "#5002": (old, False), "#5003": (old, True)}
