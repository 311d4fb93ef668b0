"""The StoreChat plugin's notifications: a page or post changed, the site
disconnected, or the plugin was deleted from the site (``POST /webhooks/wordpress``),
format v1.

Headers:

``X-StoreChat-Site``
    The site's ``home_url()``; the shop is the ``wordpress`` shop keyed by it.
``X-StoreChat-Delivery``
    A random id per notification (a retry sends the same one).
``X-StoreChat-Signature``
    Lowercase hex HMAC-SHA256, keyed with the shop's identity secret, of
    ``storechat-wp-content-v1:`` followed by the raw body.

Body (JSON): ``{"topic": "content/changed" | "content/deleted" | "site/disconnected"
| "site/uninstalled", "kind": "page" | "post", "id": <int>, "sent_at": <Unix seconds>}``
(``kind`` and ``id`` for content topics only). ``site/uninstalled`` is an app
uninstall: the shop stops being served and is purged after
``STORECHAT_PURGE_AFTER_UNINSTALL_HOURS`` (48) unless it is connected again.

The notification only says *which* item; what it now says is read from the
site's REST API when the job runs (a changed item that is no longer public
is removed), so a late or repeated notification can never bring back an old
text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.connector import (
    ConnectorError,
    DeleteDocuments,
    RecordError,
    ShopDisconnected,
    UpsertDocuments,
    WebhookAction,
    WebhookEvent,
    webhook_payload,
)

from .content import to_document

if TYPE_CHECKING:
    from .connector import WordPressConnector

PREFIX = b"storechat-wp-content-v1:"
TOPICS = ("content/changed", "content/deleted", "site/disconnected", "site/uninstalled")
#: Topics about the site as a whole (no ``kind``/``id``).
SITE_TOPICS = ("site/disconnected", "site/uninstalled")
KINDS = {"page": "pages", "post": "posts"}
_DELIVERY = re.compile(r"[A-Za-z0-9_-]{8,64}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


def signature(secret: str, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), PREFIX + raw_body, hashlib.sha256).hexdigest()


def shop_ref(headers: Mapping[str, str]) -> str | None:
    from .connector import normalize_site_url

    site = headers.get("X-StoreChat-Site")
    try:
        return normalize_site_url(site) if site else None
    except ConnectorError:
        return None


def verify(secret: str, headers: Mapping[str, str], raw_body: bytes) -> bool:
    given = headers.get("X-StoreChat-Signature") or ""
    if len(secret) < 16 or not _SIGNATURE.fullmatch(given):
        return False
    return hmac.compare_digest(given, signature(secret, raw_body))


def parse(headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent:
    delivery = headers.get("X-StoreChat-Delivery") or ""
    if not _DELIVERY.fullmatch(delivery):
        raise RecordError("X-StoreChat-Delivery must be 8 to 64 letters, digits, - or _")
    payload = webhook_payload(raw_body)
    topic = payload.get("topic")
    if topic not in TOPICS:
        raise RecordError(f"the topic must be one of {', '.join(TOPICS)}")
    sent_at = payload.get("sent_at")
    if isinstance(sent_at, bool) or not isinstance(sent_at, int) or sent_at < 0:
        raise RecordError("sent_at must be Unix seconds")
    if topic not in SITE_TOPICS:
        item_id = payload.get("id")
        if (
            payload.get("kind") not in KINDS
            or isinstance(item_id, bool)
            or not isinstance(item_id, int)
            or item_id <= 0
        ):
            raise RecordError("a content notification needs kind (page or post) and a positive integer id")
    if topic in SITE_TOPICS:
        # StoreChat's own clock, when the notice arrived: a notice queued before a reconnect
        # (and carried out after it) must not end the new connection. The site's clock may be off.
        payload = {**payload, "received_at": time.time()}
    return WebhookEvent(topic=topic, delivery_id=delivery, payload=payload, shop_ref=shop_ref(headers))


def actions(connector: WordPressConnector, event: WebhookEvent) -> Iterator[WebhookAction]:
    payload: Mapping[str, Any] = event.payload
    if event.topic in SITE_TOPICS:
        # site/uninstalled: the plugin was deleted from the site. As an app uninstall, the shop
        # also stops being served and is purged after STORECHAT_PURGE_AFTER_UNINSTALL_HOURS
        # unless it connects again; a late notice (from before the latest connect) does nothing.
        yield ShopDisconnected(
            sent_at=datetime.fromtimestamp(float(payload["received_at"]), tz=UTC),
            uninstalled=event.topic == "site/uninstalled",
        )
        return
    kind, item_id = str(payload["kind"]), int(payload["id"])
    external_id = f"{kind}:{item_id}"
    if event.topic == "content/deleted":
        yield DeleteDocuments((external_id,))
        return
    doc = connector.read_item(kind, item_id)
    yield UpsertDocuments((doc,)) if doc is not None else DeleteDocuments((external_id,))


def read_item(connector: WordPressConnector, kind: str, item_id: int) -> Any:
    """The item as a document, or None when it is not (or no longer) public and published."""
    from .connector import FIELDS

    path = f"{KINDS[kind]}/{item_id}"
    resp = connector.client.get(path, {"_fields": FIELDS[KINDS[kind]] + ",status"})
    # Anonymous readers get 401 for a draft or trashed item, 404 for a deleted one.
    if resp.status_code in (404, 410) or (resp.status_code in (401, 403) and not connector.client.username):
        return None
    connector.client.raise_for_status(resp, path)
    try:
        item = resp.json()
    except ValueError:
        raise ConnectorError(f"/wp-json/wp/v2/{path} did not answer JSON", code="platform_bad_response") from None
    if not isinstance(item, dict) or item.get("status", "publish") != "publish":
        return None
    faq_categories = connector.faq_categories()[0] if kind == "post" else frozenset()
    return to_document(item, kind, faq_categories=faq_categories)
