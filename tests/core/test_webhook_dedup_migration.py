"""Migration 0005: webhook deliveries de-duplicated per shop. Rows stored
before it keep their shop's reference, and the same delivery id may then be
recorded once per shop."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError

from core.db.migrate import upgrade
from tests.conftest import PG_URL


def _migrate(engine: Engine, revision: str) -> None:
    upgrade(engine, revision)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("STORECHAT_TEST_DATABASE_URL is not set")
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_rows_keep_their_shop_and_a_delivery_id_is_unique_per_shop(empty_engine: Engine) -> None:
    _migrate(empty_engine, "0004")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO shops (id, name, platform, platform_ref, site_key, settings, allowed_origins,"
                          " currency, locale, active, created_at, connector_config) VALUES "
                          "(1, 'A', 'shopify', 'a.myshopify.com', 'sk_a', '{}', '[]', 'USD', 'en', true,"
                          " CURRENT_TIMESTAMP, '{}')"))
        for shop_id, delivery in ((1, "d1"), (None, "d2")):
            conn.execute(text("INSERT INTO webhook_deliveries (platform, delivery_id, shop_id, topic, status,"
                              " received_at) VALUES ('shopify', :d, :s, 'orders/create', 'processed',"
                              " CURRENT_TIMESTAMP)"), {"d": delivery, "s": shop_id})
    _migrate(empty_engine, "0005")
    with empty_engine.begin() as conn:
        rows = conn.execute(text("SELECT delivery_id, shop_ref FROM webhook_deliveries ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("d1", "a.myshopify.com"), ("d2", "")]
        conn.execute(text("INSERT INTO webhook_deliveries (platform, delivery_id, shop_ref, topic, status,"
                          " received_at) VALUES ('shopify', 'd1', 'b.myshopify.com', 'orders/create', 'received',"
                          " CURRENT_TIMESTAMP)"))
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO webhook_deliveries (platform, delivery_id, shop_ref, topic, status,"
                          " received_at) VALUES ('shopify', 'd1', 'a.myshopify.com', 'orders/create', 'received',"
                          " CURRENT_TIMESTAMP)"))
