"""Rate and concurrency limits kept in Redis, so they hold across processes.

A token bucket per key: ``burst`` tokens, refilled at ``rate`` per second; a
request takes one. The check and the take are one Lua script, so two
processes can never both spend the last token. Connection slots per IP are
a sorted set of live connection ids scored by expiry: a process that dies
without releasing its slots loses them when they expire.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis as redis_lib

_BUCKET = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', key, 't', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', key, 't', tokens, 'ts', now)
redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""

_SLOT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local member = ARGV[3]
local expires = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZSCORE', key, member) == false and redis.call('ZCARD', key) >= limit then
  return 0
end
redis.call('ZADD', key, expires, member)
redis.call('PEXPIREAT', key, math.ceil(expires * 1000))
return 1
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: Seconds until one token is back, when refused.
    retry_after: float


class Limits:
    def __init__(self, redis: redis_lib.Redis) -> None:
        self._redis = redis
        self._bucket = redis.register_script(_BUCKET)
        self._slot = redis.register_script(_SLOT)

    def take(self, key: str, *, rate: float, burst: int) -> Decision:
        allowed, tokens = self._bucket(keys=[f"sc:rl:{key}"], args=[rate, burst, time.time()])
        left = float(tokens)
        return Decision(bool(allowed), 0.0 if allowed else max(0.0, (1 - left) / rate))

    def hold_slot(self, key: str, member: str, *, limit: int, ttl: float) -> bool:
        """Take or refresh a slot; False when ``limit`` other live slots exist."""
        now = time.time()
        return bool(self._slot(keys=[f"sc:slots:{key}"], args=[now, limit, member, now + ttl]))

    def refresh_slots(self, slots: Sequence[tuple[str, str]], *, ttl: float, chunk: int = 500) -> None:
        """Keep many held slots alive in a few round trips (one process's connections)."""
        expires = time.time() + ttl
        for start in range(0, len(slots), chunk):
            pipe = self._redis.pipeline(transaction=False)
            for key, member in slots[start:start + chunk]:
                pipe.zadd(f"sc:slots:{key}", {member: expires})
                pipe.pexpireat(f"sc:slots:{key}", math.ceil(expires * 1000))
            pipe.execute()

    def release_slot(self, key: str, member: str) -> None:
        self._redis.zrem(f"sc:slots:{key}", member)
