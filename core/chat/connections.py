"""The live sockets of one process, kept by one thread instead of one timer each.

An idle socket costs nothing but memory: its handler blocks until a frame
arrives or the socket closes. What must still happen on a clock happens here,
for all sockets at once:

- every ``beat_every`` seconds their connection slots and presence entries
  are refreshed in Redis in a few pipelined round trips (not one script call
  per socket);
- when the process starts draining (SIGTERM), every socket is told
  ``server_restart`` and closed at once;
- every ``recheck_every`` seconds the credentials of the agent sockets are
  checked again in one query, and the sockets of a revoked or rotated
  credential, or of a deactivated shop, closed (``agent_revoked``).

:class:`AddressSlot` is the place a connection (a socket, or an HTTP request
of the visitor protocol while it is served) takes among its address's
connections: at most ``max_connections_per_ip`` at once, across processes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

import redis as redis_lib

from core import lifecycle
from core.security.client_address import address_key

if TYPE_CHECKING:
    from core.chat.socket_session import SocketSession
    from core.services import Services

log = logging.getLogger(__name__)

#: How often the thread looks at the drain flag.
TICK = 0.5


class AddressSlot(NamedTuple):
    """One connection's slot among the live connections of its address (an IPv6 /64)."""

    key: str
    member: str

    @classmethod
    def of(cls, ip: str | None, member: str | None = None) -> AddressSlot:
        return cls(f"ip:{address_key(ip)}", member or uuid.uuid4().hex)

    def take(self, svc: Services, *, ttl: float) -> bool:
        """Hold the slot for ``ttl`` s; False when the address already has its
        ``max_connections_per_ip``. Without Redis the connection goes ahead
        (the database is the source of truth; the cap holds again once Redis is back)."""
        try:
            return svc.limits.hold_slot(self.key, self.member, limit=svc.settings.max_connections_per_ip, ttl=ttl)
        except redis_lib.RedisError:
            log.warning("connection cap not enforced: Redis is unavailable")
            return True

    def release(self, svc: Services) -> None:
        try:
            svc.limits.release_slot(self.key, self.member)
        except redis_lib.RedisError:  # the slot expires by itself
            log.warning("could not release a connection slot: Redis is unavailable")


class Connections:
    def __init__(self, svc: Services, *, beat_every: float, ttl: float, recheck_every: float = 30.0) -> None:
        self.svc = svc
        self.beat_every = beat_every
        self.ttl = ttl
        self.recheck_every = recheck_every
        self._sessions: set[SocketSession] = set()
        #: Visitor HTTP requests being served (core/chat/http_transport.py).
        self._requests = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def add(self, session: SocketSession) -> None:
        with self._lock:
            self._sessions.add(session)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="storechat-connections", daemon=True)
                self._thread.start()

    def discard(self, session: SocketSession) -> None:
        with self._lock:
            self._sessions.discard(session)

    def request_started(self) -> None:
        with self._lock:
            self._requests += 1

    def request_ended(self) -> None:
        with self._lock:
            self._requests -= 1

    def live(self) -> int:
        """Open sockets and visitor HTTP requests in progress (a long poll holds one up to
        25 s): what the process's objects grow with (core/gc_schedule.py counts on it)."""
        return len(self._sessions) + self._requests

    def stop(self) -> None:
        self._stopped.set()

    # -- the clock --------------------------------------------------------------

    def _run(self) -> None:
        next_beat = time.monotonic() + self.beat_every
        next_check = time.monotonic() + self.recheck_every
        while not self._stopped.wait(TICK):
            if lifecycle.draining():
                self.drain()
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + self.beat_every
                try:
                    self.beat()
                except Exception:  # noqa: BLE001 - Redis is away; entries come back with the next beat
                    log.warning("heartbeat of %d connections failed", len(self._sessions), exc_info=True)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + self.recheck_every
                try:
                    self.recheck()
                except Exception:  # noqa: BLE001 - the database is away; the next check makes up for it
                    log.warning("re-check of the agent credentials failed", exc_info=True)

    def recheck(self) -> None:
        """Close the agent sockets whose credential stopped working since they connected."""
        from core.chat.agent_socket import recheck

        recheck(self.svc, self._snapshot())

    def drain(self) -> None:
        """End every socket, side by side: each waits for its outbox to send the notice."""
        with self._lock:
            sessions, self._sessions = list(self._sessions), set()
        for session in sessions:
            threading.Thread(target=session.drain, name="storechat-drain", daemon=True).start()

    def beat(self) -> None:
        """Refresh every live socket's slot and presence; announce the ones that came back."""
        sessions = self._snapshot()
        if not sessions:
            return
        self.svc.limits.refresh_slots([s.slot for s in sessions], ttl=self.ttl)
        present = [(s, beat) for s in sessions if (beat := s.presence_beat()) is not None]
        newly = self.svc.presence.beat_many([beat for _, beat in present])
        live = set(self._snapshot())
        for session in sessions:
            if session not in live:
                # Closed while its refresh was on the way: take back what the refresh re-created.
                self.svc.limits.release_slot(*session.slot)
                beat = session.presence_beat()
                if beat is not None:
                    self.svc.presence.gone(beat)
        for (session, _), back in zip(present, newly, strict=True):
            if back and session in live:
                session.back_online()

    def _snapshot(self) -> list[Any]:
        with self._lock:
            return list(self._sessions)
