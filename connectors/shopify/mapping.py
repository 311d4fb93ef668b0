"""Admin GraphQL nodes -> the connector port's records.

Ids become Shopify's numeric ids (the last segment of the GID), the same ids
webhooks and the storefront cart (``/cart/add.js``) use. Money arrives as
decimal strings and stays exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.connector import (
    DocumentRecord,
    FulfillmentRecord,
    OrderLineRecord,
    OrderRecord,
    ProductOption,
    ProductRecord,
    RecordError,
    VariantRecord,
)

from .graphql import parse_time

#: The shop policies the assistant may quote, and what they are called as documents.
POLICY_TYPES = {
    "REFUND_POLICY": "refund-policy",
    "SHIPPING_POLICY": "shipping-policy",
    "PRIVACY_POLICY": "privacy-policy",
    "TERMS_OF_SERVICE": "terms-of-service",
    "TERMS_OF_SALE": "terms-of-sale",
    "CONTACT_INFORMATION": "contact-information",
}


def numeric_id(gid: str | int | None) -> str | None:
    """``gid://shopify/Product/123`` (or ``123``) -> ``"123"``."""
    if gid is None:
        return None
    text = str(gid).strip()
    return text.rsplit("/", 1)[-1].split("?", 1)[0] or None


def product_gid(product_id: str | int) -> str:
    text = str(product_id)
    return text if text.startswith("gid://") else f"gid://shopify/Product/{text}"


def money(value: Any, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise RecordError(f"{what}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise RecordError(f"{what}: {value!r} is not an amount")
    return amount


def variant_record(node: Mapping[str, Any]) -> VariantRecord:
    vid = numeric_id(node["id"])
    assert vid is not None
    compare = node.get("compareAtPrice")
    policy = str(node.get("inventoryPolicy") or "DENY").lower()
    return VariantRecord(
        external_id=vid,
        title=node.get("title") or "Default Title",
        price=money(node.get("price"), f"variant {vid} price"),
        compare_at_price=money(compare, f"variant {vid} compare-at price") if compare not in (None, "") else None,
        option_values=tuple(o["value"] for o in node.get("selectedOptions") or ()),
        sku=node.get("sku") or None,
        inventory_tracked=bool((node.get("inventoryItem") or {}).get("tracked", True)),
        inventory_quantity=node.get("inventoryQuantity"),
        inventory_policy=policy,
    )


def product_record(
    node: Mapping[str, Any],
    variant_nodes: Iterable[Mapping[str, Any]],
    storefront_url: str | None,
) -> ProductRecord:
    """A product node plus all its variant nodes (the nested page and any follow-ups)."""
    pid = numeric_id(node["id"])
    assert pid is not None
    handle = node.get("handle") or pid
    images = _unique(
        url
        for url in [_media_url(node.get("featuredMedia"))]
        + [_media_url(m) for m in (node.get("media") or {}).get("nodes") or ()]
        if url
    )
    url = node.get("onlineStoreUrl")
    if not url and storefront_url:
        url = f"{storefront_url.rstrip('/')}/products/{handle}"
    return ProductRecord(
        external_id=pid,
        handle=handle,
        title=node.get("title") or "",
        variants=tuple(variant_record(v) for v in variant_nodes),
        body_html=node.get("descriptionHtml") or "",
        vendor=node.get("vendor") or None,
        product_type=node.get("productType") or None,
        tags=tuple(node.get("tags") or ()),
        options=tuple(
            ProductOption(name=o["name"], values=tuple(o.get("values") or ())) for o in node.get("options") or ()
        ),
        image_url=images[0] if images else None,
        images=tuple(images),
        url=url,
        # Draft, archived and unlisted products, and those not published to
        # the online store, are kept but never shown to shoppers.
        published=node.get("status") == "ACTIVE" and node.get("publishedAt") is not None,
        updated_at=parse_time(node.get("updatedAt")),
    )


def page_document(node: Mapping[str, Any], storefront_url: str | None) -> DocumentRecord:
    handle = node.get("handle")
    url = f"{storefront_url.rstrip('/')}/pages/{handle}" if storefront_url and handle else None
    return DocumentRecord(
        external_id=f"page-{numeric_id(node['id'])}",
        kind="page",
        title=node.get("title") or handle or "",
        body=node.get("body") or "",
        url=url,
        updated_at=parse_time(node.get("updatedAt")),
    )


def policy_document(node: Mapping[str, Any]) -> DocumentRecord | None:
    """A shop policy as a document; ``None`` for types the assistant does not quote or empty ones."""
    slug = POLICY_TYPES.get(node.get("type") or "")
    if slug is None or not (node.get("body") or "").strip():
        return None
    return DocumentRecord(
        external_id=f"policy-{slug}",
        kind="policy",
        title=node.get("title") or slug.replace("-", " ").capitalize(),
        body=node["body"],
        url=node.get("url"),
        updated_at=parse_time(node.get("updatedAt")),
    )


def order_record(node: Mapping[str, Any]) -> OrderRecord:
    total = ((node.get("totalPriceSet") or {}).get("shopMoney")) or {}
    oid = numeric_id(node.get("legacyResourceId") or node["id"])
    assert oid is not None
    return OrderRecord(
        external_id=oid,
        name=node["name"],
        email=node.get("email"),
        created_at=parse_time(node.get("createdAt")),
        currency=total.get("currencyCode") or "",
        total_price=money(total.get("amount", "0"), f"order {node['name']} total"),
        financial_status=_lower(node.get("displayFinancialStatus")),
        fulfillment_status=_lower(node.get("displayFulfillmentStatus")),
        cancelled=node.get("cancelledAt") is not None,
        lines=tuple(
            OrderLineRecord(
                title=line.get("title") or "",
                quantity=int(line.get("quantity") or 0),
                price=money(
                    ((line.get("originalUnitPriceSet") or {}).get("shopMoney") or {}).get("amount", "0"),
                    f"order {node['name']} line price",
                ),
                variant_title=line.get("variantTitle") or None,
                sku=line.get("sku") or None,
            )
            for line in (node.get("lineItems") or {}).get("nodes") or ()
        ),
        fulfillments=tuple(
            FulfillmentRecord(
                status=_lower(f.get("displayStatus") or f.get("status")),
                tracking_company=next((t["company"] for t in f.get("trackingInfo") or () if t.get("company")), None),
                tracking_numbers=tuple(t["number"] for t in f.get("trackingInfo") or () if t.get("number")),
                tracking_urls=tuple(t["url"] for t in f.get("trackingInfo") or () if t.get("url")),
            )
            for f in node.get("fulfillments") or ()
        ),
        customer_id=numeric_id((node.get("customer") or {}).get("id")),
        status_url=node.get("statusPageUrl"),
    )


def iso(value: datetime) -> str:
    """A time as Shopify's search syntax wants it: UTC, seconds, ``Z`` (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _media_url(media: Mapping[str, Any] | None) -> str | None:
    return (((media or {}).get("preview") or {}).get("image") or {}).get("url")


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None
