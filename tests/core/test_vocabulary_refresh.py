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
    during = _vocab(db, shop)  # the previous vocabulary answers (marked stale); a thread builds the new one
    assert during.stale and during.word_products is first.word_products
    deadline = time.monotonic() + 20
    while vocabulary_module._rebuilding and time.monotonic() < deadline:
        time.sleep(0.02)
    rebuilt = _vocab(db, shop)
    assert rebuilt is not first and "cape" in rebuilt.word_products


def test_a_starting_worker_warms_the_recently_active_shops(
    db: Database, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An assistant worker builds the vocabularies of the shops whose shoppers wrote lately, most recent
    first, so its first answer to each does not wait for one; a quiet shop is left alone."""
    from datetime import timedelta

    from core.db import Conversation, Visitor
    from core.db.models import utcnow
    from core.shops import create_shop

    other = create_shop(db, "Quiet", "csv", {"demo": True, "storefront_url": "http://quiet.test"})
    with db.session() as session:
        for n, (shop_id, age) in enumerate([(shop.id, timedelta(hours=1)), (other.id, timedelta(days=30))]):
            session.add(Visitor(id=f"warm-{n}", shop_id=shop_id))
            session.flush()
            session.add(Conversation(shop_id=shop_id, visitor_id=f"warm-{n}", updated_at=utcnow() - age))
    vocabulary_module._cache.clear()
    built: list[int] = []
    build = vocabulary_module._build
    monkeypatch.setattr(
        vocabulary_module, "_build", lambda session, shop_id: built.append(shop_id) or build(session, shop_id)
    )
    assert vocabulary_module.warm_recent(db) == [shop.id]
    assert built == [shop.id]
    _vocab(db, shop)  # the first question finds it built
    assert built == [shop.id]
    assert vocabulary_module.warm_recent(db, limit=0) == []


def test_a_vocabulary_older_than_the_catalog_tells_the_search_nothing(db: Database, shop: Shop,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """While a large catalog's new vocabulary is built, the previous one still reads questions, but its
    titles may miss the new products: the search asks the database, and a vendor gate does not apply."""
    if db.engine.dialect.name == "sqlite" and db.engine.url.database in (None, "", ":memory:"):
        pytest.skip("a thread needs the database file")
    monkeypatch.setattr(vocabulary_module, "BACKGROUND_FROM", 10)
    first = _vocab(db, shop)
    assert not first.stale and first.search_known(["shirt"]) is not None
    with db.session() as session:
        upsert_products(session, shop.id, [_cape(3)])
    stale = _vocab(db, shop)
    assert stale.stale and stale.word_products is first.word_products
    assert stale.search_known(["shirt"]) is None and stale.search_known(["cape"]) is None
    deadline = time.monotonic() + 20
    while vocabulary_module._rebuilding and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _vocab(db, shop).stale


def test_an_assistant_worker_warms_then_collects_once_and_freezes(db: Database, shop: Shop,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """core.worker's warm thread: the recent shops' vocabularies, then one full collection and a freeze
    (the vocabularies' objects leave the collector's passes); a failure is logged, never raised."""
    from types import SimpleNamespace

    from core import worker

    calls: list[str] = []
    monkeypatch.setattr(worker, "worker_services", lambda: SimpleNamespace(db=db))
    monkeypatch.setattr(vocabulary_module, "warm_recent", lambda d: calls.append("warm") or [shop.id])
    monkeypatch.setattr(worker.gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(worker.gc, "freeze", lambda: calls.append("freeze"))
    worker._warm()
    assert calls == ["warm", "collect", "freeze"]

    def broken(d: Database) -> list[int]:
        raise RuntimeError("database gone")

    calls.clear()
    monkeypatch.setattr(vocabulary_module, "warm_recent", broken)
    worker._warm()  # logged
    assert calls == []
