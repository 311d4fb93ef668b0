"""CSV connector: a store made of files (a Shopify product CSV, Markdown pages,
a JSON file of orders). It imports merchants' catalogs and runs the demo store.

Configure with ``{"csv_path": ..., "storefront_url": ..., "pages_dir": ...,
"orders_path": ...}`` or ``{"demo": True, "storefront_url": ...}``.
"""

from __future__ import annotations

from .connector import DEMO_CONFIG as DEMO_CONFIG
from .connector import DEMO_DIR as DEMO_DIR
from .connector import CsvConnector as CsvConnector
from .pages import read_pages as read_pages
from .product_csv import parse_product_csv as parse_product_csv
from .product_csv import read_product_csv as read_product_csv

__all__ = [
    "DEMO_CONFIG",
    "DEMO_DIR",
    "CsvConnector",
    "parse_product_csv",
    "read_pages",
    "read_product_csv",
]
