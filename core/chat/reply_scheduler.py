"""When the assistant answers: after the shopper pauses.

Shoppers often send a thought in several lines. Each stored line (re)starts
a short timer for its conversation; a ``typing`` frame holds it a little
longer. Neither holds it past a cap (``max_hold`` after the burst's first
line), so a shopper who keeps writing is still answered. When the timer fires, the assistant job is enqueued
with the seq of the latest line, and the job answers the whole burst. Jobs
for superseded lines find a later shopper line and do nothing, so a burst
gets exactly one reply.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: How long one ``typing`` frame holds a pending reply. The widget sends one
#: at most every 2 s while the shopper types, so this must outlast that.
TYPING_HOLD = 3.0


class ReplyScheduler:
    def __init__(self, enqueue: Callable[[int, int], object], *, delay: float, max_hold: float) -> None:
        self._enqueue = enqueue
        self._delay = delay
        self._max_hold = max_hold
        self._lock = threading.Lock()
        #: conversation id -> (timer, seq, first scheduled at)
        self._pending: dict[int, tuple[threading.Timer, int, float]] = {}

    def line_stored(self, conversation_id: int, seq: int) -> None:
        with self._lock:
            started = self._cancel(conversation_id) or time.monotonic()
            # Each line restarts the delay, but never past the burst's cap: a shopper
            # who keeps writing is answered at most ``max_hold`` after the burst began
            # (the lines after that start the next burst).
            left = max(self._max_hold, self._delay) - (time.monotonic() - started)
            if self._delay > 0 and left > 0:
                self._start(conversation_id, seq, started, min(self._delay, left))
                return
        self._fire(conversation_id, seq)

    def typing(self, conversation_id: int) -> None:
        """The shopper is still typing: hold a pending reply a little longer."""
        with self._lock:
            pending = self._pending.get(conversation_id)
            if pending is None:
                return
            _, seq, started = pending
            left = self._max_hold - (time.monotonic() - started)
            if left <= 0:
                return
            self._cancel(conversation_id)
            self._start(conversation_id, seq, started, min(max(self._delay, TYPING_HOLD), left))

    def _start(self, conversation_id: int, seq: int, started: float, delay: float) -> None:
        timer = threading.Timer(delay, self._fire, (conversation_id, seq))
        timer.daemon = True
        self._pending[conversation_id] = (timer, seq, started)
        timer.start()

    def _cancel(self, conversation_id: int) -> float | None:
        pending = self._pending.pop(conversation_id, None)
        if pending is None:
            return None
        pending[0].cancel()
        return pending[2]

    def _fire(self, conversation_id: int, seq: int) -> None:
        with self._lock:
            pending = self._pending.get(conversation_id)
            if pending is not None and pending[1] == seq:
                del self._pending[conversation_id]
        try:
            self._enqueue(conversation_id, seq)
        except Exception:  # noqa: BLE001 - the line is stored; the sweep answers it later
            log.exception("could not enqueue the assistant reply for conversation %s", conversation_id)
