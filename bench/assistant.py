"""Built-in assistant reply latency on generated, seeded catalogs of several sizes.

    .venv/bin/python bench/assistant.py [--products 10000,100000] [--questions en,es,fr,de,pt,it]
                                        [--rounds 3] [--database-url URL] [--keep DIR]

For each size, imports a generated catalog (``bench/catalog.py``, seed 7)
through the real CSV connector and sync, builds the assistant's vocabulary as
the sync job does, then answers every question of the question sets
(``bench/questions/<name>.json``: intent -> questions; or a path to such a
file) through the built-in engine and its tools, each question in one
transaction as the worker does. A first round is not counted: a worker's first question of
each kind compiles its statements once for the life of the process (its p99 is
printed on its own, "cold"). Prints p50 and p99 per set and intent, the sizes
side by side: engine + tools + database, server-side, without the socket or the queue.
Also the CPU time of this process per question (on SQLite that includes the
database's work, and it is what a busy machine's wall clock inflates least).
Goal: p99 <= 20 ms at every size, for every intent. A run on the small demo
catalog comes first as the baseline.
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.catalog import VENDORS, write_catalog  # noqa: E402
from core.assistant.builtin import BuiltinEngine  # noqa: E402
from core.assistant.builtin.vocabulary import warm  # noqa: E402
from core.assistant.engine import Turn  # noqa: E402
from core.assistant.tools import Tools  # noqa: E402
from core.catalog import option_keys  # noqa: E402
from core.catalog.search import fill_prices  # noqa: E402
from core.catalog.sync import create_run, run_sync  # noqa: E402
from core.db import Database, Shop  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.shops import create_shop  # noqa: E402

QUESTIONS_DIR = Path(__file__).with_name("questions")
GOAL_MS = 20.0
#: The English set, as bench/sync_isolation.py asks it.
QUESTIONS: dict[str, list[str]] = json.loads((QUESTIONS_DIR / "en.json").read_text(encoding="utf-8"))
#: (set name, intent) -> the times of its questions, ms
Times = dict[tuple[str, str], list[float]]


def load_sets(names: str) -> dict[str, dict[str, list[str]]]:
    """Question sets by name (``bench/questions/<name>.json``) or path; each maps intent -> questions."""
    sets: dict[str, dict[str, list[str]]] = {}
    for name in [n.strip() for n in names.split(",") if n.strip()]:
        path = Path(name) if name.endswith(".json") else QUESTIONS_DIR / f"{name}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SystemExit(f"question set {name!r}: cannot read {path}: {exc}") from None
        if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(q, str) for q in v)
                for k, v in data.items()):
            raise SystemExit(f"question set {name!r} ({path}): expected an object of intent -> list of questions")
        sets[path.stem] = data
    if not sets:
        raise SystemExit("--questions: name at least one question set")
    return sets


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(db: Database, shop_id: int, sets: dict[str, dict[str, list[str]]], rounds: int
            ) -> tuple[Times, Times, float]:
    """(wall times, CPU times of this thread) per (set, intent), ms, of ``rounds`` rounds after an
    uncounted first one; and the first round's p99 (ms, wall clock)."""
    gc.collect()
    gc.freeze()  # what an assistant worker does once its vocabularies are warm (core/worker.py)
    engine = BuiltinEngine()
    cold: Times = {(s, i): [] for s, intents in sets.items() for i in intents}
    _round(db, shop_id, sets, engine, cold, {k: [] for k in cold})
    wall: Times = {k: [] for k in cold}
    cpu: Times = {k: [] for k in cold}
    for _ in range(rounds):
        _round(db, shop_id, sets, engine, wall, cpu)
    return wall, cpu, percentile([t for times in cold.values() for t in times], 99)


def _round(db: Database, shop_id: int, sets: dict[str, dict[str, list[str]]], engine: BuiltinEngine,
           wall: Times, cpu: Times) -> None:
    for name, intents in sets.items():
        for intent, questions in intents.items():
            for text in questions:
                # As the worker's reply job (core/assistant/service.py): the built-in engine waits on nothing
                # between its tool calls, so its reads are in the job's one transaction (``engine.waits``), and
                # the session commits at the end (the job's commit also stores its events). Ending it with a
                # rollback instead would make psycopg drop the connection's prepared statements (it
                # deallocates them all on every ROLLBACK), so each question would be planned afresh.
                with db.session() as session:
                    shop = session.get(Shop, shop_id)
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    tools = Tools(session, shop, release=engine.waits)
                    engine.reply(Turn(shop=shop, conversation_id=0, text=text), tools)
                    cpu[(name, intent)].append((time.thread_time() - started_cpu) * 1000)
                    wall[(name, intent)].append((time.perf_counter() - started) * 1000)


def report(title: str, runs: list[tuple[str, Times, Times, float]]) -> None:
    """One line per (set, intent) and per set, the runs side by side: wall p50 / p99, CPU p99."""
    print(f"\n{title}")
    keys = list(runs[0][1])
    head = f"{'set':<5}{'intent':<16}{'n':>4}"
    for label, _, _, _ in runs:
        head += f" | {label + ' p50':>12}{'p99':>8}{'cpu p99':>9}"
    print(head + "   (ms)")
    groups = [(k, [k]) for k in keys]
    for name in dict.fromkeys(k[0] for k in keys):
        groups.append(((name, "all"), [k for k in keys if k[0] == name]))
    groups.append((("all", ""), keys))
    missed = []
    for (name, intent), members in groups:
        line = f"{name:<5}{intent:<16}{sum(len(runs[0][1][k]) for k in members):>4}"
        for label, wall, cpu, _ in runs:
            w = [t for k in members for t in wall[k]]
            c = [t for k in members for t in cpu[k]]
            line += f" | {statistics.median(w):>12.1f}{percentile(w, 99):>8.1f}{percentile(c, 99):>9.1f}"
            if intent not in ("all", "") and percentile(w, 99) > GOAL_MS:
                missed.append(f"{label} {name}/{intent}")
        print(line)
    print("cold (the uncounted first round, all intents) p99: "
          + ", ".join(f"{label} {cold:.1f} ms" for label, _, _, cold in runs))
    print(f"goal: p99 <= {GOAL_MS:.0f} ms for every intent at every size: "
          + ("met" if not missed else "MISSED (wall clock) by " + ", ".join(missed)))


def build(folder: Path, products: int | None, database_url: str | None) -> tuple[Database, int, str]:
    """The catalog's database and shop: imported now, or the one an earlier run kept in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = load_settings(instance_path=folder, database_url=database_url, secret_key="b" * 40)
    db = Database(settings)
    kept = folder / "kept.json"
    catalog = f"seed 7, {products} products, makers {len(VENDORS)}"  # what the generator made
    upgrade(db.engine)  # a kept catalog too: a change may come with a migration
    if kept.exists():
        mark = json.loads(kept.read_text(encoding="utf-8"))
        with db.session() as session:
            there = session.get(Shop, mark.get("shop_id", 0)) is not None
        if there and mark["database_url"] == database_url and mark.get("catalog") == catalog:
            # What the shop's next sync fills after a migration (core.catalog.sync.run_sync).
            fill_prices(db, mark["shop_id"])
            option_keys.fill(db, mark["shop_id"])
            warm(db, mark["shop_id"])
            return db, mark["shop_id"], "kept from an earlier run (" + mark["note"] + ")"
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
    vocab_ms = (time.perf_counter() - started) * 1000
    note = f"import {took:.1f} s, vocabulary {vocab_ms:.0f} ms"
    kept.write_text(json.dumps({"database_url": database_url, "shop_id": shop.id, "note": note, "catalog": catalog}),
                    encoding="utf-8")
    return db, shop.id, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="10000,100000",
                        help="catalog sizes, comma-separated (default 10000,100000)")
    parser.add_argument("--questions", default="en,es,fr,de,pt,it",
                        help="question sets: names in bench/questions/ or .json paths, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the imported catalogs in this folder and reuse them on the next run "
                             "with the same --database-url (default: a temporary folder, imported every run)")
    args = parser.parse_args()
    try:
        sizes = [int(n.replace("_", "")) for n in args.products.split(",") if n.strip()]
    except ValueError:
        raise SystemExit(f"--products: whole numbers separated by commas, not {args.products!r}") from None
    if not sizes or min(sizes) < 1 or args.rounds < 1:
        raise SystemExit("--products and --rounds must be at least 1")
    sets = load_sets(args.questions)
    if args.database_url:
        print("note: the PostgreSQL database is migrated and shops are added to it")
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        db, shop_id, note = build(where / "demo", None, args.database_url)
        wall, cpu, cold = measure(db, shop_id, sets, args.rounds)
        db.dispose()
        report(f"baseline: demo catalog (20 products), {note}", [("demo", wall, cpu, cold)])
        runs = []
        notes = []
        for size in sizes:
            db, shop_id, note = build(where / f"p{size}", size, args.database_url)
            wall, cpu, cold = measure(db, shop_id, sets, args.rounds)
            db.dispose()
            runs.append((f"{size // 1000}k" if size % 1000 == 0 else str(size), wall, cpu, cold))
            notes.append(f"{size} products: {note}")
        report("generated catalogs (seed 7): " + "; ".join(notes), runs)
    print("\nserver-side: engine + tools + database reads in one transaction; no socket, queue or store.")
    print("cpu: this process's thread; on PostgreSQL the database server's work is not in it.")


if __name__ == "__main__":
    main()
