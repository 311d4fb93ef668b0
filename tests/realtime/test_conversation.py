"""A shopper and an agent on different web processes: every message reaches
both sides live, once, in seq order; a human takeover silences the
assistant; a burst of lines gets one reply; a retried client_id is stored
once, also when the retry goes to the other process."""
from __future__ import annotations

import time

from tests.realtime.conftest import A, B, Live, assert_exactly_once, cid, drain, messages_of, seqs_of


def _from(conv: int, seq: int, author: str | None = None):  # type: ignore[no-untyped-def]
    return lambda f: f["conversation_id"] == conv and f["seq"] == seq and (author is None or f["author"] == author)


def test_visitor_and_agent_converse_live_across_processes(rt: Live) -> None:
    agent = rt.agent(B)
    visitor, welcome = rt.visitor(A)
    assert welcome["conversation_id"] is None and welcome["last_seq"] == 0

    ack = visitor.say("hello, do you have a leather jacket?")
    conv = ack["conversation_id"]
    assert ack["seq"] == 1
    seen = agent.expect("message", _from(conv, 1), timeout=5)
    assert seen["author"] == "visitor" and seen["text"] == "hello, do you have a leather jacket?"
    assert seen["client_id"] == ack["client_id"]

    # The assistant owns a new conversation and answers; both sides get it as seq 2.
    assert visitor.assistant_reply()["seq"] == 2
    agent.expect("message", _from(conv, 2, "assistant"), timeout=5)

    # The agent's reply takes the conversation over: a system message (3), then the reply (4).
    agent_ack = agent.say(conv, "Hi, I'm Ann from the shop.")
    assert (agent_ack["conversation_id"], agent_ack["seq"]) == (conv, 4)
    for client in (visitor, agent):
        change = client.expect("conversation", lambda f: f["conversation_id"] == conv, timeout=5)
        assert change["status"] == "human" and change["agent_name"] == "Ann"
        notice = client.expect("message", _from(conv, 3), timeout=5)
        assert notice["author"] == "system" and "Ann" in notice["text"]
    reply = visitor.expect("message", _from(conv, 4), timeout=5)
    assert reply["author"] == "agent" and reply["text"] == "Hi, I'm Ann from the shop."

    # And back again, live both ways.
    assert visitor.say("great: do you have it in blue?")["seq"] == 5
    assert agent.expect("message", _from(conv, 5), timeout=5)["text"] == "great: do you have it in blue?"
    assert agent.say(conv, "Let me check.")["seq"] == 6
    assert visitor.expect("message", _from(conv, 6), timeout=5)["text"] == "Let me check."

    drain(visitor, 0.5)
    agent.drain(0.2)
    assert_exactly_once(seqs_of(visitor.frames, conv), 6)
    assert_exactly_once(agent.seqs(conv), 6)
    same = lambda frames: [(m["seq"], m["author"], m["text"]) for m in frames]  # noqa: E731
    assert same(messages_of(visitor.frames, conv)) == same(agent.messages(conv))
    assert [(m.seq, m.author) for m in rt.stored(conv)] == [
        (1, "visitor"), (2, "assistant"), (3, "system"), (4, "agent"), (5, "visitor"), (6, "agent")]


def test_human_takeover_silences_the_assistant_until_released(rt: Live) -> None:
    agent = rt.agent(B)
    visitor, _ = rt.visitor(A)
    conv = visitor.say("hi, do you have a leather jacket?")["conversation_id"]
    assert visitor.assistant_reply()["seq"] == 2

    agent.action("take", conv, expect_status="human")
    assert visitor.expect("conversation", timeout=5)["status"] == "human"
    assert visitor.expect("message", _from(conv, 3), timeout=5)["author"] == "system"

    assert visitor.say("actually, I'd like to talk to a person")["seq"] == 4
    assert visitor.say("are you there?")["seq"] == 5
    drain(visitor, 2.0)  # 0.3 s is the assistant's delay; give it far more
    assert [m for m in messages_of(visitor.frames, conv) if m["author"] == "assistant" and m["seq"] > 2] == []
    assert [m.author for m in rt.stored(conv)] == ["visitor", "assistant", "system", "visitor", "visitor"]

    agent.action("release", conv, expect_status="ai")
    assert visitor.expect("conversation", timeout=5)["status"] == "ai"
    assert visitor.expect("message", _from(conv, 6), timeout=5)["author"] == "system"
    assert visitor.say("ok then: a leather jacket, please")["seq"] == 7
    reply = visitor.assistant_reply(timeout=10)
    assert reply["seq"] == 8
    drain(visitor, 0.3)
    assert_exactly_once(seqs_of(visitor.frames, conv), 8)


def test_a_burst_of_three_lines_gets_exactly_one_reply(rt: Live) -> None:
    visitor, _ = rt.visitor(A)
    ids = [cid() for _ in range(3)]
    started = time.monotonic()
    for client_id, text in zip(ids, ["hi", "I'm looking for a jacket", "leather, if you have one"]):
        visitor.send({"type": "message", "client_id": client_id, "text": text})
        time.sleep(0.03)
    assert time.monotonic() - started < 0.15
    acks = [visitor.expect("ack", lambda f, c=c: f["client_id"] == c) for c in ids]  # type: ignore[misc]
    assert [a["seq"] for a in acks] == [1, 2, 3]
    conv = acks[0]["conversation_id"]

    reply = visitor.assistant_reply(timeout=10)
    assert reply["seq"] == 4
    drain(visitor, 2.0)  # a second reply would come about 0.3 s after the first
    assert [m["seq"] for m in messages_of(visitor.frames, conv) if m["author"] == "assistant"] == [4]
    assert [m.author for m in rt.stored(conv)] == ["visitor", "visitor", "visitor", "assistant"]


def test_a_burst_split_over_both_processes_gets_exactly_one_reply(rt: Live) -> None:
    """Two tabs of one shopper, on different processes (each has its own reply timer)."""
    tab_a, welcome = rt.visitor(A)
    conv = tab_a.say("hello")["conversation_id"]
    assert tab_a.assistant_reply()["seq"] == 2
    tab_b, welcome_b = rt.visitor(B, token=welcome["token"], after_seq=2)
    assert welcome_b["conversation_id"] == conv

    lines = [(tab_a, "one more thing"), (tab_b, "I need a jacket"), (tab_a, "in leather")]
    ids = [cid() for _ in lines]
    for (tab, text), client_id in zip(lines, ids):
        tab.send({"type": "message", "client_id": client_id, "text": text})
        time.sleep(0.03)
    acks = [tab.expect("ack", lambda f, c=c: f["client_id"] == c) for (tab, _), c in zip(lines, ids)]  # type: ignore[misc]
    assert sorted(a["seq"] for a in acks) == [3, 4, 5]

    assert tab_a.assistant_reply(timeout=10)["seq"] == 6
    assert tab_b.assistant_reply(timeout=10)["seq"] == 6
    for tab in (tab_a, tab_b):
        drain(tab, 1.0 if tab is tab_a else 0.2)
    for tab, first in ((tab_a, 1), (tab_b, 3)):
        assert_exactly_once(seqs_of(tab.frames, conv), 6, first=first)
    assert [m.author for m in rt.stored(conv)] == ["visitor", "assistant"] + ["visitor"] * 3 + ["assistant"]


def test_a_retried_client_id_is_stored_once_across_processes(rt: Live) -> None:
    visitor, welcome = rt.visitor(A)
    first = visitor.say("only once, please", client_id="retry-1")
    conv, seq = first["conversation_id"], first["seq"]
    retries = [visitor.say("only once, please", client_id="retry-1") for _ in range(2)]
    # The connection drops before the client sees an ack: it reconnects to the
    # other process and sends the same message again.
    drain(visitor, 0.3)
    visitor.close()
    other, _ = rt.visitor(B, token=welcome["token"], after_seq=seq)
    retries.append(other.say("only once, please", client_id="retry-1"))
    assert {(a["conversation_id"], a["seq"]) for a in [first, *retries]} == {(conv, seq)}

    assert rt.count_client_id(conv, "retry-1") == 1
    echoes = [m for m in messages_of(visitor.frames + other.frames) if m.get("client_id") == "retry-1"]
    assert len(echoes) == 1, echoes
    replay = rt.replay(A, welcome["token"])
    assert [m["seq"] for m in replay if m.get("client_id") == "retry-1"] == [seq]
    assert_exactly_once([m["seq"] for m in replay], len(replay))


def test_one_client_id_sent_to_both_processes_at_once_is_stored_once(rt: Live) -> None:
    tab_a, welcome = rt.visitor(A)
    conv = tab_a.say("hi")["conversation_id"]
    tab_b, _ = rt.visitor(B, token=welcome["token"], after_seq=1)
    for i in range(5):
        client_id = cid()
        frame = {"type": "message", "client_id": client_id, "text": f"racing line {i}"}
        tab_a.send(frame)
        tab_b.send(frame)
        ack_a = tab_a.expect("ack", lambda f, c=client_id: f["client_id"] == c)  # type: ignore[misc]
        ack_b = tab_b.expect("ack", lambda f, c=client_id: f["client_id"] == c)  # type: ignore[misc]
        assert ack_a["seq"] == ack_b["seq"]
        assert rt.count_client_id(conv, client_id) == 1
    # The loser of each race rolled its seq increment back: no gaps.
    seqs = [m.seq for m in rt.stored(conv)]
    assert seqs == list(range(1, len(seqs) + 1))
