"""The CSV connector: a store described by files instead of a platform API.

It serves merchants who keep their catalog in a Shopify-format product CSV
(exported from Shopify or written by hand) and powers the demo store, whose
files ship inside this package.

Config keys:

``csv_path``
    The Shopify product CSV (required unless ``demo`` or ``empty`` is true).
``empty``
    ``True`` for a shop with no catalog file yet (``storechat shop create NAME``
    without ``--csv``): no products, until a connector (WordPress, WooCommerce)
    takes the shop over.
``storefront_url``
    Absolute http(s) base URL of the storefront; product URLs become
    ``<storefront_url>/products/<handle>``, page URLs ``<storefront_url>/pages/<stem>``.
``pages_dir``
    A folder of Markdown pages (see :mod:`connectors.csv.pages`).
``orders_path``
    A JSON file ``{"orders": [...]}`` in Shopify's Admin REST order shape,
    read afresh on every lookup.
``demo``
    ``True`` to use the packaged demo store (apparel catalog, shipping/returns/
    contact pages, four orders). Explicit path keys still override its files.
``demo_images_url``
    Absolute http(s) base URL that serves an image per product handle:
    every image of a product becomes ``<demo_images_url>/<handle>.svg``
    instead of the CSV's (the sample CSV's images are on a remote CDN).
    ``storechat demo`` points it at its storefront's generated images, so
    the demo store works offline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from core.connector import (
    Connector,
    ConnectorError,
    DocumentRecord,
    OrderRecord,
    ProductRecord,
)

from .orders import find_order_in_file
from .pages import read_pages
from .product_csv import read_product_csv

#: The demo store's files, inside the installed package.
DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_CONFIG: Mapping[str, Path] = {
    "csv_path": DEMO_DIR / "apparel.csv",
    "pages_dir": DEMO_DIR / "pages",
    "orders_path": DEMO_DIR / "orders.json",
}


class CsvConnector(Connector):
    """Products from a Shopify product CSV, pages from Markdown, orders from JSON."""

    name: ClassVar[str] = "csv"

    def __init__(self, config: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        demo = self.config.get("demo", False)
        if not isinstance(demo, bool):
            raise _config_error(f"'demo' must be true or false, not {demo!r}")
        paths: dict[str, Any] = dict(DEMO_CONFIG) if demo else {}
        paths.update({key: self.config[key] for key in DEMO_CONFIG if self.config.get(key)})
        empty = self.config.get("empty", False)
        if not isinstance(empty, bool):
            raise _config_error(f"'empty' must be true or false, not {empty!r}")
        if not paths.get("csv_path") and not empty:
            raise _config_error("the CSV connector needs 'csv_path' (or 'demo': true, or 'empty': true)")
        #: None for an empty shop (``{"empty": true}``: its catalog comes later, from another connector).
        self.csv_path = Path(paths["csv_path"]) if paths.get("csv_path") else None
        self.pages_dir = Path(paths["pages_dir"]) if paths.get("pages_dir") else None
        self.orders_path = Path(paths["orders_path"]) if paths.get("orders_path") else None
        self.storefront_url = _storefront_url(self.config.get("storefront_url"))
        self.demo_images_url = _storefront_url(self.config.get("demo_images_url"), "demo_images_url")

    def iter_products(self, since: datetime | None = None) -> Iterator[ProductRecord]:
        """Every product of the CSV; ``since`` is ignored.

        The file has no per-product timestamps (and its modification time
        only says that *something* changed), so an incremental read could
        silently miss edits. Yielding everything lets the sync pipeline compare
        and upsert, and notice products removed from the file. The file is
        parsed and validated completely before this returns, so a malformed
        line raises here and nothing is half-imported.
        """
        if self.csv_path is None:
            return iter(())
        products = read_product_csv(self.csv_path, storefront_url=self.storefront_url)
        if self.demo_images_url is not None:
            products = [_local_images(p, self.demo_images_url) for p in products]
        return iter(products)

    def iter_documents(self, since: datetime | None = None) -> Iterator[DocumentRecord]:
        """Every Markdown page; ``since`` is ignored for the same reason as for products."""
        if self.pages_dir is None:
            return iter(())
        return iter(read_pages(self.pages_dir, storefront_url=self.storefront_url))

    def find_order(
        self,
        reference: str,
        *,
        email: str | None = None,
        customer_id: str | None = None,
    ) -> OrderRecord | None:
        if self.orders_path is None:
            return None
        return find_order_in_file(self.orders_path, reference, email=email, customer_id=customer_id)


def _local_images(product: ProductRecord, base: str) -> ProductRecord:
    """``product`` with each of its images replaced by ``<base>/<handle>.svg``."""
    if not product.image_url and not product.images:
        return product
    url = f"{base}/{quote(product.handle, safe='')}.svg"
    variants = tuple(replace(v, image_url=url) if v.image_url else v for v in product.variants)
    return replace(product, image_url=url, images=(url,), variants=variants)


def _storefront_url(value: Any, key: str = "storefront_url") -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    scheme, sep, rest = text.partition("://")
    if scheme.lower() not in ("http", "https") or not sep or not rest.split("/", 1)[0]:
        raise _config_error(f"'{key}' must be an absolute http(s) URL, not {value!r}")
    return text.rstrip("/")


def _config_error(message: str) -> ConnectorError:
    return ConnectorError(message, code="config_invalid")
