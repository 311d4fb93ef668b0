"""When a web process collects cyclic garbage: on a timer, never mid-burst.

CPython's full (generation 2) collection walks every tracked object. A web
process holding sockets has a few hundred per socket, so at 1,000 sockets a
full collection holds the whole gevent process for 100-200 ms, and at
10,000 for seconds. CPython starts one by itself whenever a quarter more
objects have survived into the old generation since the last one; the
objects each socket keeps while it waits for its next frame (timeouts,
waiters) are just that kind, so under steady chat traffic that was every
15-20 s (bench/realtime.py, figure 1's p99).

A :class:`GcSchedule` turns the automatic full collections off and runs them
itself on a timer instead, over the objects that arrived since the previous
one: after each collection the survivors are frozen (``gc.freeze()``: left
out of later collections, still freed by reference counting as usual). Every
``full_every``-th run first unfreezes everything, so garbage cycles among
long-lived objects are reclaimed too, at the cost of one full pass.
Young-generation collections stay automatic: they are short.
"""
from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

#: Seconds between collections of the objects that arrived since the last one.
INTERVAL = 60.0
#: Every this many collections, one over everything (unfrozen first).
FULL_EVERY = 10
#: The old generation's threshold that CPython's automatic full collection
#: never reaches (it counts middle-generation collections).
NEVER = 1 << 30


class GcSchedule:
    def __init__(self, interval: float = INTERVAL, full_every: int = FULL_EVERY) -> None:
        self.interval = interval
        self.full_every = full_every
        self.runs = 0
        #: Seconds the last collection took, and whether it was a full one.
        self.last_pause = 0.0
        self.last_full = False
        self._saved: tuple[int, int, int] | None = None
        self._stopped = threading.Event()

    def start(self) -> None:
        """Freeze what the process made while starting (modules, the app), then go on a timer."""
        gc.collect()
        gc.freeze()
        self._saved = gc.get_threshold()
        young, middle, _old = self._saved
        gc.set_threshold(young, middle, NEVER)
        # Under gevent this is a greenlet: the collection runs between other work, as the
        # automatic one did, only at a time of its own choosing.
        threading.Thread(target=self._run, name="storechat-gc", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def collect(self) -> int:
        """One scheduled collection; returns how many objects it freed."""
        self.runs += 1
        full = self.runs % self.full_every == 0
        started = time.perf_counter()
        if full:
            gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        self.last_pause = time.perf_counter() - started
        self.last_full = full
        log.debug("scheduled %s collection freed %d objects in %.1f ms",
                  "full" if full else "young-objects", freed, self.last_pause * 1000)
        return freed

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.collect()
            except Exception:  # noqa: BLE001 - never stop collecting
                log.exception("scheduled garbage collection failed")

