"""Built-in assistant reply latency on a generated, seeded 10,000-product catalog.

    .venv/bin/python bench/assistant.py [--products 10000] [--rounds 3] [--database-url URL]

Imports the catalog through the real CSV connector and sync, then answers a
fixed set of shopper questions (every intent) through the built-in engine and
its tools, inside a database transaction as the worker does. Prints p50, p90,
p99 and max per intent and overall, server-side: engine + tools + database,
without the socket or the queue. The target is p99 <= 50 ms on 2 cores.
A run on the small demo catalog is printed first as the baseline.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.catalog import write_catalog  # noqa: E402
from core.assistant.builtin import BuiltinEngine  # noqa: E402
from core.assistant.builtin.vocabulary import warm  # noqa: E402
from core.assistant.engine import Turn  # noqa: E402
from core.assistant.tools import Tools  # noqa: E402
from core.catalog.sync import create_run, run_sync  # noqa: E402
from core.db import Database, Shop  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.shops import create_shop  # noqa: E402

QUESTIONS = {
    "product_search": ["do you have a leather jacket?", "show me wool jumpers", "linen shirts for men",
                       "any silk dresses?", "I'm looking for a backpack"],
    "filters": ["black sneakers under $60", "red dresses in size M", "cashmere cardigan between 50 and 120",
                "in stock denim jeans"],
    "details": ["how much is the Classic Leather Jacket?", "tell me about the Vintage Wool Parka"],
    "availability": ["is the Slim Cotton Shirt available in navy?", "do you have the Everyday Linen Tee in XL?"],
    "knowledge": ["how long does shipping take?", "what is your returns policy?", "what are your opening hours?"],
    "order": ["where is my order #1001?", "order 1001 bob.norman@hostmail.com"],
    "smalltalk": ["hi", "thanks!", "can I talk to a person?", "what's the weather like?"],
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(db: Database, shop_id: int, rounds: int) -> dict[str, list[float]]:
    engine = BuiltinEngine()
    times: dict[str, list[float]] = {k: [] for k in QUESTIONS}
    for _ in range(rounds):
        for intent, questions in QUESTIONS.items():
            for text in questions:
                with db.session() as session:
                    shop = session.get(Shop, shop_id)
                    started = time.perf_counter()
                    engine.reply(Turn(shop=shop, conversation_id=0, text=text), Tools(session, shop))
                    times[intent].append((time.perf_counter() - started) * 1000)
                    session.rollback()
    return times


def report(title: str, times: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    print(f"{'intent':<16}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    every: list[float] = []
    for intent, values in times.items():
        every += values
        print(f"{intent:<16}{len(values):>5}{statistics.median(values):>9.1f}{percentile(values, 90):>9.1f}"
              f"{percentile(values, 99):>9.1f}{max(values):>9.1f}")
    print(f"{'all':<16}{len(every):>5}{statistics.median(every):>9.1f}{percentile(every, 90):>9.1f}"
          f"{percentile(every, 99):>9.1f}{max(every):>9.1f}")


def build(folder: Path, products: int | None, database_url: str | None) -> tuple[Database, int, float]:
    settings = load_settings(instance_path=folder, database_url=database_url, secret_key="b" * 40)
    db = Database(settings)
    upgrade(db.engine)
    if products is None:
        shop = create_shop(db, "Demo", "csv", {"demo": True, "storefront_url": "http://shop.test"})
    else:
        csv_path = write_catalog(folder / "catalog.csv", products, seed=7)
        shop = create_shop(db, "Bench", "csv", {"csv_path": str(csv_path), "demo": True,
                                                "storefront_url": "http://shop.test"})
    started = time.perf_counter()
    run_sync(db, create_run(db, shop.id).id)
    took = time.perf_counter() - started
    started = time.perf_counter()
    warm(db, shop.id)  # as the sync job does after every sync (core.jobs.sync_shop)
    print(f"vocabulary built after the sync in {(time.perf_counter() - started) * 1000:.0f} ms")
    return db, shop.id, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    if args.database_url:
        print("note: the PostgreSQL database is migrated and shops are added to it")
    with tempfile.TemporaryDirectory() as tmp:
        db, shop_id, took = build(Path(tmp) / "demo", None, args.database_url)
        report(f"baseline: demo catalog (20 products), import {took:.1f} s", measure(db, shop_id, args.rounds))
        db.dispose()
        db, shop_id, took = build(Path(tmp) / "big", args.products, args.database_url)
        report(f"generated catalog: {args.products} products (seed 7), import {took:.1f} s "
               f"({args.products / took:.0f} products/s through CSV + sync)", measure(db, shop_id, args.rounds))
        db.dispose()
    print("\nserver-side: engine + tools + database reads in one transaction; no socket, queue or store.")


if __name__ == "__main__":
    main()
