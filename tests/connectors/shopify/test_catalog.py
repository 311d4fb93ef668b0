"""Reading a Shopify store's catalog and content, alone and through core's sync."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import responses
from sqlalchemy import func, select

from connectors.shopify import ShopifyConnector, queries
from connectors.shopify import connector as connector_module
from core.catalog.sync import create_run, resumable_run, run_sync
from core.db import Database, Document, Product, SyncRun, Variant
from core.shops import create_shop
from tests.fakes.shopify_admin import (
    SHOP,
    STOREFRONT,
    Crash,
    FakeAdmin,
    FakeClock,
    Store,
    connector_config,
    generated_products,
    iso,
)

# -- mapping, on Shopify's own sample products -------------------------------------


def test_products_map_from_shopify_sample_payloads(admin: FakeAdmin, connector: ShopifyConnector) -> None:
    products = {p.handle: p for p in connector.iter_products()}
    ipod = products["ipod-nano"]
    assert ipod.external_id == "632910392"  # numeric ids, as webhooks and /cart/add.js use them
    assert ipod.title == "IPod Nano - 8GB" and ipod.product_type == "Cult Products"
    assert ipod.tags == ("Emotive", "Flash Memory", "MP3", "Music")
    assert ipod.url == f"{STOREFRONT}/products/ipod-nano"
    assert ipod.image_url == "http://static.shopify.com/s/files/1/6909/3384/products/ipod-nano.png?0"
    assert ipod.published and ipod.updated_at == datetime(2011, 10, 20, 18, 5, 13, tzinfo=timezone.utc)
    assert [v.sku for v in ipod.variants] == ["IPOD2008PINK", "IPOD2008RED", "IPOD2008GREEN", "IPOD2008BLACK"]
    pink = ipod.variants[0]
    assert pink.external_id == "808950810"
    assert (pink.title, pink.price, pink.compare_at_price, pink.inventory_quantity) == ("Pink", Decimal("199.00"), None, 10)
    assert pink.inventory_policy == "continue" and pink.inventory_tracked and pink.available
    assert pink.option_values == ("Pink",)
    assert [(o.name, o.values) for o in ipod.options] == [("Title", ("Pink", "Red", "Green", "Black"))]
    assert len(products) == 5


def test_variant_stock_rules(rsps: responses.RequestsMock, clock: FakeClock) -> None:
    from tests.fakes.shopify_admin import product, variant
    store = Store(products=[product(5, "Mug", "mug", [
        variant(51, "Out", "9.50", quantity=0, policy="DENY"),
        variant(52, "Backorder", "9.50", quantity=0, policy="CONTINUE"),
        variant(53, "Untracked", "9.50", quantity=None, tracked=False),
        variant(54, "Sale", "8.00", compare_at="12.00", sku="MUG-S", quantity=3),
    ], updated_at="2026-01-02T00:00:00Z", status="DRAFT")])
    FakeAdmin(rsps, store, clock=clock)
    (mug,) = ShopifyConnector(connector_config(), sleep=clock.sleep, clock=clock).iter_products()
    out, backorder, untracked, sale = mug.variants
    assert (out.available, backorder.available, untracked.available, sale.available) == (False, True, True, True)
    assert untracked.inventory_tracked is False and untracked.inventory_quantity is None
    assert sale.compare_at_price == Decimal("12.00") and sale.sku == "MUG-S"
    assert mug.published is False  # a draft is stored but never shown
    assert mug.url == f"{STOREFRONT}/products/mug"


def test_product_with_more_variants_than_a_page_nests_is_completed(
    rsps: responses.RequestsMock, clock: FakeClock
) -> None:
    from tests.fakes.shopify_admin import product, variant
    many = [variant(9000 + k, f"V{k}", "1.00") for k in range(queries.NESTED_VARIANTS * 2 + 3)]
    admin = FakeAdmin(rsps, Store(products=[product(9, "Big", "big", many, updated_at="2026-01-01T00:00:00Z")]),
                      clock=clock)
    (big,) = ShopifyConnector(connector_config(), sleep=clock.sleep, clock=clock).iter_products()
    assert [v.external_id for v in big.variants] == [str(9000 + k) for k in range(len(many))]
    assert sum(queries.PRODUCT_VARIANTS == r["body"]["query"] for r in admin.requests) == 1


def test_storefront_url_falls_back_to_the_primary_domain(rsps: responses.RequestsMock, clock: FakeClock) -> None:
    store = Store(products=generated_products(2), primary_domain="https://www.brand.example")
    for p in store.products:
        p["onlineStoreUrl"] = None  # not on the online store channel: the URL is built from the handle
    FakeAdmin(rsps, store, clock=clock)
    config = connector_config()
    del config["storefront_url"]
    connector = ShopifyConnector(config, sleep=clock.sleep, clock=clock)
    assert [p.url for p in connector.iter_products()] == [
        "https://www.brand.example/products/generated-0", "https://www.brand.example/products/generated-1"]
    pages = [d for d in connector.iter_documents() if d.kind == "page"]
    assert pages[0].url == "https://www.brand.example/pages/contact"


def test_documents_are_published_pages_and_the_legal_policies(admin: FakeAdmin, connector: ShopifyConnector) -> None:
    docs = {d.external_id: d for d in connector.iter_documents()}
    assert set(docs) == {"page-1", "page-2", "policy-refund-policy", "policy-shipping-policy",
                         "policy-privacy-policy", "policy-terms-of-service"}
    assert docs["page-1"].kind == "page" and docs["page-1"].url == f"{STOREFRONT}/pages/contact"
    refund = docs["policy-refund-policy"]
    assert refund.kind == "policy" and "30 days" in refund.body
    assert refund.url == f"https://{SHOP}/policies/refund-policy"


def test_reading_twice_gives_the_same_answer(admin: FakeAdmin, connector: ShopifyConnector) -> None:
    assert list(connector.iter_products()) == list(connector.iter_products())
    assert list(connector.iter_documents()) == list(connector.iter_documents())


def test_since_asks_shopify_for_what_changed(admin: FakeAdmin, connector: ShopifyConnector) -> None:
    admin.store.products[2]["updatedAt"] = "2026-03-01T10:00:00Z"
    since = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    changed = list(connector.iter_products(since))
    sent = [r["body"]["variables"] for r in admin.requests if r["body"]["query"] == queries.PRODUCTS]
    assert sent[-1]["query"] == "updated_at:>='2026-03-01T09:30:00Z'"
    assert [p.handle for p in changed] == [admin.store.products[2]["handle"]]


# -- through core's sync ------------------------------------------------------------

N = 600


@pytest.fixture
def big_store() -> Store:
    return Store(products=generated_products(N))


@pytest.fixture
def shop_admin(rsps: responses.RequestsMock, big_store: Store, clock: FakeClock,
               monkeypatch: pytest.MonkeyPatch) -> FakeAdmin:
    # core builds the connector itself: give it the fake clock through the module defaults
    monkeypatch.setattr(connector_module, "SLEEP", clock.sleep)
    monkeypatch.setattr(connector_module, "CLOCK", clock)
    return FakeAdmin(rsps, big_store, clock=clock)


@pytest.fixture
def shopify_shop(db: Database) -> Any:
    return create_shop(db, "Test shop", "shopify", connector_config(), storefront_url=STOREFRONT,
                       platform_ref=SHOP)


def stored(db: Database, shop_id: int) -> dict[str, Product]:
    with db.session() as session:
        rows = session.scalars(select(Product).where(Product.shop_id == shop_id)).all()
        for row in rows:
            _ = list(row.variants)
        session.expunge_all()
    return {row.external_id: row for row in rows}


def cross_check(db: Database, shop_id: int, store: Store) -> None:
    """The database holds exactly the store's products, field for field."""
    rows = stored(db, shop_id)
    assert len(rows) == len(store.products)
    with db.session() as session:
        ids = session.scalars(select(Product.external_id).where(Product.shop_id == shop_id)).all()
        assert not [i for i, n in Counter(ids).items() if n > 1], "duplicate products"
        assert session.scalar(select(func.count(Variant.id)).join(Product).where(Product.shop_id == shop_id)) == sum(
            len(p["_variants"]) for p in store.products)
    for p in store.products:
        row = rows[p["legacyResourceId"]]
        prices = [Decimal(v["price"]) for v in p["_variants"]]
        assert (row.title, row.handle) == (p["title"], p["handle"])
        assert (row.price_min, row.price_max) == (min(prices), max(prices))
        assert row.published == (p["status"] == "ACTIVE")
        assert [v.sku for v in row.variants] == [v["sku"] for v in p["_variants"]]
        assert [v.external_id for v in row.variants] == [v["legacyResourceId"] for v in p["_variants"]]
        assert row.image_url == (p["_images"][0] if p["_images"] else None)
        available = any(not v["inventoryItem"]["tracked"] or v["inventoryPolicy"] == "CONTINUE"
                        or (v["inventoryQuantity"] or 0) > 0 for v in p["_variants"])
        assert row.available == available


def test_600_products_sync_through_core(db: Database, shopify_shop: Any, shop_admin: FakeAdmin, big_store: Store) -> None:
    run = run_sync(db, create_run(db, shopify_shop.id).id)

    assert (run.status, run.products_seen, run.documents_seen) == ("finished", N, 6)
    assert run.resume_state is None
    cross_check(db, shopify_shop.id, big_store)
    pages = shop_admin.products_requests()
    assert len(pages) == -(-N // queries.PRODUCTS_PAGE)
    assert all(e["variables"]["first"] == queries.PRODUCTS_PAGE for e in pages)
    big = sum(len(p["_variants"]) > queries.NESTED_VARIANTS for p in big_store.products)
    assert big > 0
    assert sum(e["query"] == queries.PRODUCT_VARIANTS for e in shop_admin.log if not e["throttled"]) == big
    with db.session() as session:
        docs = session.scalars(select(Document.external_id).where(Document.shop_id == shopify_shop.id)).all()
    assert "policy-refund-policy" in docs and "page-1" in docs


def test_incremental_sync_reads_only_what_changed(
    db: Database, shopify_shop: Any, shop_admin: FakeAdmin, big_store: Store
) -> None:
    run_sync(db, create_run(db, shopify_shop.id).id)
    later = iso(datetime.now(timezone.utc) + timedelta(minutes=5))
    for p in big_store.products[10:13]:
        p["title"] += " (new)"
        p["updatedAt"] = later
    before = len(shop_admin.log)

    run = run_sync(db, create_run(db, shopify_shop.id, full=False).id)

    assert (run.status, run.products_seen, run.products_removed) == ("finished", 3, 0)
    sent = [e["variables"] for e in shop_admin.log[before:] if e["query"] == queries.PRODUCTS and not e["throttled"]]
    assert len(sent) == 1 and sent[0]["query"].startswith("updated_at:>='")
    cross_check(db, shopify_shop.id, big_store)


def test_a_crashed_sync_resumes_from_its_checkpoint(
    db: Database, shopify_shop: Any, shop_admin: FakeAdmin, big_store: Store
) -> None:
    crash_page = 20
    shop_admin.crash_on_products_request = crash_page
    run = create_run(db, shopify_shop.id)
    with pytest.raises(Crash):
        run_sync(db, run.id)

    with db.session() as session:
        failed = session.get(SyncRun, run.id)
        assert failed.status == "failed" and failed.resume_state["stage"] == "products"
        stored_before = failed.products_seen
    assert stored_before == 200  # one committed batch; the rest of what was read is lost with the worker
    assert len(stored(db, shopify_shop.id)) == 200
    assert resumable_run(db, shopify_shop.id).id == run.id
    pages_before = len(shop_admin.products_requests())

    finished = run_sync(db, run.id)

    assert (finished.status, finished.products_seen, finished.products_removed) == ("finished", N, 0)
    assert finished.resume_state is None
    cross_check(db, shopify_shop.id, big_store)
    # It went on from the page holding product 201, not from the start.
    resumed_pages = len(shop_admin.products_requests()) - pages_before
    total_pages = -(-N // queries.PRODUCTS_PAGE)
    assert resumed_pages == total_pages - 200 // queries.PRODUCTS_PAGE
    assert resumable_run(db, shopify_shop.id) is None


def test_sync_saves_a_checkpoint_with_each_batch(
    db: Database, shopify_shop: Any, shop_admin: FakeAdmin
) -> None:
    shop_admin.crash_on_products_request = 30
    run = create_run(db, shopify_shop.id)
    with pytest.raises(Crash):
        run_sync(db, run.id)
    with db.session() as session:
        state = session.get(SyncRun, run.id).resume_state
    # 29 pages read = 522 products; batches of 200 stored = 400: product 401 is
    # the 5th of page 22 (0-based), so resume there skipping 4.
    assert state["skip"] == 400 - (400 // queries.PRODUCTS_PAGE) * queries.PRODUCTS_PAGE
    assert state["after"] is not None


# -- checkpoints, without a database ---------------------------------------------


def test_resume_point_skips_exactly_what_was_handed_out(rsps: responses.RequestsMock, clock: FakeClock) -> None:
    FakeAdmin(rsps, Store(products=generated_products(50)), clock=clock)
    first = ShopifyConnector(connector_config(), sleep=clock.sleep, clock=clock)
    read = first.iter_products()
    handed = [next(read) for _ in range(23)]  # into the second page of 18
    state = first.resume_point()
    assert state["stage"] == "products" and state["skip"] == 23 - queries.PRODUCTS_PAGE

    second = ShopifyConnector(connector_config(), sleep=clock.sleep, clock=clock)
    second.resume_from(state)
    rest = list(second.iter_products())
    assert [p.external_id for p in handed + rest] == [str(10_000 + i) for i in range(50)]
    assert second.resume_point()["stage"] == "pages"


def test_resume_after_the_products_goes_straight_to_the_documents(admin: FakeAdmin, connector: ShopifyConnector) -> None:
    connector.resume_from({"stage": "pages", "after": None, "skip": 1})
    assert list(connector.iter_products()) == []
    docs = [d.external_id for d in connector.iter_documents()]
    assert docs[0] == "page-2" and "policy-refund-policy" in docs
    assert connector.resume_point()["stage"] == "done"
    # The next read starts afresh.
    assert len(list(connector.iter_products())) == 5


def test_bad_resume_state_is_refused(connector: ShopifyConnector) -> None:
    from core.connector import ConnectorError
    with pytest.raises(ConnectorError, match="cannot resume"):
        connector.resume_from({"stage": "somewhere"})


def test_fetch_product_by_numeric_id_or_gid(admin: FakeAdmin, connector: ShopifyConnector) -> None:
    assert connector.fetch_product("632910392").handle == "ipod-nano"
    assert connector.fetch_product("gid://shopify/Product/632910392").external_id == "632910392"
    assert connector.fetch_product("123") is None
