"""Order status: a live lookup through the shop's connector, for the verified owner only.

Never cached. The connector returns an order only when the email (or the
customer id the merchant's site signed) matches; otherwise the shopper is
told nothing about whether it exists. After ``MAX_FAILURES`` failed attempts
in a conversation the tool stops trying and the assistant offers a human.

A new conversation (or a new visitor token) starts that count again, so
failures are also counted in Redis (:class:`Guesses`) per shopper (the email
at this shop, or the signed-in customer) and per client address, whatever
the conversation: after a few the next lookup must wait, after more the
lookups are locked for a while (``BACKOFF``), the right number included.
Every engine looks orders up through this function, so through the limit.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from typing import Any

import redis as redis_lib
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import shop_connectors
from core.connector import OrderRecord, normalize_order_reference
from core.db import Event, Shop
from core.errors import StoreChatError
from core.security.rate_limit import Attempts, Backoff

log = logging.getLogger(__name__)
MAX_FAILURES = 5
#: Failed lookups across conversations, per shopper and per client address:
#: three free, then a wait of 30 s doubling with each failure, locked for an
#: hour from the eighth; forgotten after a day without a lookup.
BACKOFF = Backoff(free=3, wait=30.0, lock_after=8, lock=3600.0, window=86400.0)


@dataclass
class Guesses:
    """The failed-lookup limit of one shopper's lookups: ``client`` is their
    address's key (None when unknown: then only the shopper's own count applies)."""

    attempts: Attempts
    client: str | None = None

    def keys(self, shop_id: int, email: str | None, customer_id: str | None) -> list[str]:
        if email:
            # Redis gets no email: a digest of it, normalised as shops compare emails.
            who = "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        else:
            who = f"customer:{customer_id}"
        keys = [f"orders:{shop_id}:{who}"]
        if self.client:
            keys.append(f"orders:{shop_id}:client:{self.client}")
        return keys


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None if not email else "***"
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}***@{domain}"


def _failures(session: Session, conversation_id: int | None) -> int:
    if conversation_id is None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.conversation_id == conversation_id, Event.kind == "order_lookup_failed")
        )
        or 0
    )


def lookup(
    session: Session,
    shop: Shop,
    conversation_id: int | None,
    reference: str,
    *,
    email: str | None,
    customer_id: str | None,
    guesses: Guesses | None = None,
) -> dict[str, Any]:
    ref = normalize_order_reference(reference or "")
    if not ref:
        return {"status": "need_reference"}
    if _failures(session, conversation_id) >= MAX_FAILURES:
        return {"status": "locked"}
    if not email and not customer_id:
        return {"status": "need_email", "reference": f"#{ref}"}
    keys = guesses.keys(shop.id, email, customer_id) if guesses is not None else []
    if guesses is not None:
        try:
            decision = guesses.attempts.attempt(keys)
        except redis_lib.RedisError:
            # Without the count no lookup is safe: none is made.
            log.warning("order lookup refused for shop %s: Redis is unavailable", shop.id)
            return {"status": "unavailable"}
        if not decision.allowed:
            return {"status": "too_many_attempts", "retry_after_minutes": max(1, math.ceil(decision.retry_after / 60))}
    try:
        connector = shop_connectors.in_session(session, shop)
        order = connector.find_order(ref, email=email, customer_id=customer_id)
    except StoreChatError as exc:
        log.warning("order lookup failed for shop %s: %s", shop.id, exc)
        _forgive(guesses, keys)
        return {"status": "unavailable"}
    if order is None:
        session.add(
            Event(
                shop_id=shop.id,
                conversation_id=conversation_id,
                kind="order_lookup_failed",
                data={"reference": f"#{ref}"},
            )
        )
        session.flush()
        left = MAX_FAILURES - _failures(session, conversation_id)
        return {"status": "not_found", "reference": f"#{ref}", "attempts_left": max(left, 0)}
    _forgive(guesses, keys)
    return {"status": "found", "order": order_dict(order)}


def _forgive(guesses: Guesses | None, keys: list[str]) -> None:
    if guesses is None:
        return
    try:
        guesses.attempts.forgive(keys)
    except redis_lib.RedisError:
        log.warning("an order lookup that did not fail stays counted: Redis is unavailable")


def order_dict(order: OrderRecord) -> dict[str, Any]:
    return {
        "name": order.name,
        "created_at": order.created_at.isoformat() if order.created_at else None,
        "currency": order.currency,
        "total_price": f"{order.total_price:.2f}",
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status or "unfulfilled",
        "cancelled": order.cancelled,
        "items": [
            {
                "title": line.title,
                "variant_title": line.variant_title,
                "quantity": line.quantity,
                "price": f"{line.price:.2f}",
            }
            for line in order.lines
        ],
        "shipments": [
            {
                "status": f.status,
                "company": f.tracking_company,
                "tracking_numbers": list(f.tracking_numbers),
                "tracking_urls": list(f.tracking_urls),
            }
            for f in order.fulfillments
        ],
        "status_url": order.status_url,
    }
