"""Catalog search: the same ranking and filtering contract on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalog.search import (
    SearchHit,
    html_to_text,
    index_documents,
    index_products,
    parse_query,
    search_documents,
    search_products,
    unindex_documents,
    unindex_products,
)
from core.db import Database, Document, Product, Shop, Variant

APPAREL = Path(__file__).resolve().parents[1] / "data" / "shopify" / "apparel.csv"


def load_shopify_csv(session: Session, shop: Shop, path: Path) -> list[Product]:
    """A tiny Shopify product-CSV reader: rows sharing a handle are one product's variants."""
    products: dict[str, Product] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            product = products.get(row["Handle"])
            if product is None:
                names = [row[f"Option{i} Name"] for i in (1, 2, 3) if row[f"Option{i} Name"]]
                product = products[row["Handle"]] = Product(
                    shop_id=shop.id,
                    external_id=row["Handle"],
                    handle=row["Handle"],
                    title=row["Title"],
                    body_html=row["Body (HTML)"],
                    vendor=row["Vendor"] or None,
                    product_type=row["Type"] or None,
                    tags=[t.strip() for t in row["Tags"].split(",") if t.strip()],
                    options=[{"name": n, "values": []} for n in names],
                    published=row["Published"].lower() == "true",
                    price_min=Decimal(0),
                    price_max=Decimal(0),
                )
            values = [row[f"Option{i} Value"] for i in (1, 2, 3) if row[f"Option{i} Value"]]
            for opt, value in zip(product.options, values):
                if value not in opt["values"]:
                    opt["values"].append(value)
            qty = int(row["Variant Inventory Qty"] or 0)
            product.variants.append(
                Variant(
                    external_id=row["Variant SKU"] or f"{row['Handle']}-{len(product.variants)}",
                    position=len(product.variants),
                    title=" / ".join(values),
                    option_values=values,
                    price=Decimal(row["Variant Price"]),
                    inventory_quantity=qty,
                    inventory_policy=row["Variant Inventory Policy"] or "deny",
                    available=qty > 0 or row["Variant Inventory Policy"] == "continue",
                )
            )
    for product in products.values():
        prices = [v.price for v in product.variants]
        product.price_min, product.price_max = min(prices), max(prices)
        product.available = any(v.available for v in product.variants)
    session.add_all(products.values())
    session.flush()
    return list(products.values())


def make_shop(session: Session, name: str) -> Shop:
    shop = Shop(name=name, platform="csv", platform_ref=name, site_key=f"key-{name}")
    session.add(shop)
    session.flush()
    return shop


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = make_shop(session, "apparel")
    index_products(session, load_shopify_csv(session, shop, APPAREL))
    return shop


def handles(session: Session, hits: list[SearchHit]) -> list[str]:
    by_id = {p.id: p.handle for p in session.scalars(select(Product).where(Product.id.in_([h.id for h in hits])))}
    return [by_id[h.id] for h in hits]


def test_backend_matches_fixture(session: Session, db: Database) -> None:
    assert session.get_bind().dialect.name == db.dialect


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("do you have a leather jacket?", {"classic-leather-jacket"}),
        ("leather bag", {"black-leather-bag"}),
        ("silk", {"striped-silk-blouse", "silk-summer-top", "blue-silk-tuxedo"}),
        ("shirts", {"ocean-blue-shirt", "chequered-red-shirt", "white-cotton-shirt"}),
        ("varsity", {"classic-varsity-top"}),
        ("jackets for winter", {"dark-winter-jacket"}),  # titled "Soft Winter Jacket"
        ("LED high tops", {"led-high-tops"}),
        ("Show me some WOOL jumpers", {"yellow-wool-jumper"}),
        ("leath", {"black-leather-bag", "classic-leather-jacket"}),  # prefix while typing
    ],
)
def test_real_queries_rank_the_right_product_first(
    session: Session, shop: Shop, query: str, expected_first: set[str]
) -> None:
    hits = search_products(session, shop.id, query)
    assert hits, query
    assert handles(session, hits)[0] in expected_first
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert all(h.score > 0 for h in hits)


def test_or_query_returns_partial_matches_after_full_match(session: Session, shop: Shop) -> None:
    found = handles(session, search_products(session, shop.id, "leather jacket", limit=20))
    assert found[0] == "classic-leather-jacket"
    assert {"black-leather-bag", "zipped-jacket", "olive-green-jacket"} <= set(found)


def test_limit_and_stable_order(session: Session, shop: Shop) -> None:
    hits = search_products(session, shop.id, "top", limit=3)
    assert len(hits) == 3
    assert search_products(session, shop.id, "top", limit=3) == hits
    assert search_products(session, shop.id, "top", limit=0) == []


def test_no_match_and_stopwords_only(session: Session, shop: Shop) -> None:
    assert search_products(session, shop.id, "xyzzy") == []
    assert search_products(session, shop.id, "do you have any?") == []
    assert search_products(session, shop.id, "") == []


def test_other_shops_products_are_never_returned(session: Session, shop: Shop) -> None:
    other = make_shop(session, "other")
    index_products(session, load_shopify_csv(session, other, APPAREL))
    mine = {p.id for p in session.scalars(select(Product).where(Product.shop_id == shop.id))}
    theirs = {p.id for p in session.scalars(select(Product).where(Product.shop_id == other.id))}
    for query in ("leather jacket", "silk", "top shirt jacket"):
        assert {h.id for h in search_products(session, shop.id, query, limit=50)} <= mine
        assert {h.id for h in search_products(session, other.id, query, limit=50)} <= theirs


def test_unpublished_are_never_returned(session: Session, shop: Shop) -> None:
    bag = session.scalars(select(Product).where(Product.handle == "black-leather-bag")).one()
    bag.published = False
    session.flush()
    assert "black-leather-bag" not in handles(session, search_products(session, shop.id, "leather bag"))


def test_in_stock_only(session: Session, shop: Shop) -> None:
    jacket = session.scalars(select(Product).where(Product.handle == "classic-leather-jacket")).one()
    jacket.available = False
    session.flush()
    assert handles(session, search_products(session, shop.id, "leather jacket"))[0] == "classic-leather-jacket"
    in_stock = handles(session, search_products(session, shop.id, "leather jacket", in_stock_only=True))
    assert in_stock and "classic-leather-jacket" not in in_stock


def test_options_and_variant_titles_are_searchable(session: Session, shop: Shop) -> None:
    # Only the varsity top has a Size option; "Default Title" placeholders are not indexed.
    assert handles(session, search_products(session, shop.id, "medium")) == ["classic-varsity-top"]
    assert search_products(session, shop.id, "default title") == []


HOSTILE = [
    '"', '""', "'", "*", "AND", "OR", "NOT", "NEAR(", "NEAR(leather jacket", "-", "-leather", ":", "title:leather",
    "^leather", "leather*", "(", ")", "{", "}", "[", "]", "!", "&", "|", "<->", "leather & | !", "\\", "%", "_",
    "\x00", "🧥🔥", "leather 🧥", "a" * 5000, "leather " * 2000, "'; DROP TABLE products; --", "é", "ß", "日本語",
    "Ｌｅａｔｈｅｒ", "x:* | y", "!!!???", "\u200b", "a" * 70 + " jacket",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_never_raises(session: Session, shop: Shop, query: str) -> None:
    hits = search_products(session, shop.id, query)
    assert isinstance(hits, list)
    assert isinstance(search_documents(session, shop.id, query), list)


def test_reindex_after_title_change(session: Session, shop: Shop) -> None:
    tuxedo = session.scalars(select(Product).where(Product.handle == "blue-silk-tuxedo")).one()
    tuxedo.title = "Midnight Velvet Blazer"
    tuxedo.body_html = "<p>A <b>velvet</b> blazer.</p>"
    index_products(session, [tuxedo])
    assert handles(session, search_products(session, shop.id, "velvet blazer")) == ["blue-silk-tuxedo"]
    assert search_products(session, shop.id, "tuxedo") == []
    index_products(session, [tuxedo, tuxedo])  # idempotent, duplicates collapse
    assert len(search_products(session, shop.id, "velvet")) == 1


def test_unindex_removes(session: Session, shop: Shop) -> None:
    bag = session.scalars(select(Product).where(Product.handle == "black-leather-bag")).one()
    unindex_products(session, [bag.id, bag.id])
    assert "black-leather-bag" not in handles(session, search_products(session, shop.id, "bag leather", limit=50))
    unindex_products(session, [])


def test_documents(session: Session, shop: Shop) -> None:
    other = make_shop(session, "other")
    docs = [
        Document(shop_id=shop.id, external_id="returns", kind="policy", title="Refund policy",
                 body="<p>Returns are accepted within <b>30 days</b> of delivery.</p>"),
        Document(shop_id=shop.id, external_id="shipping", kind="page", title="Shipping",
                 body="We ship worldwide. Returns ship free."),
        Document(shop_id=shop.id, external_id="faq-size", kind="faq", title="Size guide", body="How sizes fit."),
        Document(shop_id=other.id, external_id="returns", kind="policy", title="Returns", body="No returns."),
    ]
    session.add_all(docs)
    index_documents(session, docs)
    hits = search_documents(session, shop.id, "Can I return my order?")
    assert {h.id for h in hits} == {docs[0].id, docs[1].id}  # other shop's "Returns" excluded
    assert search_documents(session, shop.id, "refund for returns")[0].id == docs[0].id
    assert search_documents(session, shop.id, "shipping")[0].id == docs[1].id
    assert search_documents(session, shop.id, "sizing") and search_documents(session, shop.id, "xyzzy") == []
    unindex_documents(session, [docs[1].id])
    assert docs[1].id not in {h.id for h in search_documents(session, shop.id, "shipping returns")}


def test_parse_query() -> None:
    assert parse_query("Do you have a LEATHER jacket?") == ["leather", "jacket"]
    assert parse_query("t-shirt, t_shirt") == ["shirt"]
    assert len(parse_query(" ".join(f"word{i}" for i in range(20)))) == 8
    assert parse_query("\"NEAR(\" * - : 🧥") == ["near"]


def test_html_to_text() -> None:
    assert html_to_text("<p>Soft&nbsp;<b>wool</b><script>x()</script></p><p>blend</p>") == "Soft wool blend"
