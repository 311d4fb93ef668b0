"""A seeded generator of large apparel catalogs in Shopify's product CSV format.

Same seed, same file: benchmarks are reproducible. Titles, options and prices
follow the shape of the shared demo catalogs, so search and the assistant see
realistic text.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

HEADER = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
    "Variant SKU", "Variant Inventory Tracker", "Variant Inventory Qty", "Variant Inventory Policy",
    "Variant Price", "Variant Compare At Price", "Image Src",
]
COLOURS = ["Black", "White", "Navy", "Red", "Olive", "Grey", "Blue", "Green", "Yellow", "Pink", "Brown", "Beige"]
SIZES = ["XS", "S", "M", "L", "XL"]
MATERIALS = ["Cotton", "Linen", "Wool", "Silk", "Denim", "Leather", "Cashmere", "Fleece", "Corduroy", "Suede"]
STYLES = ["Classic", "Slim", "Relaxed", "Vintage", "Cropped", "Oversized", "Everyday", "Summer", "Winter", "Sport"]
KINDS = {
    "Shirts": ["Shirt", "Oxford Shirt", "Flannel Shirt"], "Jackets": ["Jacket", "Bomber Jacket", "Parka"],
    "Knitwear": ["Jumper", "Cardigan", "Hoodie"], "Trousers": ["Chinos", "Jeans", "Trousers"],
    "Dresses": ["Dress", "Midi Dress", "Shirt Dress"], "Tops": ["Tee", "Tank Top", "Blouse"],
    "Shoes": ["Sneakers", "Boots", "Loafers"], "Bags": ["Tote Bag", "Backpack", "Crossbody Bag"],
}
TAGS = ["men", "women", "unisex", "new", "sale", "bestseller", "organic"]
#: Makers, one per product by its position (no draw from the seeded generator, so the rest of the
#: catalog is the same as before makers varied): "who makes X", "anything from Northwind".
VENDORS = ["Bench Co", "Northwind", "Fjord & Pine", "Atelier Rosa", "Kestrel Outdoor", "Lumen Knits",
           "Harbour Supply", "Okapi Studio"]


def write_catalog(path: Path, products: int, *, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for n in range(products):
            category = rng.choice(list(KINDS))
            title = f"{rng.choice(STYLES)} {rng.choice(MATERIALS)} {rng.choice(KINDS[category])}"
            handle = f"{title.lower().replace(' ', '-')}-{n}"
            price = rng.choice([19, 24, 29, 35, 39, 45, 49, 59, 65, 79, 89, 99, 120, 149, 199])
            compare = price + rng.choice([0, 0, 0, 10, 20]) if rng.random() < 0.3 else ""
            body = (f"<p>A {title.lower()} in soft {rng.choice(MATERIALS).lower()}. "
                    f"{rng.choice(['Made to last.', 'Cut for comfort.', 'Easy to layer.'])}</p>")
            tags = ", ".join(rng.sample(TAGS, 2))
            colours = rng.sample(COLOURS, rng.randint(1, 3))
            sizes = rng.sample(SIZES, rng.randint(1, 3)) if category not in ("Bags",) else []
            combos = [(c, s) for c in colours for s in (sizes or [""])]
            for i, (colour, size) in enumerate(combos):
                first = i == 0
                out.writerow([
                    handle, title if first else "", body if first else "", VENDORS[n % len(VENDORS)] if first else "",
                    category if first else "", tags if first else "", "true" if first else "",
                    "Color" if first else "", colour, ("Size" if first and size else ""), size,
                    f"SKU-{n}-{i}", "shopify", rng.choice([0, 0, 1, 3, 8, 20]), "deny",
                    price, compare, f"https://cdn.example/{handle}.jpg" if first else "",
                ])
    return path
