"""Alembic, driven from code: ``storechat migrate`` and the ``/readyz`` check."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from core.errors import StoreChatError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    # Alembic runs the migrations in a transaction of its own on this connection (env.py), which a
    # migration may step out of (``autocommit_block``: an index built concurrently).
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


@cache
def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


class SchemaTooOld(StoreChatError):
    code = "schema_too_old"


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def require_current(engine: Engine) -> str | None:
    """Refuse to run against a schema older than this code, naming the command that fixes it.

    A schema this code does not know is newer (a later release migrated it during a
    rolling deploy, see docs/deploy.md): that is allowed, since migrations only add
    until every process runs the release that no longer needs what they drop."""
    found, head = current_revision(engine), head_revision()
    if found == head or (found is not None and found not in known_revisions()):
        return found
    where = engine.url.render_as_string(hide_password=True)
    raise SchemaTooOld(
        f"the database schema is at revision {found or 'none (empty database)'}, older than this StoreChat "
        f"({head}): run `storechat migrate` once with this release (database {where}), then start it again"
    )
