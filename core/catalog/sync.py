"""The sync pipeline: stream a connector's records into the database and the
search index.

Records arrive in batches; each batch is one transaction, so a large catalog
never holds a long write lock and a crashed run keeps what it finished.
Re-running is idempotent: products are matched by their platform id and
updated in place, with plain bulk statements (no ORM objects), and a product
or document whose content hash did not change is not written at all, so
re-syncing an unchanged catalog only reads. A full sync removes what the
platform no longer has, but only after it has read everything, so a failed
read never deletes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import metrics, shop_connectors
from core.catalog import option_keys, search, version
from core.connector import Connector, DocumentRecord, ProductRecord, VariantRecord
from core.db import Database, Document, Product, Shop, SyncRun, Variant
from core.db.models import utcnow
from core.errors import NotFound

log = logging.getLogger(__name__)
BATCH = 200
T = TypeVar("T")
R = TypeVar("R", ProductRecord, DocumentRecord)
M = TypeVar("M", Product, Document)
Checkpoint = Callable[[], Mapping[str, Any] | None]
#: A run in these states with a saved checkpoint continues where it stopped when run again.
RESUMABLE = ("running", "failed")


def create_run(db: Database, shop_id: int, *, full: bool = True) -> SyncRun:
    with db.session() as session:
        if session.get(Shop, shop_id) is None:
            raise NotFound(f"shop {shop_id} does not exist")
        run = SyncRun(shop_id=shop_id, full=full, status="queued")
        session.add(run)
        session.flush()
        return run


def run_sync(db: Database, run_id: int) -> SyncRun:
    """Run (or continue) a sync run.

    A run that failed or died after storing some batches carries the
    connector's checkpoint in ``resume_state``: re-running it hands that to
    the connector and reads on from there. A resumed full run removes
    nothing: what the earlier attempt read but found unchanged was not
    rewritten (``upsert_products`` skips it), so it cannot be told apart from
    what the platform dropped; the next full run removes those.
    """
    with db.session() as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise NotFound(f"sync run {run_id} does not exist")
        shop = session.get(Shop, run.shop_id)
        assert shop is not None
        since = None if run.full else _last_success(session, shop.id)
        resume = run.resume_state if run.status in RESUMABLE and run.resume_state else None
        if resume is None or run.started_at is None:
            run.started_at = utcnow()
        run.status, run.error = "running", None
        shop_id, started_at = shop.id, run.started_at
        # A resumed run counts on from what its earlier attempt stored.
        already = (run.products_seen, run.documents_seen) if resume is not None else (0, 0)
    try:
        connector = shop_connectors.for_shop_id(db, shop_id)
        if resume is not None and type(connector).resume_from is Connector.resume_from:
            resume, already = None, (0, 0)  # this connector cannot resume: the run reads from the start
        if resume is not None:
            log.info("sync run %s resumes from %s", run_id, resume)
            connector.resume_from(resume)
        checkpoint: Checkpoint = getattr(connector, "resume_point", None) or (lambda: None)
        seen_products = _sync_products(db, run_id, shop_id, connector.iter_products(since), checkpoint, already[0])
        seen_documents = _sync_documents(db, run_id, shop_id, connector.iter_documents(since), checkpoint, already[1])
        removed = 0
        if since is None and resume is None:
            removed = _remove_missing(db, shop_id, seen_products, seen_documents, started_at)
    except Exception as exc:
        with db.session() as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.status, run.finished_at, run.error = "failed", utcnow(), str(exc)[:2000]
        raise
    search.fill_prices(db, shop_id)  # rows indexed before migration 0012, or by an older host
    option_keys.fill(db, shop_id)  # variants stored before migration 0013, or by an older host
    with db.session() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.status, run.finished_at, run.products_removed = "finished", utcnow(), removed
        run.resume_state = None
        search.settle(session)
        return run


def resumable_run(db: Database, shop_id: int) -> SyncRun | None:
    """The shop's latest run when it failed part-way with a checkpoint to continue from."""
    with db.session() as session:
        run = session.scalar(select(SyncRun).where(SyncRun.shop_id == shop_id).order_by(SyncRun.id.desc()).limit(1))
        return run if run is not None and run.status == "failed" and run.resume_state else None


def _last_success(session: Session, shop_id: int) -> datetime | None:
    return session.scalar(
        select(SyncRun.started_at)
        .where(SyncRun.shop_id == shop_id, SyncRun.status == "finished")
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    )


def _batches(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _sync_products(
    db: Database, run_id: int, shop_id: int, records: Iterable[ProductRecord], checkpoint: Checkpoint, already: int
) -> set[str]:
    return _sync_batches(
        db,
        run_id,
        records,
        "products_seen",
        checkpoint,
        already,
        lambda session, batch: search.index_products(session, upsert_products(session, shop_id, batch)),
    )


def _sync_documents(
    db: Database, run_id: int, shop_id: int, records: Iterable[DocumentRecord], checkpoint: Checkpoint, already: int
) -> set[str]:
    return _sync_batches(
        db,
        run_id,
        records,
        "documents_seen",
        checkpoint,
        already,
        lambda session, batch: search.index_documents(session, upsert_documents(session, shop_id, batch)),
    )


def _sync_batches(
    db: Database,
    run_id: int,
    records: Iterable[R],
    counter: str,
    checkpoint: Checkpoint,
    already: int,
    store: Callable[[Session, list[R]], None],
) -> set[str]:
    """Store records a batch per transaction, counting progress on the run as it goes.

    The connector's checkpoint is saved in the same transaction as the batch
    it follows, so a crash can never leave a checkpoint past unsaved records.
    """
    seen: set[str] = set()
    for batch in _batches(records):
        with db.session() as session:
            store(session, batch)
            seen.update(r.external_id for r in batch)
            run = session.get(SyncRun, run_id)
            assert run is not None
            setattr(run, counter, already + len(seen))
            state = checkpoint()
            run.resume_state = dict(state) if state is not None else None
        metrics.SYNC_RECORDS.labels(counter.removesuffix("_seen")).inc(len(batch))
    return seen


#: Part of every content hash. Bump it when what a record is turned into changes (the columns
#: written, the text extracted from HTML, the search row), so the next sync rewrites every row
#: instead of skipping it as unchanged.
CONTENT_VERSION = "1"


def content_hash(record: ProductRecord | DocumentRecord) -> str:
    """A fingerprint of everything a record says (variants included).

    Records are frozen dataclasses of strings, numbers, dates and tuples, so
    their ``repr`` is a complete and stable serialization.
    """
    return hashlib.sha256(f"{CONTENT_VERSION}\n{record!r}".encode()).hexdigest()


def _stored(
    session: Session, model: type[M], shop_id: int, external_ids: list[str]
) -> dict[str, tuple[int, str | None, datetime | None]]:
    """(id, content hash, platform's update time) of the shop's stored rows for these platform ids."""
    rows = session.execute(
        select(model.id, model.external_id, model.content_hash, model.remote_updated_at).where(
            model.shop_id == shop_id, model.external_id.in_(external_ids)
        )
    )
    return {ext: (row_id, digest, updated) for row_id, ext, digest, updated in rows}


def _plan(
    session: Session, model: type[M], shop_id: int, records: list[R]
) -> tuple[list[R], list[int], dict[str, str]]:
    """Which records to write: (changed records, ids of stored unchanged rows, content hashes).

    Unchanged: same content hash. Not written either: a record older than the
    stored row (a sync's snapshot read before a webhook stored a newer state,
    or a webhook retried with its original payload after newer ones).
    """
    latest = _latest(records)
    digests = {ext: content_hash(r) for ext, r in latest.items()}
    stored = _stored(session, model, shop_id, list(latest))
    changed, unchanged = [], []
    for ext, record in latest.items():
        row_id, digest, updated = stored.get(ext, (0, None, None))
        if digest == digests[ext]:
            unchanged.append(row_id)
        elif record.updated_at and updated and record.updated_at < updated:
            log.info("%s %s: kept the stored copy, newer than this one", model.__tablename__, ext)
        else:
            changed.append(record)
    return changed, unchanged, digests


def _latest(records: list[R]) -> dict[str, R]:
    """The records by platform id; a platform id given twice in a batch keeps its last record."""
    return {r.external_id: r for r in records}


def _upsert(session: Session, model: type[Any], rows: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE for many rows (SQLite and PostgreSQL).

    Sent as one executemany of a small statement, not as one statement with a
    VALUES row per record: psycopg parses a statement's placeholders on every
    call unless it is short, which made a 200-row multi-VALUES upsert ~3x slower.
    """
    if not rows:
        return
    make = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    stmt = make(model.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in rows[0] if c not in keys}
    )
    session.execute(stmt, rows)


#: Catalog tables whose planner statistics a sync keeps current on PostgreSQL.
_ANALYZED = ("products", "variants", "product_search")


def _refresh_statistics(session: Session) -> None:
    """ANALYZE catalog tables that changed a lot since their last ANALYZE (PostgreSQL only).

    Autovacuum does this only once a minute (and not at all where it is off),
    while a bulk import grows the tables from nothing within seconds: without
    statistics the planner takes ``variants.product_id IN (...)`` for most of
    the table and scans all of it, batch after batch. The threshold (1,000 rows
    plus half the table) keeps it to a handful of ANALYZE runs per import.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    stale = session.scalars(
        text(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.schemaname = current_schema() AND s.relname IN :names "
            "AND s.n_mod_since_analyze > 1000 + 0.5 * GREATEST(c.reltuples, 0)"
        ).bindparams(bindparam("names", expanding=True)),
        {"names": list(_ANALYZED)},
    ).all()
    for table in stale:
        if table in _ANALYZED:  # names come from the catalog; only ours are ever interpolated
            session.execute(text(f"ANALYZE {table}"))


def upsert_products(session: Session, shop_id: int, records: list[ProductRecord]) -> list[int]:
    """Store a batch of products with their variants; the ids of those the search index must (re)read.

    A product whose content hash matches the stored one is not written at all
    (an unchanged catalog re-syncs with reads only). New and changed products
    are written with one upsert for the products, one delete of the variants
    the platform dropped and one upsert for the variants. The ids returned are
    those written, plus unchanged ones that are missing from the search index.
    """
    changed, unchanged, digests = _plan(session, Product, shop_id, records)
    written: list[int] = []
    if changed:
        _refresh_statistics(session)
        now = utcnow()
        _upsert(
            session,
            Product,
            [_product_values(shop_id, r, digests[r.external_id], now) for r in changed],
            ("shop_id", "external_id"),
        )
        ids = _stored(session, Product, shop_id, [r.external_id for r in changed])
        written = [ids[r.external_id][0] for r in changed]
        _store_variants(session, [(ids[r.external_id][0], r) for r in changed])
        version.bump(session, shop_id)
    return written + (search.missing_products(session, unchanged) if unchanged else [])


def _product_values(shop_id: int, record: ProductRecord, digest: str, now: datetime) -> dict[str, Any]:
    prices = [v.price for v in record.variants]
    compare = [v.compare_at_price for v in record.variants if v.compare_at_price and v.compare_at_price > v.price]
    return {
        "shop_id": shop_id,
        "external_id": record.external_id,
        "handle": record.handle,
        "title": record.title,
        "body_html": record.body_html,
        "body_text": search.html_to_text(record.body_html),
        "vendor": record.vendor,
        "product_type": record.product_type,
        "tags": list(record.tags),
        "options": [{"name": o.name, "values": list(o.values)} for o in record.options],
        "image_url": record.image_url or (record.images[0] if record.images else None),
        "url": record.url,
        "published": record.published,
        "price_min": min(prices),
        "price_max": max(prices),
        "compare_at_max": max(compare) if compare else None,
        "available": any(v.available for v in record.variants),
        "remote_updated_at": record.updated_at,
        "synced_at": now,
        "content_hash": digest,
    }


def _store_variants(session: Session, products: list[tuple[int, ProductRecord]]) -> None:
    """Make the stored variants of these products exactly the records' (dropped ones are deleted)."""
    rows: list[dict[str, Any]] = []
    keep: set[tuple[int, str]] = set()
    for product_id, record in products:
        by_id = {v.external_id: (position, v) for position, v in enumerate(record.variants)}
        for external_id, (position, variant) in by_id.items():
            keep.add((product_id, external_id))
            rows.append(_variant_values(product_id, variant, position))
    stale = [
        vid
        for vid, pid, ext in session.execute(
            select(Variant.id, Variant.product_id, Variant.external_id).where(
                Variant.product_id.in_([pid for pid, _ in products])
            )
        )
        if (pid, ext) not in keep
    ]
    if stale:
        session.execute(delete(Variant).where(Variant.id.in_(stale)))
    _upsert(session, Variant, rows, ("product_id", "external_id"))
    option_keys.refill(session, [pid for pid, _ in products])  # keys the trigger cleared (migration 0013)


def _variant_values(product_id: int, record: VariantRecord, position: int) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "external_id": record.external_id,
        "position": position,
        "title": record.title,
        "option_values": list(record.option_values),
        "option_keys": option_keys.keys(record.option_values),
        "sku": record.sku,
        "price": record.price,
        "compare_at_price": record.compare_at_price,
        "inventory_tracked": record.inventory_tracked,
        "inventory_quantity": record.inventory_quantity,
        "inventory_policy": record.inventory_policy,
        "available": record.available,
        "image_url": record.image_url,
    }


def upsert_documents(session: Session, shop_id: int, records: list[DocumentRecord]) -> list[int]:
    """Store a batch of documents; the ids the search index must (re)read (see :func:`upsert_products`)."""
    changed, unchanged, digests = _plan(session, Document, shop_id, records)
    written: list[int] = []
    if changed:
        now = utcnow()
        rows = [
            {
                "shop_id": shop_id,
                "external_id": r.external_id,
                "kind": r.kind,
                "title": r.title,
                "body": r.body,
                "url": r.url,
                "remote_updated_at": r.updated_at,
                "synced_at": now,
                "content_hash": digests[r.external_id],
            }
            for r in changed
        ]
        _upsert(session, Document, rows, ("shop_id", "external_id"))
        ids = _stored(session, Document, shop_id, [r.external_id for r in changed])
        written = [ids[r.external_id][0] for r in changed]
    return written + (search.missing_documents(session, unchanged) if unchanged else [])


def _remove_missing(db: Database, shop_id: int, products: set[str], documents: set[str], started_at: datetime) -> int:
    """Remove what the run did not see, except rows stored since it started (by a webhook)."""
    with db.session() as session:
        gone = [
            pid
            for pid, ext in session.execute(
                select(Product.id, Product.external_id).where(
                    Product.shop_id == shop_id, Product.synced_at < started_at
                )
            )
            if ext not in products
        ]
        gone_docs = [
            did
            for did, ext in session.execute(
                select(Document.id, Document.external_id).where(
                    Document.shop_id == shop_id, Document.synced_at < started_at
                )
            )
            if ext not in documents
        ]
        if gone:
            search.unindex_products(session, gone)
            session.execute(delete(Variant).where(Variant.product_id.in_(gone)))
            session.execute(delete(Product).where(Product.id.in_(gone)))
            version.bump(session, shop_id)
        if gone_docs:
            search.unindex_documents(session, gone_docs)
            session.execute(delete(Document).where(Document.id.in_(gone_docs)))
        return len(gone)
