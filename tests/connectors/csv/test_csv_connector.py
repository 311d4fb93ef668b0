"""The CSV connector against the connector contract and the real sample CSVs.

Expectations below were written by reading the shared CSV files; the
cross-check test re-reads every row independently so that a parser change
cannot drift from what the files say.
"""
from __future__ import annotations

import csv
import importlib.metadata
import json
import shutil
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.csv import DEMO_DIR, CsvConnector, read_product_csv
from core.connector import ConnectorError, ProductOption, ProductRecord
from core.testing import ConnectorContract

REPO = Path(__file__).resolve().parents[3]
SHOPIFY_DATA = REPO / "tests" / "data" / "shopify"
SHARED_CSVS = ("apparel.csv", "jewelry.csv", "home-and-garden.csv")
STOREFRONT = "https://demo.storechat.test"


def demo_connector(**extra: object) -> CsvConnector:
    return CsvConnector({"demo": True, "storefront_url": STOREFRONT, **extra})


def by_handle(products: list[ProductRecord]) -> dict[str, ProductRecord]:
    return {product.handle: product for product in products}


@pytest.fixture(scope="module")
def apparel() -> dict[str, ProductRecord]:
    return by_handle(list(demo_connector().iter_products()))


# -- the contract -------------------------------------------------------------


class TestCsvDemoContract(ConnectorContract):
    known_order_reference = "#1001"
    known_order_email = "bob.norman@hostmail.com"
    known_order_customer_id = "207119551"

    @pytest.fixture
    def connector(self) -> CsvConnector:
        return demo_connector()


def test_entry_point_names_the_connector() -> None:
    (entry,) = [
        ep for ep in importlib.metadata.entry_points(group="storechat.connectors")
        if ep.name == "csv"
    ]
    assert entry.load() is CsvConnector
    assert CsvConnector.name == "csv"


# -- the demo catalog, exactly as apparel.csv says ------------------------------


def test_demo_catalog_is_the_shared_apparel_csv() -> None:
    assert (DEMO_DIR / "apparel.csv").read_bytes() == (SHOPIFY_DATA / "apparel.csv").read_bytes()


def test_apparel_products_in_file_order(apparel: dict[str, ProductRecord]) -> None:
    assert list(apparel) == [
        "ocean-blue-shirt", "classic-varsity-top", "yellow-wool-jumper", "floral-white-top",
        "striped-silk-blouse", "classic-leather-jacket", "dark-denim-top", "navy-sport-jacket",
        "dark-winter-jacket", "black-leather-bag", "zipped-jacket", "silk-summer-top",
        "longsleeve-cotton-top", "chequered-red-shirt", "white-cotton-shirt",
        "olive-green-jacket", "blue-silk-tuxedo", "red-sports-tee", "striped-skirt-and-top",
        "led-high-tops",
    ]


def test_classic_varsity_top_has_three_sizes_at_60(apparel: dict[str, ProductRecord]) -> None:
    top = apparel["classic-varsity-top"]
    assert top.title == "Classic Varsity Top"
    assert top.options == (ProductOption("Size", ("Small", "Medium", "Large")),)
    assert [v.title for v in top.variants] == ["Small", "Medium", "Large"]
    assert [v.option_values for v in top.variants] == [("Small",), ("Medium",), ("Large",)]
    assert [v.external_id for v in top.variants] == [
        "classic-varsity-top:Small", "classic-varsity-top:Medium", "classic-varsity-top:Large",
    ]
    assert {v.price for v in top.variants} == {Decimal("60")}
    assert all(v.compare_at_price is None and v.sku is None for v in top.variants)
    assert top.images == ("https://burst.shopifycdn.com/photos/casual-fashion-woman_925x.jpg",)
    assert top.tags == ("women",)
    assert top.url == f"{STOREFRONT}/products/classic-varsity-top"


def test_classic_leather_jacket_is_one_default_variant_at_80(
    apparel: dict[str, ProductRecord],
) -> None:
    jacket = apparel["classic-leather-jacket"]
    assert jacket.title == "Classic Leather Jacket"
    assert jacket.options == ()
    (variant,) = jacket.variants
    assert variant.title == "Default Title"
    assert variant.option_values == ()
    assert variant.external_id == "classic-leather-jacket:Default Title"
    assert variant.price == Decimal("80")
    assert jacket.vendor == "partners-demo"
    assert jacket.product_type is None
    assert jacket.published is True
    assert jacket.body_html.startswith("Womans zipped leather jacket. Adjustable belt")
    assert jacket.image_url == "https://burst.shopifycdn.com/photos/leather-jacket-and-tea_925x.jpg"


def test_untracked_inventory_is_always_available(apparel: dict[str, ProductRecord]) -> None:
    # Every apparel row leaves 'Variant Inventory Tracker' empty and stocks 1, policy deny.
    for product in apparel.values():
        for variant in product.variants:
            assert variant.inventory_tracked is False
            assert variant.inventory_quantity == 1
            assert variant.inventory_policy == "deny"
            assert variant.available is True


def test_title_and_handle_may_differ(apparel: dict[str, ProductRecord]) -> None:
    assert apparel["navy-sport-jacket"].title == "Navy Sports Jacket"
    assert apparel["dark-winter-jacket"].title == "Soft Winter Jacket"
    assert apparel["led-high-tops"].tags == ("men",)


def test_without_storefront_url_products_have_no_url() -> None:
    products = list(CsvConnector({"demo": True}).iter_products())
    assert products and all(product.url is None for product in products)


# -- the other shared catalogs ------------------------------------------------


def test_jewelry_variants_compare_at_prices_and_images() -> None:
    jewelry = by_handle(read_product_csv(SHOPIFY_DATA / "jewelry.csv"))
    assert len(jewelry) == 20
    anchor = jewelry["leather-anchor"]
    assert anchor.title == "Anchor Bracelet Mens"
    assert anchor.options == (ProductOption("Color", ("Gold", "Silver")),)
    assert [(v.title, v.price, v.compare_at_price, v.inventory_quantity) for v in anchor.variants] == [
        ("Gold", Decimal("69.99"), Decimal("85"), 1),
        ("Silver", Decimal("55"), Decimal("85"), 0),
    ]
    assert anchor.tags == ("Anchor", "Gold", "Leather", "Silver")
    assert anchor.product_type == "Bracelet" and anchor.vendor == "Company 123"
    assert anchor.images == (
        "https://burst.shopifycdn.com/photos/anchor-bracelet-mens_925x.jpg",
        "https://burst.shopifycdn.com/photos/anchor-bracelet-for-men_925x.jpg",
        "https://burst.shopifycdn.com/photos/leather-anchor-bracelet-for-men_925x.jpg",
    )
    assert anchor.variants[1].image_url == (
        "https://burst.shopifycdn.com/photos/anchor-bracelet-for-men_925x.jpg"
    )
    # Out of stock but untracked: still for sale.
    black = jewelry["chain-bracelet"].variants[1]
    assert (black.title, black.inventory_quantity, black.available) == ("Black", 0, True)
    gemstone = jewelry["gemstone"]
    assert gemstone.options == (ProductOption("Colour", ("Blue", "Purple")),)
    assert len(gemstone.images) == 4
    assert jewelry["gold-bird-necklace"].variants[0].compare_at_price is None
    assert jewelry["pretty-gold-necklace"].variants[0].compare_at_price == Decimal("63.99")


def test_jewelry_multi_line_description_is_kept() -> None:
    jewelry = by_handle(read_product_csv(SHOPIFY_DATA / "jewelry.csv"))
    body = jewelry["choker-with-gold-pendant"].body_html
    assert body.count("\n") >= 6
    assert jewelry["choker-with-gold-pendant"].variants[0].price == Decimal("29.99")


def test_home_and_garden_tracked_stock_and_variant_prices() -> None:
    home = by_handle(read_product_csv(SHOPIFY_DATA / "home-and-garden.csv"))
    assert len(home) == 20
    pots = home["biodegradable-cardboard-pots"].variants[0]
    assert (pots.inventory_tracked, pots.inventory_quantity, pots.available) == (True, 8, True)
    pot = home["clay-plant-pot"]
    assert pot.options == (ProductOption("Size", ("Regular", "Large")),)
    assert [(v.price, v.inventory_quantity) for v in pot.variants] == [
        (Decimal("9.99"), 1), (Decimal("15.99"), 3),
    ]
    assert home["copper-light"].variants[0].compare_at_price == Decimal("75")
    assert home["cream-sofa"].variants[0].price == Decimal("500")
    assert home["pink-armchair"].image_url == (
        "https://burst.shopifycdn.com/photos/soft-pink-cushioned-armchair-in-stately-salon_925x.jpg"
    )


@pytest.mark.parametrize("filename", SHARED_CSVS)
def test_every_row_of_the_shared_csvs_is_reflected(filename: str) -> None:
    """Re-read the file with the standard library and compare variant by variant."""
    expected: dict[str, list[dict[str, str]]] = defaultdict(list)
    titles: dict[str, str] = {}
    with (SHOPIFY_DATA / filename).open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if row["Title"]:
                titles[row["Handle"]] = row["Title"]
            if row["Variant Price"] or row["Option1 Value"]:
                expected[row["Handle"]].append(row)

    products = by_handle(read_product_csv(SHOPIFY_DATA / filename))
    assert list(products) == list(titles)
    for handle, rows in expected.items():
        product = products[handle]
        assert product.title == titles[handle]
        assert len(product.variants) == len(rows), handle
        for row, variant in zip(rows, product.variants):
            assert variant.price == Decimal(row["Variant Price"]), variant.external_id
            compare_at = row["Variant Compare At Price"]
            assert variant.compare_at_price == (Decimal(compare_at) if compare_at else None)
            assert variant.inventory_quantity == int(row["Variant Inventory Qty"])
            assert variant.inventory_tracked == bool(row["Variant Inventory Tracker"])
            assert variant.inventory_policy == row["Variant Inventory Policy"]
            if row["Option1 Value"] != "Default Title":
                assert variant.option_values[0] == row["Option1 Value"]


# -- pages -------------------------------------------------------------------


def test_demo_pages() -> None:
    documents = {d.external_id: d for d in demo_connector().iter_documents()}
    assert sorted(documents) == ["contact", "returns", "shipping"]
    assert documents["shipping"].kind == "policy"
    assert documents["returns"].kind == "policy"
    assert documents["contact"].kind == "page"
    assert documents["shipping"].title == "Shipping"
    assert documents["shipping"].url == f"{STOREFRONT}/pages/shipping"
    assert "$75" in documents["shipping"].body
    assert "30 days" in documents["returns"].body
    assert not documents["contact"].body.startswith("#")


def test_pages_without_heading_take_title_from_file_name(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "refund-policy.md").write_text("Refunds within 14 days.\n", encoding="utf-8")
    (pages / "about-us.md").write_text("# About us\n\nWe make shirts.\n", encoding="utf-8")
    (pages / "notes.txt").write_text("ignored", encoding="utf-8")
    connector = CsvConnector({"demo": True, "pages_dir": str(pages)})
    documents = list(connector.iter_documents())
    assert [(d.external_id, d.kind, d.title, d.body, d.url) for d in documents] == [
        ("about-us", "page", "About us", "We make shirts.", None),
        ("refund-policy", "policy", "Refund policy", "Refunds within 14 days.", None),
    ]


def test_no_pages_dir_means_no_documents(tmp_path: Path) -> None:
    csv_path = tmp_path / "apparel.csv"
    shutil.copy(SHOPIFY_DATA / "apparel.csv", csv_path)
    connector = CsvConnector({"csv_path": str(csv_path)})
    assert list(connector.iter_documents()) == []
    assert connector.find_order("#1001", email="bob.norman@hostmail.com") is None
    assert len(list(connector.iter_products())) == 20


# -- orders ------------------------------------------------------------------


def test_order_1001_maps_shopify_fields() -> None:
    order = demo_connector().find_order("#1001", email="bob.norman@hostmail.com")
    assert order is not None
    assert order.external_id == "450789469"
    assert order.name == "#1001"
    assert order.created_at == datetime(2025, 5, 1, 14, 22, 41, tzinfo=timezone.utc)
    assert (order.currency, order.total_price) == ("USD", Decimal("169.60"))
    assert (order.financial_status, order.fulfillment_status, order.cancelled) == (
        "paid", "fulfilled", False,
    )
    # The demo store's own order: its catalog's products at its prices.
    assert [(line.title, line.variant_title, line.quantity, line.price, line.sku) for line in order.lines] == [
        ("Navy Sports Jacket", None, 1, Decimal("60.00"), None),
        ("Chequered Red Shirt", None, 2, Decimal("50.00"), None),
    ]
    (fulfillment,) = order.fulfillments
    assert fulfillment.tracking_numbers == ("9400111899223197428490",)
    assert fulfillment.tracking_company == "USPS"
    assert fulfillment.tracking_urls == (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490",
    )
    assert order.customer_id == "207119551"


def test_demo_orders_1002_to_1004() -> None:
    connector = demo_connector()
    paid = connector.find_order("1002", email="ana.silva@example.com")
    assert paid is not None
    assert (paid.financial_status, paid.fulfillment_status, paid.cancelled) == ("paid", None, False)
    assert paid.fulfillments == ()
    assert [(line.title, line.variant_title) for line in paid.lines] == [
        ("Classic Varsity Top", "Medium"), ("Black Leather Bag", None),
    ]

    shipped = connector.find_order("order 1003", email="Kenji.Watanabe@example.org")
    assert shipped is not None
    assert shipped.fulfillment_status == "fulfilled"
    assert shipped.total_price == Decimal("208.00")
    (fulfillment,) = shipped.fulfillments
    assert fulfillment.tracking_company == "UPS"
    assert fulfillment.tracking_numbers == ("1Z999AA10123456784",)
    assert shipped.status_url and shipped.status_url.startswith("https://")

    cancelled = connector.find_order("#1004", email="lea.martin@example.net")
    assert cancelled is not None
    assert (cancelled.cancelled, cancelled.financial_status) == (True, "refunded")

    # Each order only for its own shopper.
    assert connector.find_order("#1002", email="bob.norman@hostmail.com") is None
    assert connector.find_order("#1003", email="ana.silva@example.com") is None
    assert connector.find_order("#1004", customer_id="207119551") is None


def test_demo_order_totals_add_up() -> None:
    data = json.loads((DEMO_DIR / "orders.json").read_text(encoding="utf-8"))
    assert [order["name"] for order in data["orders"]] == ["#1001", "#1002", "#1003", "#1004"]
    for order in data["orders"][1:]:
        items = sum(Decimal(li["price"]) * li["quantity"] for li in order["line_items"])
        shipping = sum(Decimal(s["price"]) for s in order["shipping_lines"])
        assert items == Decimal(order["subtotal_price"]), order["name"]
        assert items + shipping + Decimal(order["total_tax"]) == Decimal(order["total_price"])
    emails = [order["email"] for order in data["orders"]]
    assert len(set(emails)) == 4


def test_find_order_reads_the_file_on_every_lookup(tmp_path: Path) -> None:
    orders_path = tmp_path / "orders.json"
    shutil.copy(DEMO_DIR / "orders.json", orders_path)
    connector = demo_connector(orders_path=str(orders_path))
    before = connector.find_order("#1002", email="ana.silva@example.com")
    assert before is not None and before.fulfillment_status is None

    data = json.loads(orders_path.read_text(encoding="utf-8"))
    data["orders"][1]["fulfillment_status"] = "fulfilled"
    orders_path.write_text(json.dumps(data), encoding="utf-8")
    after = connector.find_order("#1002", email="ana.silva@example.com")
    assert after is not None and after.fulfillment_status == "fulfilled"

    orders_path.write_text('{"orders": []}', encoding="utf-8")
    assert connector.find_order("#1002", email="ana.silva@example.com") is None


# -- configuration -----------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"storefront_url": STOREFRONT},
        {"demo": "yes"},
        {"demo": True, "storefront_url": "demo.storechat.test"},
        {"demo": True, "storefront_url": "ftp://demo.storechat.test"},
        {"demo": True, "storefront_url": "https://"},
    ],
)
def test_invalid_config_is_refused(config: dict[str, object]) -> None:
    with pytest.raises(ConnectorError) as info:
        CsvConnector(config)
    assert info.value.code == "config_invalid"


def test_missing_csv_file_is_a_connector_error(tmp_path: Path) -> None:
    connector = CsvConnector({"csv_path": str(tmp_path / "nope.csv")})
    with pytest.raises(ConnectorError, match="nope.csv"):
        connector.iter_products()


def test_storefront_url_trailing_slash_is_ignored() -> None:
    connector = demo_connector(storefront_url="https://shop.example.com/")
    product = next(connector.iter_products())
    assert product.url == "https://shop.example.com/products/ocean-blue-shirt"
