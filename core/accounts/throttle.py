"""Back-off and lockout after failed sign-ins, counted in Redis.

Failures are counted per email address (someone guessing one account's
password from many addresses) and per client address (one address trying
many accounts). Below ``slow_after`` failures nothing happens; from there
each new try must wait twice as long as the one before (1 s, 2 s, 4 s ...);
from ``lock_after`` failures the key is locked for ``lock_seconds``. A
successful sign-in clears its email's count, never the address's (else an
attacker could reset it by signing in to an account of their own). Counts
expire ``window`` seconds after the last failure.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

import redis as redis_lib

from core.security.client_address import address_key

#: KEYS: the counters. ARGV: now, mode (check|fail), window, slow_after, lock_after, lock_seconds.
#: Returns the seconds the caller must still wait (0: go ahead), as a string.
_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local slow_after = tonumber(ARGV[4])
local lock_after = tonumber(ARGV[5])
local lock_seconds = tonumber(ARGV[6])
if ARGV[2] == 'fail' then
  for _, key in ipairs(KEYS) do
    redis.call('HINCRBY', key, 'n', 1)
    redis.call('HSET', key, 'last', ARGV[1])
    redis.call('EXPIRE', key, math.max(window, lock_seconds))
  end
elseif ARGV[2] == 'undo' then
  for _, key in ipairs(KEYS) do
    if tonumber(redis.call('HGET', key, 'n') or '0') > 0 then redis.call('HINCRBY', key, 'n', -1) end
  end
  return '0'
end
local wait = 0
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('HGET', key, 'n') or '0')
  local last = tonumber(redis.call('HGET', key, 'last') or '0')
  local until_t = 0
  if n >= lock_after then
    until_t = last + lock_seconds
  elseif n >= slow_after then
    until_t = last + math.pow(2, n - slow_after)
  end
  if until_t - now > wait then wait = until_t - now end
end
return tostring(wait)
"""


@dataclass(frozen=True)
class SignInPolicy:
    slow_after: int = 5
    lock_after: int = 10
    lock_seconds: int = 15 * 60
    window: int = 60 * 60


class SignInThrottle:
    def __init__(self, redis: redis_lib.Redis, policy: SignInPolicy | None = None) -> None:
        self._redis = redis
        self._policy = policy or SignInPolicy()
        self._script = redis.register_script(_SCRIPT)

    @staticmethod
    def _keys(email: str, address: str) -> list[str]:
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return [f"signin:fail:email:{digest}", f"signin:fail:addr:{address_key(address)}"]

    def _run(self, mode: str, email: str, address: str) -> float:
        p = self._policy
        wait = self._script(
            keys=self._keys(email, address),
            args=[f"{time.time():.3f}", mode, p.window, p.slow_after, p.lock_after, p.lock_seconds],
        )
        return max(0.0, float(wait))

    def wait(self, email: str, address: str) -> int:
        """Whole seconds before this email may be tried from this address (0: now)."""
        return math.ceil(self._run("check", email, address))

    def failed(self, email: str, address: str) -> int:
        """Count a failure; whole seconds before the next try."""
        return math.ceil(self._run("fail", email, address))

    def attempt(self, email: str, address: str) -> int:
        """Count a try as failed before its password is checked; :meth:`succeeded` takes it back."""
        return self.failed(email, address)

    def succeeded(self, email: str, address: str | None = None) -> None:
        """The password was right: the email's count is cleared, the address's loses this try only."""
        email_key, address_key_ = self._keys(email, address or "-")
        self._redis.delete(email_key)
        if address is not None:
            self._script(keys=[address_key_], args=[f"{time.time():.3f}", "undo", 0, 0, 0, 0])
