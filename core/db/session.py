"""Engine and sessions: one :class:`Database` per process."""

from __future__ import annotations

import json
import os
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from core.db.checkpoint import Checkpointer
from core.settings import Settings

#: Milliseconds a SQLite writer waits for another's write lock (not on the store path).
BUSY_TIMEOUT_MS = 10000


#: A run of digits orjson may read otherwise than the standard library: an integer beyond 64 bits
#: becomes a float there, silently.
_LONG_NUMBER = re.compile(rb"\d{19}")


def json_loads(data: str | bytes) -> Any:
    """A JSON column's value, as :func:`json.loads` reads it. orjson parses in C about seven times faster;
    a card read decodes a product's tags once per variant row and each variant's option values (~400
    values, 3 ms of an assistant reply in ``json.loads``). What orjson refuses or might read otherwise
    (``NaN``, ``Infinity``, integers of 19 digits or more) goes to the standard library."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if _LONG_NUMBER.search(raw):
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _sqlite_pragmas(dbapi_connection: Any, *, autocheckpoint: bool, wait_for_writers: bool = True) -> None:
    cur = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout makes writers
    # from other processes (web, worker) wait for each other instead of failing.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    if not autocheckpoint:
        cur.execute("PRAGMA wal_autocheckpoint=0")  # a Checkpointer thread does it (core/db/checkpoint.py)
    # Last: the pragmas above still wait (a connection is opened outside the store
    # path's retry); the store path's writes then never do (core/db/sqlite_write.py).
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS if wait_for_writers else 0}")
    cur.close()


def private_file(path: str) -> None:
    """Create ``path`` (or keep it) readable and writable by this user only, like the
    secret key. SQLite gives a database's -wal and -shm files the database file's mode.

    An existing file is never opened here: closing any descriptor of a file drops every
    POSIX lock this process holds on it, so a second engine made in a process whose
    connections hold SQLite's locks would let another process take the file for its own
    (and delete the WAL those connections still use: "disk I/O error")."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
    else:
        os.close(fd)  # a new file: nobody holds a lock on it yet
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.chmod(path + suffix, 0o600)


def make_engine(url: str, *, autocheckpoint: bool = True) -> Engine:
    if url.startswith("sqlite:"):
        database = sqlite_file(url)
        if database is not None and os.path.isdir(os.path.dirname(os.path.abspath(database))):
            private_file(database)
        return _sqlite_engine(url, autocheckpoint=autocheckpoint, wait_for_writers=True)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_deserializer=json_loads)


def _sqlite_engine(url: str, *, autocheckpoint: bool, wait_for_writers: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        json_deserializer=json_loads,
    )
    event.listen(
        engine,
        "connect",
        lambda dbapi_connection, _record: _sqlite_pragmas(
            dbapi_connection, autocheckpoint=autocheckpoint, wait_for_writers=wait_for_writers
        ),
    )
    return engine


def make_store_engine(url: str, *, autocheckpoint: bool = True) -> Engine:
    """The message store path's pool.

    SQLite (a file; made private by :func:`make_engine` already, never opened here):
    connections whose writes never wait for another's write lock, so a write that
    meets another process's lock is refused at once instead of holding the gevent
    process in SQLite's busy handler; the path retries it off the event loop
    (``core.db.sqlite_write``).

    PostgreSQL: autocommit, no pre-ping (a round
    trip per message); the path retries once on a connection found dead
    (``core.db.compiled.autocommit``). psycopg prepares a statement on a connection
    after it ran it ``prepare_threshold`` times (5), so the pool keeps its connections:
    no overflow, whose connections are closed when given back (a new one costs a
    server process and its statements unprepared). A line holds its connection for
    one round trip, so a burst waits briefly for one (docs/operations.md)."""
    if url.startswith("sqlite:"):
        return _sqlite_engine(url, autocheckpoint=autocheckpoint, wait_for_writers=False)
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=10, max_overflow=0, json_deserializer=json_loads)


class Database:
    def __init__(self, settings: Settings, *, background_checkpoints: bool = False) -> None:
        """``background_checkpoints``: for long-running processes (web, worker) on a SQLite
        file, checkpoint the WAL from a thread of its own instead of inside commits."""
        self.url = settings.sqlalchemy_url
        self.settings = settings
        database = sqlite_file(self.url) if background_checkpoints else None
        self.checkpointer = Checkpointer(database) if database else None
        self.engine = make_engine(self.url, autocheckpoint=self.checkpointer is None)
        if self.checkpointer is not None:
            self.checkpointer.start()
            weakref.finalize(self, self.checkpointer.stop)  # a Database dropped without dispose()
        # Made now, not on first use (threads): an engine opens no connection before it is used.
        # SQLite in memory: one engine (a second would open another, empty, database).
        separate = self.engine.dialect.name == "postgresql" or sqlite_file(self.url) is not None
        self._store_engine = make_store_engine(self.url, autocheckpoint=self.checkpointer is None) if separate else None
        # Each session knows its Database, so code handed only a session can
        # reach the settings (see :meth:`of`).
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, info={"database": self})

    @staticmethod
    def of(session: Session) -> Database:
        """The :class:`Database` that made ``session``."""
        return session.info["database"]

    @property
    def store_engine(self) -> Engine:
        """The engine of the message store path: its own pool (:func:`make_store_engine`);
        the one engine for SQLite in memory."""
        return self._store_engine if self._store_engine is not None else self.engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()
        if self._store_engine is not None:
            self._store_engine.dispose()


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database
