"""Records from the REST-shaped JSON Shopify's webhooks carry (PLATFORMS.md
A4/A5): products/create and products/update send the REST product, orders/create
the REST order. Field meanings follow the GraphQL mapping in :mod:`.mapping`:
the same images (the featured one and the first few, no per-variant image)
and ids, so a product stored from a webhook equals the one a sync would store
(and a later sync finds it unchanged), except that its URL is built from the
handle where GraphQL gives ``onlineStoreUrl``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.connector import OrderLineRecord, OrderRecord, ProductOption, ProductRecord, RecordError, VariantRecord

from .graphql import parse_time
from .mapping import money
from .queries import NESTED_MEDIA

#: REST sends at most this many variants of a product; a product with that
#: many may have more, so it is read again through GraphQL.
REST_VARIANT_LIMIT = 100
#: The cart attribute (an order's ``note_attributes``) naming the chat an order came from.
CONVERSATION_ATTRIBUTE = "storechat_conversation"


def _text_id(value: Any) -> str:
    text = str(value if value is not None else "").strip()
    if not text:
        raise RecordError("the webhook payload has no id")
    return text


def variant_from_rest(v: Mapping[str, Any]) -> VariantRecord:
    vid = _text_id(v.get("id"))
    compare = v.get("compare_at_price")
    return VariantRecord(
        external_id=vid,
        title=v.get("title") or "Default Title",
        price=money(v.get("price"), f"variant {vid} price"),
        compare_at_price=money(compare, f"variant {vid} compare-at price") if compare not in (None, "") else None,
        option_values=tuple(str(v[k]) for k in ("option1", "option2", "option3") if v.get(k) is not None),
        sku=v.get("sku") or None,
        # ``inventory_management`` is "shopify" when Shopify counts stock, null when it does not.
        inventory_tracked=v.get("inventory_management") is not None,
        inventory_quantity=v.get("inventory_quantity"),
        inventory_policy=str(v.get("inventory_policy") or "deny").lower(),
    )


def product_from_rest(p: Mapping[str, Any], storefront_url: str | None) -> ProductRecord:
    pid = _text_id(p.get("id"))
    handle = p.get("handle") or pid
    ordered = sorted(p.get("images") or (), key=lambda i: i.get("position") or 0)
    images = {str(i.get("id")): i["src"] for i in ordered if i.get("src")}
    tags = p.get("tags") or ""
    tag_list = [t.strip() for t in tags.split(",")] if isinstance(tags, str) else [str(t).strip() for t in tags]
    variants = sorted(p.get("variants") or (), key=lambda v: v.get("position") or 0)
    featured = (p.get("image") or {}).get("src")
    # As the GraphQL read: the featured image, then the first NESTED_MEDIA images.
    all_images = tuple(dict.fromkeys(u for u in [featured, *list(images.values())[:NESTED_MEDIA]] if u))
    return ProductRecord(
        external_id=pid,
        handle=handle,
        title=p.get("title") or "",
        variants=tuple(variant_from_rest(v) for v in variants),
        body_html=p.get("body_html") or "",
        vendor=p.get("vendor") or None,
        product_type=p.get("product_type") or None,
        tags=tuple(t for t in tag_list if t),
        options=tuple(
            ProductOption(name=o.get("name") or "", values=tuple(o.get("values") or ())) for o in p.get("options") or ()
        ),
        image_url=all_images[0] if all_images else None,
        images=all_images,
        url=f"{storefront_url.rstrip('/')}/products/{handle}" if storefront_url else None,
        # Older API versions have no ``status``; a product is shown when active and published.
        published=(p.get("status") or "active") == "active" and p.get("published_at") is not None,
        updated_at=parse_time(p.get("updated_at")),
    )


def order_from_rest(o: Mapping[str, Any]) -> OrderRecord:
    oid = _text_id(o.get("id"))
    currency = o.get("currency") or "USD"
    return OrderRecord(
        external_id=oid,
        name=o.get("name") or f"#{o.get('order_number') or oid}",
        email=o.get("email") or None,
        created_at=parse_time(o.get("created_at")),
        currency=currency,
        total_price=money(o.get("total_price") or "0", f"order {oid} total"),
        financial_status=o.get("financial_status"),
        fulfillment_status=o.get("fulfillment_status"),
        cancelled=o.get("cancelled_at") is not None,
        lines=tuple(
            OrderLineRecord(
                title=li.get("title") or li.get("name") or "",
                quantity=int(li.get("quantity") or 0),
                price=money(li.get("price") or "0", f"order {oid} line price"),
                variant_title=li.get("variant_title"),
                sku=li.get("sku") or None,
            )
            for li in o.get("line_items") or ()
        ),
        customer_id=str((o.get("customer") or {}).get("id")) if (o.get("customer") or {}).get("id") else None,
        status_url=o.get("order_status_url"),
    )


def conversation_ref(o: Mapping[str, Any]) -> str | None:
    """The StoreChat conversation an order names in its cart attributes, if any."""
    for attr in o.get("note_attributes") or ():
        if isinstance(attr, Mapping) and attr.get("name") == CONVERSATION_ATTRIBUTE:
            value = str(attr.get("value") or "").strip()
            return value[:64] or None
    return None
