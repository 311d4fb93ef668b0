"""The catalog search tool reads candidates a chunk at a time: where the chunks
fall must never change which cards come back, or in what order."""
from __future__ import annotations

from typing import Any

import pytest

from core.assistant.tools import catalog
from core.catalog.sync import create_run, run_sync
from core.db import Database, Shop
from core.shops import ensure_demo_shop

SEARCHES: list[dict[str, Any]] = [
    {"query": "jacket"},
    {"query": "top shirt jacket", "in_stock_only": True},
    {"query": "top shirt jacket bag", "max_price": 60.0},
    {"query": "top shirt", "options": ["Medium"]},
    {"query": "jacket top", "category": "women"},
    {"query": "top shirt jacket", "category": "women", "max_price": 60.0, "in_stock_only": True},
    {"query": "top", "category": "women", "options": ["Medium"]},
    {"query": "top shirt", "options": ["médium"]},
    {"query": "", "max_price": 40.0},
    {"query": "", "min_price": 50.0, "in_stock_only": True},
    {"query": "zzzz nothing"},
]


@pytest.fixture
def demo(db: Database) -> Shop:
    shop = ensure_demo_shop(db, "http://shop.test")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    return shop


def _search(db: Database, shop_id: int, args: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    full = {"query": "", "min_price": None, "max_price": None, "category": None, "options": [],
            "in_stock_only": False, **args}
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return catalog.search(session, shop, full.pop("query"), limit=limit, **full)


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_chunk_size_never_changes_the_cards(db: Database, demo: Shop, monkeypatch: pytest.MonkeyPatch,
                                           limit: int) -> None:
    monkeypatch.setattr(catalog, "CHUNK", 1000)  # every candidate in one read
    whole = {i: _search(db, demo.id, args, limit) for i, args in enumerate(SEARCHES)}
    assert any(len(cards) == limit for cards in whole.values())  # the limit really cuts somewhere
    assert any(len(cards) > 1 for cards in whole.values()) or limit == 1
    for size in (1, 2, 5):
        monkeypatch.setattr(catalog, "CHUNK", size)
        for i, args in enumerate(SEARCHES):
            assert _search(db, demo.id, args, limit) == whole[i], (size, args)


def test_filters_narrow_the_card_to_the_matching_variants(db: Database, demo: Shop) -> None:
    cards = _search(db, demo.id, {"query": "top", "options": ["Medium"]}, 10)
    assert cards and all(c["variant_id"] for c in cards)
    plain = {c["product_id"]: c for c in _search(db, demo.id, {"query": "top"}, 10)}
    assert {c["product_id"] for c in cards} <= set(plain)


@pytest.mark.parametrize("query", ["", "stool"])
def test_a_ranked_search_with_bounds_finds_the_variant_inside_them(db: Database, query: str) -> None:
    """A product whose price range spans the bounds with no variant inside them is not a card: the
    ranking skips it instead of filling the few places asked for with it."""
    from tests.core.test_builtin_capabilities import _record

    from core.catalog import search
    from core.catalog.sync import upsert_products
    from core.shops import create_shop

    shop = create_shop(db, "Bounds", "csv", {"demo": True, "storefront_url": "http://bounds.test"})
    records = [_record(1, "Wide Stool", "10.00", variants=(("Natural", "10.00", 5), ("Black", "100.00", 5))),
               _record(2, "Thirty Stool", "30.00"), _record(3, "Forty Stool", "40.00"),
               _record(4, "Cheap Stool", "35.00", variants=(("Natural", "", 0),))]
    with db.session() as session:
        search.index_products(session, upsert_products(session, shop.id, records))
    for limit, expected in ((1, ["Thirty Stool"]), (2, ["Thirty Stool", "Forty Stool"])):
        cards = _search(db, shop.id, {"query": query, "min_price": 20, "max_price": 50, "sort": "price_asc",
                                      "in_stock_only": True}, limit)
        assert [c["title"] for c in cards] == expected


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_search_without_filters_asks_fewer_candidates_and_finds_the_same_cards(
        db: Database, demo: Shop, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Without filters the search asks only a chunk's worth of candidates; when some of them make no card
    (a product without variants) it asks for all of them, and the cards are those of the whole pool."""
    from sqlalchemy import delete

    from core.catalog import search as fts
    from core.db import Variant

    asked: list[int] = []
    real = catalog.fts_search
    monkeypatch.setattr(catalog, "fts_search", lambda *a, **k: asked.append(k["limit"]) or real(*a, **k))
    for query in ("jacket", "top shirt jacket bag"):
        monkeypatch.setattr(catalog, "CHUNK", 1000)
        whole = _search(db, demo.id, {"query": query}, limit)
        monkeypatch.setattr(catalog, "CHUNK", 2)
        asked.clear()
        assert _search(db, demo.id, {"query": query}, limit) == whole and whole
        assert asked == ([2] if limit <= 2 else [catalog.CANDIDATES])
    with db.session() as session:  # the best two matches of "jacket" lose their variants: they make no card
        first = [h.id for h in fts.search_products(session, demo.id, "jacket", limit=2)]
        session.execute(delete(Variant).where(Variant.product_id.in_(first)))
        session.commit()
    monkeypatch.setattr(catalog, "CHUNK", 1000)
    whole = _search(db, demo.id, {"query": "jacket"}, limit)
    assert whole and not {c["product_id"] for c in whole} & set(first)
    monkeypatch.setattr(catalog, "CHUNK", 2)
    asked.clear()
    assert _search(db, demo.id, {"query": "jacket"}, limit) == whole
    assert asked == ([2, catalog.CANDIDATES] if limit <= 2 else [catalog.CANDIDATES])


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_filtered_search_asks_a_chunk_of_fitting_candidates(db: Database, demo: Shop,
                                                              monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """The database keeps only the candidates that fit the price bounds, option values and stock, so a
    filtered search also asks for just a chunk's worth, and finds the cards it finds from all of them."""
    asked: list[int] = []
    real = catalog.fts_search
    monkeypatch.setattr(catalog, "fts_search", lambda *a, **k: asked.append(k["limit"]) or real(*a, **k))
    for args in ({"query": "top shirt", "options": ["Medium"]}, {"query": "top shirt jacket bag", "max_price": 60.0},
                 {"query": "top shirt jacket", "in_stock_only": True},
                 {"query": "jacket shirt", "min_price": 30.0, "in_stock_only": True}):
        monkeypatch.setattr(catalog, "CHUNK", 1000)
        whole = _search(db, demo.id, args, limit)
        monkeypatch.setattr(catalog, "CHUNK", 2)
        asked.clear()
        assert _search(db, demo.id, args, limit) == whole and whole, args
        assert asked == ([2] if limit <= 2 else [catalog.CANDIDATES]), args


def test_words_that_match_but_fit_no_filter_find_nothing(db: Database, demo: Shop) -> None:
    """Words that match products none of which fits the filters find nothing; other products that fit are
    not offered instead (only words that match nothing fall back to the filters alone)."""
    assert _search(db, demo.id, {"query": "leather jacket"}, 5)
    assert _search(db, demo.id, {"options": ["Medium"]}, 5)  # another product has the size
    assert _search(db, demo.id, {"query": "leather jacket", "options": ["Medium"]}, 5) == []
    assert _search(db, demo.id, {"query": "leather jacket", "options": ["Medium"], "in_stock_only": True}, 5) == []
    assert _search(db, demo.id, {"query": "zzzz nothing", "options": ["Medium"]}, 5)


@pytest.mark.parametrize("args", [{"options": ["Medium"]}, {"options": [" medium "], "in_stock_only": True},
                                  {"max_price": 40.0}, {"min_price": 50.0, "in_stock_only": True},
                                  {"query": "zzzz nothing", "max_price": 40.0}])
def test_filters_without_words_are_the_cheapest_products_with_a_fitting_variant(
        db: Database, demo: Shop, args: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Filters alone (or with words that match nothing) browse the shop cheapest first; the database
    narrows to products with one variant that fits, so a fitting product is found however many cheaper
    ones do not fit."""
    from sqlalchemy import select

    from core.db import Product

    wanted = {o.strip().lower() for o in args.get("options", [])}
    low, high = args.get("min_price"), args.get("max_price")
    with db.session() as session:
        products = session.scalars(select(Product).where(Product.shop_id == demo.id, Product.published.is_(True))
                                   .order_by(Product.price_min, Product.id)).all()
        fitting = [p.id for p in products if any(
            wanted <= {str(x).strip().lower() for x in v.option_values or []}
            and (v.available or not args.get("in_stock_only"))
            and (low is None or v.price >= low) and (high is None or v.price <= high) for v in p.variants)]
    assert fitting
    monkeypatch.setattr(catalog, "BROWSE", 1)  # a pool of the cheapest products (one here) is not what is read
    for limit in (1, 3, 10):
        assert [c["product_id"] for c in _search(db, demo.id, args, limit)] == fitting[:limit], (args, limit)


@pytest.mark.parametrize("stored, asked", [(["Écru"], "écru"), (["Écru"], "Écru"), (["Extra  Large"], "extra large"),
                                           (["STRASSE"], "straße"), ([" Large\u00a0"], "large"),
                                           (["Navy\u2009Blue"], "navy blue"), (["Navy\u3000Blue"], "Navy Blue"),
                                           (["Navy\x0bBlue"], "navy blue"), (["Extra\tLarge"], "extra large"),
                                           (["\u212aaki"], "kaki")])
def test_option_values_are_compared_as_the_engine_compares_them(db: Database, demo: Shop, stored: list[str],
                                                                asked: str) -> None:
    """The database narrows by option values only where it folds them as the engine does (ASCII, spaces
    aside); the rest is left to the variants read afterwards, so no database turns down a variant the
    engine takes: with words or without, sorted or not."""
    from sqlalchemy import select

    from core.db import Product, Variant

    with db.session() as session:
        product = session.scalars(select(Product).where(Product.shop_id == demo.id,
                                                        Product.title == "Classic Varsity Top")).one()
        for variant in session.scalars(select(Variant).where(Variant.product_id == product.id)):
            variant.option_values = stored
        session.commit()
        pid = product.id
    assert catalog._norm(asked) == catalog._norm(stored[0])  # the engine takes this variant
    for args in ({"options": [asked]}, {"options": [asked], "sort": "price_asc"},
                 {"query": "varsity", "options": [asked]}, {"query": "varsity", "options": [asked], "sort": "price_desc"},
                 {"options": [asked], "max_price": 500.0}):
        found = [c["product_id"] for c in _search(db, demo.id, args, 5)]
        assert pid in found, (stored, asked, args, found)
