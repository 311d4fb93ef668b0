"""Ranking a shop's products by price or arrival, inside the database.

"The most expensive", "the cheapest jacket", "your newest arrivals": the
order is an ``ORDER BY ... LIMIT`` over the shop's published products (all
of them, or those the full-text search matched), never a pass over every
product in Python. Sorts:

``price_desc``
    highest price first (a product's dearest variant, ``price_max``);
``price_asc``
    lowest price first (its cheapest variant, ``price_min``);
``newest``
    the products that arrived last first. StoreChat has no creation date of
    its own: connectors read products in the platform's id order (Shopify's
    ``sortKey: ID``, WooCommerce's ``orderby=id``, a CSV top to bottom), so
    a later product gets a higher row id and the highest ids are the latest
    arrivals;
``best_value``
    the lowest price per unit when every candidate's title states its
    quantity the same way ("pack of 3", "3-pack", "set of 2"); otherwise
    simply the cheapest: a catalog says nothing else about value, and the
    engine does not pretend it does.

A vendor filter (``vendor``) compares case-insensitively with the
product's vendor (maker or brand).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from core.catalog import shelf
from core.catalog.search import search_products
from core.db import Product

SORTS = ("price_desc", "price_asc", "newest", "best_value")
#: Full-text matches ranked by price: the cost follows the matches, capped.
MATCH_POOL = 2000
PACK = re.compile(r"\b(?:pack|set|box|bundle|case) of (\d{1,4})\b|\b(\d{1,4})[- ]?(?:pack|pk|piece|pc|count|ct)s?\b",
                   re.I)


def _order(sort: str) -> list[Any]:
    if sort == "price_desc":
        return [Product.price_max.desc(), Product.id]
    if sort == "newest":
        return [Product.id.desc()]
    return [Product.price_min, Product.id]


def ranked_ids(session: Session, shop_id: int, query: str, sort: str, *, limit: int,
               vendor: str | None = None, in_stock_only: bool = False) -> list[int]:
    """Ids of the shop's published products matching ``query`` (any product when empty), in ``sort`` order."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
    stmt = shelf.products(shop_id, Product.id)
    if query.strip():
        hits = search_products(session, shop_id, query, limit=MATCH_POOL, in_stock_only=in_stock_only)
        if not hits:
            return []
        stmt = stmt.where(Product.id.in_([h.id for h in hits]))
    if vendor:
        stmt = stmt.where(func.lower(Product.vendor) == vendor.strip().lower())
    if in_stock_only:
        stmt = stmt.where(Product.available.is_(True))
    pool = min(limit * 5, 200) if sort == "best_value" else limit
    ids = list(session.scalars(stmt.order_by(*_order(sort)).limit(pool)))
    if sort == "best_value":
        ids = _per_unit(session, shop_id, ids)
    return ids[:limit]


def _per_unit(session: Session, shop_id: int, ids: list[int]) -> list[int]:
    """``ids`` (cheapest first) re-ordered by price per unit, when every title states a pack size."""
    if len(ids) < 2:
        return ids
    rows = session.execute(shelf.products(shop_id, Product.id, Product.title, Product.price_min)
                           .where(Product.id.in_(ids))).all()
    units: dict[int, Decimal] = {}
    for pid, title, price in rows:
        m = PACK.search(title or "")
        if not m or int(m.group(1) or m.group(2)) <= 0:
            return ids
        units[pid] = Decimal(price) / int(m.group(1) or m.group(2))
    return sorted(ids, key=lambda i: (units[i], ids.index(i)))


def vendors_named(session: Session, shop_id: int, phrases: list[str]) -> list[str]:
    """The shop's vendor names (as the store wrote them) equal, case-insensitively, to one of ``phrases``."""
    wanted = sorted({p.strip().lower() for p in phrases if p.strip()})
    if not wanted:
        return []
    stmt = (shelf.products(shop_id, Product.vendor).where(func.lower(Product.vendor).in_(wanted))
            .group_by(Product.vendor).limit(5))
    return [v for v in session.scalars(stmt) if v]
