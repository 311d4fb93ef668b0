"""SQLite's WAL is checkpointed by a thread of its own in long-running processes."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from core.db import Database
from core.db.checkpoint import Checkpointer
from core.db.session import sqlite_file
from core.settings import Settings


def _wait(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_commits_leave_checkpoints_to_the_checkpointer(tmp_path: Path) -> None:
    db = Database(Settings(database_url=f"sqlite:///{tmp_path}/c.db", instance_path=tmp_path),
                  background_checkpoints=True)
    try:
        assert db.checkpointer is not None
        with db.engine.begin() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
            conn.execute(text("CREATE TABLE t (x TEXT)"))
        for _ in range(300):  # ~1,200 pages of log: past SQLite's own threshold of 1,000
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "y" * 16000})
        assert _wait(lambda: db.checkpointer.pages > 0)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 300
    finally:
        db.dispose()


def test_other_processes_and_databases_keep_sqlites_own_checkpoints(tmp_path: Path) -> None:
    db = Database(Settings(database_url=f"sqlite:///{tmp_path}/c.db", instance_path=tmp_path))
    try:
        assert db.checkpointer is None
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    finally:
        db.dispose()
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("postgresql://u@h/db") is None
    assert sqlite_file(f"sqlite:///{tmp_path}/c.db") == f"{tmp_path}/c.db"


def test_a_missing_file_is_retried_not_fatal(tmp_path: Path) -> None:
    checkpointer = Checkpointer(str(tmp_path / "nowhere" / "c.db"), interval=0.01)
    checkpointer.start()
    try:
        time.sleep(0.1)
        assert checkpointer.runs == 0  # there is no file yet, and it is still trying
        (tmp_path / "nowhere").mkdir()
        sqlite3.connect(tmp_path / "nowhere" / "c.db").close()
        assert _wait(lambda: checkpointer.runs > 0)
    finally:
        checkpointer.stop()
