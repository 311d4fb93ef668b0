"""Engine and sessions: one :class:`Database` per process."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout makes writers
    # from other processes (web, worker) wait for each other instead of failing.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.sqlalchemy_url
        self.settings = settings
        self.engine = make_engine(self.url)
        # Each session knows its Database, so code handed only a session can
        # reach the settings (see :meth:`of`).
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, info={"database": self})

    @staticmethod
    def of(session: Session) -> Database:
        """The :class:`Database` that made ``session``."""
        return session.info["database"]  # type: ignore[no-any-return]

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
        self.engine.dispose()
