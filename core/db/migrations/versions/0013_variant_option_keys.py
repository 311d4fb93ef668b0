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
held for an instant once taken, and old hosts keep working: docs/deploy.md),
and the index is built concurrently on PostgreSQL. A variant without keys is
compared the old way; the next sync of its shop fills it
(``core.catalog.option_keys.fill``), found through the partial index of the
variants still without keys.

An old host, during a rolling deploy, rewrites ``option_values`` and knows
nothing of the keys: a trigger clears the keys of a variant whose values an
update changes without changing its keys, so they are never stale (the fill
gives them back).

A later migration that rebuilds ``variants`` on SQLite (alembic's batch mode
copies the table) drops the trigger with the old table: it must make it again.

Run again after an interruption (the concurrent build runs outside the
migration's transaction, after the column was committed), it takes up where
that one stopped: the column and trigger are made only when missing, and an
index a failed concurrent build left invalid is dropped and built again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_INDEX = "ix_variants_unkeyed"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION variants_unkey_stale() RETURNS trigger AS $$
BEGIN
    NEW.option_keys := NULL;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = (
    "CREATE TRIGGER variants_unkey_stale BEFORE UPDATE OF option_values ON variants FOR EACH ROW "
    "WHEN (NEW.option_values::text IS DISTINCT FROM OLD.option_values::text "
    "AND NEW.option_keys IS NOT DISTINCT FROM OLD.option_keys) "
    "EXECUTE FUNCTION variants_unkey_stale()"
)
_SQLITE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS variants_unkey_stale AFTER UPDATE OF option_values ON variants "
    "WHEN NEW.option_values IS NOT OLD.option_values AND NEW.option_keys IS OLD.option_keys "
    "BEGIN UPDATE variants SET option_keys = NULL WHERE id = NEW.id; END"
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    column_type = sa.ARRAY(sa.Text()) if postgres else sa.JSON()
    # (SQLite runs the whole migration in one transaction: it is never found half done.)
    op.add_column("variants", sa.Column("option_keys", column_type, nullable=True), if_not_exists=postgres)
    if not postgres:
        op.execute(_SQLITE_TRIGGER)
        op.create_index(_INDEX, "variants", ["product_id"], sqlite_where=sa.text("option_keys IS NULL"))
        return
    op.execute(_PG_FUNCTION)
    op.execute("DROP TRIGGER IF EXISTS variants_unkey_stale ON variants")
    op.execute(_PG_TRIGGER)
    # Every variant is in the index at first: built without holding off the sync's writes to the table (a
    # concurrent build runs outside the migration's transaction).
    with op.get_context().autocommit_block():
        # This schema's index (the search path's), not one of the same name elsewhere in the database.
        invalid = op.get_bind().scalar(
            sa.text("SELECT NOT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(:name)"),
            {"name": _INDEX},
        )
        if invalid:
            op.drop_index(_INDEX, table_name="variants", postgresql_concurrently=True)
        op.create_index(
            _INDEX,
            "variants",
            ["product_id"],
            postgresql_where=sa.text("option_keys IS NULL"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="variants")
    op.execute("DROP TRIGGER IF EXISTS variants_unkey_stale" + (" ON variants" if _postgres() else ""))
    if _postgres():
        op.execute("DROP FUNCTION IF EXISTS variants_unkey_stale()")
    op.drop_column("variants", "option_keys")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
