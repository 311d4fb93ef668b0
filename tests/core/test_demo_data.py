"""The demo store reads like one shop: its orders name what its catalog sells,
ship with the carriers its shipping page names, and its imported catalog's
images are served by this server (the demo works offline)."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from connectors.csv import DEMO_DIR, CsvConnector, read_product_csv
from core.catalog.sync import create_run, run_sync
from core.connector import ConnectorError
from core.db import Database, Product, Variant
from core.shops import ensure_demo_shop

ORDERS = json.loads((DEMO_DIR / "orders.json").read_text(encoding="utf-8"))["orders"]
CATALOG = {p.title: p for p in read_product_csv(DEMO_DIR / "apparel.csv")}
SHIPPING_PAGE = (DEMO_DIR / "pages" / "shipping.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("order", ORDERS, ids=[o["name"] for o in ORDERS])
def test_each_order_names_products_the_demo_store_sells(order: dict) -> None:  # type: ignore[type-arg]
    for item in order["line_items"]:
        assert item["title"] in CATALOG, f"{order['name']}: {item['title']!r} is not in apparel.csv"
        variants = {v.title: v for v in CATALOG[item["title"]].variants}
        variant = variants[item["variant_title"] or "Default Title"]
        assert Decimal(item["price"]) == variant.price, (order["name"], item["title"])


@pytest.mark.parametrize("order", ORDERS, ids=[o["name"] for o in ORDERS])
def test_each_order_adds_up(order: dict) -> None:  # type: ignore[type-arg]
    items = sum(Decimal(li["price"]) * li["quantity"] for li in order["line_items"])
    shipping = sum(Decimal(s["price"]) for s in order["shipping_lines"])
    assert items == Decimal(order["subtotal_price"])
    assert items - Decimal(order["total_discounts"]) + shipping + Decimal(order["total_tax"]) \
        == Decimal(order["total_price"])


@pytest.mark.parametrize("order", [o for o in ORDERS if o.get("fulfillments")],
                         ids=[o["name"] for o in ORDERS if o.get("fulfillments")])
def test_shipments_name_a_carrier_of_the_shipping_page_and_a_tracking_link(order: dict) -> None:  # type: ignore[type-arg]
    for shipment in order["fulfillments"]:
        carrier = shipment["tracking_company"]
        assert carrier and re.search(rf"\b{re.escape(carrier)}\b", SHIPPING_PAGE), carrier
        (number,) = shipment["tracking_numbers"]
        (link,) = shipment["tracking_urls"]
        assert urlsplit(link).scheme == "https" and number in link


def test_the_demo_shop_imports_images_this_server_serves(db: Database) -> None:
    storefront = "http://127.0.0.1:8123/demo"
    shop = ensure_demo_shop(db, storefront)
    run = run_sync(db, create_run(db, shop.id).id)
    assert run.status == "finished", run.error
    with db.session() as session:
        products = list(session.scalars(select(Product).where(Product.shop_id == shop.id)))
        assert len(products) == len(CATALOG)
        for product in products:
            assert product.image_url == f"{storefront}/images/{product.handle}.svg"
        images = session.scalars(select(Variant.image_url).join(Product).where(Product.shop_id == shop.id))
        assert all(url is None or url.startswith(f"{storefront}/images/") for url in images)


def test_demo_images_url_must_be_an_http_url() -> None:
    with pytest.raises(ConnectorError, match="'demo_images_url' must be an absolute http"):
        CsvConnector({"demo": True, "demo_images_url": "ftp://files.example/x"})
