from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from core.db.models import Base

SEARCH_TABLES = {"product_search", "document_search"}


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # The search index tables are dialect-specific and managed by the migrations by hand.
    if type_ == "table" and (name in SEARCH_TABLES or (name or "").startswith(tuple(SEARCH_TABLES))):
        return False
    return True


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url", ""))
        with engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
