"""Fan-out of live events between processes through Redis pub/sub.

Nothing lives only in Redis: every message is stored before it is published,
and a subscriber that misses a publication (Redis restarted, a listener
reconnected) catches up from the database by sequence number. One listener
per process, not per socket, with a local map channel -> callbacks.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import redis as redis_lib

log = logging.getLogger(__name__)

PREFIX = "sc:conv:"
Callback = Callable[[dict[str, Any]], None]


def channel(conversation_id: int) -> str:
    return f"{PREFIX}{conversation_id}"


class Subscription:
    def __init__(self, bus: Bus, conversation_id: int, callback: Callback) -> None:
        self._bus = bus
        self.conversation_id = conversation_id
        self.callback = callback

    def close(self) -> None:
        self._bus._remove(self)


class Bus:
    def __init__(self, redis_url: str) -> None:
        self._url = redis_url
        self._publisher: redis_lib.Redis | None = None
        self._subs: dict[int, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        #: Called after the listener (re)connects, so subscribers can catch up
        #: on whatever was published while it was away.
        self._on_reconnect: list[Callable[[], None]] = []

    # -- publishing ---------------------------------------------------------

    def publish(self, conversation_id: int, frame: dict[str, Any]) -> None:
        if self._publisher is None:
            self._publisher = redis_lib.Redis.from_url(self._url)
        self._publisher.publish(channel(conversation_id), json.dumps(frame, separators=(",", ":")))

    # -- subscribing --------------------------------------------------------

    def subscribe(self, conversation_id: int, callback: Callback) -> Subscription:
        sub = Subscription(self, conversation_id, callback)
        with self._lock:
            self._subs[conversation_id].add(sub)
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="storechat-bus", daemon=True)
                self._thread.start()
        return sub

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        self._on_reconnect.append(callback)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.conversation_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.conversation_id]

    def _dispatch(self, raw_channel: bytes, data: bytes) -> None:
        try:
            conversation_id = int(raw_channel[len(PREFIX):])
            frame = json.loads(data)
        except (ValueError, TypeError):
            log.warning("dropped a malformed bus message on %r", raw_channel)
            return
        with self._lock:
            targets = list(self._subs.get(conversation_id, ()))
        for sub in targets:
            try:
                sub.callback(frame)
            except Exception:  # noqa: BLE001 - one bad subscriber must not stop the others
                log.exception("bus subscriber failed")

    def _listen(self) -> None:
        delay = 0.1
        first = True
        while not self._stopping.is_set():
            client = redis_lib.Redis.from_url(self._url, health_check_interval=15)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.psubscribe(PREFIX + "*")
                if not first:
                    for callback in list(self._on_reconnect):
                        callback()
                first = False
                delay = 0.1
                while not self._stopping.is_set():
                    msg = pubsub.get_message(timeout=1.0)
                    if msg and msg["type"] == "pmessage":
                        self._dispatch(msg["channel"], msg["data"])
            except (redis_lib.ConnectionError, redis_lib.TimeoutError, OSError) as exc:
                log.warning("bus listener lost Redis (%s); reconnecting in %.1fs", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    pubsub.close()
                    client.close()
                except Exception:  # noqa: BLE001
                    pass

    def stop(self) -> None:
        self._stopping.set()
        if self._publisher is not None:
            self._publisher.close()
