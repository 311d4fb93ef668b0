"""each product's prices in its search row (PostgreSQL)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

"The cheapest linen shirt", when the shop's 1,000 cheapest products hold too
few of its matches, sorts every match by price: 1,640 titles at 100,000
products, each one's product row read by primary key only to learn its price
(4 ms of a 9 ms statement). ``product_search.price_min`` / ``price_max`` are
the product's, written with the row whenever the product is indexed (every
write of a product reindexes it), so the sort reads the rows the GIN index
already fetched.

The columns are added empty: adding a nullable column rewrites nothing, so the
migration holds its lock for an instant and the GIN indexes take no new
entries, while old hosts keep searching (docs/deploy.md). A row without prices
(written before this migration, or by an old host during a rolling deploy) is
sorted by its product row's prices, as before; the next sync of its shop fills
it (``core.catalog.search.fill_prices``, a batch at a time), found through the
partial index of the rows still without prices.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("product_search", sa.Column("price_min", sa.Numeric(12, 2), nullable=True))
        op.add_column("product_search", sa.Column("price_max", sa.Numeric(12, 2), nullable=True))
        op.create_index(
            "ix_product_search_unpriced",
            "product_search",
            ["shop_id"],
            postgresql_where=sa.text("price_min IS NULL"),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_product_search_unpriced", table_name="product_search")
        op.drop_column("product_search", "price_max")
        op.drop_column("product_search", "price_min")
