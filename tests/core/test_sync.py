"""The sync pipeline, end to end: a CSV shop imported into a real database and
search index, re-synced after edits, failing cleanly, and run through RQ."""
from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from connectors.csv import DEMO_DIR
from core import jobs
from core.catalog.search import search_documents, search_products
from core.catalog.sync import create_run, run_sync
from core.db import Database, Document, Product, Shop, SyncRun, Variant
from core.errors import ConnectorNotFound, NotFound, RecordError
from core.settings import Settings
from core.shops import create_shop
from tests.conftest import SHOPIFY_DATA

APPAREL = SHOPIFY_DATA / "apparel.csv"
STOREFRONT = "https://shop.example"
HANDLES = [
    "ocean-blue-shirt", "classic-varsity-top", "yellow-wool-jumper", "floral-white-top",
    "striped-silk-blouse", "classic-leather-jacket", "dark-denim-top", "navy-sport-jacket",
    "dark-winter-jacket", "black-leather-bag", "zipped-jacket", "silk-summer-top",
    "longsleeve-cotton-top", "chequered-red-shirt", "white-cotton-shirt", "olive-green-jacket",
    "blue-silk-tuxedo", "red-sports-tee", "striped-skirt-and-top", "led-high-tops",
]
QUERIES = ["jacket", "leather bag", "silk", "cotton shirt", "varsity", "led shoes", "top"]


# -- helpers ---------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def new_row(header: list[str], **cells: str) -> list[str]:
    """A row of ``header`` with ``cells`` (keys use ``_`` for spaces) filled in."""
    values = {name.replace("_", " "): value for name, value in cells.items()}
    if "Body HTML" in values:
        values["Body (HTML)"] = values.pop("Body HTML")
    unknown = set(values) - set(header)
    assert not unknown, unknown
    return [values.get(name, "") for name in header]


def set_cell(header: list[str], row: list[str], column: str, value: str) -> None:
    row[header.index(column)] = value


def find_row(header: list[str], rows: list[list[str]], handle: str, option1: str = "") -> list[str]:
    h, o = header.index("Handle"), header.index("Option1 Value")
    matches = [r for r in rows if r[h] == handle and (not option1 or r[o] == option1)]
    assert len(matches) == 1, (handle, option1, matches)
    return matches[0]


def catalog(db: Database, shop_id: int) -> dict[str, Any]:
    """Everything a sync writes for a shop, keyed by external id, with row ids."""
    with db.session() as session:
        products = {
            p.external_id: (p.id, p.title, p.price_min, p.price_max, p.available, p.url)
            for p in session.scalars(select(Product).where(Product.shop_id == shop_id))
        }
        variants = {
            v.external_id: (v.id, v.product_id, v.position, v.price, v.inventory_quantity, v.available)
            for v in session.scalars(
                select(Variant).join(Product).where(Product.shop_id == shop_id)
            )
        }
        documents = {
            d.external_id: (d.id, d.kind, d.title, d.url)
            for d in session.scalars(select(Document).where(Document.shop_id == shop_id))
        }
        index = {
            table: session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE shop_id = :s"), {"s": shop_id}
            )
            for table in ("product_search", "document_search")
        }
    return {"products": products, "variants": variants, "documents": documents, "index": index}


def product_ids(db: Database, shop_id: int, query: str, **kw: Any) -> list[int]:
    with db.session() as session:
        return [hit.id for hit in search_products(session, shop_id, query, limit=50, **kw)]


def ids_by_handle(db: Database, shop_id: int) -> dict[str, int]:
    with db.session() as session:
        return dict(
            session.execute(select(Product.external_id, Product.id).where(Product.shop_id == shop_id)).all()
        )


def sync(db: Database, shop_id: int, *, full: bool = True) -> SyncRun:
    run = create_run(db, shop_id, full=full)
    assert run.status == "queued"
    return run_sync(db, run.id)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def get_run(db: Database, run_id: int) -> SyncRun:
    with db.session() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        return run


# -- fixtures --------------------------------------------------------------------


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "apparel.csv"
    path.parent.mkdir()
    shutil.copyfile(APPAREL, path)
    return path


@pytest.fixture
def pages_dir(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "pages"
    shutil.copytree(DEMO_DIR / "pages", path)
    return path


@pytest.fixture
def shop(db: Database, csv_path: Path, pages_dir: Path) -> Shop:
    return create_shop(
        db,
        "Apparel",
        "csv",
        {"csv_path": str(csv_path), "storefront_url": STOREFRONT + "/", "pages_dir": str(pages_dir)},
        storefront_url=STOREFRONT,
    )


# -- the first import ------------------------------------------------------------


def test_first_sync_imports_exactly_the_file(db: Database, shop: Shop) -> None:
    run = sync(db, shop.id)

    assert run.status == "finished"
    assert (run.products_seen, run.documents_seen, run.products_removed) == (20, 3, 0)
    assert run.error is None
    assert run.started_at is not None and run.finished_at is not None
    assert aware(run.finished_at) >= aware(run.started_at)
    stored = get_run(db, run.id)
    assert (stored.status, stored.products_seen, stored.documents_seen) == ("finished", 20, 3)

    cat = catalog(db, shop.id)
    assert sorted(cat["products"]) == sorted(HANDLES)
    assert len(cat["variants"]) == 22
    assert sorted(v for v in cat["variants"] if v.startswith("classic-varsity-top:")) == [
        "classic-varsity-top:Large", "classic-varsity-top:Medium", "classic-varsity-top:Small",
    ]
    assert cat["index"] == {"product_search": 20, "document_search": 3}

    with db.session() as session:
        top = session.scalar(
            select(Product).where(Product.shop_id == shop.id, Product.external_id == "classic-varsity-top")
        )
        assert top is not None
        assert top.title == "Classic Varsity Top"
        assert top.handle == "classic-varsity-top"
        assert top.url == "https://shop.example/products/classic-varsity-top"
        assert top.vendor == "partners-demo"
        assert top.tags == ["women"]
        assert top.options == [{"name": "Size", "values": ["Small", "Medium", "Large"]}]
        assert (top.price_min, top.price_max, top.compare_at_max) == (Decimal("60"), Decimal("60"), None)
        assert top.available is True and top.published is True
        assert top.image_url == "https://burst.shopifycdn.com/photos/casual-fashion-woman_925x.jpg"
        assert [(v.position, v.title, v.option_values, v.price, v.inventory_tracked,
                 v.inventory_quantity, v.inventory_policy, v.available) for v in top.variants] == [
            (0, "Small", ["Small"], Decimal("60"), False, 1, "deny", True),
            (1, "Medium", ["Medium"], Decimal("60"), False, 1, "deny", True),
            (2, "Large", ["Large"], Decimal("60"), False, 1, "deny", True),
        ]

        prices = dict(
            session.execute(
                select(Product.external_id, Product.price_min).where(Product.shop_id == shop.id)
            ).all()
        )
        assert prices["ocean-blue-shirt"] == Decimal("50")
        assert prices["black-leather-bag"] == Decimal("30")
        assert prices["led-high-tops"] == Decimal("80")
        assert prices["zipped-jacket"] == Decimal("65")
        shirt = session.scalar(
            select(Variant).join(Product).where(
                Product.shop_id == shop.id, Variant.external_id == "ocean-blue-shirt:Default Title"
            )
        )
        assert shirt is not None
        assert (shirt.title, shirt.option_values, shirt.price, shirt.sku) == ("Default Title", [], Decimal("50"), None)
        urls = set(
            session.scalars(select(Product.url).where(Product.shop_id == shop.id))
        )
        assert urls == {f"https://shop.example/products/{h}" for h in HANDLES}

    ids = ids_by_handle(db, shop.id)
    assert product_ids(db, shop.id, "leather bag")[0] == ids["black-leather-bag"]
    assert ids["classic-leather-jacket"] in product_ids(db, shop.id, "leather bag")
    assert product_ids(db, shop.id, "varsity") == [ids["classic-varsity-top"]]
    assert product_ids(db, shop.id, "tuxedo") == [ids["blue-silk-tuxedo"]]


def test_resync_is_idempotent(db: Database, shop: Shop) -> None:
    sync(db, shop.id)
    before = catalog(db, shop.id)
    with db.session() as session:
        searches = {q: search_products(session, shop.id, q, limit=50) for q in QUERIES}
        doc_searches = {q: search_documents(session, shop.id, q) for q in ("refund", "shipping", "phone")}
    assert all(searches[q] for q in QUERIES)

    second = sync(db, shop.id)
    third = sync(db, shop.id, full=False)

    assert (second.status, second.products_seen, second.documents_seen, second.products_removed) == (
        "finished", 20, 3, 0,
    )
    assert (third.status, third.products_seen, third.documents_seen, third.products_removed) == (
        "finished", 20, 3, 0,
    )
    assert catalog(db, shop.id) == before  # same rows, same ids, same index size
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 20
        assert session.scalar(select(func.count()).select_from(Variant)) == 22
        assert session.scalar(select(func.count()).select_from(Document)) == 3
        for q in QUERIES:
            after = search_products(session, shop.id, q, limit=50)
            assert [h.id for h in after] == [h.id for h in searches[q]], q
            assert [h.score for h in after] == pytest.approx([h.score for h in searches[q]]), q
        for q, hits in doc_searches.items():
            assert search_documents(session, shop.id, q) == hits


# -- re-sync after edits -----------------------------------------------------------


def test_full_resync_applies_edits_and_removals(db: Database, shop: Shop, csv_path: Path) -> None:
    sync(db, shop.id)
    before = catalog(db, shop.id)
    bag_id = before["products"]["black-leather-bag"][0]
    assert bag_id in product_ids(db, shop.id, "bag")

    header, rows = read_csv(csv_path)
    set_cell(header, find_row(header, rows, "ocean-blue-shirt"), "Variant Price", "55.50")
    set_cell(header, find_row(header, rows, "ocean-blue-shirt"), "Variant Compare At Price", "70")
    rows.remove(find_row(header, rows, "black-leather-bag"))
    rows.remove(find_row(header, rows, "classic-varsity-top", "Large"))
    rows.append(new_row(
        header, Handle="rain-poncho", Title="Rain Poncho", Body_HTML="<p>A <b>waterproof</b> poncho.</p>",
        Vendor="partners-demo", Tags="unisex, rain", Published="true",
        Option1_Name="Size", Option1_Value="S", Variant_Inventory_Tracker="shopify",
        Variant_Inventory_Qty="0", Variant_Inventory_Policy="deny", Variant_Price="19.99",
    ))
    rows.append(new_row(
        header, Handle="rain-poncho", Option1_Value="M", Variant_Inventory_Tracker="shopify",
        Variant_Inventory_Qty="4", Variant_Inventory_Policy="deny", Variant_Price="21.00",
    ))
    rows.append(new_row(
        header, Handle="sold-out-scarf", Title="Sold Out Scarf", Option1_Name="Title",
        Option1_Value="Default Title", Variant_Inventory_Tracker="shopify", Variant_Inventory_Qty="0",
        Variant_Price="15",
    ))
    write_csv(csv_path, header, rows)

    run = sync(db, shop.id)

    assert (run.status, run.products_seen, run.documents_seen, run.products_removed) == (
        "finished", 21, 3, 1,
    )
    after = catalog(db, shop.id)
    assert sorted(after["products"]) == sorted(
        [h for h in HANDLES if h != "black-leather-bag"] + ["rain-poncho", "sold-out-scarf"]
    )
    assert len(after["variants"]) == 22 - 1 - 1 + 2 + 1
    assert after["index"] == {"product_search": 21, "document_search": 3}
    # Unchanged products keep their rows.
    for handle in HANDLES:
        if handle != "black-leather-bag":
            assert after["products"][handle][0] == before["products"][handle][0], handle
    # The price change.
    shirt = after["products"]["ocean-blue-shirt"]
    assert (shirt[2], shirt[3]) == (Decimal("55.50"), Decimal("55.50"))
    shirt_variant = after["variants"]["ocean-blue-shirt:Default Title"]
    assert shirt_variant[0] == before["variants"]["ocean-blue-shirt:Default Title"][0]
    assert shirt_variant[3] == Decimal("55.50")
    # The dropped variant.
    assert "classic-varsity-top:Large" not in after["variants"]
    for kept in ("classic-varsity-top:Small", "classic-varsity-top:Medium"):
        assert after["variants"][kept][0] == before["variants"][kept][0]
    # The removed product is gone from the database and from search.
    assert "black-leather-bag" not in after["products"]
    assert bag_id not in product_ids(db, shop.id, "bag")
    assert bag_id not in product_ids(db, shop.id, "black leather bag")

    ids = ids_by_handle(db, shop.id)
    with db.session() as session:
        top = session.get(Product, ids["classic-varsity-top"])
        assert top is not None
        assert top.options == [{"name": "Size", "values": ["Small", "Medium"]}]
        assert [v.title for v in top.variants] == ["Small", "Medium"]
        shirt_row = session.get(Product, ids["ocean-blue-shirt"])
        assert shirt_row is not None and shirt_row.compare_at_max == Decimal("70")

        poncho = session.get(Product, ids["rain-poncho"])
        assert poncho is not None
        assert poncho.title == "Rain Poncho"
        assert poncho.body_text == "A waterproof poncho."
        assert poncho.tags == ["unisex", "rain"]
        assert poncho.url == "https://shop.example/products/rain-poncho"
        assert (poncho.price_min, poncho.price_max) == (Decimal("19.99"), Decimal("21.00"))
        assert poncho.available is True
        assert [(v.external_id, v.price, v.inventory_tracked, v.inventory_quantity, v.available)
                for v in poncho.variants] == [
            ("rain-poncho:S", Decimal("19.99"), True, 0, False),
            ("rain-poncho:M", Decimal("21.00"), True, 4, True),
        ]
        scarf = session.get(Product, ids["sold-out-scarf"])
        assert scarf is not None
        assert scarf.available is False
        assert [(v.inventory_quantity, v.available) for v in scarf.variants] == [(0, False)]

    assert product_ids(db, shop.id, "poncho") == [ids["rain-poncho"]]
    assert product_ids(db, shop.id, "scarf") == [ids["sold-out-scarf"]]
    assert product_ids(db, shop.id, "scarf", in_stock_only=True) == []


def test_incremental_sync_never_removes(db: Database, shop: Shop, csv_path: Path) -> None:
    sync(db, shop.id)
    header, rows = read_csv(csv_path)
    rows.remove(find_row(header, rows, "black-leather-bag"))
    write_csv(csv_path, header, rows)

    run = sync(db, shop.id, full=False)

    assert (run.status, run.products_seen, run.products_removed) == ("finished", 19, 0)
    assert "black-leather-bag" in catalog(db, shop.id)["products"]


# -- failures ----------------------------------------------------------------------


def test_malformed_csv_fails_the_run_and_keeps_the_catalog(db: Database, shop: Shop, csv_path: Path) -> None:
    first = sync(db, shop.id)
    before = catalog(db, shop.id)

    header, rows = read_csv(csv_path)
    # A valid edit early in the file must not be applied either.
    set_cell(header, find_row(header, rows, "ocean-blue-shirt"), "Variant Price", "99")
    rows.remove(find_row(header, rows, "led-high-tops"))
    # Data rows start at line 2; the eighth data row is line 9.
    assert rows[7][0] == "classic-leather-jacket"
    set_cell(header, rows[7], "Variant Price", "eighty")
    write_csv(csv_path, header, rows)

    run = create_run(db, shop.id)
    with pytest.raises(RecordError) as excinfo:
        run_sync(db, run.id)

    assert str(excinfo.value) == "line 9: Variant Price 'eighty' is not a number"
    failed = get_run(db, run.id)
    assert failed.status == "failed"
    assert failed.error == "line 9: Variant Price 'eighty' is not a number"
    assert failed.finished_at is not None
    assert (failed.products_seen, failed.products_removed) == (0, 0)
    assert get_run(db, first.id).status == "finished"
    assert catalog(db, shop.id) == before
    with db.session() as session:
        assert session.scalar(
            select(Product.price_min).where(Product.shop_id == shop.id, Product.external_id == "ocean-blue-shirt")
        ) == Decimal("50")

    # Fixing the file and syncing again succeeds and clears the error.
    set_cell(header, rows[7], "Variant Price", "85")
    write_csv(csv_path, header, rows)
    run = sync(db, shop.id)
    assert (run.status, run.error, run.products_seen, run.products_removed) == ("finished", None, 19, 1)


def test_unknown_platform_fails_with_clear_error(db: Database) -> None:
    with db.session() as session:
        shop = Shop(name="Woo", platform="woocommerce-nope", site_key="sk_nope", connector_config={})
        session.add(shop)
    run = create_run(db, shop.id)

    with pytest.raises(ConnectorNotFound) as excinfo:
        run_sync(db, run.id)

    assert "no connector named 'woocommerce-nope'" in str(excinfo.value)
    assert "csv" in str(excinfo.value)  # lists what is installed
    failed = get_run(db, run.id)
    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.startswith("no connector named 'woocommerce-nope' (installed: ")
    assert failed.finished_at is not None


def test_missing_csv_file_fails_the_run(db: Database, shop: Shop, csv_path: Path) -> None:
    csv_path.unlink()
    run = create_run(db, shop.id)
    with pytest.raises(Exception):
        run_sync(db, run.id)
    failed = get_run(db, run.id)
    assert failed.status == "failed"
    assert failed.error is not None and f"cannot read {csv_path}" in failed.error


def test_create_run_and_run_sync_reject_unknown_ids(db: Database) -> None:
    with pytest.raises(NotFound, match="shop 12345 does not exist"):
        create_run(db, 12345)
    with pytest.raises(NotFound, match="sync run 54321 does not exist"):
        run_sync(db, 54321)


# -- documents ---------------------------------------------------------------------


def test_documents_are_synced_and_searchable(db: Database, shop: Shop, pages_dir: Path) -> None:
    sync(db, shop.id)
    docs = catalog(db, shop.id)["documents"]
    assert {k: v[1:] for k, v in docs.items()} == {
        "contact": ("page", "Contact us", "https://shop.example/pages/contact"),
        "returns": ("policy", "Returns and refunds", "https://shop.example/pages/returns"),
        "shipping": ("policy", "Shipping", "https://shop.example/pages/shipping"),
    }
    with db.session() as session:
        refund = search_documents(session, shop.id, "refund")
        assert refund and refund[0].id == docs["returns"][0]
        assert [h.id for h in search_documents(session, shop.id, "phone")] == [docs["contact"][0]]
        body = session.get(Document, docs["returns"][0])
        assert body is not None and "within 30 days of delivery" in body.body

    # Pages are updated in place and removed with the file.
    (pages_dir / "contact.md").unlink()
    (pages_dir / "faq.md").write_text("# FAQ\n\nDo you ship gift wrapping? Yes, zebrawrap is free.\n")
    run = sync(db, shop.id)
    assert (run.documents_seen, run.products_removed) == (3, 0)
    after = catalog(db, shop.id)["documents"]
    assert sorted(after) == ["faq", "returns", "shipping"]
    assert after["returns"][0] == docs["returns"][0]
    assert after["faq"][1:] == ("page", "FAQ", "https://shop.example/pages/faq")
    with db.session() as session:
        assert [h.id for h in search_documents(session, shop.id, "zebrawrap")] == [after["faq"][0]]
        assert docs["contact"][0] not in [h.id for h in search_documents(session, shop.id, "phone")]
        assert session.scalar(
            text("SELECT count(*) FROM document_search WHERE shop_id = :s"), {"s": shop.id}
        ) == 3


def test_shops_are_isolated(db: Database, shop: Shop, csv_path: Path, tmp_path: Path) -> None:
    other_csv = tmp_path / "other.csv"
    header, rows = read_csv(csv_path)
    write_csv(other_csv, header, [find_row(header, rows, "ocean-blue-shirt")])
    other = create_shop(db, "Other", "csv", {"csv_path": str(other_csv)})
    sync(db, shop.id)
    run = sync(db, other.id)
    assert (run.products_seen, run.documents_seen, run.products_removed) == (1, 0, 0)
    assert len(catalog(db, shop.id)["products"]) == 20
    other_cat = catalog(db, other.id)
    assert list(other_cat["products"]) == ["ocean-blue-shirt"]
    assert other_cat["products"]["ocean-blue-shirt"][5] is None  # no storefront_url, no link
    assert len(product_ids(db, other.id, "shirt")) == 1
    # A re-sync of the first shop must not remove the other's products.
    sync(db, shop.id)
    assert list(catalog(db, other.id)["products"]) == ["ocean-blue-shirt"]


# -- through RQ ------------------------------------------------------------------


@pytest.fixture
def worker_env(settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STORECHAT_INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("STORECHAT_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("STORECHAT_SECRET_KEY", settings.secret_key or "")
    monkeypatch.setenv("STORECHAT_REDIS_URL", redis_url)
    _reset_worker_services()
    yield
    _reset_worker_services()


def _reset_worker_services() -> None:
    if jobs.worker_services.cache_info().currsize:
        jobs.worker_services().close()
    jobs.worker_services.cache_clear()


def test_sync_through_rq_worker(db: Database, shop: Shop, redis, redis_url: str, worker_env: None) -> None:  # type: ignore[no-untyped-def]
    from rq.job import JobStatus

    from core.worker import run as run_worker

    run = create_run(db, shop.id)
    job = jobs.enqueue_sync(redis, run.id, shop.id)
    assert job.origin == "default"
    assert job.get_status() == JobStatus.QUEUED
    assert get_run(db, run.id).status == "queued"

    assert run_worker(redis_url, ("default",), burst=True) is True

    assert job.get_status(refresh=True) == JobStatus.FINISHED
    done = get_run(db, run.id)
    assert (done.status, done.products_seen, done.documents_seen, done.error) == ("finished", 20, 3, None)
    assert jobs.worker_services().settings.sqlalchemy_url == settings_url(db)
    cat = catalog(db, shop.id)
    assert len(cat["products"]) == 20 and len(cat["variants"]) == 22

    # A failing job is recorded by RQ and by the run.
    csv_path = Path(shop.connector_config["csv_path"])
    csv_path.write_text(csv_path.read_text().replace(",50,", ",-5,", 1))
    failing = create_run(db, shop.id)
    job = jobs.enqueue_sync(redis, failing.id, shop.id)
    run_worker(redis_url, ("default",), burst=True)
    assert job.get_status(refresh=True) == JobStatus.FAILED
    failed = get_run(db, failing.id)
    assert failed.status == "failed"
    assert failed.error == "line 2: Variant Price '-5' is negative"
    assert catalog(db, shop.id) == cat


def settings_url(db: Database) -> str:
    return db.url


def test_incremental_sync_passes_last_success_as_aware_utc(
    db: Database, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connectors compare ``since`` with platform timestamps, which are
    timezone-aware UTC (see core.connector): a naive ``since`` would raise."""
    from core import shop_connectors
    from core.connector import ProductRecord, VariantRecord

    seen: list[datetime | None] = []

    class Recording:
        def iter_products(self, since: datetime | None = None) -> Iterator[ProductRecord]:
            seen.append(since)
            if since is not None:
                assert since < datetime.now(timezone.utc)  # raises TypeError when naive
            yield ProductRecord(
                external_id="p1", handle="p1", title="Thing",
                variants=(VariantRecord(external_id="v1", title="Default Title", price=Decimal("5")),),
            )

        def iter_documents(self, since: datetime | None = None) -> Iterator[Any]:
            return iter(())

    monkeypatch.setattr(shop_connectors, "for_shop_id", lambda db, shop_id: Recording())
    first = sync(db, shop.id, full=False)  # no successful run yet: a full read
    assert seen == [None]
    assert first.status == "finished"
    second = sync(db, shop.id, full=False)
    assert second.status == "finished"
    assert seen[1] is not None
    assert seen[1].utcoffset() is not None
    assert seen[1] == aware(get_run(db, first.id).started_at)  # type: ignore[arg-type]


def test_catalog_larger_than_one_batch(db: Database, tmp_path: Path) -> None:
    """Several batches (one transaction each) add up to one complete, idempotent sync."""
    from core.catalog import sync as sync_module

    total = sync_module.BATCH * 2 + 50
    header, rows = read_csv(APPAREL)
    template = find_row(header, rows, "ocean-blue-shirt")
    big = tmp_path / "big.csv"
    generated = []
    for n in range(total):
        row = list(template)
        set_cell(header, row, "Handle", f"item-{n:04d}")
        set_cell(header, row, "Title", f"Item {n:04d} zq{n:04d}")
        set_cell(header, row, "Variant Price", f"{n}.25")
        generated.append(row)
    write_csv(big, header, generated)
    shop = create_shop(db, "Big", "csv", {"csv_path": str(big)})

    run = sync(db, shop.id)
    assert (run.status, run.products_seen, run.products_removed) == ("finished", total, 0)
    cat = catalog(db, shop.id)
    assert len(cat["products"]) == total and len(cat["variants"]) == total
    assert cat["index"]["product_search"] == total
    assert cat["products"]["item-0449"][2] == Decimal("449.25")
    ids = ids_by_handle(db, shop.id)
    assert product_ids(db, shop.id, "zq0321") == [ids["item-0321"]]

    write_csv(big, header, generated[1:])
    run = sync(db, shop.id)
    assert (run.status, run.products_seen, run.products_removed) == ("finished", total - 1, 1)
    after = catalog(db, shop.id)
    assert "item-0000" not in after["products"]
    assert {k: v for k, v in cat["products"].items() if k != "item-0000"} == after["products"]
    assert after["index"]["product_search"] == total - 1
