"""Live order lookups for shoppers (PLATFORMS.md B3, B7).

An order is found by the number the shopper has (``number``, a string; it
equals the id unless a sequential-numbers plugin rewrites it) and shown only
to its owner: the billing email (case-insensitive) or the verified customer
id must match. The lookup tries ``GET /orders/<number>`` first; when that is
missing or carries another number, it lists the shopper's own orders
(``customer=<id>``, or ``search=<email>``) and picks the one with that number.
Anything else is ``None``, whether or not the order exists.

Tracking comes from the order meta ``_wc_shipment_tracking_items`` written by
the Shipment Tracking and Advanced Shipment Tracking plugins, where present.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from core.connector import FulfillmentRecord, OrderLineRecord, OrderRecord, normalize_order_reference

from .client import PER_PAGE, WooClient
from .mapping import money, parse_gmt

TRACKING_META = "_wc_shipment_tracking_items"
CONVERSATION_META = "_storechat_conversation"
#: Tracking pages of the common providers, for items without a custom link.
PROVIDER_LINKS = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}


def find_order(
    client: WooClient, reference: str, *, email: str | None = None, customer_id: str | None = None
) -> OrderRecord | None:
    number = normalize_order_reference(reference or "")  # lower-case; numbers are compared so
    email = (email or "").strip().lower() or None
    customer_id = str(customer_id).strip() if customer_id not in (None, "") else None
    if not number or (email is None and customer_id is None) or "/" in number or len(number) > 64:
        return None
    for order in _candidates(client, number, email, customer_id):
        if str(order.get("number") or order.get("id")).lower() == number and _belongs(order, email, customer_id):
            return order_record(order)
    return None


def _candidates(
    client: WooClient, number: str, email: str | None, customer_id: str | None
) -> Iterator[Mapping[str, Any]]:
    if number.isdigit():
        resp = client.request("get", f"orders/{number}")
        if resp.status_code != 404:
            client.raise_for_status(resp, f"orders/{number}")
            body = resp.json()
            if isinstance(body, dict) and str(body.get("number")).lower() == number:
                yield body
                return
    if customer_id is not None and customer_id.isdigit() and customer_id != "0":
        yield from _listed(client, {"customer": customer_id})
    if email is not None:
        yield from _listed(client, {"search": email})


def _listed(client: WooClient, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    items, _ = client.get_page("orders", {**params, "orderby": "date", "order": "desc"}, 1)
    return items[:PER_PAGE]


def _belongs(order: Mapping[str, Any], email: str | None, customer_id: str | None) -> bool:
    billing = order.get("billing") or {}
    owner_email = str(billing.get("email") or "").strip().lower()
    if email is not None and owner_email and owner_email == email:
        return True
    owner = order.get("customer_id")
    return customer_id is not None and owner not in (None, 0, "0") and str(owner) == customer_id


def order_record(order: Mapping[str, Any]) -> OrderRecord:
    where = f"order {order.get('id')}"
    status = str(order.get("status") or "") or None
    paid = bool(order.get("date_paid_gmt") or order.get("date_paid"))
    financial = "refunded" if status == "refunded" else "paid" if paid else "pending"
    lines = tuple(
        OrderLineRecord(
            title=str(li.get("name") or ""),
            quantity=int(li.get("quantity") or 0),
            price=money(li.get("price"), where) or money(li.get("total"), where) or Decimal(0),
            sku=li.get("sku") or None,
        )
        for li in order.get("line_items") or ()
        if isinstance(li, Mapping)
    )
    owner = order.get("customer_id")
    return OrderRecord(
        external_id=str(order.get("id")),
        name=f"#{order.get('number') or order.get('id')}",
        email=(order.get("billing") or {}).get("email") or None,
        created_at=parse_gmt(order.get("date_created_gmt")),
        currency=str(order.get("currency") or ""),
        total_price=money(order.get("total"), where) or Decimal(0),
        financial_status=financial,
        fulfillment_status="fulfilled" if status == "completed" else status,
        cancelled=status in ("cancelled", "failed"),
        lines=lines,
        fulfillments=tracking(order),
        customer_id=str(owner) if owner not in (None, 0, "0") else None,
    )


def meta_value(order: Mapping[str, Any], key: str) -> Any:
    for item in order.get("meta_data") or ():
        if isinstance(item, Mapping) and item.get("key") == key:
            return item.get("value")
    return None


def tracking(order: Mapping[str, Any]) -> tuple[FulfillmentRecord, ...]:
    items = meta_value(order, TRACKING_META)
    found = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping) or not str(item.get("tracking_number") or "").strip():
            continue
        number = str(item["tracking_number"]).strip()
        provider = str(item.get("tracking_provider") or "").strip()
        company = provider or str(item.get("custom_tracking_provider") or "").strip() or None
        link = str(item.get("custom_tracking_link") or "").strip()
        if not link and provider.lower() in PROVIDER_LINKS:
            link = PROVIDER_LINKS[provider.lower()].format(number)
        found.append(
            FulfillmentRecord(
                status="shipped",
                tracking_company=company,
                tracking_numbers=(number,),
                tracking_urls=(link,) if link else (),
            )
        )
    return tuple(found)
