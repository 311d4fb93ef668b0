"""What shoppers may see of a shop's catalog: its published products and their variants.

Every read of products that can reach a shopper (the assistant's tools, the
built-in engine, the demo storefront and cart) starts from a query built
here, so the published filter is part of the read path rather than a
condition each caller must remember. A draft or unpublished product is not
found by id, by handle, by title, in a search or in a cart, exactly as if it
did not exist. ``tests/core/test_unpublished_products.py`` checks that no
shopper-facing module builds a product query of its own.

The full-text search (:mod:`core.catalog.search`) applies the same filter in
its own SQL: a search hit is always a published product.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from core.db import Product, Variant


def _visible(shop_id: int) -> tuple[ColumnElement[bool], ...]:
    return Product.shop_id == shop_id, Product.published.is_(True)


def products(shop_id: int, *columns: Any) -> Select[Any]:
    """``SELECT columns`` (default: the products) of the shop's published products; add filters to it."""
    return select(*(columns or (Product,))).select_from(Product).where(*_visible(shop_id))


def variants(shop_id: int, *columns: Any) -> Select[Any]:
    """``SELECT columns`` (default: the variants) of the variants of the shop's published products."""
    return (
        select(*(columns or (Variant,)))
        .select_from(Variant)
        .join(Product, Variant.product_id == Product.id)
        .where(*_visible(shop_id))
    )


def products_by_id(shop_id: int, product_ids: Sequence[int], *columns: Any) -> Select[Any]:
    """``SELECT columns`` of those of ``product_ids`` that are the shop's published products, by primary key.

    The shop test is kept off the ``shop_id`` indexes (``+ 0``): without
    statistics (SQLite is never analyzed) SQLite's planner prefers that
    equality to a list of primary keys from about ten ids on, and walked every
    product of the shop to return a dozen (40 ms at 20,000 products). Found by
    primary key, the rows are then checked for the shop; the result is the same.
    """
    ids = list(product_ids)
    return (
        select(*(columns or (Product,)))
        .select_from(Product)
        .where(Product.id.in_(ids), (Product.shop_id + 0) == shop_id, Product.published.is_(True))
    )


def variants_of(shop_id: int, product_ids: Sequence[int], *columns: Any) -> Select[Any]:
    """``SELECT columns`` of the variants of those of ``product_ids`` that are the shop's published products."""
    ids = list(product_ids)
    return (
        select(*(columns or (Variant,)))
        .select_from(Variant)
        .join(Product, Variant.product_id == Product.id)
        .where(
            Product.id.in_(ids),
            Variant.product_id.in_(ids),
            (Product.shop_id + 0) == shop_id,
            Product.published.is_(True),
        )
    )


def with_variants(
    shop_id: int, product_ids: Sequence[int], product_columns: Sequence[Any], variant_columns: Sequence[Any]
) -> Select[Any]:
    """``SELECT product_columns, variant_columns`` of those of ``product_ids`` that are the shop's published
    products, one row per variant (a product without variants: one row, its variant columns NULL), in one
    statement: the products and their variants in one round trip. Found by primary key as in
    :func:`products_by_id`; ordered by product id, then the variants' position."""
    ids = list(product_ids)
    return (
        select(*product_columns, *variant_columns)
        .select_from(Product)
        .outerjoin(Variant, Variant.product_id == Product.id)
        .where(Product.id.in_(ids), (Product.shop_id + 0) == shop_id, Product.published.is_(True))
        .order_by(Product.id, Variant.position, Variant.id)
    )


def product(session: Session, shop_id: int, product_id: int) -> Product | None:
    """The published product ``product_id`` of the shop, else None."""
    return session.scalar(products(shop_id).where(Product.id == product_id))


def product_by_handle(session: Session, shop_id: int, handle: str) -> Product | None:
    """The shop's published product with this handle (the oldest, should two share it), else None."""
    return session.scalar(products(shop_id).where(Product.handle == handle).order_by(Product.id).limit(1))


def variant(session: Session, shop_id: int, external_id: str) -> Variant | None:
    """The variant with this platform id of one of the shop's published products, else None."""
    return session.scalar(variants(shop_id).where(Variant.external_id == external_id).order_by(Variant.id).limit(1))
