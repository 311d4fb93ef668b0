"""Every Redis client has timeouts of its own: a Redis that stops answering
raises TimeoutError instead of holding a request, a socket or a worker for
good; the connections that block on purpose (the bus listener, RQ's BLPOP)
wait longer than they block."""
from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from rq import SimpleWorker

from core import redis_client
from core.chat.bus import Bus
from core.jobs import QUEUES, queue
from core.services import Services

CORE = Path(__file__).resolve().parents[2] / "core"
CREATES_A_CLIENT = re.compile(r"\bRedis\(|\bfrom_url\(|ConnectionPool\(")


def test_every_redis_client_of_core_is_made_by_redis_client() -> None:
    direct = [f"{path.relative_to(CORE.parent)}:{number}: {line.strip()}"
              for path in sorted(CORE.rglob("*.py")) if path.name != "redis_client.py"
              for number, line in enumerate(path.read_text().splitlines(), 1)
              if CREATES_A_CLIENT.search(line) and "redis_client." not in line]
    assert direct == []


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _raises_timeout_within(call: Any, seconds: float) -> None:
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(call)
        error = future.exception(timeout=seconds)  # concurrent.futures.TimeoutError: it hung
    assert isinstance(error, redis_lib.TimeoutError), error


def test_a_hung_redis_times_out(settings, silent_redis, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(redis_client, "COMMAND_TIMEOUT", 0.3)
    settings.redis_url = silent_redis
    svc = Services(settings)
    bus = Bus(silent_redis)
    try:
        # One try and one retry of 0.3 s each; redis-py's defaults: no timeout before 8.0, 5 s in 8.x.
        _raises_timeout_within(svc.redis.ping, 3)
        _raises_timeout_within(lambda: bus.publish(1, {"type": "x", "conversation_id": 1}), 3)
        _raises_timeout_within(redis_client.client(silent_redis).ping, 3)
    finally:
        bus.stop()
        svc.close()


def test_the_bus_listener_outlives_its_socket_timeout(redis_url, redis, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The listener waits on get_message(timeout=1) with nothing published for longer than its
    # socket timeout: it must stay subscribed, not reconnect each time.
    monkeypatch.setattr(redis_client, "COMMAND_TIMEOUT", 0.5)
    bus = Bus(redis_url)
    got: list[dict[str, Any]] = []
    reconnects: list[int] = []
    sub = bus.subscribe_conversation(7, got.append, on_reconnect=lambda: reconnects.append(1))
    try:
        assert bus.connected.wait(5)
        time.sleep(2.5)
        bus.publish(1, {"type": "message", "conversation_id": 7})
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
        assert got == [{"type": "message", "conversation_id": 7}]
        assert len(reconnects) == 1  # the first subscription only
    finally:
        sub.close()
        bus.stop()


def test_the_worker_connection_waits_longer_than_rqs_blpop(redis_url) -> None:  # type: ignore[no-untyped-def]
    connection = redis_client.worker_client(redis_url)
    timeout = connection.connection_pool.connection_kwargs["socket_timeout"]
    worker = SimpleWorker([queue(name, connection) for name in QUEUES], connection=connection)
    assert worker.dequeue_timeout < timeout < float("inf")
    assert connection.connection_pool.connection_kwargs["socket_connect_timeout"] == redis_client.CONNECT_TIMEOUT
