"""each variant's option values as the assistant compares them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

A search narrowed by option values ("is the slim cotton shirt available in
navy?") tested each candidate product's variants by reading their JSON
``option_values`` and folding every value in the database: about 9 us a
product in PostgreSQL (129 products, 1.8 ms, for one tier of that question at
10,000 products), and only values of printable ASCII could be judged there.
``variants.option_keys`` holds them folded as the engine folds them
(``core.catalog.option_keys``): an array in PostgreSQL (``@>``), JSON in
SQLite.

The column is added empty (a nullable column rewrites nothing, so the lock is
held for an instant and old hosts keep working: docs/deploy.md), and the
index is built concurrently on PostgreSQL. A variant
without keys is compared the old way; the next sync of its shop fills it
(``core.catalog.option_keys.fill``), found through the partial index of the
variants still without keys.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    column_type = sa.ARRAY(sa.Text()) if postgres else sa.JSON()
    op.add_column("variants", sa.Column("option_keys", column_type, nullable=True))
    if not postgres:
        op.create_index("ix_variants_unkeyed", "variants", ["product_id"], sqlite_where=sa.text("option_keys IS NULL"))
        return
    # Every variant is in it at first: built without holding off the sync's writes to the table (a
    # concurrent build runs outside the migration's transaction).
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_variants_unkeyed",
            "variants",
            ["product_id"],
            postgresql_where=sa.text("option_keys IS NULL"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    op.drop_index("ix_variants_unkeyed", table_name="variants")
    op.drop_column("variants", "option_keys")
