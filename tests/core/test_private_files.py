"""The files that hold the shop's data are private to StoreChat's user, like
the secret key: the SQLite database (and its WAL files) and the embedded
Redis's files (data, socket, config) are 0600, their folder 0700."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import Database
from core.embedded_redis import EmbeddedRedis
from core.settings import Settings


def mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022): what is not made private on purpose is world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_sqlite_database_and_its_wal_are_private(tmp_path: Path, open_umask: None) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    db = Database(Settings(instance_path=instance, secret_key="x" * 40))
    try:
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        files = sorted(instance.glob("storechat.db*"))
        assert {f.name for f in files} >= {"storechat.db", "storechat.db-wal", "storechat.db-shm"}
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        db.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path, open_umask: None) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "storechat.db").touch(mode=0o644)
    db = Database(Settings(instance_path=instance, secret_key="x" * 40))
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert mode(instance / "storechat.db") == 0o600
    finally:
        db.dispose()


def test_the_embedded_redis_files_are_private(tmp_path: Path, open_umask: None) -> None:
    server = EmbeddedRedis(tmp_path / "instance" / "redis.db")
    url = server.start()
    try:
        client = server._server
        assert client is not None
        client.set("k", "v")
        client.save()
        socket_file = url.removeprefix("unix://")
        run_dir = Path(socket_file).parent
        assert mode(run_dir) == 0o700
        assert mode(socket_file) & 0o077 == 0
        assert mode(client.redis_configuration_filename) == 0o600
        instance = tmp_path / "instance"
        assert mode(instance) == 0o700
        assert {f.name: mode(f) for f in instance.iterdir()} == {f.name: 0o600 for f in instance.iterdir()}
        assert (instance / "redis.db").exists()
    finally:
        server.stop()


def test_making_it_private_again_keeps_this_process_s_sqlite_locks(tmp_path: Path) -> None:
    """A second Database in a process whose connections are open (``serve`` checks the
    schema beside a test's engine; a web process beside its workers) must not drop that
    process's locks on the file: another process closing its last connection would then
    take the file as its own and delete the WAL still in use here ("disk I/O error")."""
    instance = tmp_path / "instance"
    instance.mkdir()
    settings = Settings(instance_path=instance, secret_key="x" * 40)
    first = Database(settings)
    try:
        with first.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        Database(settings).dispose()  # makes the file private again, beside `first`'s open connection
        wal = instance / "storechat.db-wal"
        inode = os.stat(wal).st_ino
        other = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(instance / "storechat.db")],
                               capture_output=True, text=True, timeout=60)
        assert other.returncode == 0, other.stderr
        assert wal.exists() and os.stat(wal).st_ino == inode  # the other process left the WAL alone
        with first.engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalars().all() == [7]
        fresh = Database(settings)
        try:
            with fresh.engine.connect() as conn:
                assert conn.execute(text("SELECT x FROM t")).scalars().all() == [7]
        finally:
            fresh.dispose()
    finally:
        first.dispose()


#: Another process writes a row and closes its only connection, as a worker does when it stops.
OTHER_PROCESS = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("INSERT INTO t VALUES (7)")
conn.commit()
conn.close()
"""
