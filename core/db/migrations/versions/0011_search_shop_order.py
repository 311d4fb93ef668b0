"""indexes for the assistant's lookups on a large catalog: vendors by lowercased name, and
product_search in shop and id order (PostgreSQL)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

A GIN index returns the matches of a word unordered, so "the newest 50
matches of 'dress'" fetched and sorted all 12,000 (10-28 ms at 100,000
products). With ``(shop_id, product_id)`` the shop's rows are read newest
first and the scan stops at the limit; ``core.catalog.search`` takes this way
only when a bounded count shows the words are common in the shop.

``(shop_id, lower(vendor))`` answers "anything from BRAND"
(``core.catalog.ranking.vendors_named``), which read every product of the
shop without it (90-105 ms on PostgreSQL at 100,000 products).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_products_shop_vendor_lower", "products", ["shop_id", sa.text("lower(vendor)")])
    if op.get_bind().dialect.name == "postgresql":
        # Replaces the index of shop_id alone (0001), which it covers: left in place, the planner (without
        # statistics) read a small shop's rows through it and sorted them instead of reading them in order.
        op.create_index("ix_product_search_shop_product", "product_search", ["shop_id", "product_id"])
        op.drop_index("ix_product_search_shop_id", table_name="product_search")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_product_search_shop_id", "product_search", ["shop_id"])
        op.drop_index("ix_product_search_shop_product", table_name="product_search")
    op.drop_index("ix_products_shop_vendor_lower", table_name="products")
