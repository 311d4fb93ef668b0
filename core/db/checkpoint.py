"""SQLite WAL checkpoints on a thread of their own, off the request path.

In WAL mode SQLite copies the log back into the database file (a
checkpoint, with an fsync) inside whichever commit pushes the log past
1,000 pages. At chat rates that is one commit in about 200, and it takes
milliseconds; under gevent the sqlite3 call holds the whole web process, so
every socket of the process waits for it (bench/realtime.py's p99).

A process that runs a :class:`Checkpointer` turns those automatic
checkpoints off on its own connections (``wal_autocheckpoint=0``) and
checkpoints from a real OS thread instead: ``PRAGMA wal_checkpoint(PASSIVE)``
never blocks writers or readers, and sqlite3 releases the GIL while it
copies and syncs, so the chat goes on meanwhile. Other processes keep
SQLite's automatic checkpoints.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Seconds between checkpoints. The log grows by a few pages a message, so a
#: second of traffic stays far below the 1,000 pages SQLite would wait for.
INTERVAL = 1.0


def _native(name: str) -> Any:
    """The standard library's own ``time.sleep`` or ``_thread.start_new_thread``,
    even after gevent patched them: the checkpointer must be a real thread."""
    module, attr = name.split(".")
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return getattr(__import__(module), attr)
    return monkey.get_original(module, attr)


def _open_existing(path: str) -> sqlite3.Connection:
    """The database file, never created here: the engine makes it (and its WAL)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True, timeout=10)


class Checkpointer:
    def __init__(self, path: str, *, interval: float = INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self._stopped = False
        #: Checkpoints run, and pages copied back into the database file by them.
        self.runs = 0
        self.pages = 0

    def start(self) -> None:
        _native("_thread.start_new_thread")(self._run, ())

    def stop(self) -> None:
        self._stopped = True

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        _busy, _log_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.runs += 1
        self.pages += max(copied, 0)

    def _run(self) -> None:
        sleep = _native("time.sleep")
        conn: sqlite3.Connection | None = None
        while not self._stopped:
            sleep(self.interval)
            if self._stopped:
                break
            try:
                if conn is None:
                    conn = _open_existing(self.path)
                self.checkpoint(conn)
            except sqlite3.Error as exc:  # the file went away (tests), or is locked: try again later
                log.debug("WAL checkpoint skipped: %s", exc)
                if conn is not None:
                    conn.close()
                    conn = None
            except Exception:  # noqa: BLE001 - never let the thread die and the log grow unbounded
                log.exception("WAL checkpoint failed")
        if conn is not None:
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:
                pass
            conn.close()
