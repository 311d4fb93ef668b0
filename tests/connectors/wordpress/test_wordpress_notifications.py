"""The plugin's notifications (a page or post changed or went away, the site
disconnected) through StoreChat's real webhook route and an RQ worker; the
site's REST API answers through ``responses`` in WordPress 6.1's shapes
(the live test sends them from the real plugin)."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connectors.wordpress.webhooks import signature
from core.app import create_app
from core.catalog.search import search_documents
from core.db import Database, Document, Shop, WebhookDelivery
from core.services import Services
from core.shop_connectors import open_config
from core.shops import create_shop
from core.testing.jobs import run_queued_jobs
from core.wordpress_sites import connect_site

SITE = "https://wp.example"
API = f"{SITE}/wp-json/wp/v2"


@pytest.fixture
def app(settings, db, redis) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    app = create_app(settings)
    yield app
    app.extensions["storechat"].close()


@pytest.fixture
def svc(app: Flask) -> Services:
    return app.extensions["storechat"]


@pytest.fixture
def shop(db: Database) -> Shop:
    shop = create_shop(db, "Notified Shop", "csv", {"empty": True})
    connect_site(db, shop.id, SITE, by="cli")
    return shop


@pytest.fixture
def secret(db: Database, shop: Shop) -> str:
    with db.session() as session:
        return open_config(db.settings, session.get(Shop, shop.id))["identity_secret"]


def page(id_: int, title: str, html: str, **extra: Any) -> dict[str, Any]:
    slug = title.lower().replace(" ", "-")
    return {"id": id_, "link": f"{SITE}/{slug}/", "slug": slug, "title": {"rendered": title},
            "content": {"rendered": html, "protected": False}, "modified_gmt": "2026-05-01T09:30:00",
            "status": "publish", **extra}


def notify(client: FlaskClient, secret: str, body: dict[str, Any], *, site: str = SITE,
           delivery: str | None = None, sign: str | None = None) -> Any:
    raw = json.dumps({"sent_at": int(time.time()), **body}).encode()
    return client.post("/webhooks/wordpress", data=raw, headers={
        "Content-Type": "application/json", "X-StoreChat-Site": site,
        "X-StoreChat-Delivery": delivery or uuid.uuid4().hex,
        "X-StoreChat-Signature": sign if sign is not None else signature(secret, raw)})


def processed(client: FlaskClient, svc: Services, secret: str, body: dict[str, Any], **kwargs: Any) -> None:
    resp = notify(client, secret, body, **kwargs)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert run_queued_jobs(svc) == []


def titles(db: Database, shop_id: int) -> dict[str, str]:
    with db.session() as session:
        return {d.external_id: d.body for d in session.scalars(select(Document).where(Document.shop_id == shop_id))}


def fields(kind: str) -> str:
    base = "id,link,slug,title,content,modified_gmt"
    return (base + ",categories" if kind == "post" else base) + ",status"


def test_docs_vector() -> None:
    """The example of docs/connectors.md, so the plugin's PHP and this agree."""
    assert signature("s3cret-identity-key-0123456789", b'{"topic":"content/changed","kind":"page","id":7,'
                     b'"sent_at":1800000000}') == \
        "7914d0f31ce68536e9987cfee1eb10a9aa747f9087192b01cbfcbef132bd61d8"


@responses.activate
def test_a_changed_page_is_read_and_searchable_when_the_job_ends(app: Flask, svc: Services, db: Database,
                                                                 shop: Shop, secret: str) -> None:
    responses.get(f"{API}/pages/7", match=[responses.matchers.query_param_matcher({"_fields": fields("page")})],
                  json=page(7, "Shipping", "<p>Parcels to Iceland leave every Tuesday.</p>"))
    processed(app.test_client(), svc, secret, {"topic": "content/changed", "kind": "page", "id": 7})
    assert titles(db, shop.id) == {"page:7": "Parcels to Iceland leave every Tuesday."}
    with db.session() as session:
        hits = search_documents(session, shop.id, "Iceland Tuesday")
        assert len(hits) == 1


@responses.activate
def test_a_post_in_the_faq_category_is_a_faq(app: Flask, svc: Services, db: Database, shop: Shop,
                                             secret: str) -> None:
    responses.get(f"{API}/posts/9", json=page(9, "Invoices", "<p>Yes.</p>", categories=[4]))
    responses.get(f"{API}/categories", json=[{"id": 4, "slug": "faq"}])
    processed(app.test_client(), svc, secret, {"topic": "content/changed", "kind": "post", "id": 9})
    with db.session() as session:
        assert session.scalar(select(Document.kind).where(Document.external_id == "post:9")) == "faq"


@pytest.mark.parametrize(("status", "body"), [
    (401, {"code": "rest_forbidden", "message": "Sorry, you are not allowed to do that.", "data": {"status": 401}}),
    (404, {"code": "rest_post_invalid_id", "message": "Invalid post ID.", "data": {"status": 404}}),
])
@responses.activate
def test_a_page_no_longer_public_is_removed(app: Flask, svc: Services, db: Database, shop: Shop, secret: str,
                                            status: int, body: dict[str, Any]) -> None:
    client = app.test_client()
    responses.get(f"{API}/pages/7", json=page(7, "Sale", "<p>Half price.</p>"))
    processed(client, svc, secret, {"topic": "content/changed", "kind": "page", "id": 7})
    assert "page:7" in titles(db, shop.id)
    responses.replace(responses.GET, f"{API}/pages/7", json=body, status=status)  # unpublished, or deleted
    processed(client, svc, secret, {"topic": "content/changed", "kind": "page", "id": 7})
    assert titles(db, shop.id) == {}
    with db.session() as session:
        assert search_documents(session, shop.id, "half price") == []


@responses.activate
def test_trashed_or_deleted_is_removed_without_asking_the_site(app: Flask, svc: Services, db: Database,
                                                               shop: Shop, secret: str) -> None:
    client = app.test_client()
    responses.get(f"{API}/pages/7", json=page(7, "Sale", "<p>Half price.</p>"))
    processed(client, svc, secret, {"topic": "content/changed", "kind": "page", "id": 7})
    calls = len(responses.calls)
    processed(client, svc, secret, {"topic": "content/deleted", "kind": "page", "id": 7})
    assert titles(db, shop.id) == {} and len(responses.calls) == calls


def test_forged_or_unknown_notifications_are_refused_and_recorded_nowhere(app: Flask, db: Database, shop: Shop,
                                                                          secret: str) -> None:
    client = app.test_client()
    body = {"topic": "content/deleted", "kind": "page", "id": 7}
    assert notify(client, "another-secret-0123456789", body).status_code == 401
    assert notify(client, secret, body, sign="0" * 64).status_code == 401
    assert notify(client, secret, body, sign="").status_code == 401
    assert notify(client, secret, body, site="https://other.example").status_code == 401  # no such shop
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


@pytest.mark.parametrize("body", [
    {"topic": "content/exploded", "kind": "page", "id": 7},
    {"topic": "content/changed", "kind": "attachment", "id": 7},
    {"topic": "content/changed", "kind": "page", "id": "7"},
    {"topic": "content/changed", "kind": "page", "id": 0},
    {"topic": "content/changed", "kind": "page"},
])
def test_malformed_signed_notifications_are_400(app: Flask, shop: Shop, secret: str, body: dict[str, Any]) -> None:
    resp = notify(app.test_client(), secret, body)
    assert resp.status_code == 400, resp.get_data(as_text=True)


def test_a_bad_delivery_id_is_400(app: Flask, shop: Shop, secret: str) -> None:
    resp = notify(app.test_client(), secret, {"topic": "content/deleted", "kind": "page", "id": 7},
                  delivery="not ok!")
    assert resp.status_code == 400


@responses.activate
def test_a_repeated_delivery_is_processed_once(app: Flask, svc: Services, db: Database, shop: Shop,
                                               secret: str) -> None:
    client = app.test_client()
    responses.get(f"{API}/pages/7", json=page(7, "Sale", "<p>Half price.</p>"))
    processed(client, svc, secret, {"topic": "content/changed", "kind": "page", "id": 7}, delivery="d" * 32)
    again = notify(client, secret, {"topic": "content/changed", "kind": "page", "id": 7}, delivery="d" * 32)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert len(responses.calls) == 1


def test_the_site_disconnecting_marks_the_shop_and_keeps_its_content(app: Flask, svc: Services, db: Database,
                                                                     shop: Shop, secret: str) -> None:
    client = app.test_client()
    processed(client, svc, secret, {"topic": "site/disconnected"})
    with db.session() as session:
        found = session.get(Shop, shop.id)
        assert found.active and found.settings["connection"]["state"] == "disconnected"
        assert found.settings["connection"]["by"] == "site"
        assert "identity_secret" not in open_config(db.settings, found)
    # Nothing the site signs with the old secret is accepted any more.
    assert notify(client, secret, {"topic": "content/deleted", "kind": "page", "id": 1}).status_code == 401


def _notice_then_reconnect(app: Flask, svc: Services, db: Database, shop: Shop, secret: str, topic: str) -> None:
    """The site's notice ``topic`` is received and queued, the site connects again, then the job runs."""
    assert notify(app.test_client(), secret, {"topic": topic}).status_code == 200
    time.sleep(0.01)
    connect_site(db, shop.id, SITE, by="plugin")
    assert run_queued_jobs(svc) == []


def test_a_disconnect_received_before_the_latest_connect_is_ignored(app: Flask, svc: Services, db: Database,
                                                                    shop: Shop, secret: str) -> None:
    # Received (and queued) while the old connection stood; carried out after a reconnect.
    _notice_then_reconnect(app, svc, db, shop, secret, "site/disconnected")
    with db.session() as session:
        assert session.get(Shop, shop.id).settings["connection"]["state"] == "connected"


def test_the_plugin_deleted_from_the_site_stops_the_shop_and_schedules_its_purge(
    app: Flask, svc: Services, db: Database, shop: Shop, secret: str
) -> None:
    """uninstall.php sends site/uninstalled: as an app uninstall, the shop stops being served, its
    secrets go, and its data is purged after STORECHAT_PURGE_AFTER_UNINSTALL_HOURS (48) unless the
    site connects again."""
    from datetime import datetime, timedelta

    from rq.registry import ScheduledJobRegistry

    from core import jobs, privacy
    from core.db import Event

    client = app.test_client()
    processed(client, svc, secret, {"topic": "site/uninstalled"})
    with db.session() as session:
        found = session.get(Shop, shop.id)
        assert found is not None and found.active is False
        assert found.settings["connection"]["state"] == "disconnected"
        assert "identity_secret" not in open_config(db.settings, found)
        event_id = session.scalar(select(Event.id).where(Event.shop_id == shop.id, Event.kind == "app_uninstalled"))
    assert event_id is not None
    registry = ScheduledJobRegistry(queue=jobs.queue(jobs.DEFAULT, svc.redis))
    [job_id] = registry.get_job_ids()
    job = jobs.queue(jobs.DEFAULT, svc.redis).fetch_job(job_id)
    assert job is not None and job.func_name == "core.jobs.purge_uninstalled_shop" and job.args == [shop.id, event_id]
    due = registry.get_scheduled_time(job_id)
    hours = (due.replace(tzinfo=None) - datetime.utcnow()) / timedelta(hours=1)
    assert 47.9 < hours <= 48.0
    # Nothing the site signs with the old secret is accepted any more.
    assert notify(client, secret, {"topic": "content/deleted", "kind": "page", "id": 1}).status_code == 401

    # Connected again before the purge: the purge finds the shop served and leaves it.
    connect_site(db, shop.id, SITE, by="plugin")
    assert privacy.purge_uninstalled(db, shop.id, event_id) is False
    with db.session() as session:
        assert session.get(Shop, shop.id) is not None


def test_a_site_notice_with_an_unknown_topic_is_refused(app: Flask, shop: Shop, secret: str) -> None:
    resp = notify(app.test_client(), secret, {"topic": "site/exploded"})
    assert resp.status_code == 400 and "site/uninstalled" in resp.get_data(as_text=True)


def test_an_uninstall_notice_from_before_the_latest_connect_does_nothing(
    app: Flask, svc: Services, db: Database, shop: Shop, secret: str
) -> None:
    """Received (and queued, or retried) while the old connection stood, carried out after the
    merchant put the plugin back and connected again: the shop stays served, nothing is purged."""
    from rq.registry import ScheduledJobRegistry

    from core import jobs

    _notice_then_reconnect(app, svc, db, shop, secret, "site/uninstalled")
    with db.session() as session:
        found = session.get(Shop, shop.id)
        assert found is not None and found.active and found.settings["connection"]["state"] == "connected"
    assert ScheduledJobRegistry(queue=jobs.queue(jobs.DEFAULT, svc.redis)).get_job_ids() == []
