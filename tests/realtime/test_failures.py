"""Failures mid-conversation: a web process killed with SIGKILL, Redis
restarted. The database is the source of truth, so a client that resumes
with its token and ``after_seq`` gets exactly what it missed, and the live
fan-out comes back by itself."""
from __future__ import annotations

import time
from typing import Any

import pytest
import websocket

from tests.realtime.conftest import (A, B, Live, assert_exactly_once, cid, drain, messages_of, seqs_of,
                                     wait_until)


def _from(conv: int, seq: int, author: str | None = None):  # type: ignore[no-untyped-def]
    return lambda f: f["conversation_id"] == conv and f["seq"] == seq and (author is None or f["author"] == author)


def _view(frames: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(m["seq"], m["author"], m["text"]) for m in frames]


def _assert_gone(client: Any) -> None:
    """The client's socket was cut (its process died)."""
    with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException, OSError)):
        while True:
            client.pending.append(client.recv(5))


def test_kill_9_of_the_visitors_process_loses_and_doubles_nothing(rt: Live) -> None:
    agent = rt.agent(B)
    tab, welcome = rt.visitor(A)
    token = welcome["token"]
    conv = tab.say("hello")["conversation_id"]
    assert tab.assistant_reply()["seq"] == 2
    agent.expect("message", _from(conv, 2), timeout=5)
    drain(tab, 0.2)
    seen_before = messages_of(tab.frames, conv)
    assert [m["seq"] for m in seen_before] == [1, 2]

    rt.cluster.kill_web(A)
    _assert_gone(tab)

    # While the shopper is disconnected: the agent writes (taking over: 3, 4, 5),
    # hands back (6), and the shopper writes from another tab (7) and gets an answer (8).
    assert agent.say(conv, "Sorry for the wait, I'm here now.")["seq"] == 4
    assert agent.say(conv, "Did you find the jacket?")["seq"] == 5
    agent.action("release", conv, expect_status="ai")
    other_tab, _ = rt.visitor(B, token=token, after_seq=6)
    assert other_tab.say("from my other tab: do you sell t-shirts?")["seq"] == 7
    assert other_tab.assistant_reply(timeout=10)["seq"] == 8
    agent.expect("message", _from(conv, 8, "assistant"), timeout=5)

    # The tab reconnects to the surviving process with its token and after_seq.
    again, welcome = rt.visitor(B, token=token, after_seq=seen_before[-1]["seq"])
    assert (welcome["conversation_id"], welcome["last_seq"]) == (conv, 8)
    missed = [again.expect("message", timeout=5) for _ in range(6)]
    assert [(m["seq"], m["author"]) for m in missed] == [
        (3, "system"), (4, "agent"), (5, "agent"), (6, "system"), (7, "visitor"), (8, "assistant")]
    assert again.say("back again: a leather jacket?")["seq"] == 9
    assert again.assistant_reply(timeout=10)["seq"] == 10
    drain(again, 0.5)
    agent.drain(0.2)

    resumed = seen_before + messages_of(again.frames, conv)
    assert_exactly_once([m["seq"] for m in resumed], 10)
    assert _view(resumed) == _view(rt.replay(B, token))
    assert_exactly_once(agent.seqs(conv), 10)


def test_a_line_in_flight_when_its_process_dies_is_stored_once(rt: Live) -> None:
    """The line may or may not have been stored when the process died; the
    client cannot know, so it resends it (same client_id) after reconnecting."""
    agent = rt.agent(B)
    tab, welcome = rt.visitor(A)
    token = welcome["token"]
    conv = tab.say("hello")["conversation_id"]
    assert tab.assistant_reply()["seq"] == 2
    agent.action("take", conv, expect_status="human")  # 3; keeps the assistant out of this test
    tab.expect("message", _from(conv, 3), timeout=5)
    drain(tab, 0.2)
    seen = seqs_of(tab.frames, conv)

    in_flight = cid()
    tab.send({"type": "message", "client_id": in_flight, "text": "is this stored?"})
    rt.cluster.kill_web(A)
    _assert_gone(tab)

    again, welcome = rt.visitor(B, token=token, after_seq=seen[-1])
    ack = again.say("is this stored?", client_id=in_flight)
    assert ack["conversation_id"] == conv
    assert agent.say(conv, "yes, it is")["seq"] == ack["seq"] + 1
    again.expect("message", _from(conv, ack["seq"] + 1), timeout=5)
    drain(again, 0.3)

    assert rt.count_client_id(conv, in_flight) == 1
    resumed = seen + seqs_of(again.frames, conv)
    assert_exactly_once(resumed, ack["seq"] + 1)
    assert [m.seq for m in rt.stored(conv)] == resumed


def test_a_reply_whose_timer_died_with_its_process_is_still_sent(rt: Live) -> None:
    """The reply to a line is scheduled by the web process that stored it, a
    moment later; that process dies in that moment. The line is answered anyway
    (the worker's sweeper), once."""
    tab, welcome = rt.visitor(A)
    conv = tab.say("hello")["conversation_id"]
    assert tab.assistant_reply()["seq"] == 2
    assert tab.say("do you have a leather jacket?")["seq"] == 3
    rt.cluster.kill_web(A)  # well within the 0.3 s before the reply would be scheduled
    _assert_gone(tab)

    again, _ = rt.visitor(B, token=welcome["token"], after_seq=3)
    reply = again.assistant_reply(timeout=20)
    assert reply["seq"] == 4
    drain(again, 1.0)
    assert seqs_of(again.frames, conv) == [4]
    assert [m.author for m in rt.stored(conv)] == ["visitor", "assistant", "visitor", "assistant"]


def test_live_messages_flow_again_after_redis_restarts(rt: Live) -> None:
    agent = rt.agent(B)
    visitor, _ = rt.visitor(A)
    conv = visitor.say("hello")["conversation_id"]
    assert visitor.assistant_reply()["seq"] == 2
    assert agent.say(conv, "Ann here.")["seq"] == 4  # 3: the takeover notice
    visitor.expect("message", _from(conv, 4), timeout=5)
    assert rt.bus_listeners() == 2

    rt.redis.restart(down_for=1.0)

    # Both web processes' bus listeners reconnect by themselves...
    assert wait_until(lambda: rt.bus_listeners() == 2, timeout=10), rt.bus_listeners()
    # ...and messages flow live again, both ways.
    assert visitor.say("still there?")["seq"] == 5
    agent.expect("message", _from(conv, 5, "visitor"), timeout=3)
    assert agent.say(conv, "yes")["seq"] == 6
    visitor.expect("message", _from(conv, 6, "agent"), timeout=3)
    drain(visitor, 0.3)
    agent.drain(0.2)
    assert_exactly_once(seqs_of(visitor.frames, conv), 6)
    assert_exactly_once(agent.seqs(conv), 6)


def test_the_assistant_answers_again_after_redis_restarts(rt: Live) -> None:
    visitor, _ = rt.visitor(A)
    visitor.say("hello")
    assert visitor.assistant_reply()["seq"] == 2
    time.sleep(1.0)  # the worker is idle, waiting for its next job

    rt.redis.restart(down_for=1.0)
    assert wait_until(lambda: rt.bus_listeners() == 2, timeout=10), rt.bus_listeners()

    assert visitor.say("do you have a leather jacket?")["seq"] == 3
    worker = rt.cluster.worker
    assert worker is not None and worker.poll() is None, f"the worker exited ({worker and worker.returncode})"
    assert visitor.assistant_reply(timeout=15)["seq"] == 4


def test_messages_stored_while_redis_is_down_are_acked_and_caught_up(rt: Live) -> None:
    agent = rt.agent(B)
    visitor, welcome = rt.visitor(A)
    conv = visitor.say("hello")["conversation_id"]
    assert visitor.assistant_reply()["seq"] == 2
    assert agent.say(conv, "Ann here.")["seq"] == 4  # 3: the takeover notice
    visitor.expect("message", _from(conv, 4), timeout=5)

    rt.redis.stop()
    try:
        # The database is the source of truth: both sides are still acknowledged.
        visitor_ack = visitor.say("are you still there?")
        agent_ack = agent.say(conv, "yes, still here")
    finally:
        rt.redis.start()
    assert (visitor_ack["seq"], agent_ack["seq"]) == (5, 6)

    # What could not be published is caught up once the bus listeners are back.
    agent.expect("message", _from(conv, 5, "visitor"), timeout=15)
    visitor.expect("message", _from(conv, 6, "agent"), timeout=15)
    # And live again.
    assert visitor.say("great")["seq"] == 7
    agent.expect("message", _from(conv, 7), timeout=5)
    drain(visitor, 0.3)
    agent.drain(0.2)
    assert_exactly_once(seqs_of(visitor.frames, conv), 7)
    assert_exactly_once(agent.seqs(conv), 7)
    # A fresh connection replays the same.
    assert _view(messages_of(visitor.frames, conv)) == _view(rt.replay(B, welcome["token"]))
