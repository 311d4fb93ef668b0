"""Full garbage collections on the schedule's terms: none started by CPython, garbage still freed."""
from __future__ import annotations

import gc
import time
import weakref

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
    schedule = GcSchedule(interval=60, max_promotions=3, full_interval=600)
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
