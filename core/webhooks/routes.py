"""``POST /webhooks/<platform>``: verify, record, queue, answer 200 at once.

The order matters: the body is read raw (the HMAC covers the exact bytes)
and size-limited; the shop is found from the headers; the signature is
checked by the shop's connector, or by an app-only one when the shop is
gone (shop/redact comes after the uninstall); then the delivery id is
recorded for that shop (a platform's delivery ids are its ids for one shop:
another shop's delivery with the same id is not a repeat), so a repeated
delivery is answered 200 and not processed again
(unless the first one failed for good or lost its job: then the repeat is
queued instead). If the job cannot be queued the record is removed and the
platform is told to retry (503): a delivery is never dropped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import cast

import redis as redis_lib
from flask import Blueprint, Flask, Response, jsonify, request
from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import connector_registry, metrics, shop_connectors
from core.connector import Connector, WebhookNotSupported
from core.db import Database, Shop, WebhookDelivery
from core.db.models import utcnow
from core.errors import StoreChatError
from core.jobs import enqueue_webhook
from core.services import services
from core.webhooks.processing import event_to_job

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


@bp.post("/webhooks/<platform>")
def receive(platform: str) -> tuple[Response, int]:
    cls = connector_registry.available().get(platform)
    if cls is None:
        metrics.webhook_delivery("unknown", "unknown_platform")  # the URL's name is no label: unbounded
        return _error(404, "unknown_platform", f"no connector named {platform!r} takes webhooks here")
    response, status = _receive(platform, cls)
    # The outcome: queued, duplicate or pong (200), or the error's code.
    body = response.get_json(silent=True) or {}
    outcome = body.get("status") if status == 200 else (body.get("error") or {}).get("code")
    metrics.webhook_delivery(platform, str(outcome or status))
    return response, status


def _receive(platform: str, cls: type[Connector]) -> tuple[Response, int]:
    svc = services()
    limit = svc.settings.webhook_max_bytes
    if request.content_length is not None and request.content_length > limit:
        return _error(413, "payload_too_large", f"webhook bodies may be at most {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        return _error(413, "payload_too_large", f"webhook bodies may be at most {limit} bytes")
    # werkzeug's Headers: the case-insensitive get() the connectors read headers with (it is no typing
    # Mapping only because iterating it gives pairs, which no connector does).
    headers = cast(Mapping[str, str], request.headers)
    if cls.webhook_ping(headers, raw):
        return jsonify(status="pong"), 200
    try:
        shop_ref = cls.webhook_shop_ref(headers, raw)
    except WebhookNotSupported as exc:
        return _error(404, exc.code, exc.message)

    shop = None
    if shop_ref:
        with svc.db.session() as session:
            shop = session.scalar(select(Shop).where(Shop.platform == platform, Shop.platform_ref == shop_ref))
    connector: Connector = shop_connectors.app_only(svc.settings, platform)
    if shop is not None:
        try:
            connector = shop_connectors.for_shop(svc.db, shop)
        except StoreChatError as exc:  # unreadable credentials: the app's own secret may still verify
            log.error("shop %s: %s", shop.id, exc)
    if not connector.verify_webhook(headers, raw):
        log.warning("forged or misconfigured %s webhook for %r refused", platform, shop_ref)
        return _error(401, "bad_signature", "the webhook signature does not match this body")
    try:
        event = connector.parse_webhook(headers, raw)
    except StoreChatError as exc:
        return _error(400, exc.code if exc.code != "error" else "bad_webhook", exc.message)

    dedup_ref = (shop_ref or "")[:255]
    try:
        with svc.db.session() as session:
            delivery = WebhookDelivery(
                platform=platform,
                delivery_id=event.delivery_id[:255],
                shop_ref=dedup_ref,
                shop_id=shop.id if shop is not None else None,
                topic=event.topic[:100],
            )
            session.add(delivery)
            session.flush()
            delivery_pk = delivery.id
    except IntegrityError:
        claimed = _claim_again(svc.db, platform, dedup_ref, event.delivery_id[:255])
        if claimed is None:
            return jsonify(status="duplicate", delivery_id=event.delivery_id), 200
        delivery_pk = claimed
    try:
        enqueue_webhook(svc.redis, delivery_pk, event_to_job(event), shop.id if shop is not None else None)
    except redis_lib.RedisError:
        log.exception("could not queue %s webhook %s; asking the platform to retry", platform, event.delivery_id)
        with svc.db.session() as session:
            row = session.get(WebhookDelivery, delivery_pk)
            if row is not None:
                session.delete(row)
        return _error(503, "queue_unavailable", "the webhook could not be queued; retry later")
    return jsonify(status="queued", delivery_id=event.delivery_id), 200


#: A delivery recorded but still unprocessed after this long lost its job (Redis lost it, or
#: the process died between the record and the queue): a repeated delivery queues it again.
STALE_AFTER = timedelta(minutes=10)


def _claim_again(db: Database, platform: str, shop_ref: str, delivery_id: str) -> int | None:
    """A repeated delivery is dropped, unless the first one failed for good or lost its job:
    then this one takes it over (one UPDATE, so only one of concurrent repeats does)."""
    table = cast(Table, WebhookDelivery.__table__)
    now = utcnow()
    with db.engine.begin() as conn:
        row = conn.execute(
            update(table)
            .where(
                table.c.platform == platform,
                table.c.shop_ref == shop_ref,
                table.c.delivery_id == delivery_id,
                or_(
                    table.c.status == "failed",
                    and_(table.c.status == "received", table.c.received_at < now - STALE_AFTER),
                ),
            )
            .values(status="received", error=None, received_at=now)
            .returning(table.c.id)
        ).first()
    if row is not None:
        log.info("%s webhook %s: queued again (the first delivery failed or lost its job)", platform, delivery_id)
    return row[0] if row is not None else None
