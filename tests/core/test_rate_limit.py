"""Token buckets and connection slots in a real Redis."""
from __future__ import annotations

import time

from core.security.rate_limit import Limits


def test_bucket_allows_a_burst_then_refuses_then_refills(redis) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(redis)
    got = [limits.take("k", rate=10, burst=3).allowed for _ in range(4)]
    assert got == [True, True, True, False]
    refused = limits.take("k", rate=10, burst=3)
    assert not refused.allowed and 0 < refused.retry_after <= 0.1
    time.sleep(0.15)
    assert limits.take("k", rate=10, burst=3).allowed


def test_buckets_are_per_key(redis) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(redis)
    assert limits.take("a", rate=0.1, burst=1).allowed
    assert not limits.take("a", rate=0.1, burst=1).allowed
    assert limits.take("b", rate=0.1, burst=1).allowed


def test_two_clients_share_one_bucket(redis, redis_url) -> None:  # type: ignore[no-untyped-def]
    import redis as redis_lib

    other = Limits(redis_lib.Redis.from_url(redis_url))
    mine = Limits(redis)
    results = [l.take("shared", rate=0.01, burst=4).allowed for l in (mine, other) * 3]
    assert results.count(True) == 4


def test_slots_limit_refresh_release_and_expire(redis) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(redis)
    assert limits.hold_slot("ip:1", "c1", limit=2, ttl=30)
    assert limits.hold_slot("ip:1", "c2", limit=2, ttl=30)
    assert not limits.hold_slot("ip:1", "c3", limit=2, ttl=30)
    assert limits.hold_slot("ip:1", "c1", limit=2, ttl=30)  # a refresh is not a new slot
    limits.release_slot("ip:1", "c2")
    assert limits.hold_slot("ip:1", "c3", limit=2, ttl=30)
    # A slot whose connection died without releasing it expires.
    assert limits.hold_slot("ip:2", "dead", limit=1, ttl=0.2)
    assert not limits.hold_slot("ip:2", "new", limit=1, ttl=30)
    time.sleep(0.3)
    assert limits.hold_slot("ip:2", "new", limit=1, ttl=30)


def test_take_all_takes_from_every_bucket_or_from_none(redis) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(redis)
    shopper, address = ("shopper", 10.0, 2), ("address", 0.01, 3)
    assert limits.take_all([shopper, address]).allowed
    assert limits.take_all([shopper, address]).allowed
    refused = limits.take_all([shopper, address])  # the shopper's bucket is empty
    assert not refused.allowed and 0 < refused.retry_after <= 0.1
    # The refusal took nothing from the address's bucket: one token is still there.
    assert limits.take_all([address]).allowed
    assert not limits.take_all([address]).allowed
    time.sleep(0.15)  # the shopper's bucket refills, the address's does not (0.01/s)
    refused = limits.take_all([shopper, address])
    assert not refused.allowed and refused.retry_after > 10
    assert limits.take_all([shopper]).allowed


def test_attempts_wait_then_lock_and_a_forgiven_attempt_does_not_count(redis) -> None:  # type: ignore[no-untyped-def]
    from core.security.rate_limit import Attempts, Backoff

    attempts = Attempts(redis, Backoff(free=2, wait=0.5, lock_after=4, lock=60, window=60))
    keys = ["shopper", "address"]
    for _ in range(5):  # successes: each attempt is taken back
        assert attempts.attempt(keys).allowed
        attempts.forgive(keys)
    assert attempts.attempt(keys).allowed  # failure 1
    assert attempts.attempt(keys).allowed  # failure 2: the next one waits
    refused = attempts.attempt(keys)
    assert not refused.allowed and 0 < refused.retry_after <= 0.5
    assert not attempts.attempt(["address"]).allowed  # any of the keys holds it back
    assert attempts.attempt(["someone else"]).allowed
    time.sleep(0.55)
    assert attempts.attempt(keys).allowed  # failure 3: the wait doubles
    assert 0.5 < attempts.attempt(keys).retry_after <= 1.0
    attempts.forgive(keys)  # failure 3 was a success after all: back to the shorter wait
    assert attempts.attempt(keys).retry_after <= 0.5
    time.sleep(0.55)
    assert attempts.attempt(keys).allowed  # failure 3 again
    time.sleep(1.05)
    assert attempts.attempt(keys).allowed  # failure 4: locked
    locked = attempts.attempt(keys)
    assert not locked.allowed and 59 < locked.retry_after <= 60
