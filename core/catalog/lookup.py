"""Indexed lookups of a shop's catalog: a product by its title, and products in an order.

What the assistant asks of the catalog beyond a full-text search, each
answered from an index, so its cost follows what it finds rather than the
size of the catalog:

- :func:`product_by_title`: the product a title (typed, maybe misspelled) names;
- :func:`ranked`: products in price order (either way) or newest first,
  optionally narrowed by words, vendor, price bounds, option values and
  stock: "your most expensive linen shirt", "the cheapest tote in blue",
  "newest arrivals from Bench Co".

Everything here reads only published products (through :mod:`core.catalog.shelf`
or the search index's own published filter) and returns product ids; the
assistant's tools turn ids into cards (``core.assistant.tools.catalog.cards``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.catalog import shelf
from core.catalog.search import ORDERS, backend_for, parse_query, search_products
from core.db import Product, Variant

#: Catalogs up to this many products are matched against every title (as before); larger ones
#: against the titles the search index finds for the words.
SMALL_CATALOG = 2000
#: Titles of the search's best matches compared with a typed title in a larger catalog.
TITLE_CANDIDATES = 50
#: WRatio (0-100) a title must reach to be the one meant.
TITLE_SCORE = 80
#: Products read per step when filters (option values) turn rows down.
_STEP = 50
#: Steps at most: filters that almost nothing passes stop here instead of reading the catalog.
_MAX_STEPS = 20


def catalog_size(session: Session, shop_id: int, upto: int) -> int:
    """How many published products the shop has, counted no further than ``upto`` (an index range scan)."""
    return int(session.scalar(select(func.count()).select_from(
        shelf.products(shop_id, Product.id).limit(upto).subquery())) or 0)


def product_by_title(session: Session, shop_id: int, title: str) -> int | None:
    """The published product ``title`` names: the closest title (WRatio >= 80), else the best search match.

    A catalog of up to :data:`SMALL_CATALOG` products is compared title by title;
    in a larger one only the titles of the search's best
    :data:`TITLE_CANDIDATES` matches are, so a title whose every word is
    misspelled beyond a prefix is not found there.
    """
    title = title.strip()
    if not title:
        return None
    if catalog_size(session, shop_id, SMALL_CATALOG + 1) <= SMALL_CATALOG:
        titles: dict[int, str] = dict(session.execute(shelf.products(shop_id, Product.id, Product.title)).all())
    else:
        ids = [h.id for h in search_products(session, shop_id, title, limit=TITLE_CANDIDATES)]
        titles = dict(session.execute(shelf.products_by_id(shop_id, ids, Product.id, Product.title)).all())
    if not titles:
        return None
    best = process.extractOne(title, titles, scorer=fuzz.WRatio, score_cutoff=TITLE_SCORE)
    if best is not None:
        return int(best[2])
    hits = search_products(session, shop_id, title, limit=1)
    return hits[0].id if hits else None


@dataclass(frozen=True)
class Ranking:
    """What :func:`ranked` is asked for."""

    #: One of :data:`core.catalog.search.ORDERS`: ``price_asc``, ``price_desc``, ``newest``.
    order: str = "price_asc"
    #: Words every product must have (title, tags, options, vendor or description); empty: any product.
    query: str = ""
    #: The vendor exactly as the catalog spells it.
    vendor: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    #: Option values one variant must have together (case-insensitive), e.g. ``["Blue", "M"]``.
    options: Sequence[str] = field(default_factory=tuple)
    in_stock_only: bool = False


def ranked(session: Session, shop_id: int, ranking: Ranking, limit: int = 10) -> list[int]:
    """Published product ids in ``ranking.order``, narrowed as asked; at most ``limit``.

    Without words the shop's products are read in the order of an index
    (``shop_id`` + ``price_min`` / ``price_max`` / ``id``, or ``vendor``); with
    words, the matches of every word are sorted (their number, not the
    catalog's, sets the cost). Price bounds apply to the product's price
    range (``price_min`` >= min, ``price_max`` <= max for "under"), and, with
    options, to the matching variant. Options and stock are checked on the
    variants, a step of products at a time, at most
    :data:`_STEP` x :data:`_MAX_STEPS` products.
    """
    if ranking.order not in ORDERS:
        raise ValueError(f"unknown order {ranking.order!r}; one of {sorted(ORDERS)}")
    if limit <= 0:
        return []
    found: list[int] = []
    offset = 0
    for _ in range(_MAX_STEPS):
        step = _candidates(session, shop_id, ranking, offset, _STEP if ranking.options else limit)
        offset += len(step)
        found += _keep(session, shop_id, ranking, step) if ranking.options else step
        if len(found) >= limit or len(step) < (_STEP if ranking.options else limit):
            break
    return found[:limit]


def _candidates(session: Session, shop_id: int, ranking: Ranking, offset: int, size: int) -> list[int]:
    """The next ``size`` products in order from ``offset``, with words, vendor, bounds and stock applied."""
    terms = parse_query(ranking.query)
    if terms:
        ids = backend_for(session).matching(
            session, shop_id, terms, offset + size, ranking.in_stock_only, every=True, order=ranking.order,
            vendor=ranking.vendor, min_price=ranking.min_price, max_price=ranking.max_price)
        return ids[offset:]
    query = shelf.products(shop_id, Product.id)
    if ranking.vendor is not None:
        query = query.where(Product.vendor == ranking.vendor)
    if ranking.in_stock_only:
        query = query.where(Product.available.is_(True))
    if ranking.min_price is not None:
        query = query.where(Product.price_max >= ranking.min_price)
    if ranking.max_price is not None:
        query = query.where(Product.price_min <= ranking.max_price)
    order = {"price_asc": (Product.price_min, Product.id),
             "price_desc": (Product.price_max.desc(), Product.id.desc()),
             "newest": (Product.id.desc(),)}[ranking.order]
    return list(session.scalars(query.order_by(*order).offset(offset).limit(size)))


def _norm(value: object) -> str:
    return " ".join(str(value).casefold().split())


def _keep(session: Session, shop_id: int, ranking: Ranking, ids: list[int]) -> list[int]:
    """Those of ``ids`` (kept in order) with one variant in every option value asked (in stock, in bounds)."""
    wanted = {_norm(o) for o in ranking.options if str(o).strip()}
    fits: set[int] = set()
    for pid, values, price, available in session.execute(shelf.variants_of(
            shop_id, ids, Variant.product_id, Variant.option_values, Variant.price, Variant.available)):
        if pid in fits or not wanted <= {_norm(v) for v in values or []}:
            continue
        if ranking.in_stock_only and not available:
            continue
        if (ranking.min_price is not None and price < ranking.min_price) or (
                ranking.max_price is not None and price > ranking.max_price):
            continue
        fits.add(pid)
    return [i for i in ids if i in fits]
