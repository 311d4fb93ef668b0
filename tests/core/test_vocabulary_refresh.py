"""The assistant's vocabulary learns of a catalog change from shops.catalog_version, and a large
catalog's vocabulary is rebuilt in the background while the previous one keeps answering."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from core.assistant.builtin import vocabulary as vocabulary_module
from core.catalog.sync import create_run, run_sync, upsert_products
from core.connector import ProductRecord, VariantRecord
from core.db import Database, Shop
from core.shops import ensure_demo_shop


@pytest.fixture
def shop(db: Database) -> Shop:
    shop = ensure_demo_shop(db, "http://shop.test")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    return shop


def _cape(n: int) -> ProductRecord:
    return ProductRecord(external_id=f"cape-{n}", handle=f"cape-{n}", title=f"Velvet Opera Cape {n}", variants=(
        VariantRecord(external_id=f"cape-{n}-v", title="Default Title", price=Decimal("95.00")),))


def _vocab(db: Database, shop: Shop) -> vocabulary_module.Vocabulary:
    with db.session() as session:
        row = session.get(Shop, shop.id)
        assert row is not None
        return vocabulary_module.vocabulary(session, row)


def test_a_change_is_seen_at_the_next_question_and_nothing_else_rebuilds(db: Database, shop: Shop,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first = _vocab(db, shop)
    assert _vocab(db, shop) is first  # same catalog version: the cached one
    with db.session() as session:
        upsert_products(session, shop.id, [_cape(1)])
    second = _vocab(db, shop)
    assert second is not first and "cape" in second.word_products
    monkeypatch.setattr(vocabulary_module, "_build", lambda *a: pytest.fail("rebuilt without a change"))
    assert _vocab(db, shop) is second


def test_a_large_catalog_keeps_answering_while_its_vocabulary_is_rebuilt(db: Database, shop: Shop,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if db.engine.dialect.name == "sqlite" and db.engine.url.database in (None, "", ":memory:"):
        pytest.skip("a thread needs the database file")
    monkeypatch.setattr(vocabulary_module, "BACKGROUND_FROM", 10)  # the 20-product demo counts as large
    first = _vocab(db, shop)
    with db.session() as session:
        upsert_products(session, shop.id, [_cape(2)])
    assert _vocab(db, shop) is first  # the previous vocabulary answers; a thread builds the new one
    deadline = time.monotonic() + 20
    while vocabulary_module._rebuilding and time.monotonic() < deadline:
        time.sleep(0.02)
    rebuilt = _vocab(db, shop)
    assert rebuilt is not first and "cape" in rebuilt.word_products
