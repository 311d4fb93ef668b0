"""The store path: gap-free sequence numbers, one message per client_id, and
values that read back through the ORM exactly as they were stored."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timezone
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event, make_url, select
from sqlalchemy.pool import Pool

from core.chat import messages
from core.db import Conversation, Message, Shop, compiled
from core.errors import NotFound


@pytest.fixture
def conversation_id(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        shop = Shop(name="S", platform="csv", site_key="sk_store", connector_config={})
        session.add(shop)
        session.flush()
        shop_id = shop.id
    return messages.start_conversation(db, shop_id, uuid.uuid4().hex).id


def _stored(db, conversation_id: int) -> list[Message]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                    .order_by(Message.seq)))


def test_stored_values_read_back_through_the_orm(db, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    payload = {"cards": [{"title": "Vase – blue", "price": "19.90"}], "n": 3}
    stored = messages.append_message(db, conversation_id, author="assistant", text="Here: ✨",
                                     client_id="reply:1", payload=payload)
    assert stored.created and stored.message.seq == 1 and stored.status == "ai" and stored.shop_id > 0
    [row] = _stored(db, conversation_id)
    assert (row.id, row.seq, row.author, row.text, row.client_id, row.payload) == (
        stored.message.id, 1, "assistant", "Here: ✨", "reply:1", payload)
    written = stored.message.created_at
    read = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=timezone.utc)
    assert read == written
    with db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation.last_seq == 1
        updated = conversation.updated_at if conversation.updated_at.tzinfo else \
            conversation.updated_at.replace(tzinfo=timezone.utc)
        assert updated == written
    assert messages.message_frame(stored.message) == messages.message_frame(row)


def test_the_store_path_writes_what_the_orm_writes(db, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    """Same stored representation as SQLAlchemy's own (SQLite keeps datetimes as text)."""
    stored = messages.append_message(db, conversation_id, author="visitor", text="a", client_id="c1",
                                     payload={"k": [1, "é"]})
    with db.session() as session:
        session.add(Message(conversation_id=conversation_id, seq=99, client_id="c2", author="visitor", text="b",
                            payload={"k": [1, "é"]}, created_at=stored.message.created_at))
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT created_at, payload FROM messages ORDER BY seq").all()
        updated = conn.exec_driver_sql("SELECT updated_at FROM conversations").scalar()
    assert rows[0] == rows[1]
    assert type(updated) is type(rows[0][0]) and str(updated) == str(rows[0][0])


def test_a_seen_client_id_stores_nothing_and_takes_no_number(db, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    first = messages.append_message(db, conversation_id, author="visitor", text="hi", client_id="c1")
    again = messages.append_message(db, conversation_id, author="visitor", text="hi (retried)", client_id="c1")
    assert not again.created
    assert (again.message.id, again.message.seq, again.message.text) == (first.message.id, 1, "hi")
    assert again.status == "ai" and again.shop_id == first.shop_id
    second = messages.append_message(db, conversation_id, author="visitor", text="next", client_id="c2")
    assert second.message.seq == 2  # no gap: the retry's increment was rolled back
    # Messages without a client_id (the assistant's notices) never conflict with each other.
    for _ in range(2):
        messages.append_message(db, conversation_id, author="system", text="notice")
    assert [m.seq for m in _stored(db, conversation_id)] == [1, 2, 3, 4]


def test_closed_and_missing_conversations_are_refused(db, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        session.get(Conversation, conversation_id).status = "closed"
    with pytest.raises(messages.ConversationClosed):
        messages.append_message(db, conversation_id, author="visitor", text="hi", client_id="c1", open_only=True)
    with pytest.raises(NotFound):
        messages.append_message(db, conversation_id + 1000, author="visitor", text="hi", open_only=True)
    with pytest.raises(NotFound):
        messages.append_message(db, conversation_id + 1000, author="visitor", text="hi")
    # A closed conversation still takes a notice (closing writes one).
    assert messages.append_message(db, conversation_id, author="system", text="closed").message.seq == 1
    with pytest.raises(ValueError):
        messages.append_message(db, conversation_id, author="robot", text="hi")


def test_concurrent_writers_get_gap_free_numbers_and_one_row_per_client_id(  # type: ignore[no-untyped-def]
        db, conversation_id: int) -> None:
    """Four threads, each storing the same 30 client_ids (as retries racing each other would)."""
    results: list[messages.Stored] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for n in range(30):
                stored = messages.append_message(db, conversation_id, author="visitor", text=f"line {n}",
                                                 client_id=f"c{n}")
                with lock:
                    results.append(stored)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = _stored(db, conversation_id)
    assert [m.seq for m in rows] == list(range(1, 31))
    assert sorted(messages.message_frame(m)["client_id"] for m in rows) == sorted(f"c{n}" for n in range(30))
    assert sum(r.created for r in results) == 30
    by_client = {m.client_id: m.seq for m in rows}
    assert all(by_client[r.message.client_id] == r.message.seq for r in results)
    with db.session() as session:
        assert session.get(Conversation, conversation_id).last_seq == 30  # no retry took a number


@pytest.fixture
def pg_db(db):  # type: ignore[no-untyped-def]
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's store path")
    return db


@pytest.fixture
def trace(pg_db, tmp_path: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """libpq's trace of every connection opened from now on, in one file."""
    path = tmp_path / "libpq.trace"
    out = open(path, "a")  # noqa: SIM115 - closed below

    def start(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.pgconn.trace(out.fileno())

    pg_db.dispose()  # pooled connections reconnect, traced
    event.listen(Pool, "connect", start)
    try:
        yield path
    finally:
        event.remove(Pool, "connect", start)
        pg_db.dispose()
        out.close()


def _round_trips(path: Path) -> int:
    """Each request the server answers ends with a ReadyForQuery message."""
    return sum("\tB\t" in line and "\tReadyForQuery\t" in line for line in path.read_text().splitlines())


def test_a_line_costs_one_round_trip_on_postgresql(pg_db, conversation_id: int, trace: Path) -> None:  # type: ignore[no-untyped-def]
    """No pre-ping, no BEGIN/COMMIT: the seq and the message in one statement."""
    messages.append_message(pg_db, conversation_id, author="visitor", text="warm", client_id="w", open_only=True)
    for n, kwargs in enumerate([{"author": "visitor", "open_only": True}, {"author": "agent"},
                                {"author": "assistant"}]):
        before = _round_trips(trace)
        stored = messages.append_message(pg_db, conversation_id, text=f"line {n}", client_id=f"c{n}", **kwargs)
        assert stored.created and stored.message.seq == n + 2
        assert _round_trips(trace) - before == 1, kwargs


def _kill_backends(url: str, pid: int | None = None) -> int:
    """End every other connection to the test database (as a server restart would), or one."""
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        return len(conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND (%(pid)s::int IS NULL OR pid = %(pid)s)",
            {"pid": pid}).fetchall())


def test_a_line_stored_just_before_its_connection_died_is_this_calls_own(  # type: ignore[no-untyped-def]
        pg_db, conversation_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement committed, then the connection broke before its answer was read:
    the retry finds the line with this call's timestamp, so the caller announces it."""
    run = compiled.Compiled.execute
    broken: list[int] = []

    def execute(self, cursor, values):  # type: ignore[no-untyped-def]
        result = run(self, cursor, values)
        if "INSERT INTO messages" in self.sql and not broken:
            broken.append(cursor.connection.info.backend_pid)
            _kill_backends(pg_db.url, broken[0])
            cursor.execute("SELECT 1")  # where the client finds out
        return result

    monkeypatch.setattr(compiled.Compiled, "execute", execute)
    stored = messages.append_message(pg_db, conversation_id, author="visitor", text="a", client_id="c1")
    assert broken and stored.created and stored.message.seq == 1
    again = messages.append_message(pg_db, conversation_id, author="visitor", text="a", client_id="c1")
    assert not again.created and again.message.id == stored.message.id
    assert [(m.seq, m.client_id) for m in _stored(pg_db, conversation_id)] == [(1, "v:c1")]


def test_a_connection_found_dead_is_retried_once_on_a_fresh_one(pg_db, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    first = messages.append_message(pg_db, conversation_id, author="visitor", text="a", client_id="c1")
    assert _kill_backends(pg_db.url) >= 1
    second = messages.append_message(pg_db, conversation_id, author="visitor", text="b", client_id="c2",
                                     open_only=True)
    assert second.created and second.message.seq == first.message.seq + 1
    assert _kill_backends(pg_db.url) >= 1
    again = messages.append_message(pg_db, conversation_id, author="visitor", text="b", client_id="c2")
    assert not again.created and again.message.id == second.message.id
    assert [(m.seq, m.client_id) for m in _stored(pg_db, conversation_id)] == [(1, "v:c1"), (2, "v:c2")]
    with pg_db.session() as session:
        assert session.get(Conversation, conversation_id).last_seq == 2


def test_the_message_path_runs_prepared_statements(pg_db, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    """psycopg prepares a statement on a connection once it ran it ``prepare_threshold`` times."""
    for n in range(8):  # one after another: one pooled connection
        messages.append_message(pg_db, conversation_id, author="visitor", text="x", client_id=f"c{n}",
                                open_only=True)
    raw = pg_db.store_engine.raw_connection()
    try:
        assert raw.dbapi_connection.prepare_threshold is not None
        cursor = raw.cursor()
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
        cursor.close()
    finally:
        raw.close()
    assert any("INSERT INTO messages" in sql and "UPDATE conversations" in sql for sql in prepared), prepared


def test_bursts_reuse_the_store_paths_connections(pg_db, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    """A connection opened for a burst stays for the next one (a new one costs a server
    process, and its statements are prepared again only after 5 runs)."""
    opened: list[int] = []
    event.listen(pg_db.store_engine, "connect", lambda *_: opened.append(1))
    errors: list[BaseException] = []

    def burst(tag: str) -> None:
        def writer(w: int) -> None:
            try:
                for n in range(5):
                    messages.append_message(pg_db, conversation_id, author="visitor", text="x",
                                            client_id=f"{tag}{w}-{n}")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    burst("a")
    first = len(opened)
    burst("b")
    assert errors == []
    assert 1 <= first <= 10 and len(opened) == first
    assert [m.seq for m in _stored(pg_db, conversation_id)] == list(range(1, 241))
