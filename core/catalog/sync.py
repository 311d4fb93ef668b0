"""The sync pipeline: stream a connector's records into the database and the
search index.

Records arrive in batches; each batch is one transaction, so a large catalog
never holds a long write lock and a crashed run keeps what it finished.
Re-running is idempotent: products are matched by their platform id and
updated in place. A full sync removes what the platform no longer has, but
only after it has read everything, so a failed read never deletes.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import shop_connectors
from core.catalog import search
from core.connector import DocumentRecord, ProductRecord, VariantRecord
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
    the connector and reads on from there. What the earlier attempt stored
    counts as seen, so a full run never removes it.
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
        started_at, shop_id = run.started_at, shop.id
    try:
        connector = shop_connectors.for_shop_id(db, shop_id)
        seen_products: set[str] = set()
        seen_documents: set[str] = set()
        if resume is not None:
            log.info("sync run %s resumes from %s", run_id, resume)
            connector.resume_from(resume)
            seen_products, seen_documents = _stored_since(db, shop_id, started_at)
        checkpoint: Checkpoint = getattr(connector, "resume_point", None) or (lambda: None)
        seen_products = _sync_products(db, run_id, shop_id, connector.iter_products(since), checkpoint, seen_products)
        seen_documents = _sync_documents(db, run_id, shop_id, connector.iter_documents(since), checkpoint,
                                         seen_documents)
        removed = 0
        if since is None:
            removed = _remove_missing(db, shop_id, seen_products, seen_documents)
    except Exception as exc:
        with db.session() as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.status, run.finished_at, run.error = "failed", utcnow(), str(exc)[:2000]
        raise
    with db.session() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.status, run.finished_at, run.products_removed = "finished", utcnow(), removed
        run.resume_state = None
        return run


def resumable_run(db: Database, shop_id: int) -> SyncRun | None:
    """The shop's latest run when it failed part-way with a checkpoint to continue from."""
    with db.session() as session:
        run = session.scalar(
            select(SyncRun).where(SyncRun.shop_id == shop_id).order_by(SyncRun.id.desc()).limit(1)
        )
        return run if run is not None and run.status == "failed" and run.resume_state else None


def _stored_since(db: Database, shop_id: int, started_at: datetime) -> tuple[set[str], set[str]]:
    """Ids the interrupted attempt of a run already stored (synced since it started)."""
    with db.session() as session:
        products = set(session.scalars(select(Product.external_id).where(
            Product.shop_id == shop_id, Product.synced_at >= started_at)))
        documents = set(session.scalars(select(Document.external_id).where(
            Document.shop_id == shop_id, Document.synced_at >= started_at)))
    return products, documents


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


def _sync_products(db: Database, run_id: int, shop_id: int, records: Iterable[ProductRecord],
                   checkpoint: Checkpoint, seen: set[str]) -> set[str]:
    return _sync_batches(db, run_id, records, "products_seen", checkpoint, seen,
                         lambda session, batch: search.index_products(session, upsert_products(session, shop_id, batch)))


def _sync_documents(db: Database, run_id: int, shop_id: int, records: Iterable[DocumentRecord],
                    checkpoint: Checkpoint, seen: set[str]) -> set[str]:
    return _sync_batches(db, run_id, records, "documents_seen", checkpoint, seen,
                         lambda session, batch: search.index_documents(session, upsert_documents(session, shop_id, batch)))


def _sync_batches(db: Database, run_id: int, records: Iterable[R], counter: str, checkpoint: Checkpoint,
                  seen: set[str], store: Callable[[Session, list[R]], None]) -> set[str]:
    """Store records a batch per transaction, counting progress on the run as it goes.

    The connector's checkpoint is saved in the same transaction as the batch
    it follows, so a crash can never leave a checkpoint past unsaved records.
    """
    seen = set(seen)
    for batch in _batches(records):
        with db.session() as session:
            store(session, batch)
            seen.update(r.external_id for r in batch)
            run = session.get(SyncRun, run_id)
            assert run is not None
            setattr(run, counter, len(seen))
            state = checkpoint()
            run.resume_state = dict(state) if state is not None else None
    return seen


def _existing(session: Session, model: type[M], shop_id: int, records: list[R]) -> dict[str, M]:
    """The shop's stored rows for these records, by platform id."""
    rows = session.scalars(select(model).where(
        model.shop_id == shop_id, model.external_id.in_([r.external_id for r in records])  # type: ignore[attr-defined]
    ))
    return {row.external_id: row for row in rows}  # type: ignore[attr-defined]


def upsert_products(session: Session, shop_id: int, records: list[ProductRecord]) -> list[Product]:
    existing = _existing(session, Product, shop_id, records)
    products = []
    for record in records:
        product = existing.get(record.external_id)
        if product is None:
            product = Product(shop_id=shop_id, external_id=record.external_id)
            session.add(product)
        _apply_product(product, record)
        products.append(product)
    session.flush()
    return products


def _apply_product(product: Product, record: ProductRecord) -> None:
    prices = [v.price for v in record.variants]
    compare = [v.compare_at_price for v in record.variants if v.compare_at_price and v.compare_at_price > v.price]
    product.handle = record.handle
    product.title = record.title
    product.body_html = record.body_html
    product.body_text = search.html_to_text(record.body_html)
    product.vendor = record.vendor
    product.product_type = record.product_type
    product.tags = list(record.tags)
    product.options = [{"name": o.name, "values": list(o.values)} for o in record.options]
    product.image_url = record.image_url or (record.images[0] if record.images else None)
    product.url = record.url
    product.published = record.published
    product.price_min, product.price_max = min(prices), max(prices)
    product.compare_at_max = max(compare) if compare else None
    product.available = any(v.available for v in record.variants)
    product.remote_updated_at = record.updated_at
    product.synced_at = utcnow()

    by_id = {v.external_id: v for v in product.variants}
    keep = []
    for position, vr in enumerate(record.variants):
        variant = by_id.get(vr.external_id) or Variant(external_id=vr.external_id)
        _apply_variant(variant, vr, position)
        keep.append(variant)
    product.variants = keep  # delete-orphan removes variants the platform dropped


def _apply_variant(variant: Variant, record: VariantRecord, position: int) -> None:
    variant.position = position
    variant.title = record.title
    variant.option_values = list(record.option_values)
    variant.sku = record.sku
    variant.price = record.price
    variant.compare_at_price = record.compare_at_price
    variant.inventory_tracked = record.inventory_tracked
    variant.inventory_quantity = record.inventory_quantity
    variant.inventory_policy = record.inventory_policy
    variant.available = record.available
    variant.image_url = record.image_url


def upsert_documents(session: Session, shop_id: int, records: list[DocumentRecord]) -> list[Document]:
    existing = _existing(session, Document, shop_id, records)
    docs = []
    for record in records:
        doc = existing.get(record.external_id)
        if doc is None:
            doc = Document(shop_id=shop_id, external_id=record.external_id)
            session.add(doc)
        doc.kind, doc.title, doc.body, doc.url = record.kind, record.title, record.body, record.url
        doc.remote_updated_at, doc.synced_at = record.updated_at, utcnow()
        docs.append(doc)
    session.flush()
    return docs


def _remove_missing(db: Database, shop_id: int, products: set[str], documents: set[str]) -> int:
    with db.session() as session:
        gone = [
            pid
            for pid, ext in session.execute(
                select(Product.id, Product.external_id).where(Product.shop_id == shop_id)
            )
            if ext not in products
        ]
        gone_docs = [
            did
            for did, ext in session.execute(
                select(Document.id, Document.external_id).where(Document.shop_id == shop_id)
            )
            if ext not in documents
        ]
        if gone:
            search.unindex_products(session, gone)
            session.execute(delete(Variant).where(Variant.product_id.in_(gone)))
            session.execute(delete(Product).where(Product.id.in_(gone)))
        if gone_docs:
            search.unindex_documents(session, gone_docs)
            session.execute(delete(Document).where(Document.id.in_(gone_docs)))
        return len(gone)
