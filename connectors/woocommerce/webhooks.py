"""WooCommerce webhooks (PLATFORMS.md B5): whose they are, whether they are
genuine, what they mean, and creating them for a shop.

Every webhook of a shop is created with one per-shop secret (kept encrypted
in the shop's config); WooCommerce signs each delivery with
``X-WC-Webhook-Signature`` = base64 HMAC-SHA256 of the raw body. The
unsigned ping WooCommerce sends when a webhook is created (form body
``webhook_id=<id>``) is answered 200 and not processed. The shop is the
``X-WC-Webhook-Source`` (the site's home URL), vouched for by that shop's own
secret; deliveries are de-duplicated per shop on ``X-WC-Webhook-Delivery-ID``
(a site's delivery ids are its own: another site may send the same one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from core.connector import (
    ConnectorError,
    DeleteProducts,
    OrderCreated,
    RecordError,
    UpsertProducts,
    WebhookAction,
    WebhookEvent,
    payload_shape,
    webhook_payload,
)

from .catalog import product_with_variations
from .orders import CONVERSATION_META, meta_value, order_record

if TYPE_CHECKING:
    from .connector import WooCommerceConnector

log = logging.getLogger(__name__)
TOPICS = ("product.created", "product.updated", "product.deleted", "order.created")
WEBHOOK_NAME = "StoreChat {topic}"
_PING = re.compile(rb"webhook_id=[0-9]{1,20}")


def shop_ref(headers: Mapping[str, str]) -> str | None:
    from .connector import store_url

    source = headers.get("X-WC-Webhook-Source")
    try:
        return store_url(source) if source else None
    except ConnectorError:
        return None


def is_ping(headers: Mapping[str, str], raw_body: bytes) -> bool:
    return not headers.get("X-WC-Webhook-Signature") and _PING.fullmatch(raw_body.strip()) is not None


def signature(secret: str, raw_body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: Mapping[str, str], raw_body: bytes) -> bool:
    given = headers.get("X-WC-Webhook-Signature") or ""
    if not secret or not given:
        return False
    return hmac.compare_digest(signature(secret, raw_body), given.strip())


def parse(headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent:
    topic = (headers.get("X-WC-Webhook-Topic") or "").strip()
    delivery = (headers.get("X-WC-Webhook-Delivery-ID") or "").strip()
    if not topic or not delivery:
        raise RecordError("a WooCommerce webhook needs X-WC-Webhook-Topic and X-WC-Webhook-Delivery-ID headers")
    return WebhookEvent(
        topic=topic, delivery_id=delivery, payload=webhook_payload(raw_body), shop_ref=shop_ref(headers)
    )


def actions(connector: WooCommerceConnector, event: WebhookEvent) -> Iterator[WebhookAction]:
    with payload_shape(f"the WooCommerce {event.topic} webhook"):
        yield from _actions(connector, event)


def _actions(connector: WooCommerceConnector, event: WebhookEvent) -> Iterator[WebhookAction]:
    p, topic = event.payload, event.topic
    if topic in ("product.created", "product.updated"):
        if not isinstance(p.get("id"), int):
            return
        if p.get("parent_id"):  # a variation's hook: read its product again
            record = connector.fetch_product(p["parent_id"])
        else:  # a variable product lists its variations by id: they are read so stock is exact
            record = product_with_variations(connector.client, p)
        if record is not None:
            yield UpsertProducts((record,))
    elif topic == "product.deleted":
        if p.get("id") is not None:
            yield DeleteProducts((str(p["id"]),))
    elif topic == "order.created":
        ref = meta_value(p, CONVERSATION_META)
        yield OrderCreated(order_record(p), conversation_ref=str(ref) if ref not in (None, "") else None)
    else:
        log.info("WooCommerce webhook topic %r is not used; ignored", topic)


def register(connector: WooCommerceConnector, address: str) -> list[str]:
    """Create the :data:`TOPICS` webhooks at ``address`` with the shop's secret; returns the topics created.

    Webhooks already there for the address (a reconnect) get the current secret and are activated.
    """
    if connector.config.get("key_permissions") == "read":
        raise ConnectorError(
            "WooCommerce's read-only API keys cannot create webhooks: connect WooCommerce "
            "again from the StoreChat plugin (it asks for read and write access); until then "
            "the catalog changes only with `storechat sync`",
            code="woocommerce_read_only_keys",
        )
    secret = str(connector.config.get("webhook_secret") or "")
    if not secret:
        secret = secrets.token_urlsafe(32)  # no & < > " ': WooCommerce entity-decodes secrets
        connector.update_config(webhook_secret=secret)
    client = connector.client
    existing, _ = client.get_page("webhooks", {}, 1)
    have = {w.get("topic"): w.get("id") for w in existing if w.get("delivery_url") == address}
    created = []
    for topic in TOPICS:
        body = {
            "name": WEBHOOK_NAME.format(topic=topic),
            "topic": topic,
            "delivery_url": address,
            "secret": secret,
            "status": "active",
        }
        if have.get(topic) is not None:
            resp = client.request("put", f"webhooks/{have[topic]}", data=body)
            client.raise_for_status(resp, f"webhooks/{have[topic]}")
        else:
            client.post_json("webhooks", body)
            created.append(topic)
    return created
