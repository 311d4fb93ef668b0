"""The nightly incremental sync of connected WordPress shops (core/catalog/nightly.py)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from core.catalog import nightly
from core.db import Database, SyncRun
from core.services import Services
from core.shops import create_shop
from core.wordpress_sites import connect_site, disconnect_site

MORNING = datetime(2026, 6, 1, 3, 30, tzinfo=timezone.utc)


@pytest.fixture
def svc(settings, db, redis) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    services = Services(settings)
    yield services
    services.close()


def runs(db: Database) -> list[tuple[int, bool]]:
    with db.session() as session:
        return [(r.shop_id, r.full) for r in session.scalars(select(SyncRun).order_by(SyncRun.shop_id))]


def test_connected_sites_get_one_incremental_sync_a_day(svc: Services, db: Database, redis) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    connected = create_shop(db, "Connected", "csv", {"empty": True})
    connect_site(db, connected.id, "https://one.example")
    gone = create_shop(db, "Disconnected", "csv", {"empty": True})
    connect_site(db, gone.id, "https://two.example")
    disconnect_site(db, gone.id, by="admin")
    create_shop(db, "Never connected", "csv", {"empty": True})

    assert nightly.run_nightly(svc, redis, MORNING.replace(hour=2)) == 0  # not yet
    assert runs(db) == []
    assert nightly.run_nightly(svc, redis, MORNING) == 1
    assert runs(db) == [(connected.id, False)]
    assert nightly.run_nightly(svc, redis, MORNING.replace(hour=9)) == 0  # once a day, whoever asks
    assert nightly.run_nightly(svc, redis, MORNING.replace(day=2)) == 0  # the first one still queued
    assert len(runs(db)) == 1
