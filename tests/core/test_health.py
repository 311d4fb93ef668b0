"""``/healthz`` and ``/readyz`` against real databases and Redis."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from core.app import create_app
from core.db import Database
from core.settings import Settings, load_settings

CLOSED_REDIS = "redis://127.0.0.1:1/0"
ALL_OK = {"database": "ok", "migrations": "ok", "redis": "ok"}


@pytest.fixture
def make_app() -> Iterator:  # type: ignore[type-arg]
    apps: list[Flask] = []

    def make(settings: Settings) -> Flask:
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["storechat"].close()


def test_healthz_is_ok(settings: Settings, db: Database, make_app) -> None:  # type: ignore[no-untyped-def]
    response = make_app(settings).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_needs_nothing(tmp_path: Path, make_app) -> None:  # type: ignore[no-untyped-def]
    """Liveness does not depend on the database or Redis."""
    settings = load_settings(
        instance_path=tmp_path / "instance",
        database_url="postgresql://nobody@127.0.0.1:1/none",
        redis_url=CLOSED_REDIS,
    )
    response = make_app(settings).test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_ready_when_migrated_and_redis_reachable(
    settings: Settings, db: Database, redis, make_app  # type: ignore[no-untyped-def]
) -> None:
    response = make_app(settings).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": ALL_OK}


def test_readyz_not_ready_before_migrations(tmp_path: Path, redis_url: str, make_app) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(instance_path=tmp_path / "instance", redis_url=redis_url)
    client = make_app(settings).test_client()

    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not_ready",
        "checks": {"database": "ok", "migrations": "pending: run `storechat migrate`", "redis": "ok"},
    }

    from core.db.migrate import upgrade

    database = Database(settings)
    upgrade(database.engine)
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ready", "checks": ALL_OK})

    # A newer release migrated the database (the first step of a rolling deploy): this
    # host, still on the older code, stays in the load balancer until it is restarted.
    from sqlalchemy import text

    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_next_release'"))
    database.dispose()
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ready", "checks": ALL_OK})


def test_readyz_not_ready_when_redis_is_down(settings: Settings, db: Database, make_app) -> None:  # type: ignore[no-untyped-def]
    down = settings.model_copy(update={"redis_url": CLOSED_REDIS})
    response = make_app(down).test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready"
    assert set(body["checks"]) == {"database", "migrations", "redis"}
    assert (body["checks"]["database"], body["checks"]["migrations"]) == ("ok", "ok")
    assert body["checks"]["redis"] == "unavailable"  # the reason (host, port, error) goes to the log only


def test_readyz_not_ready_without_a_redis_url(settings: Settings, db: Database, make_app) -> None:  # type: ignore[no-untyped-def]
    none = settings.model_copy(update={"redis_url": None})
    response = make_app(none).test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert (checks["database"], checks["migrations"]) == ("ok", "ok")
    assert checks["redis"] == "not configured"


def test_readyz_not_ready_when_database_is_down(tmp_path: Path, redis_url: str, make_app) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        instance_path=tmp_path / "instance",
        database_url="postgresql://nobody@127.0.0.1:1/none",
        redis_url=redis_url,
    )
    response = make_app(settings).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not_ready",
        "checks": {"database": "unavailable", "redis": "ok"},
    }
