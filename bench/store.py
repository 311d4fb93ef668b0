"""What storing one chat message costs: ``append_message`` against the bare driver.

Store-before-ack means every shopper line waits for this call, and under
gevent its CPU time holds the whole web process. The bench stores N messages
into one conversation through ``core.chat.messages.append_message`` and,
in the same run and database, the same statements through the bare DB-API
driver: on SQLite bump the counter with ``UPDATE ... RETURNING``, insert
unless the ``client_id`` was seen, commit; on PostgreSQL both in one
statement in autocommit, as the store path does, and for comparison the
two statements and commit in a transaction (the store path before
2026-12-06). The difference is StoreChat's own overhead.

    .venv/bin/python bench/store.py                     # SQLite in a temp folder
    .venv/bin/python bench/store.py --database-url postgresql://postgres@127.0.0.1:5432/storechat_bench

Prints wall and CPU time per message (median and p99). Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.chat import messages  # noqa: E402
from core.db import Conversation, Database, Shop, Visitor  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.settings import Settings  # noqa: E402


def _setup(db: Database) -> tuple[int, int, int]:
    """A fresh shop with one conversation each for StoreChat and the bare driver's two ways."""
    with db.session() as session:
        shop = Shop(name="bench store", platform="csv", site_key=f"sk_bench_{uuid.uuid4().hex[:12]}")
        session.add(shop)
        session.flush()
        ids = []
        for _ in range(3):
            visitor = Visitor(id=uuid.uuid4().hex, shop_id=shop.id)
            session.add(visitor)
            session.flush()
            conversation = Conversation(shop_id=shop.id, visitor_id=visitor.id)
            session.add(conversation)
            session.flush()
            ids.append(conversation.id)
        return ids[0], ids[1], ids[2]


def _bare(db: Database, conversation_id: int) -> Callable[[int], None]:
    """The same two statements and commit, through the DB-API connection itself."""
    raw = db.engine.raw_connection()
    ph = "?" if db.dialect == "sqlite" else "%s"

    def store(n: int) -> None:
        cur = raw.cursor()
        cur.execute(f"UPDATE conversations SET last_seq = last_seq + 1, updated_at = {ph} "
                    f"WHERE id = {ph} AND status != 'closed' RETURNING last_seq, status, shop_id",
                    ("2026-11-25 12:00:00", conversation_id))
        seq = cur.fetchone()[0]
        cur.execute(f"INSERT INTO messages (conversation_id, seq, client_id, author, text, payload, created_at) "
                    f"VALUES ({ph}, {ph}, {ph}, 'visitor', {ph}, {ph}, {ph}) "
                    f"ON CONFLICT (conversation_id, client_id) DO NOTHING RETURNING id",
                    (conversation_id, seq, f"b{n}", f"line {n}", json.dumps({}), "2026-11-25 12:00:00"))
        cur.fetchone()
        raw.commit()
        cur.close()

    return store


def _bare_one_statement(db: Database, conversation_id: int) -> Callable[[int], None]:
    """PostgreSQL: the seq and the message in one statement, autocommit (core/chat/messages.py)."""
    raw = db.store_engine.raw_connection()
    sql = ("WITH taken AS (UPDATE conversations SET last_seq = last_seq + 1, updated_at = %(now)s "
           "WHERE id = %(cid)s AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = %(cid)s "
           "AND client_id = %(client_id)s) AND status != 'closed' RETURNING last_seq, status, shop_id), "
           "stored AS (INSERT INTO messages (conversation_id, seq, client_id, author, text, payload, created_at) "
           "SELECT %(cid)s, last_seq, %(client_id)s, 'visitor', %(text)s, %(payload)s::json, %(now)s "
           "FROM taken RETURNING id) "
           "SELECT stored.id, taken.last_seq, taken.status, taken.shop_id FROM taken JOIN stored ON true")

    def store(n: int) -> None:
        cur = raw.cursor()
        cur.execute(sql, {"now": "2026-11-25 12:00:00+00", "cid": conversation_id, "client_id": f"b{n}",
                          "text": f"line {n}", "payload": json.dumps({})})
        cur.fetchone()
        raw.commit()
        cur.close()

    return store


def _storechat(db: Database, conversation_id: int) -> Callable[[int], None]:
    def store(n: int) -> None:
        messages.append_message(db, conversation_id, author="visitor", text=f"line {n}",
                                client_id=f"s{n}", open_only=True)
    return store


def _measure(store: Callable[[int], None], count: int) -> dict[str, float]:
    for n in range(20):  # warm caches and the pool
        store(-1 - n)
    wall, cpu = [], []
    for n in range(count):
        w, c = time.perf_counter(), time.process_time()
        store(n)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    wall.sort()
    return {
        "wall_p50": statistics.median(wall), "wall_p99": wall[int(len(wall) * 0.99) - 1],
        "cpu_mean": statistics.fmean(cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        db = Database(Settings(database_url=url, instance_path=Path(tmp)))
        upgrade(db.engine)
        ours, bare, bare_two = _setup(db)
        results = {}
        if db.dialect == "postgresql":
            results["bare, 2 statements"] = _measure(_bare(db, bare_two), args.messages)
            results["bare driver"] = _measure(_bare_one_statement(db, bare), args.messages)
        else:
            results["bare driver"] = _measure(_bare(db, bare), args.messages)
        results["append_message"] = _measure(_storechat(db, ours), args.messages)
        db.dispose()
    print(f"{db.dialect}, {args.messages} messages into one conversation, per message:")
    print(f"{'':18} {'wall p50':>9} {'wall p99':>9} {'CPU mean':>9}  (ms)")
    for name, r in results.items():
        print(f"{name:18} {r['wall_p50']:9.3f} {r['wall_p99']:9.3f} {r['cpu_mean']:9.3f}")
    over = results["append_message"]["cpu_mean"] - results["bare driver"]["cpu_mean"]
    print(f"StoreChat's own CPU on top of the driver: {over:.3f} ms per message")


if __name__ == "__main__":
    main()
