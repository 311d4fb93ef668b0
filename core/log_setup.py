"""What StoreChat's processes log, and at which level.

By default StoreChat's own loggers (``core``, ``connectors``) speak from INFO
up and libraries (Alembic, gunicorn, RQ...) only from WARNING up, so a start
prints what StoreChat did and not what each library set up. An explicit level
(``STORECHAT_LOG_LEVEL``, ``storechat --log-level``, or ``--verbose`` for INFO)
applies to everything, libraries included. An explicit level is put in the
environment, so the web and worker processes ``serve`` starts log the same way.
"""
from __future__ import annotations

import logging
import os
import sys

from core.errors import ConfigError

ENV = "STORECHAT_LOG_LEVEL"
OWN = ("core", "connectors")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class QuietLibraries(logging.Filter):
    """Lets StoreChat's records through and libraries' only from WARNING up."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return any(record.name == name or record.name.startswith(name + ".") for name in OWN)


def explicit_level() -> str | None:
    """The level asked for through the environment, checked; None when none was."""
    value = os.environ.get(ENV, "").strip().upper()
    if not value:
        return None
    if value not in LEVELS:
        raise ConfigError(f"{ENV}={os.environ[ENV]!r} is not a log level; use one of {', '.join(LEVELS)}")
    return value


def library_level() -> str:
    """The level for a library that keeps its own handlers (gunicorn's ``loglevel``)."""
    return (explicit_level() or "WARNING").lower()


_handler: logging.Handler | None = None


def configure(level: str | None = None, *, verbose: bool = False) -> None:
    """Set up this process's logging; a later call (``storechat demo --verbose``) adjusts it.

    ``level`` or ``verbose`` make the level explicit for this process and the
    processes it starts. A process whose root logger already had handlers
    before the first call (e.g. under pytest) keeps them untouched.
    """
    global _handler
    chosen = level or ("INFO" if verbose else None)
    if chosen:
        os.environ[ENV] = chosen.strip().upper()
    explicit = explicit_level()
    root = logging.getLogger()
    if _handler is None:
        if root.handlers:
            return
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(_handler)
    for old in list(_handler.filters):
        _handler.removeFilter(old)
    if explicit is None:
        _handler.addFilter(QuietLibraries())
    root.setLevel(explicit or "INFO")
