"""Live order lookup for the assistant, answered only to the order's owner.

The order is found by its name (``#1001``) through the Admin search syntax,
then matched exactly on the name (search is fuzzy). It is returned only when
its email equals the shopper's (case-insensitive) or its customer is the
verified ``customer_id``; in every other case the answer is ``None``, the
same as for an order that does not exist.

Protected customer data: ``Order.email`` and ``Order.customer`` are only
readable when the app has been granted protected customer data access.
Without it Shopify answers with field errors and nulls; the lookup then
cannot prove who owns the order and answers ``None``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from core.connector import OrderRecord, normalize_order_reference

from . import queries
from .graphql import AdminGraphQL
from .mapping import numeric_id, order_record

log = logging.getLogger(__name__)
#: What an order name may contain once its ``#`` is dropped; anything else is not searched for.
_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def search_query(reference: str) -> str | None:
    """``"#1001"`` -> ``"name:#1001 OR name:1001"``; ``None`` for text that cannot be an order name."""
    ref = normalize_order_reference(reference)
    if not _REFERENCE.match(ref):
        return None
    return f"name:#{ref} OR name:{ref}"


def find_order(
    client: AdminGraphQL, reference: str, *, email: str | None = None, customer_id: str | None = None
) -> OrderRecord | None:
    query = search_query(reference)
    if query is None or not (email or customer_id):
        return None
    wanted = normalize_order_reference(reference)
    data = client.execute(queries.ORDERS_BY_NAME, {"query": query}, allow_partial=True)
    for node in ((data.get("orders") or {}).get("nodes")) or ():
        if not node or normalize_order_reference(node.get("name") or "") != wanted:
            continue
        if _owned_by(node, email, customer_id):
            return order_record(node)
    return None


def _owned_by(node: Mapping[str, Any], email: str | None, customer_id: str | None) -> bool:
    order_email = (node.get("email") or "").strip().casefold()
    if email and order_email and order_email == email.strip().casefold():
        return True
    owner = numeric_id((node.get("customer") or {}).get("id"))
    return bool(customer_id and owner and owner == numeric_id(customer_id))
