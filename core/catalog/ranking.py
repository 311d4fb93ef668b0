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
product's vendor (maker or brand). Price bounds, option values and stock
hold for one variant together (the one the shopper would buy), as the
product cards show them: the database narrows by them, and the variants
read here confirm them.

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

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.catalog import option_keys, shelf
from core.catalog.search import Known, backend_for, fitting_variant, parse_query
from core.db import Product, Variant

SORTS = ("price_desc", "price_asc", "newest", "best_value")
#: Matches read at most when option values turn most of them down.
MATCH_POOL = 2000
PACK = re.compile(
    r"\b(?:pack|set|box|bundle|case) of (\d{1,4})\b|\b(\d{1,4})[- ]?(?:pack|pk|piece|pc|count|ct)s?\b", re.I
)
#: A shop's products read at most, in the order, when only a variant can tell which fit (option values,
#: price bounds): values that almost nothing has stop here instead of reading the catalog.
READ = 1000


@dataclass(frozen=True)
class Ranking:
    """What :func:`ranked` is asked for."""

    #: One of :data:`SORTS`.
    order: str = "price_asc"
    #: The shopper's words: the products that match them (see :func:`ranked`), in ``order``;
    #: empty: any product of the shop.
    query: str = ""
    #: A vendor's name, compared case-insensitively.
    vendor: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    #: Option values one variant must have together (case-insensitive), e.g. ``["Blue", "M"]``.
    options: Sequence[str] = field(default_factory=tuple)
    in_stock_only: bool = False
    #: What the caller knows of the words' matches (the terms one title has together: not asked again).
    known: Known | None = None


def _order(sort: str, t: Any = Product) -> list[Any]:
    """The ORDER BY of ``sort`` on the product columns of ``t`` (the model, or a subquery's ``c``)."""
    # Ties go newest first in both price orders' directions, as the indexes ``(shop_id, price_min, id)``
    # and ``(shop_id, price_max, id)`` give them: a mixed direction would sort every product of the shop.
    if sort == "price_desc":
        return [t.price_max.desc(), t.id.desc()]
    if sort == "newest":
        return [t.shop_id.desc(), t.id.desc()]  # the index (shop_id, id); see _ranked_shop
    return [t.price_min, t.id]


def ranked(session: Session, shop_id: int, ranking: Ranking, limit: int = 10) -> list[int]:
    """Ids of the shop's published products in ``ranking.order``, narrowed as asked; at most ``limit``.

    Without words the shop's products are read in the order of an index
    (``shop_id`` + ``price_min`` / ``price_max`` / ``id``). With words, the
    matches are taken in tiers, each in the order: every word in the title,
    then every word anywhere (tags, option values, the description), then any
    word; "every word" counts the
    words some title has together (:meth:`~core.catalog.search.SearchBackend.together`),
    so a synonym the engine added does not empty it. Each tier is one
    statement whose cost follows the matches near the front of the order
    (:meth:`~core.catalog.search.SearchBackend.matching`), never the catalog.
    ``best_value`` takes the cheapest ``5 x limit`` (at most 200) and orders
    them by price per unit when every title states its pack size.
    """
    if ranking.order not in SORTS:
        raise ValueError(f"unknown sort {ranking.order!r} (one of {', '.join(SORTS)})")
    if limit <= 0:
        return []
    pool = min(limit * 5, 200) if ranking.order == "best_value" else limit
    options = [o for o in ranking.options if str(o).strip()]
    # What only a variant can tell: its option values, its price within bounds (and then its stock too;
    # stock alone is the product's own ``available``).
    variant_level = bool(options) or ranking.min_price is not None or ranking.max_price is not None
    if ranking.query.strip():
        ids = _ranked_matches(session, shop_id, ranking, pool, options, variant_level)
    else:
        ids = _ranked_shop(session, shop_id, ranking, pool, options, variant_level)
    if ranking.order == "best_value":
        ids = _per_unit(session, shop_id, ids)
    return ids[:limit]


def _ranked_shop(
    session: Session, shop_id: int, ranking: Ranking, pool: int, options: list[str], variant_level: bool
) -> list[int]:
    """Any of the shop's products, in the order of an index."""
    stmt = shelf.products(shop_id, Product.id)
    if ranking.order == "newest":
        # The shop as a range too: with only ``shop_id = x`` PostgreSQL takes the order from the primary
        # key and walked it backwards through every newer shop's products (26 ms for a 10,000-product
        # shop beside a newer one of 100,000; 0.1 ms on the index (shop_id, id)).
        stmt = stmt.where(Product.shop_id.between(shop_id, shop_id))
    if ranking.vendor:
        stmt = stmt.where(_vendor_is(ranking.vendor))
    if ranking.in_stock_only:
        stmt = stmt.where(Product.available.is_(True))
    if ranking.min_price is not None:
        stmt = stmt.where(Product.price_max >= ranking.min_price)
    if ranking.max_price is not None:
        stmt = stmt.where(Product.price_min <= ranking.max_price)
    stmt = stmt.order_by(*_order(ranking.order))
    if not variant_level:
        return list(session.scalars(stmt.limit(pool)))
    # What only a variant tells is left: the first READ products in the order, narrowed by the database
    # to those with a fitting variant (tested in the order, until enough pass), confirmed by the variants
    # read here. A value almost nothing has stops there instead of reading the catalog: an option value
    # no variant has cost 1.2 s unbounded at 100,000 products on PostgreSQL, 20 ms so.
    window = stmt.add_columns(Product.shop_id, Product.price_min, Product.price_max).limit(READ).subquery("w")
    fits = fitting_variant(session, options, ranking.min_price, ranking.max_price, ranking.in_stock_only, row="w")
    stmt = select(window.c.id).where(fits)
    if session.get_bind().dialect.name != "sqlite":
        # PostgreSQL reads the window in its order and stops at the limit; SQLite would sort the window
        # first, testing every row of it (its co-routine yields the rows in the window's order anyway).
        stmt = stmt.order_by(*_order(ranking.order, window.c))
    want = pool
    while True:
        found = list(session.scalars(stmt.limit(want)))
        kept = _keep(session, shop_id, ranking, options, found)
        if len(kept) >= pool or len(found) < want:
            return kept[:pool]
        # The database takes the option values of variants without keys more loosely (spaces aside, or
        # ones it cannot fold): read past those.
        want *= 2


def _ranked_matches(
    session: Session, shop_id: int, ranking: Ranking, pool: int, options: list[str], variant_level: bool
) -> list[int]:
    """The products matching the ranking's words, tier by tier, each tier in the order; with what only a
    variant tells (option values, price bounds, stock), those with such a variant (checked by the
    database, confirmed here where it compares loosely: :func:`_keep`), read deeper while too few are
    confirmed (up to :data:`MATCH_POOL`)."""
    terms = parse_query(ranking.query)
    if not terms:
        return []
    backend = backend_for(session)
    if len(terms) < 2:
        together = terms
    elif ranking.known is not None:
        together = [t for t in ranking.known.together if t in terms] or terms
    else:
        together = backend.together(session, shop_id, terms) or terms
    # (words, every, in the title, as prefixes): whole words for "every word", as the search takes them
    # (a prefix of a common word is the union of many posting lists: 4 ms against 1.5 ms in PostgreSQL's GIN
    # for "linen shirt" at 100,000 products), prefixes after.
    # The last tier also holds for one word: "jack" finds the jackets.
    tiers = [(together, True, True, False), (together, True, False, False), (terms, False, False, True)]
    order = "price_asc" if ranking.order == "best_value" else ranking.order
    # Option values are checked by the database with the matches; for variants without option keys the
    # variants read here confirm them as the rest of the engine compares them (case-folded, spaces collapsed).
    want = pool
    kept: list[int] = []
    checked = 0
    while True:
        found: list[int] = []
        seen: set[int] = set()
        for words, every, title, prefix in tiers:
            for pid in backend.matching(
                session,
                shop_id,
                words,
                want + len(found),
                ranking.in_stock_only,
                every=every,
                title=title,
                order=order,
                vendor=ranking.vendor,
                min_price=ranking.min_price,
                max_price=ranking.max_price,
                prefix=prefix,
                options=options,
                known=ranking.known,
            ):
                if pid not in seen:
                    seen.add(pid)
                    found.append(pid)
            if len(found) >= want:
                break
        found = found[:want]
        if not variant_level:
            return found
        # A deeper read starts with the same matches: only the new ones are checked.
        kept += _keep(session, shop_id, ranking, options, found[checked:])
        checked = len(found)
        if len(kept) >= pool or len(found) < want or want >= MATCH_POOL:
            return kept[:pool]
        # As deep again as the share kept so far says is needed (at least twice as deep).
        share = max(len(kept), 1) / len(found)
        want = min(MATCH_POOL, max(2 * want, len(found) + int(1.5 * (pool - len(kept)) / share)))


def _vendor_is(name: str) -> ColumnElement[bool]:
    """The product's vendor is ``name``, case-insensitively: lowered by the database on both sides
    (SQLite's ``lower`` folds ASCII letters only, Python's all), as the index ``(shop_id, lower(vendor))``
    has it."""
    return func.lower(Product.vendor) == func.lower(name.strip())


def _keep(session: Session, shop_id: int, ranking: Ranking, options: list[str], ids: list[int]) -> list[int]:
    """Those of ``ids`` (kept in order) with one variant in every option value asked (in stock, in bounds).

    ``ids`` passed the same test in the database (:func:`fitting_variant`, the searches' narrowing), which
    compares exactly as here a variant's price, stock and option keys. Only the variants of products with
    a variant without keys (stored before migration 0013), which the database compares more loosely, are
    read and tested again (the partial index of those variants answers which, empty once a sync filled
    them): not every candidate's variants, their JSON values parsed and folded (170 variants for "the
    cheapest linen shirt in blue" at 100,000 products)."""
    if not options or not ids:
        return list(ids)
    loose = set(
        session.scalars(
            select(Variant.product_id).where(Variant.product_id.in_(ids), Variant.option_keys.is_(None)).distinct()
        )
    )
    if not loose:
        return list(ids)
    wanted = {option_keys.key(o) for o in options}
    fits: set[int] = set()
    for pid, values, price, available in session.execute(
        shelf.variants_of(
            shop_id, sorted(loose), Variant.product_id, Variant.option_values, Variant.price, Variant.available
        )
    ):
        if pid in fits or not wanted <= {option_keys.key(v) for v in values or []}:
            continue
        if ranking.in_stock_only and not available:
            continue
        if (ranking.min_price is not None and price < ranking.min_price) or (
            ranking.max_price is not None and price > ranking.max_price
        ):
            continue
        fits.add(pid)
    return [i for i in ids if i in fits or i not in loose]


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
    wanted = sorted({p.strip().lower(): p.strip() for p in phrases if p.strip()}.values())
    if not wanted:
        return []
    firsts = [shelf.products(shop_id, Product.vendor).where(_vendor_is(w)).limit(1).scalar_subquery() for w in wanted]
    return sorted({v for v in session.execute(select(*firsts)).one() if v})[:5]
