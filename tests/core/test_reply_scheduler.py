"""One reply per burst of shopper lines; typing holds it, up to a cap."""
from __future__ import annotations

import threading
import time

from core.chat.reply_scheduler import ReplyScheduler


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, float]] = []
        self.started = time.monotonic()
        self.event = threading.Event()

    def __call__(self, conversation_id: int, seq: int) -> None:
        self.calls.append((conversation_id, seq, time.monotonic() - self.started))
        self.event.set()


def test_a_burst_is_enqueued_once_with_its_last_line() -> None:
    rec = Recorder()
    scheduler = ReplyScheduler(rec, delay=0.2, max_hold=2)
    for seq in (1, 2, 3):
        scheduler.line_stored(7, seq)
        time.sleep(0.05)
    assert rec.event.wait(2)
    time.sleep(0.4)
    assert [(c, s) for c, s, _ in rec.calls] == [(7, 3)]


def test_conversations_do_not_delay_each_other() -> None:
    rec = Recorder()
    scheduler = ReplyScheduler(rec, delay=0.1, max_hold=1)
    scheduler.line_stored(1, 1)
    scheduler.line_stored(2, 1)
    time.sleep(0.4)
    assert sorted((c, s) for c, s, _ in rec.calls) == [(1, 1), (2, 1)]


def test_typing_holds_the_reply_but_not_past_the_cap() -> None:
    rec = Recorder()
    scheduler = ReplyScheduler(rec, delay=0.3, max_hold=0.9)
    scheduler.line_stored(5, 4)
    for _ in range(7):  # the shopper keeps typing for 1.4 s
        time.sleep(0.2)
        scheduler.typing(5)
    assert rec.event.wait(2)
    [(conversation_id, seq, at)] = rec.calls
    assert (conversation_id, seq) == (5, 4)
    assert 0.6 < at < 1.2  # held past the plain delay, released by the cap


def test_no_delay_enqueues_at_once() -> None:
    rec = Recorder()
    ReplyScheduler(rec, delay=0, max_hold=1).line_stored(9, 1)
    assert [(c, s) for c, s, _ in rec.calls] == [(9, 1)]


def test_typing_without_a_pending_reply_does_nothing() -> None:
    rec = Recorder()
    ReplyScheduler(rec, delay=0.05, max_hold=1).typing(3)
    time.sleep(0.2)
    assert rec.calls == []


def test_a_stream_of_lines_is_answered_by_the_cap_not_after_it_ends() -> None:
    """A shopper who keeps sending lines (one every 30 ms, for 1.5 s, each
    restarting the 0.2 s delay) still gets replies while writing: each burst is
    released at most ``max_hold`` after its first line, with its latest line."""
    rec = Recorder()
    scheduler = ReplyScheduler(rec, delay=0.2, max_hold=0.5)
    seqs = range(1, 51)
    enqueued_while_writing = []
    for seq in seqs:
        scheduler.line_stored(3, seq)
        time.sleep(0.03)
        enqueued_while_writing = list(rec.calls)
    assert enqueued_while_writing, "nothing was released while the shopper kept writing"
    assert rec.event.wait(2)
    time.sleep(0.5)
    released = [s for _, s, _ in rec.calls]
    assert released == sorted(set(released)) and released[-1] == seqs[-1]  # each once, in order, the last too
    assert 2 <= len(released) < len(seqs) / 4  # a few bursts, not a reply per line
