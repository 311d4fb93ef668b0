"""The migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.db import Base, Database
from core.db.migrate import current_revision, head_revision


def _ignorable(diff: object) -> bool:
    # Search tables (FTS5 / tsvector) are made by raw SQL in the migrations, not by models.
    text = repr(diff)
    return "search" in text or "fts" in text


def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, Base.metadata) if not _ignorable(d)]
    assert diffs == []
