"""Who is online, with heartbeats that expire in Redis.

Agents online per shop and visitors online per conversation are sorted sets
scored by expiry: a socket refreshes its entry while it lives, and an entry
whose process died disappears after ``ttl`` without anyone cleaning up.
"""
from __future__ import annotations

import time

import redis as redis_lib


def _agents_key(shop_id: int) -> str:
    return f"sc:presence:agents:{shop_id}"


def _visitors_key(shop_id: int) -> str:
    return f"sc:presence:visitors:{shop_id}"


class Presence:
    def __init__(self, redis: redis_lib.Redis, ttl: float) -> None:
        self._redis = redis
        self.ttl = ttl

    def _beat(self, key: str, member: str) -> bool:
        """Refresh ``member``; True when it was not online before."""
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zscore(key, member)
        pipe.zadd(key, {member: now + self.ttl})
        pipe.expire(key, int(self.ttl) + 60)
        score = pipe.execute()[0]
        return score is None or float(score) < now

    def _online(self, key: str) -> list[str]:
        self._redis.zremrangebyscore(key, "-inf", time.time())
        return sorted(m.decode() for m in self._redis.zrange(key, 0, -1))

    def agent_beat(self, shop_id: int, agent_id: int, connection: str) -> bool:
        return self._beat(_agents_key(shop_id), f"{agent_id}:{connection}")

    def agent_gone(self, shop_id: int, agent_id: int, connection: str) -> None:
        self._redis.zrem(_agents_key(shop_id), f"{agent_id}:{connection}")

    def agents_online(self, shop_id: int) -> list[int]:
        return sorted({int(m.split(":", 1)[0]) for m in self._online(_agents_key(shop_id))})

    def visitor_beat(self, shop_id: int, conversation_id: int, connection: str) -> bool:
        return self._beat(_visitors_key(shop_id), f"{conversation_id}:{connection}")

    def visitor_gone(self, shop_id: int, conversation_id: int, connection: str) -> None:
        self._redis.zrem(_visitors_key(shop_id), f"{conversation_id}:{connection}")

    def visitors_online(self, shop_id: int) -> set[int]:
        return {int(m.split(":", 1)[0]) for m in self._online(_visitors_key(shop_id))}
