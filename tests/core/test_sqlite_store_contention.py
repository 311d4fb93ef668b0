"""The SQLite store path beside other processes on the same file
(core/db/sqlite_write.py): a write that meets another process's write lock
is refused at once and retried on a real OS thread, so the gevent loop keeps
serving; several processes storing at once lose, duplicate and skip nothing."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import gevent
import pytest

from core.chat import messages
from core.db import Conversation, Message, Shop, sqlite_write
from core.db.models import utcnow
from core.db.session import sqlite_file

ROOT = Path(__file__).resolve().parents[2]

#: Another process that takes the database's write lock, says so, and commits when told.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
conn.close()
print("released", flush=True)
"""


@pytest.fixture
def sqlite_db(db):  # type: ignore[no-untyped-def]
    if db.dialect != "sqlite":
        pytest.skip("SQLite's write lock")
    return db


def _conversation(db, name: str = "S") -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        shop = Shop(name=name, platform="csv", site_key=f"sk_{name}", connector_config={})
        session.add(shop)
        session.flush()
        shop_id = shop.id
    return messages.start_conversation(db, shop_id, os.urandom(8).hex()).id


def _rows(db, conversation_id: int) -> list[Message]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with db.session() as session:
        return list(session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                    .order_by(Message.seq)))


class Holder:
    """Another process holding the write lock until :meth:`release`."""

    def __init__(self, path: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "locked\n"
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            assert self.proc.stdin is not None
            self.proc.stdin.write("commit\n")
            self.proc.stdin.flush()

    def finish(self) -> None:
        self.release()
        out, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err
        assert out == "released\n"


@pytest.fixture
def conversation_id(sqlite_db) -> int:  # type: ignore[no-untyped-def]
    return _conversation(sqlite_db)


@pytest.fixture
def holder(sqlite_db, conversation_id: int) -> Iterator[Holder]:  # type: ignore[no-untyped-def]
    """Taken after the conversation was made."""
    held = Holder(sqlite_file(sqlite_db.url))
    try:
        yield held
    finally:
        if held.proc.poll() is None:
            held.finish()


def test_the_loop_keeps_serving_while_another_process_holds_the_lock(  # type: ignore[no-untyped-def]
        sqlite_db, conversation_id: int, holder: Holder) -> None:
    """A greenlet ticks while the line waits; another greenlet, after seeing ticks, is the
    one that tells the other process to let the lock go (waiting on the loop, no greenlet
    would run: the line would fail after the busy wait with "database is locked")."""
    ticks: list[float] = []
    storing: list[float] = []

    def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.002)

    def releaser() -> None:
        while not storing or len([t for t in ticks if t > storing[0]]) < 20:
            gevent.sleep(0.002)
        holder.release()

    refused = sqlite_write.refused
    greenlets = [gevent.spawn(ticker), gevent.spawn(releaser)]
    try:
        gevent.sleep(0)  # both running
        storing.append(time.monotonic())
        stored = messages.append_message(sqlite_db, conversation_id, author="visitor", text="hi", client_id="c1")
        ended = time.monotonic()
    finally:
        gevent.killall(greenlets)
    holder.finish()
    during = [t for t in ticks if storing[0] < t < ended]
    gaps = [b - a for a, b in zip(during, during[1:])]
    print(f"ticks while the line waited: {len(during)}, longest gap {max(gaps) * 1000:.1f} ms")
    assert sqlite_write.refused == refused + 1  # refused on the loop, stored by the retry
    assert holder.released and len(during) >= 20
    assert stored.created and stored.message.seq == 1
    assert [m.client_id for m in _rows(sqlite_db, conversation_id)] == ["v:c1"]
    again = messages.append_message(sqlite_db, conversation_id, author="visitor", text="hi", client_id="c1")
    assert not again.created and again.message.id == stored.message.id
    with sqlite_db.session() as session:
        assert session.get(Conversation, conversation_id).last_seq == 1


def test_the_refused_write_is_retried_on_another_os_thread(  # type: ignore[no-untyped-def]
        sqlite_db, conversation_id: int, holder: Holder) -> None:
    engine = sqlite_db.store_engine
    sql = messages._STORE.for_engine(engine)
    threads: list[int] = []

    def bump(cursor):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return sql["bump"].execute(cursor, {"cid": conversation_id, "now": utcnow()}).fetchone()[0]

    releaser = gevent.spawn_later(0.05, holder.release)
    try:
        assert sqlite_write.write(engine, bump) == 1
    finally:
        releaser.kill()
    assert len(threads) == 2 and threads[0] == threading.get_ident() != threads[1]
    assert engine.pool.checkedout() == 0


def test_a_refused_write_without_an_event_loop_waits_in_place(  # type: ignore[no-untyped-def]
        sqlite_db, conversation_id: int, holder: Holder) -> None:
    """A thread without a gevent hub (the worker's) just waits for the lock, as before."""
    results: list[messages.Stored] = []
    writer = threading.Thread(target=lambda: results.append(messages.append_message(
        sqlite_db, conversation_id, author="system", text="notice")))
    writer.start()
    writer.join(0.3)
    assert writer.is_alive()  # waiting for the lock
    holder.finish()
    writer.join(30)
    assert [r.message.seq for r in results] == [1]
    assert [m.text for m in _rows(sqlite_db, conversation_id)] == ["notice"]


def test_a_write_still_locked_after_the_wait_fails_and_stores_nothing(  # type: ignore[no-untyped-def]
        sqlite_db, conversation_id: int, holder: Holder) -> None:
    engine = sqlite_db.store_engine
    sql = messages._STORE.for_engine(engine)
    with pytest.raises(sqlite3.OperationalError) as refused:
        sqlite_write.write(engine, lambda cursor: sql["bump"].execute(
            cursor, {"cid": conversation_id, "now": utcnow()}), wait=0.05)
    assert sqlite_write.is_busy(refused.value)
    holder.finish()
    with sqlite_db.session() as session:
        assert session.get(Conversation, conversation_id).last_seq == 0
    assert engine.pool.checkedout() == 0


def test_a_line_killed_while_its_retry_waits_keeps_its_connection_from_others(  # type: ignore[no-untyped-def]
        sqlite_db, conversation_id: int, holder: Holder) -> None:
    """The socket's greenlet ends mid-retry: the thread still owns the connection, so it
    goes back to the pool only when the thread is done (stored once, as a retry would)."""
    engine = sqlite_db.store_engine
    refused = sqlite_write.refused
    line = gevent.spawn(messages.append_message, sqlite_db, conversation_id, author="visitor", text="hi",
                        client_id="c1")
    while sqlite_write.refused == refused:
        gevent.sleep(0.01)
    line.kill()
    assert line.dead and engine.pool.checkedout() == 1  # still the thread's
    holder.finish()
    deadline = time.monotonic() + 30
    while engine.pool.checkedout() and time.monotonic() < deadline:
        gevent.sleep(0.01)
    assert engine.pool.checkedout() == 0
    assert [m.client_id for m in _rows(sqlite_db, conversation_id)] == ["v:c1"]
    again = messages.append_message(sqlite_db, conversation_id, author="visitor", text="hi", client_id="c1")
    assert not again.created and again.message.seq == 1


#: A web-like process: gevent-patched, its own Database with a checkpointer thread, a few
#: greenlets storing lines: the same client_ids as every other process into the shared
#: conversation (retries racing across processes), ids of its own into its own one, and
#: notices without an id. Made twice over (a second Database beside live connections).
WRITER = """
from gevent import monkey
monkey.patch_all()
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import gevent
from core.chat import messages
from core.db import Database, sqlite_write
from core.settings import Settings

url, instance, name, shared, own, count, report = sys.argv[2:9]
settings = Settings(database_url=url, instance_path=Path(instance), secret_key="x" * 40)
db = Database(settings, background_checkpoints=True)
print("ready", flush=True)
sys.stdin.readline()
results = []

def lines(first):
    for n in range(first, int(count), 3):
        s = messages.append_message(db, int(shared), author="visitor", text=f"{name} {n}", client_id=f"c{n}")
        results.append(["shared", s.message.client_id, s.message.seq, s.message.id, s.created])
        s = messages.append_message(db, int(own), author="visitor", text=f"{name} {n}", client_id=f"{name}-{n}")
        results.append(["own", s.message.client_id, s.message.seq, s.message.id, s.created])
        if n % 10 == 0:
            s = messages.append_message(db, int(shared), author="system", text=f"{name} notice {n}")
            results.append(["notice", s.message.text, s.message.seq, s.message.id, s.created])
        if n == int(count) // 2:
            Database(settings).dispose()  # a second engine beside this process's live connections

gevent.joinall([gevent.spawn(lines, k) for k in range(3)], raise_error=True)
db.dispose()
Path(report).write_text(json.dumps({"results": results, "refused": sqlite_write.refused}))
"""


#: A process that opens the file, reads, and closes its only connection (a CLI command, a
#: worker that stops): its close takes the file for its own, checkpoints and deletes the
#: WAL, unless another process holds its lock on the file, as every live connection must.
BRIEF = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=30)
conn.execute("SELECT count(*) FROM messages").fetchone()
conn.close()
"""


def test_processes_storing_at_once_lose_duplicate_and_skip_nothing(  # type: ignore[no-untyped-def]
        sqlite_db, tmp_path: Path) -> None:
    """Meanwhile brief processes come and go and this one holds no connection: a writer whose
    locks on the file were dropped (by a second Database, before 1695067) would see its WAL
    deleted under it ("disk I/O error")."""
    processes, count = 3, 120
    shared = _conversation(sqlite_db, "shared")
    own = [_conversation(sqlite_db, f"p{k}") for k in range(processes)]
    instance = str(sqlite_db.settings.instance_path)
    sqlite_db.engine.dispose()  # no connection of this process protects the file meanwhile
    sqlite_db.store_engine.dispose()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), sqlite_db.url, instance, f"p{k}",
                                 str(shared), str(own[k]), str(count), str(tmp_path / f"p{k}.json")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for k in range(processes)]
    try:
        for w in writers:
            assert w.stdout is not None and w.stdout.readline() == "ready\n"
        for w in writers:  # all start at once
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        brief = 0
        while any(w.poll() is None for w in writers):
            done = subprocess.run([sys.executable, "-c", BRIEF, sqlite_file(sqlite_db.url)],
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            brief += 1
        outcomes = [w.communicate(timeout=300) for w in writers]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
                w.wait()
    for w, (_out, err) in zip(writers, outcomes):
        assert w.returncode == 0, err
        assert "disk I/O error" not in err and "database is locked" not in err
    reports = [json.loads((tmp_path / f"p{k}.json").read_text()) for k in range(processes)]
    print(f"writes refused for the lock and retried off the loop: {[r['refused'] for r in reports]}; "
          f"brief processes: {brief}")
    notices_per_process = len(range(0, count, 10))

    rows = _rows(sqlite_db, shared)
    assert [m.seq for m in rows] == list(range(1, len(rows) + 1))  # gap-free
    lines = [m for m in rows if m.author == "visitor"]
    assert sorted(m.client_id for m in lines) == sorted(f"v:c{n}" for n in range(count))  # each once
    notices = [m.text for m in rows if m.author == "system"]
    assert sorted(notices) == sorted(f"p{k} notice {n}" for k in range(processes) for n in range(0, count, 10))
    assert len(rows) == count + processes * notices_per_process
    stored = {(m.client_id, m.seq, m.id) for m in rows}
    shared_results = [r for report in reports for r in report["results"] if r[0] == "shared"]
    assert len(shared_results) == processes * count
    assert all((client_id, seq, mid) in stored for _, client_id, seq, mid, _created in shared_results)
    assert sum(created for *_, created in shared_results) == count  # one process stored each line

    for k in range(processes):
        mine = _rows(sqlite_db, own[k])
        assert [m.seq for m in mine] == list(range(1, count + 1))
        assert sorted(m.client_id for m in mine) == sorted(f"v:p{k}-{n}" for n in range(count))
    with sqlite_db.session() as session:
        assert session.get(Conversation, shared).last_seq == len(rows)
        assert [session.get(Conversation, c).last_seq for c in own] == [count] * processes
