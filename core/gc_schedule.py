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
sockets is collected in pieces of bounded size. Young-generation
collections stay automatic: they are short.

The full pass. A frozen object that becomes garbage is still freed by
reference counting; only garbage *cycles* among frozen objects (a closed
socket's greenlets and session referring to each other) need a full pass,
which unfreezes everything and walks it: as long as CPython's own, 100-200
ms per 1,000 sockets held. CPython 3.11 can neither unfreeze a part nor
collect in increments, so a full pass cannot be spread; it is avoided
while it would be long. Every ``full_interval`` seconds the schedule
estimates the pass (frozen objects x the seconds per object measured at
start) and runs it only if it stays within ``max_pause`` (a process with
few sockets: quiet hours, or after a restart's drain). Else it waits,
unless the frozen generation has grown to ``growth`` times what was alive
after the last full pass (or at start): then it runs anyway, long. So the
cycles a long-lived process can keep unreclaimed are bounded: frozen
objects never exceed ``growth`` (2) times the live set last measured, and
memory does not grow forever; the price is a long pause each time the
frozen generation doubles (a process growing to 1,000 sockets: about
twice; a steady one: once closed sockets' cycles equal what is alive).
Every collection's pause is timed (``gc.callbacks``) and, with
``STORECHAT_GC_REPORT``, written to the instance folder for the bench.
"""
from __future__ import annotations

import gc
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: At most this many seconds between collections of the objects new since the last one...
INTERVAL = 60.0
#: ... or sooner, after this many middle-generation collections (each moves up
#: at most ~7,000 objects with CPython's default thresholds: pauses of a few ms).
MAX_PROMOTIONS = 4
#: Seconds between looks at whether a full pass (everything unfrozen first) should run.
FULL_INTERVAL = 600.0
#: Longest pause a full pass may take to run on schedule (estimated beforehand).
MAX_PAUSE = 0.020
#: A full pass runs however long it takes once the frozen generation holds this
#: many times the objects alive after the last one.
GROWTH = 2.0
#: How often the schedule looks at the collector's counts.
TICK = 1.0
#: The old generation's threshold that CPython's automatic full collection
#: never reaches (it counts middle-generation collections).
NEVER = 1 << 30


class GcSchedule:
    def __init__(self, interval: float = INTERVAL, max_promotions: int = MAX_PROMOTIONS,
                 full_interval: float = FULL_INTERVAL, max_pause: float = MAX_PAUSE,
                 growth: float = GROWTH, report: Path | None = None) -> None:
        self.interval = interval
        self.max_promotions = max_promotions
        self.full_interval = full_interval
        self.max_pause = max_pause
        self.growth = growth
        #: Where to write :meth:`stats` every tick (None: nowhere).
        self.report = report
        self.runs = 0
        #: Full passes run, and those put off for being too long.
        self.full_runs = 0
        self.deferred = 0
        #: Seconds a full pass takes per object, measured in :meth:`start`.
        self.seconds_per_object = 0.0
        #: Frozen objects right after the last full pass (at start: what starting made).
        self.live_after_full = 0
        #: Every collection's pause (gc.callbacks), by generation: count and longest;
        #: and the longest full pass.
        self.pauses: dict[int, list[float]] = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
        self.worst_full = 0.0
        #: Frozen objects and the estimated full pass at the last look (:meth:`full_due`).
        self.last_look: dict[str, float] = {}
        self._started_at = 0.0
        #: Seconds the last collection took, and whether it was a full one.
        self.last_pause = 0.0
        self.last_full = False
        self._last = self._last_full = time.monotonic()
        self._saved: tuple[int, int, int] | None = None
        self._stopped = threading.Event()

    def start(self) -> None:
        """Freeze what the process made while starting (modules, the app), then take over."""
        objects = len(gc.get_objects())
        started = time.perf_counter()
        gc.collect()
        self.seconds_per_object = (time.perf_counter() - started) / max(objects, 1)
        gc.freeze()
        self.live_after_full = gc.get_freeze_count()
        gc.callbacks.append(self._timed)
        self._saved = gc.get_threshold()
        young, middle, _old = self._saved
        gc.set_threshold(young, middle, NEVER)
        self._last = self._last_full = time.monotonic()
        # Under gevent this is a greenlet: a collection runs between other work, as the
        # automatic one did, only at a time and of a size of its own choosing.
        threading.Thread(target=self._run, name="storechat-gc", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        if self._timed in gc.callbacks:
            gc.callbacks.remove(self._timed)
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def _timed(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started_at = time.perf_counter()
            return
        pause = time.perf_counter() - self._started_at
        entry = self.pauses[info["generation"]]
        entry[0] += 1
        entry[1] = max(entry[1], pause)

    def full_pause_estimate(self) -> float:
        """Seconds a full pass would take now."""
        return gc.get_freeze_count() * self.seconds_per_object

    def full_due(self, now: float) -> bool:
        """Whether a full pass should run now (every ``full_interval``: when short enough,
        or once the frozen generation has grown ``growth`` times); a look that puts it
        off counts as one, so the next is ``full_interval`` later."""
        if now - self._last_full < self.full_interval:
            return False
        frozen = gc.get_freeze_count()  # walks the list: once per full_interval
        self.last_look = {"frozen": frozen, "estimate_ms": frozen * self.seconds_per_object * 1000}
        if frozen * self.seconds_per_object <= self.max_pause or frozen >= self.growth * self.live_after_full:
            return True
        self.deferred += 1
        self._last_full = now
        log.info("full garbage collection put off: about %.0f ms over %d frozen objects",
                 frozen * self.seconds_per_object * 1000, frozen)
        return False

    def due(self, now: float) -> bool | None:
        """None when no collection is due; else whether it is a full one."""
        if self.full_due(now):
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
            self.full_runs += 1
            self.worst_full = max(self.worst_full, self.last_pause)
            self.live_after_full = gc.get_freeze_count()
        log.debug("%s collection freed %d objects in %.1f ms",
                  "full" if full else "new-objects", freed, self.last_pause * 1000)
        return freed

    def stats(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(), "runs": self.runs, "full_runs": self.full_runs, "deferred": self.deferred,
            "worst_full_ms": self.worst_full * 1000, "last_ms": self.last_pause * 1000,
            "seconds_per_object": self.seconds_per_object, "live_after_full": self.live_after_full,
            "last_look": self.last_look,
            "pauses": {str(gen): {"count": n, "worst_ms": worst * 1000} for gen, (n, worst) in self.pauses.items()},
        }

    def _write_report(self) -> None:
        if self.report is not None:
            tmp = self.report.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.stats()))
            tmp.replace(self.report)

    def _run(self) -> None:
        while not self._stopped.wait(TICK):
            try:
                full = self.due(time.monotonic())
                if full is not None:
                    self.collect(full)
                self._write_report()
            except Exception:  # noqa: BLE001 - never stop collecting
                log.exception("scheduled garbage collection failed")
