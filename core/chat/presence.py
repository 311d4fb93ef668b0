"""Who is online, with heartbeats that expire in Redis.

Agents online per shop, and visitors online per shop and per conversation,
are sorted sets scored by expiry: a connection refreshes its entry while it
lives, and an entry whose process died disappears after ``ttl`` without
anyone cleaning up. Whether one conversation's visitor is online is one
``ZCOUNT`` on that conversation's own set, however many shoppers are online.
A process refreshes all its connections' entries at once (:meth:`beat_many`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis as redis_lib

#: Connections refreshed per script call when many are refreshed at once: one
#: call costs the web process about as much as a single command, whatever it
#: carries, and a chunk keeps each call (and Redis's time on it) short.
CHUNK = 100

# Refreshes beats: KEYS are every beat's entry keys in order; ARGV is the new
# score, the keys' ttl, now, then per beat its entry count and its members.
# Returns, per beat, 1 when its first entry was missing or expired, else 0.
_BEAT = """
local score, ttl, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local newly, k, a = {}, 1, 4
while a <= #ARGV do
  local count = tonumber(ARGV[a])
  a = a + 1
  local old = redis.call('ZSCORE', KEYS[k], ARGV[a])
  newly[#newly + 1] = (old == false or tonumber(old) < now) and 1 or 0
  for _ = 1, count do
    redis.call('ZADD', KEYS[k], score, ARGV[a])
    redis.call('EXPIRE', KEYS[k], ttl)
    k, a = k + 1, a + 1
  end
end
return newly
"""


def _agents_key(shop_id: int) -> str:
    return f"sc:presence:agents:{shop_id}"


def _visitors_key(shop_id: int) -> str:
    return f"sc:presence:visitors:{shop_id}"


def _conversation_key(conversation_id: int) -> str:
    return f"sc:presence:conversation:{conversation_id}"


@dataclass(frozen=True)
class Beat:
    """One connection's presence: the first entry tells whether it was online before."""

    entries: tuple[tuple[str, str], ...]


class Presence:
    def __init__(self, redis: redis_lib.Redis, ttl: float) -> None:
        self._redis = redis
        self.ttl = ttl
        self._beat = redis.register_script(_BEAT)

    # -- entries ---------------------------------------------------------------

    @staticmethod
    def agent(shop_id: int, agent_id: int, connection: str) -> Beat:
        return Beat(((_agents_key(shop_id), f"{agent_id}:{connection}"),))

    @staticmethod
    def visitor(shop_id: int, conversation_id: int, connection: str) -> Beat:
        return Beat(
            (
                (_conversation_key(conversation_id), connection),
                (_visitors_key(shop_id), f"{conversation_id}:{connection}"),
            )
        )

    # -- heartbeats ------------------------------------------------------------

    def beat_many(self, beats: Sequence[Beat]) -> list[bool]:
        """Refresh every beat's entries; for each, True when it was not online before."""
        now = time.time()
        newly: list[bool] = []
        for start in range(0, len(beats), CHUNK):
            keys: list[str] = []
            args: list[Any] = [now + self.ttl, int(self.ttl) + 60, now]
            for beat in beats[start : start + CHUNK]:
                args.append(len(beat.entries))
                for key, member in beat.entries:
                    keys.append(key)
                    args.append(member)
            newly += [bool(flag) for flag in self._beat(keys=keys, args=args)]
        return newly

    def beat(self, beat: Beat) -> bool:
        return self.beat_many([beat])[0]

    def gone(self, beat: Beat) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for key, member in beat.entries:
            pipe.zrem(key, member)
        pipe.execute()

    def agent_beat(self, shop_id: int, agent_id: int, connection: str) -> bool:
        return self.beat(self.agent(shop_id, agent_id, connection))

    def agent_gone(self, shop_id: int, agent_id: int, connection: str) -> None:
        self.gone(self.agent(shop_id, agent_id, connection))

    def visitor_beat(self, shop_id: int, conversation_id: int, connection: str) -> bool:
        return self.beat(self.visitor(shop_id, conversation_id, connection))

    def visitor_gone(self, shop_id: int, conversation_id: int, connection: str) -> None:
        self.gone(self.visitor(shop_id, conversation_id, connection))

    # -- who is online -----------------------------------------------------------

    def _online(self, key: str) -> list[str]:
        self._redis.zremrangebyscore(key, "-inf", time.time())
        return sorted(m.decode() for m in cast(list[bytes], self._redis.zrange(key, 0, -1)))

    def agents_online(self, shop_id: int) -> list[int]:
        return sorted({int(m.split(":", 1)[0]) for m in self._online(_agents_key(shop_id))})

    def visitors_online(self, shop_id: int) -> set[int]:
        """Every conversation of the shop whose visitor is online (for an agent's welcome)."""
        return {int(m.split(":", 1)[0]) for m in self._online(_visitors_key(shop_id))}

    def visitor_online(self, conversation_id: int) -> bool:
        """Whether this conversation's visitor is online: O(log n)."""
        return bool(self._redis.zcount(_conversation_key(conversation_id), f"({time.time()}", "+inf"))
