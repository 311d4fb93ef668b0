"""Full garbage collections on the schedule's terms: none started by CPython, garbage still freed."""
from __future__ import annotations

import gc
import json
import time
import weakref
from pathlib import Path

from core.gc_schedule import NEVER, GcSchedule


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
        assert gc.get_threshold() == (before[0], before[1], NEVER)
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


def test_a_collection_is_due_by_time_by_promotions_and_a_full_one_by_time() -> None:
    schedule = GcSchedule(interval=60, max_promotions=3, full_interval=600, max_pause=3600)
    try:
        schedule.start()
        start = time.monotonic()
        gc.collect(1)  # one middle-generation collection: not enough yet
        assert schedule.due(start) is None
        assert schedule.due(start + 61) is False
        assert schedule.due(start + 601) is True
        for _ in range(3):
            gc.collect(1)
        assert schedule.due(start) is False
        schedule.collect()
        assert schedule.due(time.monotonic()) is None  # the counts start again
    finally:
        schedule.stop()
        gc.unfreeze()


def test_a_full_pass_runs_on_schedule_only_while_short_and_is_forced_once_the_frozen_set_doubles() -> None:
    schedule = GcSchedule(interval=3600, full_interval=600, max_pause=0.020, growth=2.0)
    try:
        schedule.start()
        start = time.monotonic()
        frozen = gc.get_freeze_count()
        assert schedule.live_after_full == frozen and schedule.seconds_per_object > 0
        assert schedule.due(start + 10) is None  # not time to look yet

        schedule.seconds_per_object = 0.040 / frozen  # a pass would take ~40 ms: put off
        assert schedule.due(start + 601) is None
        assert schedule.deferred == 1
        assert schedule.due(start + 602) is None and schedule.deferred == 1  # next look 600 s later

        schedule.seconds_per_object = 0.010 / frozen  # ~10 ms: runs
        assert schedule.due(start + 1202) is True

        schedule.seconds_per_object = 1.0  # however long, once the frozen set has doubled since the last pass
        schedule.live_after_full = frozen // 2
        assert schedule.due(start + 1202) is True
        held = [[n] for n in range(frozen)]  # as many new objects as were alive...
        schedule.collect()  # ... frozen by a new-objects collection
        schedule.live_after_full = frozen
        assert gc.get_freeze_count() >= 2 * frozen
        schedule._last_full = start
        assert schedule.due(start + 601) is True
        schedule.collect(full=True)
        assert schedule.live_after_full == gc.get_freeze_count() and schedule.full_runs == 1
        del held
    finally:
        schedule.stop()
        gc.unfreeze()


def test_every_collection_is_timed_and_reported(tmp_path: Path) -> None:
    report = tmp_path / "gc.json"
    schedule = GcSchedule(interval=3600, full_interval=7200, report=report)
    try:
        schedule.start()
        counts = {gen: n for gen, (n, _worst) in schedule.pauses.items()}
        gc.collect(0)
        gc.collect(1)
        schedule.collect(full=True)
        assert schedule.pauses[0][0] > counts[0] and schedule.pauses[1][0] > counts[1]
        assert schedule.pauses[2][0] == counts[2] + 1 and schedule.pauses[2][1] > 0
        assert schedule.worst_full == schedule.last_pause > 0
        schedule._write_report()
        stats = json.loads(report.read_text())
        assert stats["full_runs"] == 1 and stats["pauses"]["2"]["count"] == schedule.pauses[2][0]
        assert stats["worst_full_ms"] == schedule.worst_full * 1000
    finally:
        schedule.stop()
        gc.unfreeze()
    gc.collect(0)
    assert schedule._timed not in gc.callbacks
