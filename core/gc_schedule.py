"""When a web process collects cyclic garbage: in small pieces, never a full pass mid-burst.

CPython's full (generation 2) collection walks every tracked object. A web
process holding sockets has about 210 per socket (bench/gc_garbage.py), so
at 1,000 sockets a full collection holds the whole gevent process for
100-200 ms, and at 10,000 for seconds. CPython starts one by itself
whenever a quarter more objects have survived into the old generation
since the last one; the objects each socket keeps while it waits for its
next frame (timeouts, waiters) are just that kind, so under steady chat
traffic that was every 15-20 s (bench/realtime.py, figure 1's p99).

A :class:`GcSchedule` makes every old-generation collection cover only the
objects that arrived since the previous one: after each, the survivors are
frozen (``gc.freeze()`` from the collector's own callback: left out of later
collections, still freed by reference counting as usual), so a collection
costs what arrived since the last one, not what the process holds. CPython
still starts them, but after every ``max_promotions`` (1) middle-generation
collections (each moves up at most about 7,000 objects), so each is about
as short as a middle-generation one, however busy the process: a burst of
new sockets is collected in pieces of bounded size. (They used to be run by
the schedule's greenlet once a second, or after four promotions: a burst of
connections piled up 100,000 objects in between, 70-80 ms pauses, and
the greenlet waits longest when the process is busiest.) The schedule also
collects and freezes every ``interval`` seconds, for what a quiet process
leaves in the young generations.

Why frozen objects need no full pass. A frozen object that becomes
garbage is freed by reference counting like any other; only garbage
*cycles* among frozen objects wait for a full pass, which unfreezes
everything and walks it (as long as CPython's own: CPython 3.11 can
neither unfreeze a part nor collect in increments, so it cannot be
spread). So a closed connection must leave no cycle among what was frozen
while it was open, and it leaves none: measured in a real gevent worker
(bench/gc_garbage.py: visitor and agent sockets with traffic and
collections meanwhile, and the HTTP fallback's requests and long polls,
0 objects of cyclic garbage among the frozen per connection) and kept so
by tests/core/test_socket_garbage.py (with the collector off, a closed
connection's session, WebSocket, socket and outbox are freed at once). The
one cycle there was, flask-sock's response class made per connection,
which kept the whole closed connection until a collection found it, is
gone (core/chat/sock.py). The little cyclic garbage a request makes
(werkzeug's URL matcher, exceptions) dies young, unless an old-generation
collection happens to freeze it mid-request: rare enough that under the
bench's load (1,000 sockets, about 7,000 lines in a minute) full passes
every 5 s found 10 objects of garbage in all.

The full pass, then, is a safety valve for cycles that got frozen anyway,
not a routine. Every ``full_interval`` seconds the schedule looks: it runs
the pass if it would be short (frozen objects x the seconds per object
measured at start, at most ``max_pause``: a process with few objects), and
otherwise only once the frozen generation outgrows what can be alive:
``growth`` (2) times the live set after the last full pass (or at start)
plus ``objects_per_socket`` for each socket opened since (``live_sockets``:
the process's open sockets and visitor HTTP requests in progress, a long
poll about 80 objects). Sockets are the live growth of a web process,
so filling it with sockets no longer forces a long pass (it did: 695 ms
once at 1,000 sockets, bench/README.md); frozen garbage cycles still do,
once they reach about as many objects as are expected alive, so memory
stays bounded if something new starts leaking cycles: the pass is long
then, and the bench's report (``forced``) shows it. Every collection's
pause is timed (``gc.callbacks``) and, with ``STORECHAT_GC_REPORT``,
written to the instance folder for the bench.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: At most this many seconds between collections of the objects new since the last one...
INTERVAL = 60.0
#: ... which CPython starts after this many middle-generation collections (each moves
#: up at most ~7,000 objects with CPython's default thresholds: pauses of a few ms).
MAX_PROMOTIONS = 1
#: Seconds between looks at whether a full pass (everything unfrozen first) should run.
FULL_INTERVAL = 600.0
#: Longest pause a full pass may take to run on schedule (estimated beforehand).
MAX_PAUSE = 0.020
#: A full pass runs however long it takes once the frozen generation holds this
#: many times the objects expected alive: those alive after the last one, plus
#: ``OBJECTS_PER_SOCKET`` for each socket opened since.
GROWTH = 2.0
#: Objects a socket keeps frozen while open, with room to spare: about 210 measured
#: (bench/gc_garbage.py); more while frames are queued for a slow client.
OBJECTS_PER_SOCKET = 500
#: How often the schedule looks at the time and writes its report.
TICK = 1.0


def _forget_old_total() -> None:
    """After a collection of everything (then frozen), one of nothing.

    CPython skips an old-generation collection until a quarter more objects
    arrived than the last one left: after a pass over everything, a quarter
    of the whole process (90,000 objects at 1,000 sockets), which is the
    pile-up the schedule avoids. A collection of the (empty) unfrozen set
    leaves that count at about zero."""
    gc.collect()


class GcSchedule:
    def __init__(
        self,
        interval: float = INTERVAL,
        max_promotions: int = MAX_PROMOTIONS,
        full_interval: float = FULL_INTERVAL,
        max_pause: float = MAX_PAUSE,
        growth: float = GROWTH,
        report: Path | None = None,
        live_sockets: Callable[[], int] | None = None,
        objects_per_socket: int = OBJECTS_PER_SOCKET,
    ) -> None:
        self.interval = interval
        self.max_promotions = max_promotions
        self.full_interval = full_interval
        self.max_pause = max_pause
        self.growth = growth
        #: The process's open sockets (and visitor HTTP requests in progress; None: none counted).
        self.live_sockets = live_sockets
        self.objects_per_socket = objects_per_socket
        #: Where to write :meth:`stats` every tick (None: nowhere).
        self.report = report
        self.runs = 0
        #: Full passes run, those of them forced (however long: the frozen generation had
        #: outgrown what is expected alive), and the looks that put one off for being too long.
        self.full_runs = 0
        self.forced = 0
        self.deferred = 0
        #: Seconds a full pass takes per object, measured in :meth:`start`.
        self.seconds_per_object = 0.0
        #: Frozen objects and open sockets right after the last full pass (at start: what
        #: starting made, and none).
        self.live_after_full = 0
        self.sockets_after_full = 0
        #: Every collection's pause (gc.callbacks), by generation: count, longest (wall
        #: time) and most CPU time (of this thread: the pause less the time the system
        #: gave the core to other processes); and the longest full pass.
        self.pauses: dict[int, list[float]] = {0: [0, 0.0, 0.0], 1: [0, 0.0, 0.0], 2: [0, 0.0, 0.0]}
        self.worst_full = 0.0
        #: Objects freed by full passes: in all, and by the last one.
        self.full_freed = 0
        self.last_full_freed = 0
        #: Frozen objects and the estimated full pass at the last look (:meth:`full_due`).
        self.last_look: dict[str, float] = {}
        self._started_at = self._started_cpu = 0.0
        #: Seconds the last collection took, and whether it was a full one.
        self.last_pause = 0.0
        self.last_full = False
        self._last = self._last_full = time.monotonic()
        self._saved: tuple[int, int, int] | None = None
        self._stopped = threading.Event()
        #: One writer of :attr:`report` at a time (the schedule's thread, and a caller's
        #: own write): two would share the temporary file and one would find it gone.
        self._report_lock = threading.Lock()

    def start(self) -> None:
        """Freeze what the process made while starting (modules, the app), then take over."""
        objects = len(gc.get_objects())
        started = time.perf_counter()
        gc.collect()
        self.seconds_per_object = (time.perf_counter() - started) / max(objects, 1)
        gc.freeze()
        gc.callbacks.append(self._timed)
        self._saved = gc.get_threshold()
        young, middle, _old = self._saved
        # The old generation's threshold counts middle-generation collections: CPython
        # collects it once it is exceeded (and a quarter more objects arrived since the last).
        gc.set_threshold(young, middle, self.max_promotions - 1)
        _forget_old_total()
        self.live_after_full = gc.get_freeze_count()
        self.sockets_after_full = self._sockets()
        self._last = self._last_full = time.monotonic()
        # Under gevent this is a greenlet: the looks at the time (and full passes) run
        # between other work.
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
            self._started_at, self._started_cpu = time.perf_counter(), time.thread_time()
            return
        if info["generation"] == 2:
            # What survived is alive and no concern of the next collections: the
            # collection is over, so the collector's lists may be moved.
            gc.freeze()
        pause, cpu = time.perf_counter() - self._started_at, time.thread_time() - self._started_cpu
        entry = self.pauses[info["generation"]]
        entry[0] += 1
        entry[1] = max(entry[1], pause)
        entry[2] = max(entry[2], cpu)

    def full_pause_estimate(self) -> float:
        """Seconds a full pass would take now."""
        return gc.get_freeze_count() * self.seconds_per_object

    def _sockets(self) -> int:
        return self.live_sockets() if self.live_sockets is not None else 0

    def expected_live(self, sockets: int) -> int:
        """Frozen objects that can be alive with ``sockets`` open: those alive after the last
        full pass, plus ``objects_per_socket`` for each socket more than were open then."""
        return self.live_after_full + max(0, sockets - self.sockets_after_full) * self.objects_per_socket

    def full_due(self, now: float) -> bool:
        """Whether a full pass should run now (every ``full_interval``: when short enough,
        or, however long, once the frozen generation holds ``growth`` times the objects
        expected alive); a look that puts it off counts as one, so the next is
        ``full_interval`` later."""
        if now - self._last_full < self.full_interval:
            return False
        frozen = gc.get_freeze_count()  # walks the list: once per full_interval
        sockets = self._sockets()
        allowed = self.growth * self.expected_live(sockets)
        estimate = frozen * self.seconds_per_object
        self.last_look = {"frozen": frozen, "estimate_ms": estimate * 1000, "sockets": sockets, "allowed": allowed}
        if estimate <= self.max_pause:
            return True
        if frozen >= allowed:
            self.forced += 1
            log.warning(
                "full garbage collection forced: %d frozen objects with %d sockets open, more than "
                "the %.0f allowed (garbage cycles among frozen objects); about %.0f ms",
                frozen,
                sockets,
                allowed,
                estimate * 1000,
            )
            return True
        self.deferred += 1
        self._last_full = now
        log.info("full garbage collection put off: about %.0f ms over %d frozen objects", estimate * 1000, frozen)
        return False

    def due(self, now: float) -> bool | None:
        """None when no collection is due; else whether it is a full one."""
        if self.full_due(now):
            return True
        if now - self._last >= self.interval:
            return False
        return None

    def collect(self, full: bool = False) -> int:
        """One collection (``full``: over everything); returns how many objects it freed."""
        started = time.perf_counter()
        if full:
            gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        if full:
            _forget_old_total()
        self.runs += 1
        self.last_pause = time.perf_counter() - started
        self.last_full = full
        self._last = time.monotonic()
        if full:
            self._last_full = self._last
            self.full_runs += 1
            self.worst_full = max(self.worst_full, self.last_pause)
            self.full_freed += freed
            self.last_full_freed = freed
            self.live_after_full = gc.get_freeze_count()
            self.sockets_after_full = self._sockets()
        log.debug(
            "%s collection freed %d objects in %.1f ms",
            "full" if full else "new-objects",
            freed,
            self.last_pause * 1000,
        )
        return freed

    def stats(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "runs": self.runs,
            "full_runs": self.full_runs,
            "forced": self.forced,
            "deferred": self.deferred,
            "worst_full_ms": self.worst_full * 1000,
            "last_ms": self.last_pause * 1000,
            "seconds_per_object": self.seconds_per_object,
            "live_after_full": self.live_after_full,
            "sockets_after_full": self.sockets_after_full,
            "objects_per_socket": self.objects_per_socket,
            "last_look": self.last_look,
            "full_freed": self.full_freed,
            "last_full_freed": self.last_full_freed,
            "pauses": {
                str(gen): {"count": n, "worst_ms": worst * 1000, "worst_cpu_ms": cpu * 1000}
                for gen, (n, worst, cpu) in self.pauses.items()
            },
        }

    def _write_report(self) -> None:
        if self.report is not None:
            with self._report_lock:
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
