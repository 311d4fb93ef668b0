"""WooCommerce REST objects (PLATFORMS.md B2) as StoreChat's product records.

A simple product is one variant with the product's own id; a variable
product has one variant per variation (``/products/<id>/variations``).
Prices are strings (``""`` when unset); the compare-at price is the regular
price while a sale price applies. Stock: ``manage_stock`` true means tracked
with ``stock_quantity``; ``backorders`` ``notify``/``yes`` means selling on
at zero (``continue``). Untracked stock still has a ``stock_status``: an
``outofstock`` item is stored as tracked with quantity 0 so it is not
offered, ``onbackorder`` as ``continue``. A variation whose ``manage_stock``
is ``"parent"`` takes the product's stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.connector import ProductOption, ProductRecord, RecordError, VariantRecord


def parse_gmt(value: Any) -> datetime | None:
    """``"2026-05-01T09:30:00"`` (a ``*_gmt`` field, no offset) as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def money(value: Any, where: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{where}: {value!r} is not an amount", location=where) from None
    if not amount.is_finite():
        raise RecordError(f"{where}: {value!r} is not an amount", location=where)
    return amount


def _prices(item: Mapping[str, Any], where: str) -> tuple[Decimal, Decimal | None]:
    price = money(item.get("price"), where)
    regular = money(item.get("regular_price"), where)
    sale = money(item.get("sale_price"), where)
    if price is None:
        price = sale if sale is not None and item.get("on_sale") else regular
    compare_at = regular if regular is not None and price is not None and regular > price else None
    return (price if price is not None else Decimal("0")), compare_at


def _stock(item: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> dict[str, Any]:
    source = parent if parent is not None and item.get("manage_stock") == "parent" else item
    backorders = source.get("backorders") or "no"
    policy = "continue" if backorders in ("notify", "yes") else "deny"
    if source.get("manage_stock") is True:
        qty = source.get("stock_quantity")
        return {
            "inventory_tracked": True,
            "inventory_quantity": int(qty) if qty is not None else 0,
            "inventory_policy": policy,
        }
    status = source.get("stock_status")
    if status == "outofstock":
        return {"inventory_tracked": True, "inventory_quantity": 0, "inventory_policy": "deny"}
    if status == "onbackorder":
        return {"inventory_tracked": True, "inventory_quantity": 0, "inventory_policy": "continue"}
    return {"inventory_tracked": False, "inventory_quantity": None, "inventory_policy": policy}


def _image(value: Any) -> str | None:
    src = value.get("src") if isinstance(value, Mapping) else None
    return src if isinstance(src, str) and src else None


def _names(items: Any) -> tuple[str, ...]:
    return tuple(i["name"] for i in items or () if isinstance(i, Mapping) and isinstance(i.get("name"), str))


def product_record(product: Mapping[str, Any], variations: Sequence[Mapping[str, Any]] = ()) -> ProductRecord:
    """A product (and, when variable, its variations) as a :class:`ProductRecord`."""
    pid = product.get("id")
    if not isinstance(pid, int):
        raise RecordError(f"a WooCommerce product without an id: {str(product)[:80]}", location="product")
    where = f"product {pid}"
    images = tuple(src for src in (_image(i) for i in product.get("images") or ()) if src)
    options = tuple(
        ProductOption(name=a["name"], values=tuple(str(o) for o in a.get("options") or ()))
        for a in product.get("attributes") or ()
        if isinstance(a, Mapping) and a.get("variation") and isinstance(a.get("name"), str)
    )
    if product.get("type") == "variable" and variations:
        variants = tuple(_variation(v, product, options, images) for v in variations)
    else:
        price, compare_at = _prices(product, where)
        variants = (
            VariantRecord(
                external_id=str(pid),
                title="Default",
                price=price,
                compare_at_price=compare_at,
                sku=product.get("sku") or None,
                image_url=images[0] if images else None,
                **_stock(product),
            ),
        )
    categories = _names(product.get("categories"))
    return ProductRecord(
        external_id=str(pid),
        handle=str(product.get("slug") or pid),
        title=str(product.get("name") or ""),
        variants=variants,
        body_html=str(product.get("description") or product.get("short_description") or ""),
        product_type=categories[0] if categories else None,
        tags=tuple(dict.fromkeys(_names(product.get("tags")) + categories)),
        options=options,
        image_url=images[0] if images else None,
        images=images,
        url=product.get("permalink") or None,
        published=product.get("status") == "publish" and product.get("catalog_visibility") != "hidden",
        updated_at=parse_gmt(product.get("date_modified_gmt")),
    )


def _variation(
    variation: Mapping[str, Any], product: Mapping[str, Any], options: Sequence[ProductOption], images: Sequence[str]
) -> VariantRecord:
    vid = variation.get("id")
    if not isinstance(vid, int):
        raise RecordError(f"product {product.get('id')}: a variation without an id", location="variation")
    chosen = {
        a.get("name"): str(a.get("option") or "") for a in variation.get("attributes") or () if isinstance(a, Mapping)
    }
    values = tuple(chosen.get(o.name, "") for o in options) if options else tuple(chosen.values())
    price, compare_at = _prices(variation, f"variation {vid}")
    return VariantRecord(
        external_id=str(vid),
        title=" / ".join(v for v in values if v) or "Default",
        price=price,
        option_values=values,
        compare_at_price=compare_at,
        sku=variation.get("sku") or None,
        image_url=_image(variation.get("image")) or (images[0] if images else None),
        **_stock(variation, product),
    )
