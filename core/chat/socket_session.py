"""What the visitor and agent sockets share: the hello handshake, the read
loop, frame-size limits, error frames, and the outbox."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

import redis as redis_lib
from simple_websocket import ConnectionClosed

from core import lifecycle, log_setup, metrics
from core.chat.connections import AddressSlot
from core.chat.frames import FrameError, client_id_of, error_frame, parse
from core.chat.outbox import Outbox, wake
from core.chat.presence import Beat
from core.chat.service import ChatError
from core.chat.sock import LINGER_SECONDS
from core.services import Services

log = logging.getLogger(__name__)
access = logging.getLogger("core.access")

HELLO_TIMEOUT = 15
#: An idle socket's handler blocks until a frame arrives, the socket closes or
#: something wakes it (a drain, a fatal error); this only bounds a missed wake.
IDLE_WAKE = 60.0


class SocketSession:
    agent = False
    follow_new = False

    def __init__(self, ws: Any, svc: Services, ip: str) -> None:
        self.ws = ws
        self.svc = svc
        self.ip = ip or "unknown"
        self.connection_id = uuid.uuid4().hex
        self.chat = svc.chat
        self.settings = svc.settings
        #: This connection's slot among its address's connections.
        self.slot = AddressSlot.of(self.ip, self.connection_id)
        self.outbox = Outbox(ws, self.chat.load_after, svc.settings.socket_queue_max, follow_new=self.follow_new)
        self.subscriptions: list[Any] = []
        self._drained = threading.Event()

    def run(self) -> None:
        """The socket's life, tagged with its id in every log line, counted while open."""
        kind = "agent" if self.agent else "visitor"
        with log_setup.bind(socket_id=self.connection_id):
            metrics.socket_opened(kind)
            opened = time.monotonic()
            if self.settings.access_log:
                access.info("socket opened", extra={"socket": kind})
            try:
                self._run()
            finally:
                metrics.socket_closed(kind)
                if self.settings.access_log:
                    access.info("socket closed", extra={"socket": kind, "seconds": round(time.monotonic() - opened, 3)})

    def _run(self) -> None:
        if not self.slot.take(self.svc, ttl=self.svc.beat_ttl):
            self.fatal("too_many_connections", "too many open chat connections from this address")
            return
        # From here on the process's connection clock keeps the slot and presence fresh.
        self.svc.connections.add(self)
        try:
            if self._hello():
                self._loop()
        except ConnectionClosed:
            pass
        except Exception:  # noqa: BLE001 - a bug must not write an HTTP 500 onto an open socket
            log.exception("socket handler failed")
            try:
                self.outbox.put(error_frame("internal_error", "something went wrong; reconnect and resume", fatal=True))
                self.outbox.close()
                self.ws.close(reason=1011, message="internal_error")
            except Exception:  # noqa: BLE001
                pass
        finally:
            self.svc.connections.discard(self)
            for sub in self.subscriptions:
                sub.close()
            self.outbox.close()
            try:
                self.svc.limits.release_slot(*self.slot)
                self.closed()
            except Exception:  # noqa: BLE001 - Redis is away; the entries expire by themselves
                log.warning("could not release the connection's slot and presence", exc_info=True)
            self._await_transport()

    def _await_transport(self) -> None:
        """Wait (a bounded time) for the connection's reader to finish its close.

        Once the handler returns, the web server closes the socket at once,
        which with the client's input still unread is a reset that destroys
        the close frame the reader just sent (``ChatSocket.close`` reads that
        input first)."""
        reader = getattr(self.ws, "thread", None)
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=LINGER_SECONDS + 1)

    # -- for subclasses -------------------------------------------------------

    def on_hello(self, frame: Any) -> None:
        raise NotImplementedError

    def on_frame(self, frame: Any) -> None:
        raise NotImplementedError

    def closed(self) -> None:
        """Called once the socket is done."""

    def presence_beat(self) -> Beat | None:
        """The presence entry the connection clock refreshes, if any."""
        return None

    def back_online(self) -> None:
        """The presence entry had expired (Redis was away, say) and is back: tell the agents."""

    @staticmethod
    def best_effort(fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a call that needs Redis (limits, presence); without Redis, go on.

        The database is the source of truth: chatting must work while Redis
        restarts. Returns None when the call could not be made.
        """
        try:
            return fn(*args, **kwargs)
        except redis_lib.RedisError:
            log.warning("%s skipped: Redis is unavailable", getattr(fn, "__name__", "call"))
            return None

    def drain(self) -> None:
        """The process is stopping: end the socket with ``server_restart`` (from the connection clock)."""
        if self._drained.is_set():
            return
        self._drained.set()
        try:
            self.outbox.put(error_frame("server_restart", "the server is restarting; reconnect and resume", fatal=True))
            self.outbox.close()
            self.ws.close(reason=1012, message="server_restart")
        except Exception:  # noqa: BLE001 - already closed by the client or the handler
            pass
        wake(self.ws)  # the handler's receive() now raises ConnectionClosed

    # -- the loop -------------------------------------------------------------

    def fatal(self, code: str, message: str) -> None:
        self.outbox.put(error_frame(code, message, fatal=True))
        self.outbox.close()
        self.ws.close(reason=1008, message=code)
        wake(self.ws)

    def _parse(self, raw: str | bytes) -> Any:
        size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
        if size > self.settings.max_frame_bytes:
            raise FrameError(f"frames may be at most {self.settings.max_frame_bytes} bytes", code="frame_too_large")
        return parse(raw, agent=self.agent)

    def _hello(self) -> bool:
        raw = self.ws.receive(timeout=HELLO_TIMEOUT)
        if raw is None:
            self.fatal("hello_timeout", "send a hello frame first")
            return False
        try:
            frame = self._parse(raw)
            if frame.type != "hello":
                raise ChatError("hello_required", "the first frame must be hello", fatal=True)
            self.on_hello(frame)
        except (FrameError, ChatError) as exc:
            self.fatal(exc.code, exc.message)
            return False
        return True

    def _loop(self) -> None:
        while not self.outbox.closed.is_set():
            raw = self.ws.receive(timeout=IDLE_WAKE)
            if lifecycle.draining():
                self.drain()
                return
            if raw is None:
                continue
            try:
                frame = self._parse(raw)
                if frame.type == "ping":
                    self.outbox.put({"type": "pong"})
                elif frame.type == "hello":
                    raise FrameError("hello was already received", code="unexpected_frame")
                else:
                    self.on_frame(frame)
            except (FrameError, ChatError) as exc:
                if getattr(exc, "fatal", False):
                    self.fatal(exc.code, exc.message)
                    return
                refused = error_frame(exc.code, exc.message)
                client_id = client_id_of(raw)
                if client_id is not None:
                    # Lets the client mark exactly that message as refused.
                    refused["client_id"] = client_id
                self.outbox.put(refused)

    def ack(self, client_id: str, stored: Any) -> None:
        """The ack, then (when it is new) the message itself, which the bus brings
        too: the outbox sends each seq once."""
        self.outbox.put(
            {
                "type": "ack",
                "client_id": client_id,
                "seq": stored.message.seq,
                "conversation_id": stored.message.conversation_id,
            }
        )
        if stored.created:
            self.outbox.put(stored.frame)
