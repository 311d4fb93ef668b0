"""POST /webhooks/<platform> end to end with a tiny connector: verified
against the raw body, recorded once per delivery id, answered at once,
carried out by a real RQ worker (catalog changes searchable when the job
ends, orders attributed, uninstall, privacy)."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from core import jobs, privacy
from core.app import create_app
from core.catalog import search
from core.db import Conversation, Database, Event, Product, Shop, Visitor, WebhookDelivery
from core.security.credentials import SEALED
from core.services import Services
from core.settings import Settings
from core.shop_connectors import open_config, seal_config
from core.testing.jobs import run_queued_jobs
from tests.core.tinyshop import SECRET, product, sign, tiny  # noqa: F401 - fixture

REF = "t1.example"


@pytest.fixture
def app(settings: Settings, db: Database, redis: redis_lib.Redis) -> Flask:
    app = create_app(settings)
    yield app
    app.extensions["storechat"].close()


@pytest.fixture
def svc(app: Flask) -> Services:
    return app.extensions["storechat"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def tshop(db: Database, settings: Settings, tiny: Any) -> Shop:
    with db.session() as session:
        shop = Shop(name="Tiny", platform="tiny", platform_ref=REF, site_key="sk_tiny",
                    connector_config=seal_config(settings, "tiny", {"token": "tok", "domain": REF}))
        session.add(shop)
    return shop


def post(client: FlaskClient, topic: str, payload: Any, *, delivery: str, shop: str = REF,
         secret: str = SECRET, raw: bytes | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post("/webhooks/tiny", data=body, headers={
        "X-Tiny-Shop": shop, "X-Tiny-Topic": topic, "X-Tiny-Id": delivery,
        "X-Tiny-Signature": sign(body, secret), "Content-Type": "application/json",
    })


def deliveries(db: Database) -> list[WebhookDelivery]:
    with db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def queued(svc: Services) -> int:
    return jobs.queue(jobs.DEFAULT, svc.redis).count


def test_unknown_platform_is_404(client: FlaskClient, tiny: Any) -> None:
    resp = client.post("/webhooks/nope", data=b"{}")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "unknown_platform"


def test_platform_without_webhooks_is_404(client: FlaskClient) -> None:
    resp = client.post("/webhooks/csv", data=b"{}")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "webhooks_not_supported"


@pytest.mark.parametrize("forgery", ["wrong secret", "body changed", "no signature"])
def test_forged_webhook_is_401_and_leaves_nothing(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop, forgery: str
) -> None:
    body = json.dumps(product("p1", "Forged")).encode()
    headers = {"X-Tiny-Shop": REF, "X-Tiny-Topic": "product", "X-Tiny-Id": "d1",
               "X-Tiny-Signature": sign(body, "not-the-secret" if forgery == "wrong secret" else SECRET)}
    if forgery == "body changed":
        body = body.replace(b"Forged", b"Forgex")
    if forgery == "no signature":
        del headers["X-Tiny-Signature"]
    resp = client.post("/webhooks/tiny", data=body, headers=headers)
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "bad_signature"
    assert deliveries(db) == [] and queued(svc) == 0


def test_body_over_the_limit_is_413(client: FlaskClient, svc: Services, tshop: Shop) -> None:
    big = b'{"x": "' + b"a" * svc.settings.webhook_max_bytes + b'"}'
    resp = post(client, "product", None, delivery="big", raw=big)
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "payload_too_large"


def test_bad_json_is_400_with_a_code(client: FlaskClient, db: Database, tshop: Shop) -> None:
    resp = post(client, "product", None, delivery="bad", raw=b"{not json")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "record_invalid"
    assert deliveries(db) == []


def test_product_webhook_is_answered_then_stored_and_searchable(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop
) -> None:
    resp = post(client, "product", product("p1", "Quokka Lantern", qty=4), delivery="d1")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "queued", "delivery_id": "d1"}
    [delivery] = deliveries(db)
    assert (delivery.status, delivery.topic, delivery.shop_id) == ("received", "product", tshop.id)
    # The payload travels in the job's arguments.
    [job] = jobs.queue(jobs.DEFAULT, svc.redis).jobs
    assert job.args[1]["payload"]["title"] == "Quokka Lantern"

    assert run_queued_jobs(svc) == []
    with db.session() as session:
        hits = search.search_products(session, tshop.id, "quokka lantern")
        stored = session.get(Product, hits[0].id)
        assert stored is not None and stored.title == "Quokka Lantern" and stored.variants[0].inventory_quantity == 4
    assert deliveries(db)[0].status == "processed"

    # An update replaces the stored product and its index entry.
    post(client, "product", product("p1", "Wombat Lantern", qty=0), delivery="d2")
    run_queued_jobs(svc)
    with db.session() as session:
        assert search.search_products(session, tshop.id, "quokka") == []
        [hit] = search.search_products(session, tshop.id, "wombat")
        assert session.get(Product, hit.id).available is False  # type: ignore[union-attr]


def test_repeated_delivery_is_200_and_processed_once(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop
) -> None:
    order = {"id": "o1", "name": "#1001", "total": "25.00"}
    assert post(client, "order", order, delivery="same").status_code == 200
    again = post(client, "order", order, delivery="same")
    assert again.status_code == 200
    assert again.get_json()["status"] == "duplicate"
    assert queued(svc) == 1
    run_queued_jobs(svc)
    assert post(client, "order", order, delivery="same").get_json()["status"] == "duplicate"
    run_queued_jobs(svc)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "order_created")) == 1
    assert len(deliveries(db)) == 1


def test_a_signed_body_with_characters_no_column_holds_keeps_its_update(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop
) -> None:
    """A NUL or half a surrogate pair in a platform's signed payload is made storable, not
    refused: refusing would lose the update (WooCommerce disables a webhook after refusals)."""
    raw = json.dumps(product("p1", "Quokka\u0000 Lantern \ud800!", qty=4)).encode()
    resp = post(client, "product", None, delivery="d1", raw=raw)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert run_queued_jobs(svc) == []
    with db.session() as session:
        [stored] = session.scalars(select(Product).where(Product.shop_id == tshop.id)).all()
        assert stored.title == "Quokka Lantern \ufffd!"
    assert deliveries(db)[0].status == "processed"


def test_product_delete_removes_it_from_catalog_and_search(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop
) -> None:
    post(client, "product", product("p9", "Platypus Kettle"), delivery="a")
    run_queued_jobs(svc)
    post(client, "product_deleted", {"id": "p9"}, delivery="b")
    run_queued_jobs(svc)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0
        assert search.search_products(session, tshop.id, "platypus") == []


def test_order_is_attributed_to_its_conversation_only_in_its_shop(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop
) -> None:
    with db.session() as session:
        other = Shop(name="Other", platform="csv", site_key="sk_other", connector_config={})
        session.add_all([other, Visitor(id="v1", shop_id=tshop.id)])
        session.flush()
        session.add(Visitor(id="v2", shop_id=other.id))
        session.flush()
        mine = Conversation(shop_id=tshop.id, visitor_id="v1")
        theirs = Conversation(shop_id=other.id, visitor_id="v2")
        session.add_all([mine, theirs])
    post(client, "order", {"id": "o1", "name": "#1001", "total": "25.5", "email": "x@y.z",
                           "conversation": str(mine.id)}, delivery="o1")
    post(client, "order", {"id": "o2", "name": "#1002", "total": "9", "conversation": str(theirs.id)},
         delivery="o2")
    run_queued_jobs(svc)
    with db.session() as session:
        events = {e.data["name"]: e for e in session.scalars(select(Event).where(Event.kind == "order_created"))}
    assert events["#1001"].conversation_id == mine.id
    assert events["#1001"].data["total_price"] == "25.50"
    assert "x@y.z" not in json.dumps(events["#1001"].data)
    assert events["#1002"].conversation_id is None


def test_a_failing_action_marks_the_delivery_failed_and_is_tried_again(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop
) -> None:
    post(client, "boom", {}, delivery="x")
    assert run_queued_jobs(svc) == []  # not failed for good: scheduled again
    [delivery] = deliveries(db)
    assert delivery.status == "failed"
    assert "the platform is down" in (delivery.error or "")
    scheduled = ScheduledJobRegistry(queue=jobs.queue(jobs.DEFAULT, svc.redis))
    assert len(scheduled.get_job_ids()) == 1
    assert jobs.WEBHOOK_RETRY_INTERVALS[0] <= 60


def test_a_repeat_of_a_failed_or_lost_delivery_is_queued_again(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.webhooks import routes

    order = {"id": "o7", "name": "#1007", "total": "5"}
    lost: list[Any] = []
    monkeypatch.setattr(routes, "enqueue_webhook", lambda *args: lost.append(args))  # Redis loses the job
    assert post(client, "order", order, delivery="d7").get_json()["status"] == "queued"
    monkeypatch.setattr(routes, "enqueue_webhook", jobs.enqueue_webhook)
    # Repeated soon after: still in flight as far as anyone can tell.
    assert post(client, "order", order, delivery="d7").get_json()["status"] == "duplicate"
    monkeypatch.setattr(routes, "STALE_AFTER", timedelta(0))
    assert post(client, "order", order, delivery="d7").get_json()["status"] == "queued"
    run_queued_jobs(svc)
    [delivery] = deliveries(db)
    assert delivery.status == "processed"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "order_created")) == 1
    # Processed: a later repeat is a duplicate again, however late.
    assert post(client, "order", order, delivery="d7").get_json()["status"] == "duplicate"


def test_queue_unavailable_is_503_and_the_retry_is_not_lost(
    client: FlaskClient, svc: Services, db: Database, tshop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.webhooks import routes

    def down(*args: Any, **kwargs: Any) -> None:
        raise redis_lib.ConnectionError("Redis is gone")

    monkeypatch.setattr(routes, "enqueue_webhook", down)
    resp = post(client, "order", {"id": "o1", "name": "#1", "total": "1"}, delivery="r1")
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "queue_unavailable"
    assert deliveries(db) == []
    monkeypatch.setattr(routes, "enqueue_webhook", jobs.enqueue_webhook)  # Redis is back
    assert post(client, "order", {"id": "o1", "name": "#1", "total": "1"}, delivery="r1").get_json()["status"] == "queued"


def test_uninstall_stops_the_shop_drops_credentials_and_schedules_the_purge(
    client: FlaskClient, svc: Services, db: Database, settings: Settings, tshop: Shop
) -> None:
    post(client, "uninstalled", {}, delivery="u1")
    assert run_queued_jobs(svc) == []
    with db.session() as session:
        shop = session.get(Shop, tshop.id)
        assert shop is not None and shop.active is False
        assert SEALED not in shop.connector_config and open_config(settings, shop) == {"domain": REF}
        event_id = session.scalar(select(Event.id).where(Event.kind == "app_uninstalled"))
    [job_id] = ScheduledJobRegistry(queue=jobs.queue(jobs.DEFAULT, svc.redis)).get_job_ids()
    job = jobs.queue(jobs.DEFAULT, svc.redis).fetch_job(job_id)
    assert job is not None and job.func_name == "core.jobs.purge_uninstalled_shop"
    assert job.args == [tshop.id, event_id]

    # A reinstall in the meantime cancels it; otherwise the purge erases the shop.
    with db.session() as session:
        session.get(Shop, tshop.id).active = True  # type: ignore[union-attr]
    assert privacy.purge_uninstalled(db, tshop.id, event_id) is False
    with db.session() as session:
        session.get(Shop, tshop.id).active = False  # type: ignore[union-attr]
    assert privacy.purge_uninstalled(db, tshop.id, event_id + 1) is False  # a later uninstall owns the purge
    assert privacy.purge_uninstalled(db, tshop.id, event_id) is True
    with db.session() as session:
        assert session.get(Shop, tshop.id) is None


def test_webhook_for_a_shop_that_is_gone_is_verified_with_the_app_secret(
    client: FlaskClient, svc: Services, db: Database, tiny: Any
) -> None:
    resp = post(client, "shop_redact", {}, delivery="late", shop="gone.example")
    assert resp.status_code == 200
    assert run_queued_jobs(svc) == []
    assert [(d.shop_id, d.status) for d in deliveries(db)] == [(None, "processed")]
    assert post(client, "shop_redact", {}, delivery="late2", shop="gone.example", secret="x").status_code == 401


def test_delivery_ids_are_deduplicated_per_shop_not_per_platform(
    client: FlaskClient, svc: Services, db: Database, settings: Settings, tshop: Shop
) -> None:
    """A delivery id is the platform's for one shop: another shop's delivery with the same id
    (by chance, or sent by that shop's owner to suppress this one) is its own delivery."""
    with db.session() as session:
        other = Shop(name="Other", platform="tiny", platform_ref="t2.example", site_key="sk_tiny2",
                     connector_config=seal_config(settings, "tiny", {"token": "tok", "domain": "t2.example"}))
        session.add(other)
    order = {"id": "o1", "name": "#1001", "total": "25.00"}
    assert post(client, "order", order, delivery="same", shop="t2.example").get_json()["status"] == "queued"
    assert post(client, "order", order, delivery="same").get_json()["status"] == "queued"
    assert post(client, "order", order, delivery="same").get_json()["status"] == "duplicate"
    # Shops StoreChat does not have (a late shop/redact) are kept apart too.
    assert post(client, "shop_redact", {}, delivery="late", shop="gone1.example").get_json()["status"] == "queued"
    assert post(client, "shop_redact", {}, delivery="late", shop="gone2.example").get_json()["status"] == "queued"
    assert post(client, "shop_redact", {}, delivery="late", shop="gone2.example").get_json()["status"] == "duplicate"
    assert run_queued_jobs(svc) == []
    with db.session() as session:
        shops = session.scalars(select(Event.shop_id).where(Event.kind == "order_created")).all()
    assert sorted(shops) == sorted([tshop.id, other.id])
    assert [d.status for d in deliveries(db)] == ["processed"] * 4
