"""Carrying out a verified webhook, on a worker.

The connector says what the event means (:meth:`Connector.webhook_actions`,
which may call the platform); this module does it: catalog changes go
through the same writes as a sync and are indexed in the same transaction,
so they are searchable as soon as the job ends; privacy actions go to
:mod:`core.privacy`. The delivery row says whether it was processed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from core import privacy, shop_connectors
from core.analytics import attribution
from core.catalog import search
from core.catalog import version as catalog_version
from core.catalog.sync import upsert_documents, upsert_products
from core.chat.frames import MAX_INT
from core.connector import (
    AppUninstalled,
    Connector,
    DeleteDocuments,
    DeleteProducts,
    OrderCreated,
    ShopDisconnected,
    ShopperDataRequest,
    ShopperRedact,
    ShopRedact,
    UpsertDocuments,
    UpsertProducts,
    WebhookAction,
    WebhookEvent,
)
from core.db import Conversation, Database, Document, Event, Product, Shop, Variant, WebhookDelivery
from core.db.models import utcnow
from core.errors import StoreChatError

log = logging.getLogger(__name__)
#: Schedules the purge of an uninstalled shop: (shop id, uninstall event id, delay).
SchedulePurge = Callable[[int, int, timedelta], Any]


def event_to_job(event: WebhookEvent) -> dict[str, Any]:
    """The event as the JSON a job carries."""
    return {
        "topic": event.topic,
        "delivery_id": event.delivery_id,
        "payload": dict(event.payload),
        "shop_ref": event.shop_ref,
    }


def event_from_job(data: Mapping[str, Any]) -> WebhookEvent:
    return WebhookEvent(
        topic=data["topic"],
        delivery_id=data["delivery_id"],
        payload=data.get("payload") or {},
        shop_ref=data.get("shop_ref"),
    )


def process_delivery(
    db: Database,
    delivery_pk: int,
    event_data: Mapping[str, Any],
    *,
    schedule_purge: SchedulePurge | None = None,
    redis: Any = None,
) -> None:
    """Do what delivery ``delivery_pk`` asks; marks it processed, or failed and re-raises.
    ``redis``: a shopper's redaction also erases their keys and jobs there."""
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_pk)
        if delivery is None or delivery.status == "processed":
            return
        platform, shop_id = delivery.platform, delivery.shop_id
        shop = session.get(Shop, shop_id) if shop_id is not None else None
    event = event_from_job(event_data)
    try:
        connector = _connector(db, shop, platform)
        for action in connector.webhook_actions(event):
            apply_action(db, shop_id, action, connector=connector, schedule_purge=schedule_purge, redis=redis)
    except Exception as exc:
        _mark(db, delivery_pk, "failed", f"{type(exc).__name__}: {exc}"[:2000])
        raise
    _mark(db, delivery_pk, "processed", None)


def _connector(db: Database, shop: Shop | None, platform: str) -> Connector:
    """The shop's connector; the app's alone when the shop is gone or its credentials cannot
    be read (an uninstall or a redact must still be carried out)."""
    if shop is not None:
        try:
            return shop_connectors.for_shop(db, shop)
        except StoreChatError as exc:
            log.error("shop %s: %s; going on with the app's settings alone", shop.id, exc)
    return shop_connectors.app_only(db.settings, platform)


def _mark(db: Database, delivery_pk: int, status: str, error: str | None) -> None:
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_pk)
        if delivery is not None:  # shop/redact deletes the shop's deliveries, this one too
            delivery.status, delivery.error, delivery.processed_at = status, error, utcnow()


def apply_action(
    db: Database,
    shop_id: int | None,
    action: WebhookAction,
    *,
    connector: Connector | None = None,
    schedule_purge: SchedulePurge | None = None,
    redis: Any = None,
) -> None:
    """Carry out one action for the shop (``None``: a shop StoreChat does not have)."""
    if shop_id is None:
        log.info("webhook action %s for a shop StoreChat does not have: nothing to do", type(action).__name__)
        return
    if isinstance(action, UpsertProducts):
        _upsert_newer(db, shop_id, action)
    elif isinstance(action, DeleteProducts):
        _delete_products(db, shop_id, action.external_ids)
    elif isinstance(action, UpsertDocuments):
        with db.session() as session:
            search.index_documents(session, upsert_documents(session, shop_id, list(action.records)))
    elif isinstance(action, DeleteDocuments):
        _delete_documents(db, shop_id, action.external_ids)
    elif isinstance(action, ShopDisconnected):
        from core.wordpress_sites import disconnect_site

        # Only a notice about the current connection counts: a late one (queued or retried
        # before the site connected again) neither disconnects nor uninstalls.
        if disconnect_site(db, shop_id, by="site", sent_at=action.sent_at) and action.uninstalled:
            _uninstall(db, connector, shop_id, schedule_purge)
    elif isinstance(action, OrderCreated):
        _record_order(db, shop_id, action)
    elif isinstance(action, AppUninstalled):
        _uninstall(db, connector, shop_id, schedule_purge)
    elif isinstance(action, ShopperDataRequest):
        privacy.export_shopper(
            db, shop_id, privacy.Shopper(action.email, action.customer_id), request_id=action.request_id
        )
    elif isinstance(action, ShopperRedact):
        privacy.redact_shopper(db, shop_id, privacy.Shopper(action.email, action.customer_id), redis=redis)
    elif isinstance(action, ShopRedact):
        privacy.redact_shop(db, shop_id)
    else:
        raise TypeError(f"unknown webhook action {action!r}")


def _upsert_newer(db: Database, shop_id: int, action: UpsertProducts) -> None:
    """Store the records; ``upsert_products`` keeps a stored row newer than its record
    (platforms retry a delivery for hours with its original payload)."""
    with db.session() as session:
        search.index_products(session, upsert_products(session, shop_id, list(action.records)))


def _delete_products(db: Database, shop_id: int, external_ids: tuple[str, ...]) -> None:
    with db.session() as session:
        ids = list(
            session.scalars(select(Product.id).where(Product.shop_id == shop_id, Product.external_id.in_(external_ids)))
        )
        if ids:
            search.unindex_products(session, ids)
            session.execute(delete(Variant).where(Variant.product_id.in_(ids)))
            session.execute(delete(Product).where(Product.id.in_(ids)))
            catalog_version.bump(session, shop_id)


def _delete_documents(db: Database, shop_id: int, external_ids: tuple[str, ...]) -> None:
    with db.session() as session:
        ids = list(
            session.scalars(
                select(Document.id).where(Document.shop_id == shop_id, Document.external_id.in_(external_ids))
            )
        )
        if ids:
            search.unindex_documents(session, ids)
            session.execute(delete(Document).where(Document.id.in_(ids)))


def _uninstall(db: Database, connector: Connector | None, shop_id: int, schedule_purge: SchedulePurge | None) -> None:
    """The app left the shop: stop serving it, drop its secrets, purge it later unless it comes back."""
    secret_fields = type(connector).secret_fields if connector is not None else frozenset()
    event_id = privacy.deactivate_shop(db, shop_id, secret_fields)
    if event_id and schedule_purge is not None:
        schedule_purge(shop_id, event_id, timedelta(hours=db.settings.purge_after_uninstall_hours))


def _record_order(db: Database, shop_id: int, action: OrderCreated) -> None:
    """An ``order_created`` event, tied to the conversation it came from when that is this shop's."""
    order = action.order
    with db.session() as session:
        conversation_id, credited = None, False
        ref = (action.conversation_ref or "").strip()
        # A platform's field: only plain digits within the column's range name a conversation.
        if ref.isascii() and ref.isdigit() and len(ref) <= 18 and int(ref) <= MAX_INT:
            conversation = session.get(Conversation, int(ref))
            if conversation is not None and conversation.shop_id == shop_id:
                conversation_id = conversation.id
                shop = session.get(Shop, shop_id)
                credited = attribution.attributed(
                    order.created_at or utcnow(),
                    conversation.created_at,
                    conversation.updated_at,
                    attribution.window_days(shop.settings if shop else None),
                )
        # No email or customer here: attribution needs only the order and its value.
        session.add(
            Event(
                shop_id=shop_id,
                conversation_id=conversation_id,
                kind="order_created",
                data={
                    "order_id": order.external_id,
                    "name": order.name,
                    "currency": order.currency,
                    "total_price": f"{order.total_price:.2f}",
                    "conversation_ref": ref or None,
                    # Within the shop's attribution window (core/analytics/attribution.py): counted as chat revenue.
                    "attributed": credited,
                },
            )
        )
