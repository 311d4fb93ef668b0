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
product's vendor (maker or brand). Price bounds apply to the product's price
range (``price_max`` >= min, ``price_min`` <= max) and, with option values, to
the variant that has them; option values and stock are checked on the
variants, a step of products at a time.

:func:`ranked` is the one ranking path: the assistant's tools
(``core.assistant.tools.catalog.search`` with a ``sort`` or a ``vendor``)
call it, and nothing else orders a shop's products by price or arrival.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.catalog import shelf
from core.catalog.search import search_products
from core.db import Product, Variant

SORTS = ("price_desc", "price_asc", "newest", "best_value")
#: Full-text matches ranked by price: the cost follows the matches, capped.
MATCH_POOL = 2000
PACK = re.compile(
    r"\b(?:pack|set|box|bundle|case) of (\d{1,4})\b|\b(\d{1,4})[- ]?(?:pack|pk|piece|pc|count|ct)s?\b", re.I
)
#: Products read per step when option values turn rows down.
_STEP = 50
#: Steps at most: option values that almost nothing has stop here instead of reading the catalog.
_MAX_STEPS = 20


@dataclass(frozen=True)
class Ranking:
    """What :func:`ranked` is asked for."""

    #: One of :data:`SORTS`.
    order: str = "price_asc"
    #: The shopper's words: the products the full-text search matches for them (its best
    #: :data:`MATCH_POOL`), in ``order``; empty: any product of the shop.
    query: str = ""
    #: A vendor's name, compared case-insensitively.
    vendor: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    #: Option values one variant must have together (case-insensitive), e.g. ``["Blue", "M"]``.
    options: Sequence[str] = field(default_factory=tuple)
    in_stock_only: bool = False


def _order(sort: str) -> list[Any]:
    if sort == "price_desc":
        return [Product.price_max.desc(), Product.id]
    if sort == "newest":
        return [Product.id.desc()]
    return [Product.price_min, Product.id]


def ranked(session: Session, shop_id: int, ranking: Ranking, limit: int = 10) -> list[int]:
    """Ids of the shop's published products in ``ranking.order``, narrowed as asked; at most ``limit``.

    Without words the shop's products are read in the order of an index
    (``shop_id`` + ``price_min`` / ``price_max`` / ``id``); with words, the
    search's matches are sorted by the database. ``best_value`` takes the
    cheapest ``5 x limit`` (at most 200) and orders them by price per unit
    when every title states its pack size.
    """
    if ranking.order not in SORTS:
        raise ValueError(f"unknown sort {ranking.order!r} (one of {', '.join(SORTS)})")
    if limit <= 0:
        return []
    stmt = shelf.products(shop_id, Product.id)
    if ranking.query.strip():
        hits = search_products(session, shop_id, ranking.query, limit=MATCH_POOL, in_stock_only=ranking.in_stock_only)
        if not hits:
            return []
        stmt = stmt.where(Product.id.in_([h.id for h in hits]))
    if ranking.vendor:
        stmt = stmt.where(func.lower(Product.vendor) == ranking.vendor.strip().lower())
    if ranking.in_stock_only:
        stmt = stmt.where(Product.available.is_(True))
    if ranking.min_price is not None:
        stmt = stmt.where(Product.price_max >= ranking.min_price)
    if ranking.max_price is not None:
        stmt = stmt.where(Product.price_min <= ranking.max_price)
    stmt = stmt.order_by(*_order(ranking.order))
    pool = min(limit * 5, 200) if ranking.order == "best_value" else limit
    options = [o for o in ranking.options if str(o).strip()]
    if not options:
        ids = list(session.scalars(stmt.limit(pool)))
    else:
        ids, offset = [], 0
        for _ in range(_MAX_STEPS):
            step = list(session.scalars(stmt.offset(offset).limit(_STEP)))
            offset += len(step)
            ids += _keep(session, shop_id, ranking, options, step)
            if len(ids) >= pool or len(step) < _STEP:
                break
        ids = ids[:pool]
    if ranking.order == "best_value":
        ids = _per_unit(session, shop_id, ids)
    return ids[:limit]


def _norm(value: object) -> str:
    return " ".join(str(value).casefold().split())


def _keep(session: Session, shop_id: int, ranking: Ranking, options: list[str], ids: list[int]) -> list[int]:
    """Those of ``ids`` (kept in order) with one variant in every option value asked (in stock, in bounds)."""
    wanted = {_norm(o) for o in options}
    fits: set[int] = set()
    for pid, values, price, available in session.execute(
        shelf.variants_of(shop_id, ids, Variant.product_id, Variant.option_values, Variant.price, Variant.available)
    ):
        if pid in fits or not wanted <= {_norm(v) for v in values or []}:
            continue
        if ranking.in_stock_only and not available:
            continue
        if (ranking.min_price is not None and price < ranking.min_price) or (
            ranking.max_price is not None and price > ranking.max_price
        ):
            continue
        fits.add(pid)
    return [i for i in ids if i in fits]


def _per_unit(session: Session, shop_id: int, ids: list[int]) -> list[int]:
    """``ids`` (cheapest first) re-ordered by price per unit, when every title states a pack size."""
    if len(ids) < 2:
        return ids
    rows = session.execute(
        shelf.products(shop_id, Product.id, Product.title, Product.price_min).where(Product.id.in_(ids))
    ).all()
    units: dict[int, Decimal] = {}
    for pid, title, price in rows:
        m = PACK.search(title or "")
        if not m or int(m.group(1) or m.group(2)) <= 0:
            return ids
        units[pid] = Decimal(price) / int(m.group(1) or m.group(2))
    return sorted(ids, key=lambda i: (units[i], ids.index(i)))


def vendors_named(session: Session, shop_id: int, phrases: list[str]) -> list[str]:
    """The shop's vendor names (as the store wrote them) equal, case-insensitively, to one of ``phrases``;
    one spelling per name (the first the index holds: the same name spelt "ACME" and "Acme" is one name
    to the engine, whose vendor filter is case-insensitive), sorted, at most five.

    Each phrase is one lookup in the index ``(shop_id, lower(vendor))`` that reads a single row, all in one
    statement. Grouping the matching rows instead read every product of a vendor named (100,000 for a
    one-vendor catalog) and, in SQLite, whose planner took the ``(shop_id, vendor)`` index for the
    grouping, every product of the shop even when no vendor was named (19 ms at 100,000 products).
    """
    wanted = sorted({p.strip().lower() for p in phrases if p.strip()})
    if not wanted:
        return []
    firsts = [
        shelf.products(shop_id, Product.vendor).where(func.lower(Product.vendor) == w).limit(1).scalar_subquery()
        for w in wanted
    ]
    return sorted({v for v in session.execute(select(*firsts)).one() if v})[:5]
