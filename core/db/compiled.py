"""SQLAlchemy statements compiled once, run on the bare DB-API cursor.

For the few statements that run for every chat line and, under gevent,
hold the whole web process while they do: SQLAlchemy builds the SQL and
converts the parameters exactly as it would itself (the dialect's bind
processors), but the execution skips its ``Connection`` and ``Result``
layers, which cost several times the driver's own work per statement
(``bench/store.py`` prints both).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement


class Compiled:
    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        # DML and SELECT compile to SQLCompiler (positional, positiontup, bind_names are its own).
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self._compiled = compiled
        self.sql = str(compiled)
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        self._processors: list[tuple[str, Callable[[Any], Any]]] = []
        for bind, name in compiled.bind_names.items():
            # dialect_impl keeps a TypeDecorator's own processing in front of its impl's.
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors.append((name, processor))

    def params(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for ``values`` (keyed as the statement's bind names)."""
        params = self._compiled.construct_params(values)
        for name, processor in self._processors:
            params[name] = processor(params[name])
        if self._order is None:
            return params
        return tuple(params[name] for name in self._order)

    def execute(self, cursor: Any, values: Mapping[str, Any]) -> Any:
        cursor.execute(self.sql, self.params(values))
        return cursor


class Statements:
    """Statements built with SQLAlchemy, compiled once per engine dialect."""

    def __init__(self, **statements: ClauseElement | Callable[[Dialect], ClauseElement]) -> None:
        """Each statement, or a function of the dialect that builds it (for dialect-only syntax)."""
        self._statements = statements
        self._compiled: dict[tuple[str, str], dict[str, Compiled]] = {}

    def for_engine(self, engine: Engine) -> dict[str, Compiled]:
        dialect = engine.dialect
        key = (dialect.name, dialect.driver)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = {
                name: Compiled(stmt if isinstance(stmt, ClauseElement) else stmt(dialect), dialect)
                for name, stmt in self._statements.items()
            }
        return compiled


def autocommit(engine: Engine, work: Callable[[Any], Any], *, retry: bool) -> Any:
    """``work(cursor)`` on a DB-API connection from the engine's pool, then commit
    (nothing to send on an autocommit connection); an exception rolls back.

    ``retry``: when the connection turns out to be dead (the server restarted,
    or ended it), drop it with the pool's idle connections, which are likely
    dead too, and run ``work`` once more on a fresh one. Only for work that is
    safe to run twice: the first attempt may have committed before the
    connection broke.
    """
    for attempt in (1, 2):
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                result = work(cursor)
                raw.commit()
                return result
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, raw.dbapi_connection, None):
                raise
            raw.invalidate(exc)  # never back to the pool
            if not retry or attempt == 2:
                raise
            engine.dispose()  # connections in use elsewhere are closed when they come back
        finally:
            raw.close()  # back to the pool (rolled back there unless committed)
    raise AssertionError("unreachable")  # pragma: no cover
