"""Indexed lookups of a shop's catalog: a product by its title.

:func:`product_by_title` finds the product a title (typed, maybe misspelled)
names without comparing every title of a large catalog, so its cost follows
what the search finds rather than the size of the catalog. Products in an
order ("your most expensive linen shirt") are :func:`core.catalog.ranking.ranked`'s.

Everything here reads only published products (through :mod:`core.catalog.shelf`
or the search index's own published filter) and returns product ids.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.catalog import shelf
from core.catalog.search import search_products
from core.db import Product

#: Catalogs up to this many products are matched against every title (as before); larger ones
#: against the titles the search index finds for the words.
SMALL_CATALOG = 2000
#: Titles of the search's best matches compared with a typed title in a larger catalog.
TITLE_CANDIDATES = 50
#: WRatio (0-100) a title must reach to be the one meant.
TITLE_SCORE = 80


def catalog_size(session: Session, shop_id: int, upto: int) -> int:
    """How many published products the shop has, counted no further than ``upto`` (an index range scan)."""
    return int(
        session.scalar(select(func.count()).select_from(shelf.products(shop_id, Product.id).limit(upto).subquery()))
        or 0
    )


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
