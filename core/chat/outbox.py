"""One socket's outgoing side: a bounded queue drained by one sender.

``ws.send`` is not safe from two threads or greenlets at once, so only the
sender calls it. The sender also owns, per followed conversation, the
highest sequence number the client has been sent: message frames arriving
twice (from the bus and from the handler) are dropped, and frames arriving
after a gap (a missed publication) are preceded by what was missed, read
from the database. So a client sees every message exactly once, in order.

A client that stops reading fills its queue; past the cap it is told to
resume and is disconnected, so a stalled reader never grows server memory
without bound.
"""

from __future__ import annotations

import contextvars
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from core.chat.frames import error_frame
from core.chat.sock import send_texts

log = logging.getLogger(__name__)

_CLOSE: dict[str, Any] = {"type": "_close"}
CATCH_UP = "_catch_up"

#: Loads up to ``BATCH`` message frames of a conversation with seq > after_seq, in order.
Loader = Callable[[int, int], list[dict[str, Any]]]
BATCH = 500
#: Queued frames are written together up to this many bytes.
FLUSH_BYTES = 64 * 1024


def wake(ws: Any) -> None:
    """Wake a handler blocked in ``ws.receive()`` after the server closed the socket.

    simple-websocket's ``close()`` marks the connection closed but does not
    set the event ``receive`` waits on; its reader thread does, once it
    notices, which on a plain thread can take until its next ping.
    """
    event = getattr(ws, "event", None)
    if event is not None:
        event.set()


class Outbox:
    def __init__(self, ws: Any, load_after: Loader, maxsize: int, *, follow_new: bool = False) -> None:
        """``follow_new``: follow any conversation a message arrives for (agents),
        instead of only those followed explicitly (visitors)."""
        self._ws = ws
        self._load_after = load_after
        self._follow_new = follow_new
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=maxsize)
        self._overflowed = threading.Event()
        #: Frames sent but not yet written to the socket (see ``_run``).
        self._pending: list[str] = []
        self._pending_bytes = 0
        #: conversation id -> highest seq sent. Only the sender thread writes it
        #: after follow() has seeded it.
        self._sent: dict[int, int] = {}
        self.closed = threading.Event()
        # The sender logs with its socket's ids (core/log_setup.py): it runs in a copy of this context.
        self._thread = threading.Thread(
            target=contextvars.copy_context().run, args=(self._run,), name="storechat-outbox", daemon=True
        )
        self._thread.start()

    def follow(self, conversation_id: int, after_seq: int, *, catch_up: bool = True) -> None:
        self._sent.setdefault(conversation_id, after_seq)
        if catch_up:
            self.catch_up(conversation_id, after_seq)

    def following(self, conversation_id: int) -> bool:
        return conversation_id in self._sent

    def catch_up(self, conversation_id: int, after_seq: int | None = None) -> None:
        """Send every stored message of the conversation the client has not been sent."""
        self.put({"type": CATCH_UP, "conversation_id": conversation_id, "after_seq": after_seq})

    def catch_up_all(self) -> None:
        for conversation_id in list(self._sent):
            self.catch_up(conversation_id)

    def put(self, frame: dict[str, Any]) -> None:
        if self._overflowed.is_set() or self.closed.is_set():
            return
        if frame.get("type") == "message" and frame.get("seq", 0) <= self._sent.get(frame.get("conversation_id", 0), 0):
            # Sent already (the bus brings a socket's own lines back): not worth waking the sender.
            # A stale read lets a copy through (the sender drops it), or drops one that a queued
            # catch-up from an earlier seq (a replay) reads from the database anyway.
            return
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            # The sender sees this before its next frame and tells the client to resume.
            self._overflowed.set()

    def close(self) -> None:
        """Send what is queued, then stop."""
        if not self.closed.is_set():
            try:
                self._queue.put(_CLOSE, timeout=1.0)
            except queue.Full:
                self.closed.set()
        self._thread.join(timeout=5)

    # -- the sender -----------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self.closed.is_set():
                if self._overflowed.is_set():
                    self._send(
                        error_frame(
                            "resume_required",
                            "this connection fell too far behind; reconnect and resume",
                            fatal=True,
                        )
                    )
                    self._flush()
                    self._ws.close(reason=1008, message="resume_required")
                    wake(self._ws)
                    return
                frame = self._queue.get()
                # Whatever else is queued already goes out in the same write (an ack
                # and its message, say): one system call, one wake-up of the client.
                while frame is not _CLOSE:
                    self._handle(frame)
                    try:
                        frame = self._queue.get_nowait()
                    except queue.Empty:
                        break
                self._flush()
                if frame is _CLOSE:
                    return
        except Exception as exc:  # noqa: BLE001 - the socket is gone; the handler cleans up
            log.debug("outbox stopped: %s", exc)
        finally:
            self.closed.set()

    def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == CATCH_UP:
            conversation_id = frame["conversation_id"]
            if frame.get("after_seq") is not None:
                self._sent[conversation_id] = frame["after_seq"]
            self._send_missing(conversation_id)
        elif kind == "message":
            self._send_message(frame)
        else:
            if kind == "conversation" and frame.get("conversation_id") in self._sent:
                # Every change of owner is stored as a notice before it is announced:
                # make sure the client has it (and all before it) before the change.
                self._send_missing(int(frame["conversation_id"]))
            self._send(frame)

    def _send_message(self, frame: dict[str, Any]) -> None:
        conversation_id, seq = int(frame["conversation_id"]), int(frame["seq"])
        last = self._sent.get(conversation_id)
        if last is None:
            if not self._follow_new:
                return  # not this client's conversation
            self._sent[conversation_id] = last = seq - 1
        if seq <= last:
            return  # already sent
        if seq > last + 1:
            self._send_missing(conversation_id)  # fill the gap from the database first
            if seq <= self._sent[conversation_id]:
                return
        self._send(frame)
        self._sent[conversation_id] = seq

    def _send_missing(self, conversation_id: int) -> None:
        """Send what the client missed, a batch at a time: memory stays bounded
        however long the backlog is."""
        last = self._sent.get(conversation_id, 0)
        while True:
            batch = self._load_after(conversation_id, last)
            for frame in batch:
                if frame["seq"] > last:
                    self._send(frame)
                    last = frame["seq"]
            self._sent[conversation_id] = last
            if len(batch) < BATCH:
                return

    def _send(self, frame: dict[str, Any]) -> None:
        text = json.dumps(frame, separators=(",", ":"))
        self._pending.append(text)
        self._pending_bytes += len(text)
        if self._pending_bytes >= FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending, self._pending_bytes = self._pending, [], 0
            send_texts(self._ws, pending)
