"""What StoreChat's processes log, and at which level.

By default StoreChat's own loggers (``core``, ``connectors``) speak from INFO
up and libraries (Alembic, gunicorn, RQ...) only from WARNING up, so a start
prints what StoreChat did and not what each library set up. An explicit level
(``STORECHAT_LOG_LEVEL``, ``storechat --log-level``, or ``--verbose`` for INFO)
applies to everything, libraries included. An explicit level is put in the
environment, so the web and worker processes ``serve`` starts log the same way.

Format (``STORECHAT_LOG_FORMAT``): ``text`` (one readable line) or ``json`` (one
object per line: ``time``, ``level``, ``logger``, ``event``, the ids of the
request, socket or job being handled, and any ``extra`` fields). Unset: text
when stderr is a terminal, JSON otherwise (a service manager, a container);
the choice is put in the environment like the level, so a ``serve``'s children
agree with it.

Ids: :func:`bind` puts ``request_id``, ``socket_id`` or ``job_id`` in a context
variable for the time a request, socket or job is handled (core/request_hooks.py,
core/chat/socket_session.py, core/worker.py); every record logged meanwhile
carries them. Context variables are per greenlet under gevent (greenlet >= 0.4.17)
as they are per thread, so one socket's id never lands on another's lines; a
helper greenlet started for the socket copies the context (core/chat/outbox.py).

Never in a line, in either format: the value of a field named like a secret
(token, password, secret, key, credential, authorization, cookie, signature),
as an ``extra`` field or a ``name=value`` in the message; and, from INFO up, a
field carrying text a shopper wrote (``text``, ``body``): such fields show
``[redacted]``. Code logs no message text at INFO in the first place
(tests/core/test_structured_logs.py checks a live server's lines).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from core.errors import ConfigError

ENV = "STORECHAT_LOG_LEVEL"
FORMAT_ENV = "STORECHAT_LOG_FORMAT"
FORMATS = ("json", "text")
OWN = ("core", "connectors")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class QuietLibraries(logging.Filter):
    """Lets StoreChat's records through and libraries' only from WARNING up."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return any(record.name == name or record.name.startswith(name + ".") for name in OWN)


# -- ids of what is being handled ------------------------------------------------------

IDS = ("request_id", "socket_id", "job_id")
# The default is never mutated: every bind sets a new dict.
_ids: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("storechat_log_ids", default={})  # noqa: B039


@contextlib.contextmanager
def bind(**ids: str) -> Iterator[None]:
    """Tag every line logged inside the block (in this thread or greenlet) with ``ids``."""
    token = _ids.set({**_ids.get(), **ids})
    try:
        yield
    finally:
        _ids.reset(token)


def bind_until_reset(**ids: str) -> contextvars.Token[dict[str, str]]:
    """:func:`bind` for hooks that open and close in two calls (a request's before and teardown)."""
    return _ids.set({**_ids.get(), **ids})


def reset(token: contextvars.Token[dict[str, str]]) -> None:
    _ids.reset(token)


def current_ids() -> dict[str, str]:
    return dict(_ids.get())


# -- what a line may not show -------------------------------------------------------------

_SECRET = re.compile(r"token|passw|secret|key|credential|authoriz|cookie|signature|session", re.I)
#: Fields holding what a shopper wrote: shown at DEBUG only.
_SHOPPER_TEXT = frozenset({"text", "body", "message_text"})
_IN_MESSAGE = re.compile(
    r"(?i)\b([\w-]*(?:token|passw\w*|secret|api[_-]?key|credential\w*|authorization|cookie|signature)"
    r"[\w-]*)(\s*[=:]\s*)(bearer\s+)?(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)
REDACTED = "[redacted]"
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def redact_text(message: str) -> str:
    """``token=abc`` / ``password: x`` / ``Authorization: Bearer x`` in a message lose their value."""
    return _IN_MESSAGE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", message)


def redact_value(key: str, value: Any, level: int) -> Any:
    if _SECRET.search(key) and value is not None:
        return REDACTED
    if key in _SHOPPER_TEXT and level >= logging.INFO:
        return REDACTED
    if isinstance(value, dict):
        return {k: redact_value(str(k), v, level) for k, v in value.items()}
    return value


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller passed with ``extra=``, redacted."""
    return {
        k: redact_value(k, v, record.levelno)
        for k, v in record.__dict__.items()
        if k not in _STANDARD and not k.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": redact_text(record.getMessage()),
            "pid": record.process,
        }
        line.update(_ids.get())
        for key, value in extras(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exc"] = redact_text(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc"] = redact_text(record.exc_text)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The readable line, with the ids and extra fields appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = redact_text(super().format(record))
        fields = {**_ids.get(), **extras(record)}
        if fields:
            first, nl, rest = text.partition("\n")
            text = first + " " + " ".join(f"{k}={v}" for k, v in fields.items()) + nl + rest
        return text


def log_format() -> str:
    """The format asked for through the environment, checked; by default text on a terminal."""
    value = os.environ.get(FORMAT_ENV, "").strip().lower()
    if not value:
        return "text" if sys.stderr.isatty() else "json"
    if value not in FORMATS:
        raise ConfigError(f"{FORMAT_ENV}={os.environ[FORMAT_ENV]!r} is not a log format; use json or text")
    return value


def formatter() -> logging.Formatter:
    return JsonFormatter() if log_format() == "json" else TextFormatter()


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
        chosen_format = log_format()
        os.environ[FORMAT_ENV] = chosen_format  # the processes it starts decide alike
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(JsonFormatter() if chosen_format == "json" else TextFormatter())
        root.addHandler(_handler)
    for old in list(_handler.filters):
        _handler.removeFilter(old)
    if explicit is None:
        _handler.addFilter(QuietLibraries())
    root.setLevel(explicit or "INFO")
