"""The per-process services a Flask app (or a worker) works with.

Held in ``app.extensions["storechat"]``; reach them with :func:`services`.
Connections are opened lazily, never at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import redis as redis_lib
from flask import Flask, current_app

from core import redis_client
from core.db import Database
from core.errors import ConfigError
from core.settings import Settings

if TYPE_CHECKING:
    from core.chat.bus import Bus
    from core.chat.connections import Connections
    from core.chat.presence import Presence
    from core.chat.service import ChatService
    from core.security.rate_limit import Limits

EXTENSION = "storechat"


@dataclass
class Services:
    settings: Settings
    db: Database = field(init=False)

    def __post_init__(self) -> None:
        # Services live as long as their process (web, worker): SQLite's WAL is
        # checkpointed off the request path (core/db/checkpoint.py).
        self.db = Database(self.settings, background_checkpoints=True)

    @cached_property
    def redis(self) -> redis_lib.Redis:
        if not self.settings.redis_url:
            raise ConfigError(
                "no Redis: set STORECHAT_REDIS_URL, or start StoreChat with "
                "`storechat serve`, which runs an embedded Redis"
            )
        # A blocking pool: under gevent thousands of sockets share one process,
        # and redis-py's default pool (100 connections) raises past that
        # instead of waiting for a free connection.
        return redis_client.pool_client(
            self.settings.redis_url,
            max_connections=self.settings.redis_max_connections,
            wait=10,
            health_check_interval=30,
        )

    @cached_property
    def bus(self) -> Bus:
        from core.chat.bus import Bus

        return Bus(self.settings.redis_url or "")

    @cached_property
    def limits(self) -> Limits:
        from core.security.rate_limit import Limits

        return Limits(self.redis)

    @cached_property
    def presence(self) -> Presence:
        from core.chat.presence import Presence

        return Presence(self.redis, ttl=self.beat_ttl)

    @property
    def beat_ttl(self) -> float:
        """How long heartbeats (connection slots, presence) outlive their last refresh."""
        return self.settings.ws_ping_interval * 2 + 5

    @cached_property
    def connections(self) -> Connections:
        from core.chat.connections import Connections

        return Connections(
            self,
            beat_every=min(10.0, self.beat_ttl / 3),
            ttl=self.beat_ttl,
            recheck_every=self.settings.agent_recheck_seconds,
        )

    @cached_property
    def chat(self) -> ChatService:
        from core.chat.service import ChatService

        return ChatService(self)

    def close(self) -> None:
        if "connections" in self.__dict__:
            self.connections.stop()
        if "bus" in self.__dict__:
            self.bus.stop()
        if "redis" in self.__dict__:
            self.redis.close()
        self.db.dispose()


def init_app(app: Flask, settings: Settings) -> Services:
    svc = Services(settings)
    app.extensions[EXTENSION] = svc
    return svc


def services() -> Services:
    return current_app.extensions[EXTENSION]
