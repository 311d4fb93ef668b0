"""When a web process collects cyclic garbage: in small pieces, never a full pass mid-burst.

CPython's full (generation 2) collection walks every tracked object. A web
process holding sockets has a few hundred per socket, so at 1,000 sockets a
full collection holds the whole gevent process for 100-200 ms, and at
10,000 for seconds. CPython starts one by itself whenever a quarter more
objects have survived into the old generation since the last one; the
objects each socket keeps while it waits for its next frame (timeouts,
waiters) are just that kind, so under steady chat traffic that was every
15-20 s (bench/realtime.py, figure 1's p99).

A :class:`GcSchedule` turns the automatic full collections off and runs its
own over the objects that arrived since the previous one: after each, the
survivors are frozen (``gc.freeze()``: left out of later collections, still
freed by reference counting as usual), so a collection costs what arrived
since the last one, not what the process holds. One runs every ``interval``
seconds, or sooner once ``max_promotions`` middle-generation collections
have moved objects up (each moves at most a few thousand): a burst of new
sockets is collected in pieces of bounded size. Every ``full_interval``
seconds one first unfreezes everything, so garbage cycles among long-lived
objects are reclaimed too, at the cost of one full pass. Young-generation
collections stay automatic: they are short.
"""
from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

#: At most this many seconds between collections of the objects new since the last one...
INTERVAL = 60.0
#: ... or sooner, after this many middle-generation collections (each moves up
#: at most ~7,000 objects with CPython's default thresholds: pauses of a few ms).
MAX_PROMOTIONS = 4
#: Seconds between full passes (everything unfrozen first).
FULL_INTERVAL = 600.0
#: How often the schedule looks at the collector's counts.
TICK = 1.0
#: The old generation's threshold that CPython's automatic full collection
#: never reaches (it counts middle-generation collections).
NEVER = 1 << 30


class GcSchedule:
    def __init__(self, interval: float = INTERVAL, max_promotions: int = MAX_PROMOTIONS,
                 full_interval: float = FULL_INTERVAL) -> None:
        self.interval = interval
        self.max_promotions = max_promotions
        self.full_interval = full_interval
        self.runs = 0
        #: Seconds the last collection took, and whether it was a full one.
        self.last_pause = 0.0
        self.last_full = False
        self._last = self._last_full = time.monotonic()
        self._saved: tuple[int, int, int] | None = None
        self._stopped = threading.Event()

    def start(self) -> None:
        """Freeze what the process made while starting (modules, the app), then take over."""
        gc.collect()
        gc.freeze()
        self._saved = gc.get_threshold()
        young, middle, _old = self._saved
        gc.set_threshold(young, middle, NEVER)
        self._last = self._last_full = time.monotonic()
        # Under gevent this is a greenlet: a collection runs between other work, as the
        # automatic one did, only at a time and of a size of its own choosing.
        threading.Thread(target=self._run, name="storechat-gc", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def due(self, now: float) -> bool | None:
        """None when no collection is due; else whether it is a full one."""
        if now - self._last_full >= self.full_interval:
            return True
        if now - self._last >= self.interval or gc.get_count()[2] >= self.max_promotions:
            return False
        return None

    def collect(self, full: bool = False) -> int:
        """One collection (``full``: over everything); returns how many objects it freed."""
        started = time.perf_counter()
        if full:
            gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        self.runs += 1
        self.last_pause = time.perf_counter() - started
        self.last_full = full
        self._last = time.monotonic()
        if full:
            self._last_full = self._last
        log.debug("%s collection freed %d objects in %.1f ms",
                  "full" if full else "new-objects", freed, self.last_pause * 1000)
        return freed

    def _run(self) -> None:
        while not self._stopped.wait(TICK):
            try:
                full = self.due(time.monotonic())
                if full is not None:
                    self.collect(full)
            except Exception:  # noqa: BLE001 - never stop collecting
                log.exception("scheduled garbage collection failed")
