"""Catalog import speed on a generated, seeded catalog (bench/catalog.py).

    .venv/bin/python bench/import.py [--products 10000] [--database-url URL] [--changed 0.05]

Runs the real pipeline (the CSV connector, ``run_sync``, the search index) and
prints, for each step, the time, products per second and the rows the
database was asked to write (INSERT / UPDATE / DELETE statements and the rows
they carried, search index included):

1. ``parse only``: the CSV connector reading the file, no database: the
   ceiling for any sync of this file.
2. ``first sync``: an empty shop, every product new.
3. ``re-sync, unchanged``: the same file again (a nightly full sync of a catalog
   that did not change).
4. ``re-sync, N% changed``: prices of N% of the products changed, and one
   variant dropped from every 100th product.
5. ``store only``: the same new catalog written through ``upsert_products`` and
   ``index_products`` in batches of 200 from records already parsed (the
   database side of step 2 without the CSV).

The PostgreSQL database must exist; the bench migrates it and adds shops, and
never drops anything. SQLite runs use a file in a temporary folder.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select  # noqa: E402

from bench.catalog import write_catalog  # noqa: E402
from core import connector_registry  # noqa: E402
from core.catalog import search  # noqa: E402
from core.catalog.sync import create_run, run_sync, upsert_products  # noqa: E402
from core.db import Database, Product, Variant  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.shops import create_shop  # noqa: E402

BATCH = 200


class Writes:
    """Counts the write statements (and the rows they carry) sent to the database."""

    def __init__(self, db: Database) -> None:
        self.statements: Counter[str] = Counter()
        self.rows: Counter[str] = Counter()
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            self.statements[verb] += 1
            if isinstance(params, (list, tuple)) and params and isinstance(params[0], (list, tuple, dict)):
                self.rows[verb] += len(params)  # executemany: one parameter set per row
            elif verb == "INSERT":
                self.rows[verb] += statement.count("), (") + 1  # one INSERT ... VALUES (...), (...)
            else:
                self.rows[verb] += 1

    def take(self) -> str:
        text = ", ".join(f"{verb} {self.statements[verb]} stmts / {self.rows[verb]} rows"
                         for verb in ("INSERT", "UPDATE", "DELETE") if self.statements[verb]) or "nothing"
        self.statements.clear()
        self.rows.clear()
        return text


def change_prices(src: Path, dst: Path, share: float, seed: int = 11) -> tuple[int, int]:
    """A copy of the CSV with ``share`` of the products repriced and a variant dropped from every 100th."""
    rng = random.Random(seed)
    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    h, price = header.index("Handle"), header.index("Variant Price")
    handles = list(dict.fromkeys(r[h] for r in body))
    repriced = set(rng.sample(handles, int(len(handles) * share)))
    trimmed = {handle for i, handle in enumerate(handles) if i % 100 == 0}
    out, seen = [], Counter()
    for r in body:
        seen[r[h]] += 1
        if r[h] in trimmed and seen[r[h]] == 2:
            continue  # drop the product's second variant (if it has one)
        if r[h] in repriced:
            r = list(r)
            r[price] = f"{float(r[price]) + 1:.2f}"
        out.append(r)
    with dst.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *out])
    return len(repriced), len(trimmed)


class Clock:
    """Wall time and this process's CPU time of a step (CPU varies less on a busy machine)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def sync(db: Database, shop_id: int) -> Clock:
    with Clock() as clock:
        run = run_sync(db, create_run(db, shop_id).id)
        assert run.status == "finished", run.error
    return clock


def line(label: str, products: int, clock: Clock, writes: str) -> None:
    print(f"{label:<28}{clock.wall:>7.2f} s{products / clock.wall:>8.0f} products/s{clock.cpu:>7.2f} s CPU   {writes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.05, help="share of products repriced in step 4")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    n = args.products
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = load_settings(instance_path=folder / "instance", database_url=args.database_url,
                                 secret_key="b" * 40)
        db = Database(settings)
        upgrade(db.engine)
        print(f"database: {db.dialect}; catalog: {n} products (bench/catalog.py, seed 7)")
        path = write_catalog(folder / "catalog.csv", n, seed=7)
        config = {"csv_path": str(path), "demo": True, "storefront_url": "http://shop.test"}
        writes = Writes(db)

        with Clock() as clock:
            records = list(connector_registry.build("csv", config).iter_products(None))
        line("parse only (CSV connector)", n, clock, "-")

        shop = create_shop(db, "Import bench", "csv", config)
        writes.take()
        line("first sync", n, sync(db, shop.id), writes.take())
        line("re-sync, unchanged", n, sync(db, shop.id), writes.take())
        repriced, trimmed = change_prices(path, path, args.changed)
        line(f"re-sync, {args.changed:.0%} changed", n, sync(db, shop.id), writes.take())
        with db.session() as session:
            variants = session.scalar(select(func.count(Variant.id)).join(Product).where(Product.shop_id == shop.id))
        print(f"{'':<28}({repriced} products repriced, a variant dropped from {trimmed}; {variants} variants stored)")

        other = create_shop(db, "Import bench (store only)", "csv", config)
        writes.take()
        with Clock() as clock:
            for i in range(0, len(records), BATCH):
                with db.session() as session:
                    search.index_products(session, upsert_products(session, other.id, records[i:i + BATCH]))
        line("store only (parsed records)", n, clock, writes.take())
        db.dispose()


if __name__ == "__main__":
    main()
