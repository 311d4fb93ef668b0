"""Re-syncing skips what did not change: content hashes, bulk writes, and what
they must still get right (changed prices, dropped variants, the search index,
the assistant's vocabulary after a sync)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event, select

from core import connector_registry, jobs
from core.assistant.builtin import vocabulary as vocabulary_module
from core.catalog import search
from core.catalog import sync as sync_module
from core.catalog.sync import content_hash, create_run, upsert_products
from core.connector import ProductRecord, VariantRecord
from core.db import Database, Document, Product, Shop, Variant
from tests.core.test_sync import (  # noqa: F401  (fixtures)
    catalog,
    csv_path,
    find_row,
    pages_dir,
    product_ids,
    read_csv,
    set_cell,
    shop,
    sync,
    write_csv,
)

CATALOG_TABLES = ("products", "variants", "product_search", "documents", "document_search")


@contextmanager
def writes(db: Database) -> Iterator[Counter[str]]:
    """Counts INSERT / UPDATE / DELETE statements per catalog table while the block runs."""
    seen: Counter[str] = Counter()

    def listener(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        words = statement.split()
        verb = words[0].upper()
        if verb not in ("INSERT", "UPDATE", "DELETE"):
            return
        target = words[2] if verb in ("INSERT", "DELETE") else words[1]
        if target in CATALOG_TABLES:
            seen[f"{verb} {target}"] += 1

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def stored(db: Database, shop_id: int) -> dict[str, tuple[Any, ...]]:
    """Per product: (content hash, synced_at) as stored."""
    with db.session() as session:
        return {ext: (digest, synced) for ext, digest, synced in session.execute(
            select(Product.external_id, Product.content_hash, Product.synced_at).where(Product.shop_id == shop_id))}


def records(shop: Shop) -> dict[str, ProductRecord]:
    connector = connector_registry.build(shop.platform, shop.connector_config)
    return {r.external_id: r for r in connector.iter_products(None)}


def test_unchanged_resync_writes_nothing_to_the_catalog(db: Database, shop: Shop) -> None:
    sync(db, shop.id)
    before, rows = stored(db, shop.id), catalog(db, shop.id)
    # The stored hash is the hash of the record the platform sent.
    assert {ext: digest for ext, (digest, _) in before.items()} == {
        ext: content_hash(r) for ext, r in records(shop).items()}
    with db.session() as session:
        assert None not in session.scalars(select(Document.content_hash).where(Document.shop_id == shop.id)).all()

    with writes(db) as seen:
        run = sync(db, shop.id)
    assert (run.status, run.products_seen, run.documents_seen, run.products_removed) == ("finished", 20, 3, 0)
    assert seen == Counter()  # not one statement wrote to products, variants, documents or the index
    assert stored(db, shop.id) == before  # same hashes, same synced_at: nothing was rewritten
    assert catalog(db, shop.id) == rows


def test_changed_price_rewrites_only_that_product(db: Database, shop: Shop, csv_path: Path) -> None:
    sync(db, shop.id)
    before, rows = stored(db, shop.id), catalog(db, shop.id)
    header, lines = read_csv(csv_path)
    set_cell(header, find_row(header, lines, "classic-varsity-top", "Medium"), "Variant Price", "64.50")
    write_csv(csv_path, header, lines)

    with writes(db) as seen:
        sync(db, shop.id)

    after, new_rows = stored(db, shop.id), catalog(db, shop.id)
    changed = {ext for ext in before if after[ext] != before[ext]}
    assert changed == {"classic-varsity-top"}
    assert after["classic-varsity-top"][0] == content_hash(records(shop)["classic-varsity-top"])
    product = new_rows["products"]["classic-varsity-top"]
    assert (product[2], product[3]) == (Decimal("60.00"), Decimal("64.50"))  # price_min, price_max
    varsity = rows["products"]["classic-varsity-top"][0]
    prices = sorted(v[3] for v in new_rows["variants"].values() if v[1] == varsity)
    assert prices == [Decimal("60.00"), Decimal("60.00"), Decimal("64.50")]
    # Variants keep their rows (updated in place), the product keeps its id, the index its size.
    assert {k: v[0] for k, v in new_rows["variants"].items()} == {k: v[0] for k, v in rows["variants"].items()}
    assert new_rows["index"] == rows["index"]
    assert seen["INSERT products"] == 1 and seen["INSERT variants"] == 1  # one upsert each, for one product
    assert varsity in product_ids(db, shop.id, "varsity")


def test_dropped_variant_is_deleted_and_the_rest_kept(db: Database, shop: Shop, csv_path: Path) -> None:
    sync(db, shop.id)
    rows = catalog(db, shop.id)
    varsity = rows["products"]["classic-varsity-top"][0]
    kept = {k: v for k, v in rows["variants"].items() if v[1] == varsity}
    assert len(kept) == 3
    header, lines = read_csv(csv_path)
    lines.remove(find_row(header, lines, "classic-varsity-top", "Large"))
    write_csv(csv_path, header, lines)

    sync(db, shop.id)

    after = catalog(db, shop.id)
    left = {k: v for k, v in after["variants"].items() if v[1] == varsity}
    assert len(left) == 2 and set(left) < set(kept)
    assert {k: v[0] for k, v in left.items()} == {k: kept[k][0] for k in left}  # same rows, same ids
    with db.session() as session:
        options = session.scalar(select(Product.options).where(Product.id == varsity))
        titles = session.scalars(select(Variant.title).where(Variant.product_id == varsity)
                                 .order_by(Variant.position)).all()
    assert "Large" not in options[0]["values"] and list(titles) == ["Small", "Medium"]


def _record(external_id: str, *prices: str) -> ProductRecord:
    return ProductRecord(
        external_id=external_id, handle=external_id, title=f"Velvet Cape {external_id}",
        variants=tuple(VariantRecord(external_id=f"{external_id}-{i}", title=f"V{i}", price=Decimal(p),
                                     inventory_tracked=False) for i, p in enumerate(prices)),
    )


def test_upsert_returns_only_what_the_index_must_read(db: Database, shop: Shop) -> None:
    first = [_record("cape-1", "10"), _record("cape-2", "20")]
    with db.session() as session:
        ids = upsert_products(session, shop.id, first)
        search.index_products(session, ids)
    assert len(ids) == 2
    with db.session() as session:
        assert upsert_products(session, shop.id, first) == []  # nothing changed
        assert upsert_products(session, shop.id, [_record("cape-1", "11"), first[1]]) == [ids[0]]
        # A duplicate platform id in one batch: the last record wins, no unique-key error.
        assert upsert_products(session, shop.id, [_record("cape-2", "21"), _record("cape-2", "22")]) == [ids[1]]
    with db.session() as session:
        prices = dict(session.execute(select(Product.external_id, Product.price_min)
                                      .where(Product.id.in_(ids))).all())
        assert prices == {"cape-1": Decimal("11.00"), "cape-2": Decimal("22.00")}
        # An unchanged product missing from the search index is handed back, so a sync repairs the index.
        search.unindex_products(session, [ids[1]])
        assert upsert_products(session, shop.id, [_record("cape-2", "22")]) == [ids[1]]


def test_a_new_content_version_rewrites_everything(db: Database, shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    sync(db, shop.id)
    before = stored(db, shop.id)
    monkeypatch.setattr(sync_module, "CONTENT_VERSION", sync_module.CONTENT_VERSION + "-next")
    with writes(db) as seen:
        sync(db, shop.id)
    after = stored(db, shop.id)
    assert all(after[ext][0] != before[ext][0] and after[ext][1] > before[ext][1] for ext in before)
    assert seen["INSERT product_search"] > 0


def test_sync_job_builds_the_vocabulary_before_the_next_question(
        db: Database, shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "worker_services", lambda: SimpleNamespace(db=db))
    jobs.sync_shop(create_run(db, shop.id).id)

    def no_build(*args: Any) -> None:
        raise AssertionError("the vocabulary was built during a question")

    monkeypatch.setattr(vocabulary_module, "_build", no_build)
    with db.session() as session:
        vocab = vocabulary_module.vocabulary(session, session.get(Shop, shop.id))
    assert "varsity" in vocab.word_products and vocab.size == 20



def _dated(external_id: str, price: str, updated: str) -> ProductRecord:
    from datetime import datetime

    return ProductRecord(external_id=external_id, handle=f"h-{external_id}", title=f"Webhook product {external_id}",
                         variants=(VariantRecord(external_id=f"{external_id}-v", title="Default", price=Decimal(price)),),
                         updated_at=datetime.fromisoformat(updated))


def test_a_full_sync_keeps_what_a_webhook_stored_while_it_ran(db: Database, shop: Shop,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    sync(db, shop.id)
    before = set(stored(db, shop.id))
    from connectors.csv.connector import CsvConnector

    reading = CsvConnector.iter_documents

    def documents_while_a_webhook_arrives(self: Any, since: Any = None) -> Any:
        # The products stage is over; a products/create webhook is processed now.
        with db.session() as session:
            search.index_products(session, upsert_products(session, shop.id, [_dated("w1", "10", "2026-11-25T12:00:00+00:00")]))
        return reading(self, since)

    monkeypatch.setattr(CsvConnector, "iter_documents", documents_while_a_webhook_arrives)
    run = sync(db, shop.id)
    assert run.status == "finished" and run.products_removed == 0
    assert set(stored(db, shop.id)) == before | {"w1"}


def test_an_older_copy_never_replaces_a_newer_stored_one(db: Database, shop: Shop) -> None:
    with db.session() as session:
        upsert_products(session, shop.id, [_dated("w2", "20", "2026-11-25T12:00:00+00:00")])
    with db.session() as session:  # a sync's snapshot read before the webhook's update
        assert upsert_products(session, shop.id, [_dated("w2", "15", "2026-11-25T11:00:00+00:00")]) == []
    with db.session() as session:
        product = session.scalar(select(Product).where(Product.external_id == "w2"))
        assert product.price_min == Decimal("20")
    with db.session() as session:  # a newer one goes through
        assert len(upsert_products(session, shop.id, [_dated("w2", "25", "2026-11-25T13:00:00+00:00")])) == 1
    with db.session() as session:
        assert session.scalar(select(Product).where(Product.external_id == "w2")).price_min == Decimal("25")
