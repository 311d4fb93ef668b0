"""Order status: a live lookup through the shop's connector, for the verified owner only.

Never cached. The connector returns an order only when the email (or the
customer id the merchant's site signed) matches; otherwise the shopper is
told nothing about whether it exists. After ``MAX_FAILURES`` failed attempts
in a conversation the tool stops trying and the assistant offers a human.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import shop_connectors
from core.connector import OrderRecord, normalize_order_reference
from core.db import Event, Shop
from core.errors import StoreChatError

log = logging.getLogger(__name__)
MAX_FAILURES = 5


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None if not email else "***"
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}***@{domain}"


def _failures(session: Session, conversation_id: int | None) -> int:
    if conversation_id is None:
        return 0
    return session.scalar(
        select(func.count()).select_from(Event)
        .where(Event.conversation_id == conversation_id, Event.kind == "order_lookup_failed")
    ) or 0


def lookup(session: Session, shop: Shop, conversation_id: int | None, reference: str, *,
           email: str | None, customer_id: str | None) -> dict[str, Any]:
    ref = normalize_order_reference(reference or "")
    if not ref:
        return {"status": "need_reference"}
    if _failures(session, conversation_id) >= MAX_FAILURES:
        return {"status": "locked"}
    if not email and not customer_id:
        return {"status": "need_email", "reference": f"#{ref}"}
    try:
        connector = shop_connectors.in_session(session, shop)
        order = connector.find_order(ref, email=email, customer_id=customer_id)
    except StoreChatError as exc:
        log.warning("order lookup failed for shop %s: %s", shop.id, exc)
        return {"status": "unavailable"}
    if order is None:
        session.add(Event(shop_id=shop.id, conversation_id=conversation_id, kind="order_lookup_failed",
                          data={"reference": f"#{ref}"}))
        session.flush()
        left = MAX_FAILURES - _failures(session, conversation_id)
        return {"status": "not_found", "reference": f"#{ref}", "attempts_left": max(left, 0)}
    return {"status": "found", "order": order_dict(order)}


def order_dict(order: OrderRecord) -> dict[str, Any]:
    return {
        "name": order.name,
        "created_at": order.created_at.isoformat() if order.created_at else None,
        "currency": order.currency,
        "total_price": f"{order.total_price:.2f}",
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status or "unfulfilled",
        "cancelled": order.cancelled,
        "items": [{"title": line.title, "variant_title": line.variant_title, "quantity": line.quantity,
                   "price": f"{line.price:.2f}"} for line in order.lines],
        "shipments": [{"status": f.status, "company": f.tracking_company,
                       "tracking_numbers": list(f.tracking_numbers), "tracking_urls": list(f.tracking_urls)}
                      for f in order.fulfillments],
        "status_url": order.status_url,
    }
