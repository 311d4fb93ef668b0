"""Rate and concurrency limits kept in Redis, so they hold across processes.

A token bucket per key: ``burst`` tokens, refilled at ``rate`` per second. A
request takes one token from each bucket it is subject to (a shopper's and
their address's) in one Lua script, so two processes can never both spend the
last token, and a refusal takes nothing. Connection slots per IP are a sorted
set of live connection ids scored by expiry: a process that dies without
releasing its slots loses them when they expire.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis as redis_lib

# Several buckets at once (a shopper's and their address's): a token is taken
# from every bucket only when each has one, so a refusal costs nothing. Returns
# {0, ""} when allowed, else {i, tokens} for the first bucket (1-based) without.
_BUCKETS = """
local now = tonumber(ARGV[1])
local tokens = {}
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', KEYS[i], 't', 'ts')
  local t = tonumber(state[1]) or burst
  local ts = tonumber(state[2]) or now
  t = math.min(burst, t + math.max(0, now - ts) * rate)
  if t < 1 then
    return {i, tostring(t)}
  end
  tokens[i] = t
end
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', KEYS[i], 't', tokens[i] - 1, 'ts', now)
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst / rate * 1000) + 1000)
end
return {0, ''}
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


# Refreshes many held slots: KEYS[i] holds member ARGV[i + 2] until ARGV[1] (seconds;
# ARGV[2] the same in ms).
_REFRESH = """
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[1], ARGV[i + 2])
  redis.call('PEXPIREAT', KEYS[i], ARGV[2])
end
return #KEYS
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: Seconds until one token is back, when refused.
    retry_after: float


class Limits:
    def __init__(self, redis: redis_lib.Redis) -> None:
        self._redis = redis
        self._slot = redis.register_script(_SLOT)
        self._buckets = redis.register_script(_BUCKETS)
        self._refresh = redis.register_script(_REFRESH)

    def take(self, key: str, *, rate: float, burst: int) -> Decision:
        return self.take_all([(key, rate, burst)])

    def take_all(self, buckets: Sequence[tuple[str, float, int]]) -> Decision:
        """One token from each ``(key, rate, burst)`` bucket, in one round trip; none when one is empty."""
        args: list[float] = [time.time()]
        for _, rate, burst in buckets:
            args += [rate, burst]
        refused, tokens = self._buckets(keys=[f"sc:rl:{key}" for key, _, _ in buckets], args=args)
        if not refused:
            return Decision(True, 0.0)
        rate = buckets[int(refused) - 1][1]
        return Decision(False, max(0.0, (1 - float(tokens)) / rate))

    def hold_slot(self, key: str, member: str, *, limit: int, ttl: float) -> bool:
        """Take or refresh a slot; False when ``limit`` other live slots exist."""
        now = time.time()
        return bool(self._slot(keys=[f"sc:slots:{key}"], args=[now, limit, member, now + ttl]))

    def refresh_slots(self, slots: Sequence[tuple[str, str]], *, ttl: float, chunk: int = 200) -> None:
        """Keep many held slots alive in a few script calls (one process's connections)."""
        expires = time.time() + ttl
        for start in range(0, len(slots), chunk):
            part = slots[start:start + chunk]
            self._refresh(keys=[f"sc:slots:{key}" for key, _ in part],
                          args=[expires, math.ceil(expires * 1000), *(member for _, member in part)])

    def release_slot(self, key: str, member: str) -> None:
        self._redis.zrem(f"sc:slots:{key}", member)
