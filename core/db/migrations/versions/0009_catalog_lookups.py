"""catalog lookups that do not grow with the catalog: a per-shop catalog version
and indexes for browsing by price, by age and by vendor

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

``shops.catalog_version`` is bumped by every write of a shop's products
(``core.catalog.version.bump``), so the assistant's per-process vocabulary
learns of a change by reading one row, instead of counting the shop's products.
On PostgreSQL, ``product_search.title_document`` holds the title's tsvector
alone (with its GIN index) for searches restricted to titles.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalog_version", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_products_shop_price", "products", ["shop_id", "price_min", "id"])
    op.create_index("ix_products_shop_price_max", "products", ["shop_id", "price_max", "id"])
    op.create_index("ix_products_shop_id", "products", ["shop_id", "id"])
    op.create_index("ix_products_shop_vendor", "products", ["shop_id", "vendor"])
    if op.get_bind().dialect.name == "postgresql":
        # The title alone, for searches restricted to titles: a weight-A query on the whole document
        # must re-read every candidate's tsvector to check the weight (75 ms for "sneaker shoe" at
        # 100,000 products); this one is answered by its own GIN index.
        op.add_column("product_search", sa.Column("title_document", sa.dialects.postgresql.TSVECTOR(), nullable=True))
        op.execute(
            "UPDATE product_search s SET title_document = to_tsvector('english', p.title) "
            "FROM products p WHERE p.id = s.product_id"
        )
        op.create_index(
            "ix_product_search_title_document", "product_search", ["title_document"], postgresql_using="gin"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_product_search_title_document", table_name="product_search")
        op.drop_column("product_search", "title_document")
    op.drop_index("ix_products_shop_vendor", table_name="products")
    op.drop_index("ix_products_shop_id", table_name="products")
    op.drop_index("ix_products_shop_price_max", table_name="products")
    op.drop_index("ix_products_shop_price", table_name="products")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_column("catalog_version")
