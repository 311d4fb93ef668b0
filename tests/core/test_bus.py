"""The bus: a process's first subscriber misses nothing published right after it subscribed."""
from __future__ import annotations

import json
import threading

import redis as redis_lib

from core.chat.bus import Bus, channel


def test_a_publication_right_after_the_first_subscription_arrives(redis_url: str, redis) -> None:  # type: ignore[no-untyped-def]
    publisher = redis_lib.Redis.from_url(redis_url)
    for attempt in range(5):  # each a fresh process-wide bus, the listener not started yet
        bus = Bus(redis_url)
        got: list[dict] = []
        arrived = threading.Event()

        def take(frame: dict, got: list[dict] = got, arrived: threading.Event = arrived) -> None:
            got.append(frame)
            arrived.set()

        bus.subscribe_conversation(40 + attempt, take)
        # Not stored anywhere: a `conversation` frame reaches a subscriber only through the bus.
        publisher.publish(channel(1), json.dumps({"type": "conversation", "conversation_id": 40 + attempt,
                                                  "status": "waiting_human"}))
        assert arrived.wait(5), f"attempt {attempt}: the frame published after subscribing was lost"
        assert got[0]["status"] == "waiting_human"
        bus.stop()
    publisher.close()
