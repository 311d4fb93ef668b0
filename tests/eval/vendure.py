"""Vendure's sample store (``tests/data/vendure/``) as a file-based StoreChat store.

Vendure's product import CSV (``products.csv``) is turned into Shopify's product CSV, the format the
``csv`` connector reads, and its initial data (``initial-data.json``: shipping methods, countries by
zone) into a Markdown shipping page for the connector's pages folder. The catalog then comes in
through the connector itself, like a merchant's file would.

The Vendure format (its ``ImportParser``): a row with a ``name`` starts a product, the rows under it
add variants; ``facets`` is ``facet:value|facet:value`` (``category``, ``brand``, ``color``,
``plant type``); ``optionGroups`` is ``name|name`` where a name may carry a code after a colon
(``size:shoe-size``); ``optionValues`` matches it; an empty ``trackInventory`` inherits the global
setting, which Vendure defaults to tracking stock.
"""
from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "vendure"
PRODUCTS = DATA / "products.csv"
INITIAL_DATA = DATA / "initial-data.json"

SHOPIFY_COLUMNS = ("Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Option1 Name",
                   "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value", "Variant SKU",
                   "Variant Inventory Tracker", "Variant Inventory Qty", "Variant Inventory Policy", "Variant Price")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = [cell.strip() for cell in next(reader)]
        for raw in reader:
            yield {key: cell.strip() for key, cell in zip(header, raw)}


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split("|")] if cell else []


def shopify_csv(path: Path = PRODUCTS) -> str:
    """The Vendure product CSV at ``path`` as a Shopify product CSV document."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SHOPIFY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    handle, option_names = "", []
    for row in _rows(path):
        record = dict.fromkeys(SHOPIFY_COLUMNS, "")
        if row["name"]:
            handle = row["slug"]
            facets = [tuple(part.split(":", 1)) for part in _split(row["facets"])]
            categories = [value for facet, value in facets if facet == "category"]
            brands = [value for facet, value in facets if facet == "brand"]
            option_names = [group.split(":", 1)[0].strip() for group in _split(row["optionGroups"])]
            record.update({
                "Title": row["name"], "Body (HTML)": f"<p>{html.escape(row['description'], quote=False)}</p>",
                "Vendor": brands[0] if brands else "", "Type": categories[-1] if categories else "",
                "Tags": ", ".join(value for facet, value in facets if facet != "brand"), "Published": "true",
            })
        values = _split(row["optionValues"])
        if len(values) != len(option_names):
            raise ValueError(f"{handle}: {len(values)} option values for {len(option_names)} option groups")
        for number, (name, value) in enumerate(zip(option_names, values), start=1):
            record[f"Option{number} Name"] = name[:1].upper() + name[1:] if row["name"] else ""
            record[f"Option{number} Value"] = value
        if not option_names:
            record.update({"Option1 Name": "Title", "Option1 Value": "Default Title"})
        tracked = row["trackInventory"].lower() not in ("false", "0")
        record.update({
            "Handle": handle, "Variant SKU": row["sku"], "Variant Price": row["price"],
            "Variant Inventory Tracker": "shopify" if tracked else "",
            "Variant Inventory Qty": row["stockOnHand"] if tracked else "", "Variant Inventory Policy": "deny",
        })
        writer.writerow(record)
    return out.getvalue()


def shipping_page(path: Path = INITIAL_DATA) -> str:
    """A Markdown shipping page from Vendure's initial data: its shipping methods and zones."""
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = ["# Shipping", "", "| Method | Cost |", "| --- | --- |"]
    for method in data["shippingMethods"]:
        lines.append(f"| {method['name']} | ${Decimal(method['price']) / 100:.2f} |")
    zones: dict[str, list[str]] = {}
    for country in data["countries"]:
        zones.setdefault(country["zone"], []).append(country["name"])
    lines += ["", f"We ship to {len(data['countries'])} countries in {len(zones)} zones:"]
    for zone, names in sorted(zones.items()):
        lines += ["", f"**{zone}:** {', '.join(names)}."]
    return "\n".join(lines) + "\n"


def write_store(folder: Path) -> tuple[Path, Path]:
    """The converted product CSV and a pages folder with the shipping page, written under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    products = folder / "products.csv"
    products.write_text(shopify_csv(), encoding="utf-8")
    pages = folder / "pages"
    pages.mkdir(exist_ok=True)
    (pages / "shipping.md").write_text(shipping_page(), encoding="utf-8")
    return products, pages
