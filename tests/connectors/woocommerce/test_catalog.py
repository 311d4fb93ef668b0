"""Reading a WooCommerce catalog: mapping of the docs' shapes, variations,
pagination through core's sync with exact cross-checks, incremental reads,
resuming after a crash, retries and clear errors."""
from __future__ import annotations

import copy
from collections import Counter
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from connectors.woocommerce import WooCommerceConnector
from core.catalog.sync import create_run, resumable_run, run_sync
from core.connector import ConnectorError
from core.db import Database, Product, SyncRun, Variant
from core.shops import create_shop
from tests.fakes.woocommerce_store import (
    SHIP_YOUR_IDEA,
    STORE,
    Crash,
    FakeWoo,
    connector_config,
    generated_products,
    variation,
)

N = 250  # three pages of 100 (plus the two sample products)


def product_query(woo: FakeWoo) -> list[dict[str, str]]:
    return [{k: v[-1] for k, v in parse_qs(urlsplit(c.split(" ", 1)[1]).query).items()}
            for c in woo.calls if c.split("?")[0].endswith("/wc/v3/products")]


# -- mapping --------------------------------------------------------------------


def test_simple_and_variable_products_map_exactly(connector: WooCommerceConnector) -> None:
    variable, simple = list(connector.iter_products())
    assert simple.external_id == "794" and simple.title == "Premium Quality"
    assert simple.url == "https://example.com/product/premium-quality-19/"
    assert simple.handle == "premium-quality-19" and simple.product_type == "Clothing"
    assert simple.tags == ("Clothing", "T-shirts")
    assert simple.images == ("https://example.com/wp-content/uploads/2017/03/T_2_front-4.jpg",)
    [v] = simple.variants
    assert (v.external_id, v.price, v.compare_at_price, v.inventory_tracked, v.available) == (
        "794", Decimal("21.99"), None, False, True)
    assert simple.updated_at is not None and simple.updated_at.isoformat() == "2017-03-23T20:01:14+00:00"

    assert variable.external_id == "22" and [o.name for o in variable.options] == ["Color"]
    black, green = variable.variants
    assert (black.external_id, black.title, black.option_values) == ("733", "Black", ("Black",))
    assert (black.price, black.compare_at_price) == (Decimal("7.50"), Decimal("9.00"))
    assert (black.inventory_tracked, black.inventory_quantity, black.inventory_policy) == (True, 5, "continue")
    assert black.image_url == "https://example.com/wp-content/uploads/2017/03/Black.jpg"
    assert (green.inventory_quantity, green.inventory_policy, green.available) == (0, "deny", False)


def test_stock_status_without_managed_stock_still_counts(woo: FakeWoo, connector: WooCommerceConnector) -> None:
    woo.products[0].update(stock_status="outofstock")
    woo.variations[22][0] = variation(733, "Black", manage_stock="parent")
    woo.products[1].update(manage_stock=True, stock_quantity=3, backorders="no")
    variable, simple = list(connector.iter_products())
    assert simple.variants[0].available is False
    assert (variable.variants[0].inventory_quantity, variable.variants[0].inventory_policy) == (3, "deny")


def test_a_bad_price_is_a_clear_record_error(woo: FakeWoo, connector: WooCommerceConnector) -> None:
    woo.products[0]["price"] = "twenty"
    with pytest.raises(ConnectorError) as err:
        list(connector.iter_products())
    assert err.value.code == "record_invalid" and "product 794" in err.value.message


# -- through core's sync ----------------------------------------------------------


@pytest.fixture
def big_woo(woo: FakeWoo) -> FakeWoo:
    woo.products.extend(generated_products(N))
    return woo


@pytest.fixture
def woo_shop(db: Database, sleeps: list[float]) -> Any:
    return create_shop(db, "Woo shop", "woocommerce", connector_config(), platform_ref=STORE)


def stored(db: Database, shop_id: int) -> dict[str, Product]:
    with db.session() as session:
        rows = session.scalars(select(Product).where(Product.shop_id == shop_id)).all()
        for row in rows:
            _ = list(row.variants)
        session.expunge_all()
    return {row.external_id: row for row in rows}


def cross_check(db: Database, shop_id: int, woo: FakeWoo) -> None:
    """The database holds exactly the store's products, field for field."""
    rows = stored(db, shop_id)
    assert sorted(rows) == sorted(str(p["id"]) for p in woo.products)
    with db.session() as session:
        ids = session.scalars(select(Product.external_id).where(Product.shop_id == shop_id)).all()
        assert not [i for i, n in Counter(ids).items() if n > 1], "duplicate products"
        assert session.scalar(select(func.count(Variant.id)).join(Product).where(Product.shop_id == shop_id)) == sum(
            len(woo.variations.get(p["id"], [])) or 1 for p in woo.products)
    for p in woo.products:
        row = rows[str(p["id"])]
        sources = woo.variations.get(p["id"]) or [p]
        prices = [Decimal(s["price"]) for s in sources]
        assert (row.title, row.handle, row.url) == (p["name"], p["slug"], p["permalink"])
        assert (row.price_min, row.price_max) == (min(prices), max(prices))
        assert [v.external_id for v in row.variants] == [str(s["id"]) for s in sources]
        assert [v.sku for v in row.variants] == [s["sku"] or None for s in sources]


def test_several_pages_sync_exactly_through_core(db: Database, woo_shop: Any, big_woo: FakeWoo) -> None:
    run = run_sync(db, create_run(db, woo_shop.id).id)

    assert (run.status, run.products_seen, run.documents_seen) == ("finished", N + 2, 3)
    assert run.resume_state is None
    cross_check(db, woo_shop.id, big_woo)
    pages = product_query(big_woo)
    assert [q["page"] for q in pages] == ["1", "2", "3"]
    assert all(q["per_page"] == "100" and q["orderby"] == "id" and q["order"] == "asc" for q in pages)
    assert sum("/products/22/variations" in c for c in big_woo.calls) == 1


def test_incremental_sync_asks_by_gmt_modification_date(db: Database, woo_shop: Any, big_woo: FakeWoo) -> None:
    run_sync(db, create_run(db, woo_shop.id).id)
    for p in big_woo.products[10:13]:
        p["name"] += " (new)"
        p["date_modified_gmt"] = "2099-01-01T00:00:00"
    before = len(big_woo.calls)

    run = run_sync(db, create_run(db, woo_shop.id, full=False).id)

    assert (run.status, run.products_seen, run.products_removed) == ("finished", 3, 0)
    [query] = product_query(FakeWoo(calls=big_woo.calls[before:]))
    assert query["dates_are_gmt"] == "true" and query["modified_after"] > "2020-01-01T00:00:00"
    cross_check(db, woo_shop.id, big_woo)


def test_a_crashed_sync_resumes_where_it_stopped(db: Database, woo_shop: Any, big_woo: FakeWoo) -> None:
    big_woo.crash_on_page = 3
    run = create_run(db, woo_shop.id)
    with pytest.raises(Crash):
        run_sync(db, run.id)
    with db.session() as session:
        failed = session.get(SyncRun, run.id)
        assert failed.status == "failed"
        assert failed.resume_state == {"stage": "products", "page": 2, "skip": 100}
        assert failed.products_seen == 200
    assert resumable_run(db, woo_shop.id).id == run.id
    big_woo.crash_on_page = None
    before = len(product_query(big_woo))

    finished = run_sync(db, run.id)

    assert (finished.status, finished.products_seen, finished.products_removed) == ("finished", N + 2, 0)
    assert finished.documents_seen == 3
    cross_check(db, woo_shop.id, big_woo)
    assert [q["page"] for q in product_query(big_woo)[before:]] == ["2", "3"]  # not from page 1


def test_resume_point_skips_exactly_what_was_handed_out(big_woo: FakeWoo, sleeps: list[float]) -> None:
    first = WooCommerceConnector(connector_config())
    read = first.iter_products()
    handed = [next(read).external_id for _ in range(130)]
    state = first.resume_point()
    assert state == {"stage": "products", "page": 2, "skip": 30}

    second = WooCommerceConnector(connector_config())
    second.resume_from(state)
    rest = [p.external_id for p in second.iter_products()]
    assert handed + rest == [str(p["id"]) for p in sorted(big_woo.products, key=lambda p: p["id"])]
    assert second.resume_point() == {"stage": "pages", "page": 1, "skip": 0}


def test_a_bad_checkpoint_is_refused(connector: WooCommerceConnector) -> None:
    with pytest.raises(ConnectorError) as err:
        connector.resume_from({"stage": "reviews"})
    assert err.value.code == "bad_resume_state"


# -- retries and errors --------------------------------------------------------------


def test_429_and_5xx_are_retried_with_backoff(woo: FakeWoo, connector: WooCommerceConnector,
                                              sleeps: list[float]) -> None:
    woo.failures = [429, 503, 500]
    assert len(list(connector.iter_products())) == 2
    assert len(sleeps) == 3 and sleeps == sorted(sleeps)


def test_retries_are_bounded(woo: FakeWoo, connector: WooCommerceConnector, sleeps: list[float]) -> None:
    woo.broken_pages = {1}
    with pytest.raises(ConnectorError) as err:
        list(connector.iter_products())
    assert err.value.code == "platform_error" and "HTTP 500" in err.value.message
    assert len(sleeps) == 3


def test_wrong_keys_are_a_clear_error(woo: FakeWoo, sleeps: list[float]) -> None:
    bad = WooCommerceConnector(connector_config(consumer_secret="cs_wrong"))
    with pytest.raises(ConnectorError) as err:
        list(bad.iter_products())
    assert err.value.code == "platform_auth_failed"
    assert "woocommerce_rest_cannot_view" in err.value.message and sleeps == []


def test_missing_config_is_a_clear_error() -> None:
    with pytest.raises(ConnectorError) as err:
        list(WooCommerceConnector({"store_url": STORE}).iter_products())
    assert err.value.code == "config_invalid"
    with pytest.raises(ConnectorError):
        list(WooCommerceConnector({"store_url": "ftp://x", "consumer_key": "ck_1", "consumer_secret": "cs_1"})
             .iter_products())


def test_variable_product_without_variations_still_has_a_variant(woo: FakeWoo,
                                                                 connector: WooCommerceConnector) -> None:
    lone = copy.deepcopy(SHIP_YOUR_IDEA)
    lone.update(id=23, variations=[])
    woo.products.append(lone)
    assert len(list(connector.iter_products())[-1].variants) == 1


# -- the site's pages and posts ------------------------------------------------------


def test_pages_and_posts_are_documents_read_without_credentials(woo: FakeWoo,
                                                                connector: WooCommerceConnector) -> None:
    docs = {d.external_id: d for d in connector.iter_documents()}
    assert sorted(docs) == ["page:2", "page:7", "post:11"]
    shipping = docs["page:2"]
    assert (shipping.kind, shipping.title, shipping.url) == ("policy", "Shipping & Returns", f"{STORE}/shipping-returns/")
    assert shipping.body == "## Shipping\n\nWe ship in 2\u20133 days.\n\n- Free over $50"
    assert (docs["page:7"].kind, docs["post:11"].kind) == ("faq", "post")
    assert docs["post:11"].body == "Welcome to our store\u2019s blog."
    content_calls = [c for c in woo.calls if "/wp/v2/" in c]
    assert len(content_calls) == 2 and all("status=publish" in c and "per_page=100" in c for c in content_calls)


def test_documents_since_a_time_use_gmt(woo: FakeWoo, connector: WooCommerceConnector) -> None:
    from datetime import datetime, timezone

    woo.posts[0].update(modified_gmt="2026-06-01T12:00:00", modified="2026-06-01T14:00:00")
    since = datetime(2026, 6, 1, 11, 0, tzinfo=timezone.utc)
    assert [d.external_id for d in connector.iter_documents(since)] == ["post:11"]


def test_a_run_resumed_in_the_posts_reads_no_products(woo: FakeWoo, sleeps: list[float]) -> None:
    resumed = WooCommerceConnector(connector_config())
    resumed.resume_from({"stage": "posts", "page": 1, "skip": 0})
    assert list(resumed.iter_products()) == []
    assert [d.external_id for d in resumed.iter_documents()] == ["post:11"]
    assert not [c for c in woo.calls if "/wc/v3/products" in c or "/wp/v2/pages" in c]
