"""Full garbage collections on a timer: none started by CPython, garbage still freed."""
from __future__ import annotations

import gc
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
    schedule = GcSchedule(interval=3600, full_every=3)
    try:
        schedule.start()
        assert gc.get_threshold() == (before[0], before[1], NEVER)
        assert gc.get_freeze_count() > 0  # what the process made while starting

        young = _cycle()
        schedule.collect()  # garbage made since the last collection goes at once
        assert young() is None and not schedule.last_full

        survivor = _Node()
        survivor.other = survivor  # alive, so frozen by that collection
        frozen = weakref.ref(survivor)
        schedule.collect()
        del survivor  # now garbage, but frozen: only a full collection sees it
        schedule.collect()
        assert schedule.runs == 3 and schedule.last_full
        assert frozen() is None
    finally:
        schedule.stop()
        gc.unfreeze()
    assert gc.get_threshold() == before


def test_a_frozen_cycle_waits_for_the_full_collection() -> None:
    schedule = GcSchedule(interval=3600, full_every=2)
    try:
        schedule.start()
        survivor = _Node()
        survivor.other = survivor
        ref = weakref.ref(survivor)
        gc.freeze()
        del survivor
        gc.collect()
        assert ref() is not None  # CPython's own collection leaves frozen objects alone
        schedule.collect()
        assert ref() is not None and not schedule.last_full
        schedule.collect()
        assert ref() is None and schedule.last_full
    finally:
        schedule.stop()
        gc.unfreeze()
