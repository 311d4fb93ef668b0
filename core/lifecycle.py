"""Whether this web process is shutting down.

On SIGTERM a web process stops accepting connections and waits for the open
ones. Sockets and long-polls check :func:`draining` and end themselves at
once with ``server_restart``, so clients reconnect to another process right
away instead of holding this one until its graceful timeout.
"""

from __future__ import annotations

_draining = False


def start_draining() -> None:
    global _draining
    _draining = True


def draining() -> bool:
    return _draining
