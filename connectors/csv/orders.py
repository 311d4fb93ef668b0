"""Order lookup in a JSON file shaped like Shopify's Admin REST ``orders`` response.

The file stands in for the platform: it is read afresh on every lookup, so
an edit (an order shipped, a refund) shows at once, exactly like a live API
call, and nothing about an order is kept in memory between lookups.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.connector import (
    ConnectorError,
    FulfillmentRecord,
    OrderLineRecord,
    OrderRecord,
    RecordError,
    normalize_order_reference,
)


def find_order_in_file(
    path: Path,
    reference: str,
    *,
    email: str | None = None,
    customer_id: str | None = None,
) -> OrderRecord | None:
    """The order called ``reference`` if it belongs to ``email`` or ``customer_id``.

    ``None`` when there is no such order *or* it belongs to someone else: the
    caller must not learn which, or order numbers could be probed.
    """
    wanted = normalize_order_reference(reference)
    if not wanted or not (_clean_email(email) or _clean(customer_id)):
        return None
    for order in load_orders(path):
        if wanted in _references(order) and owned_by(order, email=email, customer_id=customer_id):
            return order_record(order)
    return None


def load_orders(path: Path) -> list[Mapping[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConnectorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise RecordError("is not UTF-8", location=path.name) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"invalid JSON: {exc.msg}", location=f"{path.name} line {exc.lineno}") from None
    orders = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
        raise RecordError('expected {"orders": [ {...}, ... ]}', location=path.name)
    return orders


def owned_by(order: Mapping[str, Any], *, email: str | None, customer_id: str | None) -> bool:
    """True when the shopper's email or verified customer id is the order's."""
    wanted_email = _clean_email(email)
    if wanted_email:
        emails = {_clean_email(order.get("email")), _clean_email(order.get("contact_email"))}
        if wanted_email in emails:
            return True
    wanted_customer = _clean(customer_id)
    customer = order.get("customer")
    if wanted_customer and isinstance(customer, Mapping) and customer.get("id") is not None:
        return str(customer["id"]) == wanted_customer
    return False


def order_record(order: Mapping[str, Any]) -> OrderRecord:
    """Map one Shopify REST order payload to an ``OrderRecord``."""
    location = f"order {order.get('name') or order.get('id')}"
    try:
        customer = order.get("customer")
        return OrderRecord(
            external_id=str(order["id"]),
            name=str(order["name"]),
            email=order.get("email") or order.get("contact_email"),
            created_at=parse_time(order.get("created_at")),
            currency=str(order["currency"]),
            total_price=_money(order["total_price"]),
            financial_status=order.get("financial_status"),
            fulfillment_status=order.get("fulfillment_status"),
            cancelled=order.get("cancelled_at") is not None,
            lines=tuple(_line(item) for item in order.get("line_items") or ()),
            fulfillments=tuple(_fulfillment(f) for f in order.get("fulfillments") or ()),
            customer_id=(
                str(customer["id"]) if isinstance(customer, Mapping) and customer.get("id") is not None else None
            ),
            status_url=order.get("order_status_url"),
        )
    except KeyError as exc:
        raise RecordError(f"missing field {exc.args[0]!r}", location=location) from None
    except (ValueError, InvalidOperation, TypeError) as exc:
        raise RecordError(str(exc) or type(exc).__name__, location=location) from None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with an offset, as Shopify writes it, in UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    return moment.astimezone(UTC)


def _line(item: Mapping[str, Any]) -> OrderLineRecord:
    return OrderLineRecord(
        title=str(item["title"]),
        quantity=int(item["quantity"]),
        price=_money(item["price"]),
        variant_title=item.get("variant_title") or None,
        sku=item.get("sku") or None,
    )


def _fulfillment(data: Mapping[str, Any]) -> FulfillmentRecord:
    return FulfillmentRecord(
        status=data.get("status"),
        tracking_company=data.get("tracking_company"),
        tracking_numbers=_plural(data, "tracking_numbers", "tracking_number"),
        tracking_urls=_plural(data, "tracking_urls", "tracking_url"),
    )


def _plural(data: Mapping[str, Any], many: str, one: str) -> tuple[str, ...]:
    """Shopify sends both ``tracking_numbers`` and the older ``tracking_number``."""
    values: Iterable[Any] = data.get(many) or ([data[one]] if data.get(one) else [])
    return tuple(str(value) for value in values if value)


def _money(value: Any) -> Decimal:
    amount = Decimal(str(value))
    if not amount.is_finite():
        raise ValueError(f"amount {value!r} is not a number")
    return amount


def _references(order: Mapping[str, Any]) -> set[str]:
    refs = {normalize_order_reference(str(order.get("name") or ""))}
    if order.get("order_number") is not None:
        refs.add(str(order["order_number"]))
    refs.discard("")
    return refs


def _clean(value: str | int | None) -> str:
    return str(value).strip() if value is not None else ""


def _clean_email(value: Any) -> str:
    return value.strip().casefold() if isinstance(value, str) else ""
