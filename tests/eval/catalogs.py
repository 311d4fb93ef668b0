"""The catalogs of the public eval sets, loaded into a StoreChat database.

    PYTHONPATH=. .venv/bin/python -m tests.eval.catalogs   # with the STORECHAT_* settings of the server

- ``demo``: the demo apparel store (``storechat eval`` creates and syncs it itself);
- ``eval-woocommerce``: WooCommerce's own sample products (``tests/data/woocommerce/``) as REST
  payloads, read through the real WooCommerce mapping (variable products with attributes);
- ``eval-vendure``: Vendure's sample store (``tests/data/vendure/``: electronics, cameras, sports gear, shoes,
  plants, furniture; brands, option groups, tracked stock), converted to Shopify's product CSV and read by the
  ``csv`` connector itself, with a shipping page made from its shipping methods and zones
  (``tests/eval/vendure.py``);
- ``eval-generated``: 10,000 products made by :func:`generated_records`, seeded, so every run has the
  same catalog: furniture, kitchen and apparel from a dozen makers, tracked stock, descriptions that state
  materials, dimensions, capacity, seats, care and contents.

The WooCommerce and generated shops get the demo store's pages (shipping, returns, contact), so store
questions have answers; the Vendure shop has only the shipping page its own data gives.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from connectors.csv.connector import DEMO_CONFIG, CsvConnector
from connectors.csv.pages import read_pages
from connectors.woocommerce.mapping import product_record
from core.catalog import search
from core.catalog.sync import upsert_documents, upsert_products
from core.connector import ProductOption, ProductRecord, VariantRecord
from core.db import Database, Shop
from core.settings import load_settings
from core.shops import create_shop
from tests.eval import vendure

DATA = Path(__file__).resolve().parents[1] / "data"
WOO = DATA / "woocommerce" / "sample-products.json"
SETS = {"demo": "demo", "woocommerce": "eval-woocommerce", "generated": "eval-generated", "vendure": "eval-vendure"}
GENERATED_PRODUCTS = 10_000

NAMES = """Arlo Brio Cora Dune Elm Fjord Grove Haven Iris Juno Kestrel Lark Moss Nova Orla Pike Quill Reed Sage Tide
Umber Vale Wren Yarrow Zephyr Alder Birch Cedar Dale Ember Fern Glen Heath Isle Jasper Knoll Linden Maple Nook Oak
Pebble Quarry Ridge Spruce Thistle Upland Vista Willow Aspen Bay Cliff Delta Echo Flint Garnet Harbor Ivory Jade Koa
Lagoon""".split()
MATERIALS = {"Oak": "solid oak", "Walnut": "walnut veneer", "Rattan": "hand-woven rattan", "Steel": "powder-coated steel",
             "Linen": "washed linen", "Velvet": "cotton velvet", "Ceramic": "glazed stoneware ceramic",
             "Bamboo": "sustainable bamboo", "Wool": "merino wool", "Cotton": "organic cotton"}
#: kind -> (type, seats, capacity, unit price range, options)
KINDS = {
    "Sofa": ("Sofas", 3, None, (499, 1899)), "Armchair": ("Chairs", 1, None, (199, 799)),
    "Dining Table": ("Tables", 6, None, (299, 1499)), "Bench": ("Benches", 2, None, (129, 499)),
    "Bookshelf": ("Storage", None, None, (99, 599)), "Side Table": ("Tables", None, None, (59, 299)),
    "Bed Frame": ("Beds", None, None, (399, 1599)), "Desk": ("Desks", None, None, (149, 899)),
    "Teapot": ("Kitchen", None, "1.2 litres", (19, 89)), "Mug": ("Kitchen", None, "350 ml", (9, 29)),
    "Serving Bowl": ("Kitchen", None, "2 litres", (19, 79)), "Water Carafe": ("Kitchen", None, "1 litre", (15, 59)),
    "Throw Blanket": ("Textiles", None, None, (39, 189)), "Cushion Cover": ("Textiles", None, None, (15, 59)),
    "Sweater": ("Knitwear", None, None, (49, 249)), "Scarf": ("Accessories", None, None, (19, 99)),
    "Beanie": ("Accessories", None, None, (15, 49)), "Tote Bag": ("Bags", None, "20 litres", (25, 129)),
}
VENDORS = ["Northwind Living", "Fjordhaus", "Casa Verde", "Atelier Nomad", "Kiln & Co", "Wildweave", "Oakline",
           "Hearth Studio", "Bellwether", "Tallow & Twine", "Morrow Goods", "Sunday Supply"]
COLOURS = ["Black", "White", "Natural", "Grey", "Blue", "Green", "Rust", "Sand"]
SIZES = ["Small", "Medium", "Large"]
CARE = {"Oak": "Wipe clean with a damp cloth; oil once a year.", "Walnut": "Wipe clean with a soft dry cloth.",
        "Rattan": "Dust regularly and keep out of direct sun.", "Steel": "Wipe with a damp cloth; do not use abrasives.",
        "Linen": "Machine wash cold and line dry.", "Velvet": "Spot clean only; professional clean when needed.",
        "Ceramic": "Dishwasher and microwave safe.", "Bamboo": "Hand wash and dry straight away.",
        "Wool": "Hand wash cold and dry flat.", "Cotton": "Machine wash at 30 degrees."}


def generated_records(count: int = GENERATED_PRODUCTS, *, seed: int = 15) -> Iterator[ProductRecord]:
    """``count`` products, the same for the same seed; titles are unique ("Arlo Oak Sofa")."""
    rng = random.Random(seed)
    combos = [(n, m, k) for n in NAMES for m in MATERIALS for k in KINDS]
    rng.shuffle(combos)
    for number, (name, material, kind) in enumerate(combos[:count]):
        ptype, seats, capacity, (low, high) = KINDS[kind]
        title = f"{name} {material} {kind}"
        handle = title.lower().replace(" ", "-")
        vendor = VENDORS[rng.randrange(len(VENDORS))]
        price = Decimal(rng.randrange(low, high + 1)) + Decimal("0.99") - 1
        sentences = [f"The {title} is made of {MATERIALS[material]}."]
        if ptype in ("Sofas", "Chairs", "Tables", "Benches", "Storage", "Beds", "Desks"):
            w, d, h = rng.randrange(40, 240), rng.randrange(35, 110), rng.randrange(40, 200)
            sentences.append(f"Dimensions: {w} cm wide, {d} cm deep and {h} cm high.")
        if seats:
            sentences.append(f"It seats {seats} people comfortably.")
        if capacity:
            sentences.append(f"It holds {capacity}.")
        sentences.append(f"Care: {CARE[material]}")
        if ptype in ("Beds", "Desks", "Storage"):
            sentences.append("Comes flat-packed with all fixings and an assembly guide included.")
        colours = rng.sample(COLOURS, rng.randint(1, 3))
        sizes = rng.sample(SIZES, 2) if ptype in ("Knitwear", "Textiles") else []
        combos_v = [(c, s) for c in colours for s in (sizes or [None])]
        variants = []
        for i, (colour, size) in enumerate(combos_v):
            tracked = rng.random() < 0.7
            qty = rng.choice([0, 2, 3, 4, 9, 14, 25]) if tracked else None
            bump = Decimal(10 * i) if size == "Large" else Decimal(0)
            values = (colour, size) if size else (colour,)
            variants.append(VariantRecord(
                external_id=f"g{number}-{i}", title=" / ".join(values), price=price + bump,
                option_values=values, sku=f"G-{number}-{i}", inventory_tracked=tracked, inventory_quantity=qty,
                inventory_policy="deny"))
        options = (ProductOption("Color", tuple(colours)),) + ((ProductOption("Size", tuple(sizes)),) if sizes else ())
        yield ProductRecord(
            external_id=f"g{number}", handle=handle, title=title, variants=tuple(variants),
            body_html="<p>" + " ".join(sentences) + "</p>", vendor=vendor, product_type=ptype,
            tags=(ptype.lower(), material.lower()), options=options, url=f"https://generated.example/products/{handle}")


def woocommerce_records() -> list[ProductRecord]:
    data = json.loads(WOO.read_text(encoding="utf-8"))
    return [product_record(p, data["variations"].get(str(p["id"]), ())) for p in data["products"]]


def _store(db: Database, shop_id: int, records: Iterator[ProductRecord] | list[ProductRecord], storefront: str,
           pages_dir: Path = DEMO_CONFIG["pages_dir"]) -> None:
    batch: list[ProductRecord] = []
    for record in [*records, None]:
        if record is not None:
            batch.append(record)
        if batch and (record is None or len(batch) == 500):
            with db.session() as session:
                search.index_products(session, upsert_products(session, shop_id, batch))
            batch = []
    with db.session() as session:
        pages = read_pages(pages_dir, storefront_url=storefront)
        search.index_documents(session, upsert_documents(session, shop_id, pages))


def load(db: Database, name: str) -> Shop:
    """The shop of eval set ``name`` (``woocommerce``, ``vendure`` or ``generated``), created and filled once."""
    from sqlalchemy import select

    shop_name = SETS[name]
    with db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.name == shop_name))
        if shop is not None:
            return shop
    if name == "woocommerce":
        shop = create_shop(db, shop_name, "woocommerce", {"store_url": "https://woo.example", "consumer_key": "ck_eval",
                                                          "consumer_secret": "cs_eval"})
        _store(db, shop.id, woocommerce_records(), "https://woo.example")
    elif name == "vendure":
        products, pages = vendure.write_store(db.settings.instance_path / "eval-vendure")
        config = {"csv_path": str(products), "pages_dir": str(pages), "storefront_url": "https://vendure.example"}
        shop = create_shop(db, shop_name, "csv", config)
        connector = CsvConnector(config)
        _store(db, shop.id, connector.iter_products(), "https://vendure.example", pages)
    else:
        shop = create_shop(db, shop_name, "csv", {"csv_path": str(DATA / "shopify" / "apparel.csv")})
        _store(db, shop.id, generated_records(), "https://generated.example")
    return shop


if __name__ == "__main__":
    database = Database(load_settings())
    for set_name in ("woocommerce", "vendure", "generated"):
        print(set_name, load(database, set_name).id)
