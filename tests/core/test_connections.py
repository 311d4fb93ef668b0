"""One clock per process keeps every socket's slot and presence alive, and ends them on drain."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from core.chat.connections import Connections
from core.chat.presence import Beat, Presence
from core.security.rate_limit import Limits


def test_presence_of_one_conversation_is_its_own_entry(redis) -> None:  # type: ignore[no-untyped-def]
    presence = Presence(redis, ttl=30)
    for n in range(50):
        presence.visitor_beat(7, 1000 + n, f"c{n}")
    assert presence.visitor_online(1010) and not presence.visitor_online(999)
    assert presence.visitors_online(7) == {1000 + n for n in range(50)}
    presence.visitor_gone(7, 1010, "c10")
    assert not presence.visitor_online(1010) and 1010 not in presence.visitors_online(7)


def test_beat_many_says_which_entries_are_new_or_had_expired(redis) -> None:  # type: ignore[no-untyped-def]
    short = Presence(redis, ttl=1.0)
    assert short.beat_many([short.visitor(1, 1, "a"), short.agent(1, 5, "b")]) == [True, True]
    assert short.beat_many([short.visitor(1, 1, "a"), short.visitor(1, 2, "c")]) == [False, True]
    time.sleep(1.2)
    assert not short.visitor_online(1)
    assert short.beat_many([short.visitor(1, 1, "a")]) == [True]  # expired, so back online
    assert short.visitor_online(1)
    lasting = Presence(redis, ttl=60)
    many = [lasting.visitor(2, n, "x") for n in range(1200)]  # more than one pipelined chunk
    assert lasting.beat_many(many) == [True] * 1200 and lasting.visitor_online(1199)
    assert lasting.beat_many(many[:3]) == [False] * 3


class _Session:
    def __init__(self, svc: Any, n: int, conversation: int | None) -> None:
        self.slot = (f"ip:10.0.0.{n}", f"conn{n}")
        self.conversation = conversation
        self.svc = svc
        self.back = 0
        self.drained = threading.Event()

    def presence_beat(self) -> Beat | None:
        if self.conversation is None:
            return None
        return self.svc.presence.visitor(1, self.conversation, self.slot[1])

    def back_online(self) -> None:
        self.back += 1

    def drain(self) -> None:
        self.drained.set()


def test_the_clock_keeps_slots_and_presence_alive_past_their_ttl(redis) -> None:  # type: ignore[no-untyped-def]
    ttl = 2.0
    svc = SimpleNamespace(limits=Limits(redis), presence=Presence(redis, ttl=ttl))
    clock = Connections(svc, beat_every=0.2, ttl=ttl)  # type: ignore[arg-type]
    sessions = [_Session(svc, n, conversation=100 + n if n % 2 else None) for n in range(6)]
    try:
        added = time.time()
        for s in sessions:
            clock.add(s)  # type: ignore[arg-type]
        time.sleep(ttl + 0.5)  # past the ttl: only the clock's refreshes keep them
        for s in sessions:
            score = redis.zscore(f"sc:slots:{s.slot[0]}", s.slot[1])
            assert score is not None and score > added + ttl  # refreshed since they were added
            if s.conversation is not None:
                assert svc.presence.visitor_online(s.conversation)
        # Each visitor was new at the first beat only.
        assert [s.back for s in sessions if s.conversation is not None] == [1, 1, 1]

        clock.discard(sessions[0])  # type: ignore[arg-type]
        time.sleep(ttl + 0.5)  # no longer refreshed: its slot lapses
        score = redis.zscore(f"sc:slots:{sessions[0].slot[0]}", sessions[0].slot[1])
        assert score is None or score < time.time()
    finally:
        clock.stop()


def test_drain_ends_every_socket_once(redis, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core import lifecycle

    svc = SimpleNamespace(limits=Limits(redis), presence=Presence(redis, ttl=30))
    clock = Connections(svc, beat_every=30, ttl=30)  # type: ignore[arg-type]
    sessions = [_Session(svc, n, None) for n in range(20)]
    try:
        for s in sessions:
            clock.add(s)  # type: ignore[arg-type]
        monkeypatch.setattr(lifecycle, "_draining", True)
        for s in sessions:
            assert s.drained.wait(3)
        assert len(clock) == 0
    finally:
        clock.stop()
