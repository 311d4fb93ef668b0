"""Old-generation collections over the new objects only, full passes on the schedule's terms,
garbage still freed."""
from __future__ import annotations

import gc
import json
import threading
import time
import weakref
from pathlib import Path

from core.gc_schedule import GcSchedule


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_the_schedule_takes_over_full_collections_and_still_frees_cycles() -> None:
    before = gc.get_threshold()
    schedule = GcSchedule(interval=3600, full_interval=7200)
    try:
        schedule.start()
        assert gc.get_threshold() == (before[0], before[1], 0)  # after every middle-generation one
        assert gc.get_freeze_count() > 0  # what the process made while starting

        young = _cycle()
        schedule.collect()  # garbage made since the last collection goes at once
        assert young() is None and not schedule.last_full

        survivor = _Node()
        survivor.other = survivor  # alive, so frozen by the next collection
        frozen = weakref.ref(survivor)
        schedule.collect()
        del survivor  # now garbage, but frozen: CPython's collection and ours leave it
        gc.collect()
        schedule.collect()
        assert frozen() is not None
        schedule.collect(full=True)  # a full pass unfreezes first
        assert frozen() is None and schedule.last_full and schedule.runs == 4
    finally:
        schedule.stop()
        gc.unfreeze()
    assert gc.get_threshold() == before


def test_cpythons_old_generation_collections_take_only_the_new_objects_in_small_pieces() -> None:
    schedule = GcSchedule(interval=3600, full_interval=7200)
    try:
        schedule.start()
        frozen, old_runs = gc.get_freeze_count(), schedule.pauses[2][0]
        # A burst of new long-lived objects (sockets opening, say): CPython collects them
        # as they come, and each collection freezes what survived.
        held = [[n] for n in range(200_000)]
        assert gc.get_freeze_count() >= frozen + 190_000
        assert schedule.pauses[2][0] - old_runs >= 20  # in pieces of at most ~10,000
        assert len(gc.get_objects()) < 20_000  # what the next collection will walk
        young = _cycle()
        more = [[n] for n in range(20_000)]
        assert young() is None  # cycles among new objects still go
        del held, more
    finally:
        schedule.stop()
        gc.unfreeze()


def test_a_collection_is_due_by_time_and_a_full_one_by_time() -> None:
    schedule = GcSchedule(interval=60, full_interval=600, max_pause=3600)
    try:
        schedule.start()
        start = time.monotonic()
        assert schedule.due(start) is None
        assert schedule.due(start + 61) is False
        assert schedule.due(start + 601) is True
        schedule.collect()
        assert schedule.due(time.monotonic()) is None
    finally:
        schedule.stop()
        gc.unfreeze()


def test_a_full_pass_runs_on_schedule_only_while_short() -> None:
    schedule = GcSchedule(interval=3600, full_interval=600, max_pause=0.020, growth=2.0)
    try:
        schedule.start()
        start = time.monotonic()
        frozen = gc.get_freeze_count()
        assert schedule.live_after_full == frozen and schedule.seconds_per_object > 0
        assert schedule.due(start + 10) is None  # not time to look yet

        schedule.seconds_per_object = 0.040 / frozen  # a pass would take ~40 ms: put off
        assert schedule.due(start + 601) is None
        assert schedule.deferred == 1 and schedule.forced == 0
        assert schedule.due(start + 602) is None and schedule.deferred == 1  # next look 600 s later

        schedule.seconds_per_object = 0.010 / frozen  # ~10 ms: runs
        assert schedule.due(start + 1202) is True and schedule.forced == 0
    finally:
        schedule.stop()
        gc.unfreeze()


def test_open_sockets_never_force_a_long_full_pass_but_frozen_garbage_does() -> None:
    sockets = 0
    schedule = GcSchedule(interval=3600, full_interval=600, max_pause=0.020, growth=2.0,
                          live_sockets=lambda: sockets, objects_per_socket=100)
    try:
        schedule.start()
        start = time.monotonic()
        baseline = gc.get_freeze_count()
        schedule.seconds_per_object = 1.0  # any full pass is far too long to run on schedule

        # Sockets open, each holding its objects (frozen by a new-objects collection): the
        # frozen generation grows to three times what was alive at start, and no pass is forced.
        sockets = 3 * baseline // 100
        held = [[n] for n in range(3 * baseline)]
        schedule.collect()
        assert gc.get_freeze_count() >= 3 * baseline
        assert schedule.due(start + 601) is None
        assert schedule.deferred == 1 and schedule.forced == 0
        assert schedule.last_look["sockets"] == sockets and schedule.last_look["allowed"] == 2 * (baseline + sockets * 100)

        # They close, and their objects stay frozen (garbage the way a cycle among frozen
        # objects is, to the schedule): once they are as many again as expected alive, forced.
        sockets = 0
        assert schedule.due(start + 1202) is True
        assert schedule.forced == 1 and schedule.last_look["allowed"] == 2 * baseline
        del held
        gc.disable()  # no automatic collection between the pass and the count (it would freeze the test's own objects)
        try:
            schedule.collect(full=True)
            assert schedule.full_runs == 1 and schedule.live_after_full == gc.get_freeze_count()
        finally:
            gc.enable()
        assert schedule.sockets_after_full == 0

        # Sockets counted from the last full pass: 10 open then, 10 more now.
        sockets = 10
        schedule.collect(full=True)
        assert schedule.sockets_after_full == 10
        sockets = 20
        assert schedule.expected_live(sockets) == schedule.live_after_full + 10 * 100
        assert schedule.expected_live(5) == schedule.live_after_full  # fewer: never below the last pass
    finally:
        schedule.stop()
        gc.unfreeze()


def test_every_collection_is_timed_and_reported(tmp_path: Path) -> None:
    report = tmp_path / "gc.json"
    schedule = GcSchedule(interval=3600, full_interval=7200, report=report)
    try:
        schedule.start()
        counts = {gen: n for gen, (n, _worst, _cpu) in schedule.pauses.items()}
        gc.collect(0)
        gc.collect(1)
        garbage = _cycle()
        freed = schedule.collect(full=True)
        assert garbage() is None and freed >= 2
        assert schedule.pauses[0][0] > counts[0] and schedule.pauses[1][0] > counts[1]
        assert schedule.pauses[2][0] >= counts[2] + 2 and schedule.pauses[2][1] > 0  # the pass, and one of nothing
        assert 0 < schedule.pauses[2][2] <= schedule.pauses[2][1] * 1.5  # CPU time, of the same order
        assert schedule.worst_full == schedule.last_pause > 0
        assert schedule.full_freed == schedule.last_full_freed == freed
        schedule._write_report()
        stats = json.loads(report.read_text())
        assert stats["full_runs"] == 1 and stats["pauses"]["2"]["count"] == schedule.pauses[2][0]
        assert stats["worst_full_ms"] == schedule.worst_full * 1000
        assert stats["pauses"]["2"]["worst_cpu_ms"] == schedule.pauses[2][2] * 1000
        assert stats["full_freed"] == freed
    finally:
        schedule.stop()
        gc.unfreeze()
    gc.collect(0)
    assert schedule._timed not in gc.callbacks


def test_report_writers_do_not_race(tmp_path: Path) -> None:
    """The schedule's thread and another caller write the report at once: neither loses it."""
    schedule = GcSchedule(interval=3600, full_interval=7200, report=tmp_path / "gc.json")
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(300):
                schedule._write_report()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert failures == []
    assert json.loads((tmp_path / "gc.json").read_text())["runs"] == 0
