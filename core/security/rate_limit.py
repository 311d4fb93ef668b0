"""Rate and concurrency limits kept in Redis, so they hold across processes.

A token bucket per key: ``burst`` tokens, refilled at ``rate`` per second. A
request takes one token from each bucket it is subject to (a shopper's and
their address's) in one Lua script, so two processes can never both spend the
last token, and a refusal takes nothing. Connection slots per IP are a sorted
set of live connection ids scored by expiry: a process that dies without
releasing its slots loses them when they expire.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis as redis_lib

from core.security.client_address import address_key

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
            part = slots[start : start + chunk]
            self._refresh(
                keys=[f"sc:slots:{key}" for key, _ in part],
                args=[expires, math.ceil(expires * 1000), *(member for _, member in part)],
            )

    def release_slot(self, key: str, member: str) -> None:
        self._redis.zrem(f"sc:slots:{key}", member)


# -- failed attempts ---------------------------------------------------------------
#
# Guesses (order numbers) are counted per key, e.g. a shopper's email at a shop
# and a client address: after ``free`` failures each further one makes the next
# attempt wait (``wait`` s, doubling), and from ``lock_after`` failures on the
# keys are locked for ``lock`` s. A key is forgotten ``window`` s after its last
# attempt (or when its lock ends, if later).
#
# ``attempt`` checks and counts in one script call, so parallel attempts cannot
# all slip past the limit: every attempt counts as a failure until ``forgive``
# takes a successful (or unanswered) one back. The hash of a key holds ``n``
# (failures) and ``until`` (no attempt before this time, epoch seconds).
# ARGV: now, free, wait, lock_after, lock, window. Returns the seconds to wait
# (as a string), "0" when the attempt may go ahead.
_ATTEMPT = """
local now, free, wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lock_after, lock, window = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local counts, blocked = {}, 0
for i = 1, #KEYS do
  local state = redis.call('HMGET', KEYS[i], 'n', 'until')
  counts[i] = tonumber(state[1]) or 0
  local left = (tonumber(state[2]) or 0) - now
  if left > blocked then blocked = left end
end
if blocked > 0 then
  return tostring(blocked)
end
for i = 1, #KEYS do
  local n = counts[i] + 1
  local delay = 0
  if n >= lock_after then
    delay = lock
  elseif n >= free then
    delay = wait * 2 ^ (n - free)
  end
  redis.call('HSET', KEYS[i], 'n', n, 'until', tostring(now + delay))
  redis.call('PEXPIRE', KEYS[i], math.ceil(math.max(window, delay) * 1000))
end
return '0'
"""

# Takes one counted attempt back; the wait becomes the one the remaining
# failures call for (counted from now), if that is shorter. Same ARGV.
_FORGIVE = """
local now, free, wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lock_after, lock = tonumber(ARGV[4]), tonumber(ARGV[5])
for i = 1, #KEYS do
  local state = redis.call('HMGET', KEYS[i], 'n', 'until')
  local n = tonumber(state[1])
  if n and n > 0 then
    n = n - 1
    local delay = 0
    if n >= lock_after then
      delay = lock
    elseif n >= free then
      delay = wait * 2 ^ (n - free)
    end
    local until_ = math.min(tonumber(state[2]) or 0, now + delay)
    redis.call('HSET', KEYS[i], 'n', n, 'until', tostring(until_))
  end
end
return #KEYS
"""


@dataclass(frozen=True)
class Backoff:
    """How failed attempts slow the next ones down (see ``_ATTEMPT``)."""

    #: Failures before any wait.
    free: int
    #: The first wait (seconds); each further failure doubles it.
    wait: float
    #: Failures from which the keys are locked.
    lock_after: int
    #: How long a lock lasts (seconds).
    lock: float
    #: Seconds without an attempt after which a key's failures are forgotten.
    window: float

    def args(self) -> list[float]:
        return [time.time(), self.free, self.wait, self.lock_after, self.lock, self.window]


class Attempts:
    """Failed attempts counted in Redis across processes, per key (``sc:fails:<key>``)."""

    def __init__(self, redis: redis_lib.Redis, backoff: Backoff) -> None:
        self.backoff = backoff
        self._attempt = redis.register_script(_ATTEMPT)
        self._forgive = redis.register_script(_FORGIVE)

    def attempt(self, keys: Sequence[str]) -> Decision:
        """Refused (with the wait) while any key must wait; else counted as failed on every key."""
        left = float(self._attempt(keys=[f"sc:fails:{k}" for k in keys], args=self.backoff.args()))
        return Decision(left <= 0, max(left, 0.0))

    def forgive(self, keys: Sequence[str]) -> None:
        """The attempt did not fail (it succeeded, or could not be made): take it back."""
        self._forgive(keys=[f"sc:fails:{k}" for k in keys], args=self.backoff.args())


@functools.lru_cache(maxsize=4096)  # once per address, not per message (an IPv6 one costs ~12 us)
def client_tag(secret: str, ip: str | None) -> str:
    """An opaque, stable name for a client's address (an IPv6 one by its /64), to
    count limits under where the name is kept (a message's payload): not the address."""
    return hmac.new(secret.encode(), address_key(ip).encode(), hashlib.sha256).hexdigest()[:24]
