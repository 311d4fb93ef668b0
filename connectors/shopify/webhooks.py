"""Shopify webhooks: whose they are, whether they are genuine, what they mean,
and subscribing a shop to them (PLATFORMS.md A4).

Deliveries are de-duplicated per shop on ``X-Shopify-Webhook-Id`` (the
delivery; ``X-Shopify-Event-Id`` when it is missing). Every shop's deliveries
are signed with the one app secret and ``X-Shopify-Shop-Domain`` is not
signed, so where the signed body names its shop (``shop_domain`` in the
privacy topics, ``myshopify_domain`` in ``app/uninstalled``) it must be the
header's shop, or the delivery is refused as forged: a genuine body of one
shop never acts on another. Both header styles are read: the
classic ``X-Shopify-*`` and the newer un-prefixed ``shopify-*``. The three
privacy (compliance) topics cannot be subscribed through the API; they are
declared in the app's ``shopify.app.toml`` with the same address (see
docs/connectors.md).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from core.connector import (
    AppUninstalled,
    ConnectorError,
    DeleteProducts,
    OrderCreated,
    RecordError,
    ShopperDataRequest,
    ShopperRedact,
    ShopRedact,
    UpsertProducts,
    WebhookAction,
    WebhookEvent,
    webhook_payload,
)

from .graphql import raise_user_errors
from .mapping import numeric_id
from .rest_payloads import REST_VARIANT_LIMIT, conversation_ref, order_from_rest, product_from_rest
from .signatures import shop_domain, webhook_hmac_ok

if TYPE_CHECKING:
    from .connector import ShopifyConnector

log = logging.getLogger(__name__)

#: Topics subscribed per shop through the API, as GraphQL enum values.
SUBSCRIBED = {
    "products/create": "PRODUCTS_CREATE",
    "products/update": "PRODUCTS_UPDATE",
    "products/delete": "PRODUCTS_DELETE",
    "inventory_levels/update": "INVENTORY_LEVELS_UPDATE",
    "orders/create": "ORDERS_CREATE",
    "app/uninstalled": "APP_UNINSTALLED",
}
#: The access scope a subscription to each topic needs (Shopify's webhook
#: topic list; the schema file does not carry these). app/uninstalled needs none.
TOPIC_SCOPES = {
    "PRODUCTS_CREATE": "read_products",
    "PRODUCTS_UPDATE": "read_products",
    "PRODUCTS_DELETE": "read_products",
    "INVENTORY_LEVELS_UPDATE": "read_inventory",
    "ORDERS_CREATE": "read_orders",
}
#: Topics declared in shopify.app.toml (compliance_topics).
COMPLIANCE = ("customers/data_request", "customers/redact", "shop/redact")

EXISTING_SUBSCRIPTIONS = """
query StoreChatWebhookSubscriptions($uri: String!) {
  webhookSubscriptions(first: 50, uri: $uri) {
    nodes { id topic uri }
  }
}
"""

CREATE_SUBSCRIPTION = """
mutation StoreChatWebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

INVENTORY_ITEM_PRODUCT = """
query StoreChatInventoryItemProduct($id: ID!) {
  inventoryItem(id: $id) {
    variant { product { id } }
  }
}
"""

#: Every query this module sends, for the schema tests.
QUERIES = {
    "webhook_subscriptions": EXISTING_SUBSCRIPTIONS,
    "webhook_subscription_create": CREATE_SUBSCRIPTION,
    "inventory_item_product": INVENTORY_ITEM_PRODUCT,
}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A Shopify header in either style; ``headers`` must look names up case-insensitively."""
    return headers.get(f"X-Shopify-{name}") or headers.get(f"shopify-{name.lower()}")


def shop_ref(headers: Mapping[str, str]) -> str | None:
    return shop_domain(_header(headers, "Shop-Domain"))


#: Fields of a signed body that name the shop it is about.
BODY_SHOP_FIELDS = ("shop_domain", "myshopify_domain")


def body_names_header_shop(headers: Mapping[str, str], raw_body: bytes) -> bool:
    """False when the body names a shop (:data:`BODY_SHOP_FIELDS`) other than the header's."""
    try:
        payload = webhook_payload(raw_body)
    except RecordError:
        return True  # nothing named; parse refuses the body
    header_shop = shop_ref(headers)
    named = [payload[f] for f in BODY_SHOP_FIELDS if payload.get(f) is not None]
    return all(header_shop is not None and shop_domain(str(n)) == header_shop for n in named)


def verify(connector: ShopifyConnector, headers: Mapping[str, str], raw_body: bytes) -> bool:
    if not webhook_hmac_ok(raw_body, _header(headers, "Hmac-Sha256"), str(connector.app.get("client_secret") or "")):
        return False
    if not body_names_header_shop(headers, raw_body):
        log.warning("Shopify webhook for %r carries a signed body of another shop; refused", shop_ref(headers))
        return False
    return True


def parse(headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent:
    topic = (_header(headers, "Topic") or "").strip()
    delivery = (_header(headers, "Webhook-Id") or _header(headers, "Event-Id") or "").strip()
    if not topic or not delivery:
        raise RecordError("a Shopify webhook needs X-Shopify-Topic and X-Shopify-Webhook-Id headers")
    return WebhookEvent(topic=topic, delivery_id=delivery, payload=webhook_payload(raw_body),
                        shop_ref=shop_ref(headers))


def actions(connector: ShopifyConnector, event: WebhookEvent) -> Iterator[WebhookAction]:
    p = event.payload
    topic = event.topic
    if topic in ("products/create", "products/update"):
        record = product_from_rest(p, connector.storefront_url())
        if len(p.get("variants") or ()) >= REST_VARIANT_LIMIT:  # REST may have cut the variants off
            record = connector.fetch_product(record.external_id) or record
        yield UpsertProducts((record,))
    elif topic == "products/delete":
        pid = numeric_id(p.get("id"))
        if pid:
            yield DeleteProducts((pid,))
    elif topic == "inventory_levels/update":
        yield from _inventory_changed(connector, p)
    elif topic == "orders/create":
        yield OrderCreated(order_from_rest(p), conversation_ref=conversation_ref(p))
    elif topic == "app/uninstalled":
        yield AppUninstalled()
    elif topic in ("customers/data_request", "customers/redact"):
        customer = p.get("customer") or {}
        email = customer.get("email") or None
        customer_id = str(customer["id"]) if customer.get("id") is not None else None
        if topic == "customers/data_request":
            request_id = (p.get("data_request") or {}).get("id")
            yield ShopperDataRequest(email=email, customer_id=customer_id,
                                     request_id=str(request_id) if request_id is not None else None)
        else:
            yield ShopperRedact(email=email, customer_id=customer_id)
    elif topic == "shop/redact":
        yield ShopRedact()
    else:
        log.info("Shopify webhook topic %r is not used; ignored", topic)


def _inventory_changed(connector: ShopifyConnector, p: Mapping[str, Any]) -> Iterator[WebhookAction]:
    """A stock level changed: read the whole product again, so every variant's quantity is exact."""
    item = p.get("inventory_item_id")
    if item is None:
        return
    data = connector.client.execute(INVENTORY_ITEM_PRODUCT, {"id": f"gid://shopify/InventoryItem/{item}"})
    product_gid = (((data.get("inventoryItem") or {}).get("variant") or {}).get("product") or {}).get("id")
    if not product_gid:
        return
    record = connector.fetch_product(product_gid)
    if record is None:
        yield DeleteProducts((numeric_id(product_gid) or "",))
    else:
        yield UpsertProducts((record,))


def register(connector: ShopifyConnector, address: str) -> list[str]:
    """Subscribe the shop to :data:`SUBSCRIBED` at ``address``; returns the topics created.

    Subscriptions already there (a reinstall) are left as they are.
    """
    existing = connector.client.execute(EXISTING_SUBSCRIPTIONS, {"uri": address})
    have = {n.get("topic") for n in ((existing.get("webhookSubscriptions") or {}).get("nodes") or ())}
    created = []
    for topic in SUBSCRIBED.values():
        if topic in have:
            continue
        result = connector.client.execute(CREATE_SUBSCRIPTION, {"topic": topic, "uri": address})
        try:
            raise_user_errors(result.get("webhookSubscriptionCreate"), f"subscribing to {topic}")
        except ConnectorError as exc:
            raise ConnectorError(f"Shopify refused the webhook subscription: {exc.message}",
                                 code="shopify_webhook_refused") from None
        created.append(topic)
    return created
