"""One socket's outgoing side: a bounded queue drained by one sender.

``ws.send`` is not safe from two threads or greenlets at once, so only the
sender calls it. The sender also owns the highest sequence number the client
has been sent: message frames arriving out of order or twice (from the bus
and from the handler) are put right against the database, so the client sees
every message exactly once, in order. A client that stops reading fills its
queue; past the cap it is told to resume and is disconnected, so a stalled
reader never grows server memory without bound.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from core.chat.frames import error_frame

log = logging.getLogger(__name__)

_CATCH_UP = {"type": "_catch_up"}
_CLOSE = {"type": "_close"}

#: Loads message frames with seq > after_seq, in order.
Loader = Callable[[int, int], list[dict[str, Any]]]


class Outbox:
    def __init__(self, ws: Any, load_after: Loader, maxsize: int) -> None:
        self._ws = ws
        self._load_after = load_after
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=maxsize)
        self._overflowed = threading.Event()
        self.conversation_id: int | None = None
        self.last_seq = 0
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="storechat-outbox", daemon=True)
        self._thread.start()

    def put(self, frame: dict[str, Any]) -> None:
        if self._overflowed.is_set() or self.closed.is_set():
            return
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            # The sender sees this before its next frame and tells the client to resume.
            self._overflowed.set()

    def catch_up(self) -> None:
        """Send every stored message the client has not been sent yet."""
        self.put(_CATCH_UP)

    def close(self) -> None:
        """Send what is queued, then stop."""
        if not self.closed.is_set():
            try:
                self._queue.put(_CLOSE, timeout=1.0)
            except queue.Full:
                self.closed.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            while not self.closed.is_set():
                if self._overflowed.is_set():
                    self._send(error_frame(
                        "resume_required",
                        "this connection fell too far behind; reconnect and resume",
                        fatal=True,
                    ))
                    self._ws.close(reason=1008, message="resume_required")
                    return
                frame = self._queue.get()
                if frame is _CLOSE:
                    return
                if frame is _CATCH_UP:
                    self._send_after(self.last_seq)
                elif frame.get("type") == "message" and frame.get("conversation_id") == self.conversation_id:
                    self._send_message(frame)
                else:
                    self._send(frame)
        except Exception as exc:  # noqa: BLE001 - the socket is gone; the handler cleans up
            log.debug("outbox stopped: %s", exc)
        finally:
            self.closed.set()

    def _send_message(self, frame: dict[str, Any]) -> None:
        seq = int(frame["seq"])
        if seq <= self.last_seq:
            return  # already sent
        if seq > self.last_seq + 1:
            self._send_after(self.last_seq)  # fill the gap from the database first
            if seq <= self.last_seq:
                return
        self._send(frame)
        self.last_seq = seq

    def _send_after(self, after_seq: int) -> None:
        if self.conversation_id is None:
            return
        for frame in self._load_after(self.conversation_id, after_seq):
            if frame["seq"] > self.last_seq:
                self._send(frame)
                self.last_seq = frame["seq"]

    def _send(self, frame: dict[str, Any]) -> None:
        self._ws.send(json.dumps(frame, separators=(",", ":")))
