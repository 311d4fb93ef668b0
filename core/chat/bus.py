"""Fan-out of live events between processes through Redis pub/sub.

Nothing lives only in Redis: every message is stored before it is published,
and a subscriber that misses a publication (Redis restarted, the listener
reconnected) catches up from the database by sequence number. One channel
per shop, one listener per process (not per socket) with a local map that
routes each event to the sockets of its conversation and to the shop's
agents.
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

from core import redis_client

log = logging.getLogger(__name__)

PREFIX = "sc:shop:"
#: Seconds a process's first subscribers wait for the listener to be subscribed.
FIRST_CONNECT_WAIT = 5.0
Callback = Callable[[dict[str, Any]], None]


#: Frames for the shop's team only: presence, internal notes, read marks.
TEAM_ONLY = frozenset({"presence", "note", "read"})


def reaches_shopper(frame: dict[str, Any]) -> bool:
    """Whether a shopper's socket gets this frame: never the team's own frames, nor their own typing."""
    kind = frame.get("type")
    return kind not in TEAM_ONLY and not (kind == "typing" and frame.get("author") == "visitor")


def channel(shop_id: int) -> str:
    return f"{PREFIX}{shop_id}"


class Subscription:
    def __init__(
        self, bus: Bus, key: tuple[str, int], callback: Callback, on_reconnect: Callable[[], None] | None
    ) -> None:
        self._bus = bus
        self.key = key
        self.callback = callback
        #: Called after the listener reconnected to Redis: catch up from the database.
        self.on_reconnect = on_reconnect

    def close(self) -> None:
        self._bus._remove(self)


class Bus:
    def __init__(self, redis_url: str) -> None:
        self._url = redis_url
        self._publisher: redis_lib.Redis | None = None
        self._subs: dict[tuple[str, int], set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.connected = threading.Event()
        self._ever_connected = threading.Event()

    # -- publishing ---------------------------------------------------------

    def publish(self, shop_id: int, frame: dict[str, Any]) -> None:
        """Publish an event of one of the shop's conversations (``frame["conversation_id"]``)."""
        if self._publisher is None:
            self._publisher = redis_client.pool_client(self._url, max_connections=100, wait=10)
        self._publisher.publish(channel(shop_id), json.dumps(frame, separators=(",", ":")))

    # -- subscribing --------------------------------------------------------

    def subscribe_conversation(
        self, conversation_id: int, callback: Callback, on_reconnect: Callable[[], None] | None = None
    ) -> Subscription:
        return self._add(("conversation", conversation_id), callback, on_reconnect)

    def subscribe_shop(
        self, shop_id: int, callback: Callback, on_reconnect: Callable[[], None] | None = None
    ) -> Subscription:
        return self._add(("shop", shop_id), callback, on_reconnect)

    def _add(self, key: tuple[str, int], callback: Callback, on_reconnect: Callable[[], None] | None) -> Subscription:
        sub = Subscription(self, key, callback, on_reconnect)
        with self._lock:
            self._subs[key].add(sub)
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="storechat-bus", daemon=True)
                self._thread.start()
        # The process's first subscribers wait (briefly) for the listener to be subscribed:
        # what is published meanwhile would otherwise reach them only if it is stored (the
        # catch-up reads the database), and `conversation` and `presence` frames are not.
        # Later, while Redis is away, nobody waits: the catch-up after the reconnect covers it.
        self._ever_connected.wait(FIRST_CONNECT_WAIT)
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.key]

    def _dispatch(self, raw_channel: bytes, data: bytes) -> None:
        try:
            shop_id = int(raw_channel[len(PREFIX) :])
            frame = json.loads(data)
            conversation_id = int(frame.get("conversation_id") or 0)
        except (ValueError, TypeError, AttributeError):
            log.warning("dropped a malformed bus message on %r", raw_channel)
            return
        for_visitors = reaches_shopper(frame)
        with self._lock:
            targets = [
                *(self._subs.get(("conversation", conversation_id), ()) if for_visitors else ()),
                *self._subs.get(("shop", shop_id), ()),
            ]
        for sub in targets:
            try:
                sub.callback(frame)
            except Exception:  # noqa: BLE001 - one bad subscriber must not stop the others
                log.exception("bus subscriber failed")

    def _reconnected(self) -> None:
        with self._lock:
            subs = [s for group in self._subs.values() for s in group]
        for sub in subs:
            if sub.on_reconnect is not None:
                try:
                    sub.on_reconnect()
                except Exception:  # noqa: BLE001
                    log.exception("bus reconnect callback failed")

    def _listen(self) -> None:
        delay = 0.1
        first = True
        while not self._stopping.is_set():
            # Reads wait at most get_message's timeout, under the client's socket timeout.
            client = redis_client.client(self._url, health_check_interval=10)
            pubsub = client.pubsub()
            try:
                pubsub.psubscribe(PREFIX + "*")
                self._confirmed(pubsub)
                self.connected.set()
                self._ever_connected.set()
                if not first:
                    log.info("bus listener reconnected to Redis")
                # Subscribers that came before the listener was subscribed (the
                # process's first ones, or any while Redis was away) may have
                # missed publications: they catch up from the database.
                self._reconnected()
                first = False
                delay = 0.1
                while not self._stopping.is_set():
                    msg = pubsub.get_message(timeout=1.0)
                    if msg and msg["type"] == "pmessage":
                        self._dispatch(msg["channel"], msg["data"])
            except (redis_lib.ConnectionError, redis_lib.TimeoutError, OSError) as exc:
                self.connected.clear()
                self._ever_connected.set()  # no more waiting for a Redis that is not there
                first = False
                log.warning("bus listener lost Redis (%s); reconnecting in %.1fs", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            finally:
                try:
                    pubsub.close()
                    client.close()
                except Exception:  # noqa: BLE001
                    pass

    @staticmethod
    def _confirmed(pubsub: Any, timeout: float = 10.0) -> None:
        """Wait until Redis confirms the subscription: from then on no publication is missed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
            if msg and msg["type"] == "psubscribe":
                return
        raise redis_lib.TimeoutError("Redis did not confirm the bus subscription")

    def stop(self) -> None:
        self._stopping.set()
        if self._publisher is not None:
            self._publisher.close()
