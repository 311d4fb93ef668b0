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
    .venv/bin/python bench/store.py --contend 10 --hold 0.02   # SQLite beside a second writer

Prints wall and CPU time per message (median and p99). Asserts nothing.

On SQLite it also stores through the path as it was before the no-wait store
path (``append_message, busy wait``: the same statements on the engine whose
connections wait for the write lock in SQLite's busy handler, in place). With
``--contend`` another process (bench/contender.py) takes the database's write
lock RATE times a second and holds it HOLD seconds each time, and every line
is stored from a greenlet beside one that ticks every millisecond (the lines
2 ms apart): ``loop gap`` is the time between two ticks (p99, max; at
least the 1 ms tick; on a loaded machine it also counts the time the OS ran
other processes), and ``lines holding the loop >= 5 ms`` counts the lines
during whose call the ticker never ran at all and that took 5 ms or more,
with their total: how long lines kept the process's other sockets waiting.
CPU then includes the ticker's and the retry thread's.
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

import gevent  # noqa: E402

from bench import contender  # noqa: E402
from core.chat import messages  # noqa: E402
from core.db import Conversation, Database, Shop, Visitor, sqlite_write  # noqa: E402
from core.db.session import sqlite_file  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.settings import Settings  # noqa: E402


def _setup(db: Database, count: int = 3) -> list[int]:
    """A fresh shop with one conversation each for StoreChat and the bare driver's ways."""
    with db.session() as session:
        shop = Shop(name="bench store", platform="csv", site_key=f"sk_bench_{uuid.uuid4().hex[:12]}")
        session.add(shop)
        session.flush()
        ids = []
        for _ in range(count):
            visitor = Visitor(id=uuid.uuid4().hex, shop_id=shop.id)
            session.add(visitor)
            session.flush()
            conversation = Conversation(shop_id=shop.id, visitor_id=visitor.id)
            session.add(conversation)
            session.flush()
            ids.append(conversation.id)
        return ids


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


def _storechat(db: Database, conversation_id: int, *, busy_wait: bool = False) -> Callable[[int], None]:
    """``busy_wait``: SQLite's store path as it was before the no-wait path: its
    statements on the engine whose connections wait for the lock in place."""
    def store(n: int) -> None:
        saved = db._store_engine
        if busy_wait:
            db._store_engine = None  # store_engine is then db.engine (busy_timeout 10 s)
        try:
            messages.append_message(db, conversation_id, author="visitor", text=f"line {n}",
                                    client_id=f"s{n}", open_only=True)
        finally:
            db._store_engine = saved
    return store


def _measure(store: Callable[[int], None], count: int, *, loop: bool = False) -> dict[str, float]:
    """``loop``: each line from a greenlet, beside a greenlet ticking every millisecond."""
    for n in range(20):  # warm caches and the pool
        store(-1 - n)
    wall, cpu, gaps = [], [], []
    held = []  # lines during which the ticker never ran: the whole call held the loop
    ticks = [0]
    refused = sqlite_write.refused

    def ticker() -> None:
        last = time.perf_counter()
        while True:
            gevent.sleep(0.001)
            t = time.perf_counter()
            gaps.append((t - last) * 1000)
            ticks[0] += 1
            last = t

    ticking = gevent.spawn(ticker) if loop else None
    for n in range(count):
        w, c, before = time.perf_counter(), time.process_time(), ticks[0]
        store(n)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
        if ticks[0] == before:
            held.append(wall[-1])
        if loop:
            gevent.sleep(0.002)  # a timer, as the ticker's: the loop runs its timers between lines
    if ticking is not None:
        ticking.kill()
    wall.sort()
    gaps.sort()
    result = {
        "wall_p50": statistics.median(wall), "wall_p99": wall[int(len(wall) * 0.99) - 1],
        "wall_max": wall[-1], "cpu_mean": statistics.fmean(cpu), "refused": sqlite_write.refused - refused,
    }
    if gaps:
        long = [h for h in held if h >= 5]
        result.update(loop_p99=gaps[int(len(gaps) * 0.99) - 1], loop_max=gaps[-1],
                      held_5ms=len(long), held_5ms_total=sum(long))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--contend", type=float, default=None, metavar="RATE",
                        help="SQLite: another process takes the write lock RATE times a second")
    parser.add_argument("--hold", type=float, default=0.02, help="seconds it holds the lock each time (0.02)")
    args = parser.parse_args()
    other = None
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        db = Database(Settings(database_url=url, instance_path=Path(tmp)))
        upgrade(db.engine)
        ours, bare, bare_two, before = _setup(db, 4)
        if args.contend:
            if db.dialect != "sqlite":
                raise SystemExit("--contend is for SQLite")
            other = contender.start(sqlite_file(url) or "", args.contend, args.hold)
            time.sleep(1.0)  # started
        loop = other is not None
        results = {}
        try:
            if db.dialect == "postgresql":
                results["bare, 2 statements"] = _measure(_bare(db, bare_two), args.messages)
                results["bare driver"] = _measure(_bare_one_statement(db, bare), args.messages)
            else:
                results["bare driver"] = _measure(_bare(db, bare), args.messages, loop=loop)
                results["append_message, busy wait"] = _measure(_storechat(db, before, busy_wait=True),
                                                                args.messages, loop=loop)
            results["append_message"] = _measure(_storechat(db, ours), args.messages, loop=loop)
        finally:
            held = contender.stop(other) if other is not None else ""
            db.dispose()
    print(f"{db.dialect}, {args.messages} messages into one conversation, per message:"
          + (f" beside another process taking the write lock {args.contend:g}/s for {args.hold * 1000:g} ms"
             if loop else ""))
    print(f"{'':26} {'wall p50':>9} {'wall p99':>9}" + (f" {'max':>8}" if loop else "") + f" {'CPU mean':>9}"
          + (f" {'loop gap p99':>13} {'max':>8} {'refused':>8} {'lines holding the loop >= 5 ms':>31}"
             if loop else "") + "  (ms)")
    for name, r in results.items():
        print(f"{name:26} {r['wall_p50']:9.3f} {r['wall_p99']:9.3f}" + (f" {r['wall_max']:8.1f}" if loop else "")
              + f" {r['cpu_mean']:9.3f}"
              + (f" {r['loop_p99']:13.3f} {r['loop_max']:8.1f} {r['refused']:8d} "
                 f"{r['held_5ms']:>12d} lines, {r['held_5ms_total']:8.1f} ms" if loop else ""))
    over = results["append_message"]["cpu_mean"] - results["bare driver"]["cpu_mean"]
    print(f"StoreChat's own CPU on top of the driver: {over:.3f} ms per message")
    if held:
        print(held)


if __name__ == "__main__":
    main()
