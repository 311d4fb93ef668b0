"""SQLite writes on the message path that never wait for the write lock on the event loop.

SQLite has one writer at a time per database file. A writer that meets
another connection's write lock (another process: a web process, the
worker, the sweeper) waits in SQLite's busy handler, which sleeps inside
the sqlite3 call: under gevent that holds the whole web process, every
socket of it, for as long as the other writer keeps the lock (31 ms seen).

So the store path's connections have no busy wait (``busy_timeout`` 0,
:func:`core.db.session.make_store_engine`): a write that meets the lock is
refused at once (``SQLITE_BUSY``) and rolled back, so nothing of it is
stored, and it is tried once more on a real OS thread with the usual busy
wait (:data:`BUSY_WAIT`). sqlite3 releases the GIL while it waits, so the
other greenlets of the process keep running meanwhile. Bounded: at most the
gevent hub's thread pool size of such retries run at once (10; more queue
for a thread) and each waits at most :data:`BUSY_WAIT` seconds before it
fails as any locked write did before. In a thread without a gevent hub
(the RQ worker, the CLI, a plain thread) the retry waits in place: nothing
else would run.

A greenlet killed while its retry runs on the thread (a socket's handler
ended) leaves the connection to the thread: it goes back to the pool only
once the thread is done with it, never to another greenlet mid-transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine

from core.db.session import BUSY_TIMEOUT_MS

T = TypeVar("T")

#: Seconds a refused write waits for the lock off the event loop (the engine's own busy wait).
BUSY_WAIT = BUSY_TIMEOUT_MS / 1000

#: Writes refused on the event loop and retried off it, in this process (for benches and tests).
refused = 0


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (SQLITE_BUSY and its extended codes)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def _hub() -> Any:
    """This thread's gevent hub, if it has one (without making one)."""
    try:
        from gevent._hub_local import get_hub_if_exists
    except ImportError:  # pragma: no cover - gevent is a dependency
        return None
    return get_hub_if_exists()


def write(engine: Engine, work: Callable[[Any], T], *, wait: float = BUSY_WAIT) -> T:
    """``work(cursor)`` in a transaction on a connection of ``engine`` (whose busy wait
    is 0), committed when it returns, rolled back if it raises. Refused for the write
    lock, it runs once more off the event loop, waiting up to ``wait`` seconds for it."""
    global refused
    raw = engine.raw_connection()
    try:
        return _attempt(raw, work)
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raw.close()
            raise
    except BaseException:
        raw.close()  # back to the pool
        raise
    refused += 1
    hub = _hub()
    if hub is None:
        try:
            return _waiting(raw, work, wait)
        finally:
            raw.close()
    try:
        retry = hub.threadpool.spawn(_outcome, raw, work, wait)  # waits for a free thread
    except BaseException:
        raw.close()
        raise
    try:
        failed, result = retry.get()
    except BaseException:  # this greenlet was interrupted while the thread still uses the connection
        import gevent

        gevent.spawn(_close_when_done, retry, raw)
        raise
    raw.close()
    if failed:
        raise result
    return result


def _close_when_done(retry: Any, raw: Any) -> None:
    retry.wait()
    raw.close()


def _outcome(raw: Any, work: Callable[[Any], T], wait: float) -> tuple[bool, Any]:
    """On the pool's thread: the result, or the exception returned, not raised there
    (the hub would print it as an error of its own; the caller raises it)."""
    try:
        return False, _waiting(raw, work, wait)
    except Exception as exc:  # noqa: BLE001 - raised by the caller
        return True, exc


def _attempt(raw: Any, work: Callable[[Any], T]) -> T:
    cursor = raw.cursor()
    try:
        result = work(cursor)
        raw.commit()
        return result
    except BaseException:
        raw.rollback()
        raise
    finally:
        cursor.close()


def _waiting(raw: Any, work: Callable[[Any], T], wait: float) -> T:
    raw.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    try:
        return _attempt(raw, work)
    finally:
        raw.execute("PRAGMA busy_timeout = 0")
