"""The agent socket and ownership, in one process against a real database and Redis."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.agents import create_agent
from core.db import Conversation, Message
from tests.wsclient import AgentClient, VisitorClient


@pytest.fixture
def credential(db, shop) -> str:  # type: ignore[no-untyped-def]
    return create_agent(db, shop.id, "Alex")[1]


def _visitor_with_conversation(base_url: str, text: str = "hi there") -> tuple[VisitorClient, int]:
    visitor = VisitorClient(base_url)
    visitor.hello("sk_test")
    ack = visitor.say(text)
    return visitor, ack["conversation_id"]


def test_bad_credential_is_refused(base_url) -> None:  # type: ignore[no-untyped-def]
    for credential in ("sca_forged", "nonsense", "x" * 200):
        agent = AgentClient(base_url)
        agent.send({"type": "hello", "credential": credential})
        error = agent.expect("error")
        assert error["fatal"] is True and error["code"] in ("bad_credential", "bad_frame")
        agent.close()


def test_agent_sees_conversations_and_messages_live(base_url, credential) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation_id = _visitor_with_conversation(base_url, "first line")
    agent = AgentClient(base_url)
    welcome = agent.hello(credential)
    assert welcome["agent"]["name"] == "Alex"
    listed = {c["conversation_id"]: c for c in welcome["conversations"]}
    assert listed[conversation_id]["status"] == "ai" and listed[conversation_id]["visitor_online"] is True
    assert welcome["agents_online"] == [welcome["agent"]["id"]]

    visitor.say("second line")
    live = agent.expect("message", lambda f: f["text"] == "second line")
    assert live["conversation_id"] == conversation_id and live["seq"] == 2

    agent.send({"type": "resume", "conversation_id": conversation_id, "after_seq": 0})
    assert agent.expect("message", lambda f: f["seq"] == 1)["text"] == "first line"
    visitor.close()
    agent.close()


def test_agent_reply_takes_over_and_silences_the_assistant(base_url, credential, db, redis, settings) -> None:  # type: ignore[no-untyped-def]
    settings.assistant_delay = 0  # the first line's reply job is queued at once
    visitor, conversation_id = _visitor_with_conversation(base_url)
    agent = AgentClient(base_url)
    agent.hello(credential)
    agent.say(conversation_id, "Hello, I'm Alex. How can I help?")

    status = visitor.expect("conversation")
    assert status["status"] == "human" and status["agent_name"] == "Alex"
    notice = visitor.expect("message", lambda f: f["author"] == "system")
    assert "Alex" in notice["text"]
    reply = visitor.expect("message", lambda f: f["author"] == "agent")
    assert reply["text"] == "Hello, I'm Alex. How can I help?"
    assert agent.expect("conversation")["status"] == "human"

    redis.delete("rq:queue:assistant")
    visitor.say("do you have a leather jacket?")
    agent.expect("message", lambda f: f["text"] == "do you have a leather jacket?")
    visitor.none_of("message", lambda f: f["author"] == "assistant", wait=1.0)
    assert redis.llen("rq:queue:assistant") == 0  # nothing was even scheduled

    with db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation.status == "human" and conversation.agent_id is not None
        seqs = list(session.scalars(select(Message.seq).where(Message.conversation_id == conversation_id)
                                    .order_by(Message.seq)))
    assert seqs == list(range(1, len(seqs) + 1))
    visitor.close()
    agent.close()


def test_take_release_close_and_refusals(base_url, credential, db) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation_id = _visitor_with_conversation(base_url)
    agent = AgentClient(base_url)
    agent.hello(credential)

    agent.act("release", conversation_id)  # ai cannot be released
    refused = agent.expect("error")
    assert refused["code"] == "transition_refused" and refused["fatal"] is False

    agent.act("take", conversation_id)
    assert agent.expect("conversation")["status"] == "human"
    agent.act("release", conversation_id)
    assert agent.expect("conversation")["status"] == "ai"
    assert visitor.expect("message", lambda f: f["author"] == "system" and "assistant" in f["text"])
    agent.act("close", conversation_id)
    assert agent.expect("conversation")["status"] == "closed"
    agent.send({"type": "message", "conversation_id": conversation_id, "client_id": "late", "text": "anyone?"})
    assert agent.expect("error", lambda f: f.get("client_id") == "late")["code"] == "conversation_closed"

    agent.act("take", 999999)
    assert agent.expect("error")["code"] == "unknown_conversation"
    visitor.close()
    agent.close()


def test_agent_cannot_reach_another_shops_conversation(base_url, db, shop) -> None:  # type: ignore[no-untyped-def]
    from core.db import Shop

    with db.session() as session:
        other = Shop(name="Other", platform="csv", site_key="sk_other", connector_config={})
        session.add(other)
        session.flush()
        other_id = other.id
    _, outsider = create_agent(db, other_id, "Eve")
    visitor, conversation_id = _visitor_with_conversation(base_url)
    eve = AgentClient(base_url)
    welcome = eve.hello(outsider)
    assert welcome["conversations"] == []
    for frame in ({"type": "resume", "conversation_id": conversation_id},
                  {"type": "take", "conversation_id": conversation_id},
                  {"type": "message", "conversation_id": conversation_id, "client_id": "x", "text": "hi"}):
        eve.send(frame)
        assert eve.expect("error")["code"] == "unknown_conversation"
    visitor.say("private")
    eve.none_of("message", wait=0.5)
    visitor.close()
    eve.close()


def test_presence_of_agents_and_visitors(base_url, credential, db, shop) -> None:  # type: ignore[no-untyped-def]
    first = AgentClient(base_url)
    me = first.hello(credential)["agent"]["id"]
    _, second_credential = create_agent(db, shop.id, "Sam")
    second = AgentClient(base_url)
    second_id = second.hello(second_credential)["agent"]["id"]
    both = sorted([me, second_id])
    first.expect("presence", lambda f: f.get("agents_online") == both)
    second.close()
    first.expect("presence", lambda f: f.get("agents_online") == [me])

    visitor, conversation_id = _visitor_with_conversation(base_url)
    online = first.expect("presence", lambda f: f.get("conversation_id") == conversation_id)
    assert online["visitor_online"] is True
    visitor.none_of("presence", wait=0.3)  # presence is for agents
    visitor.close()
    offline = first.expect("presence", lambda f: f.get("conversation_id") == conversation_id)
    assert offline["visitor_online"] is False
    first.close()


def test_visitor_rate_limit_refuses_and_stores_nothing(base_url, settings, db) -> None:  # type: ignore[no-untyped-def]
    settings.visitor_message_burst = 2
    settings.visitor_message_rate = 0.01
    visitor = VisitorClient(base_url)
    visitor.hello("sk_test")
    visitor.say("one")
    visitor.say("two")
    visitor.send({"type": "message", "client_id": "three", "text": "three"})
    refused = visitor.expect("error")
    assert refused["code"] == "rate_limited" and refused["client_id"] == "three" and not refused["fatal"]
    visitor.close()
    with db.session() as session:
        assert [m.text for m in session.scalars(select(Message).order_by(Message.seq))] == ["one", "two"]


def test_connections_per_ip_are_capped(base_url, settings) -> None:  # type: ignore[no-untyped-def]
    settings.max_connections_per_ip = 2
    held = [VisitorClient(base_url), VisitorClient(base_url)]
    for client in held:
        client.hello("sk_test")
    third = VisitorClient(base_url)
    error = third.expect("error")
    assert error["code"] == "too_many_connections" and error["fatal"] is True
    held[0].close()
    from tests.live import wait_for

    def fourth_gets_in() -> bool:
        client = VisitorClient(base_url)
        try:
            return client.hello("sk_test")["type"] == "welcome"
        except (AssertionError, ConnectionError):
            return False
        finally:
            client.close()

    assert wait_for(fourth_gets_in, timeout=5, interval=0.2)
    held[1].close()


def test_writing_after_close_starts_a_new_conversation(base_url, credential) -> None:  # type: ignore[no-untyped-def]
    visitor, first_id = _visitor_with_conversation(base_url)
    agent = AgentClient(base_url)
    agent.hello(credential)
    agent.act("close", first_id)
    visitor.expect("conversation", lambda f: f["status"] == "closed")
    ack = visitor.say("one more question")
    assert ack["conversation_id"] != first_id and ack["seq"] == 1
    echo = visitor.expect("message", lambda f: f["text"] == "one more question")
    assert echo["conversation_id"] == ack["conversation_id"]
    live = agent.expect("message", lambda f: f["text"] == "one more question")
    assert live["conversation_id"] == ack["conversation_id"] and live["seq"] == 1
    visitor.close()
    agent.close()


def test_integer_fields_take_json_integers_only(base_url, credential, db) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation_id = _visitor_with_conversation(base_url)
    agent = AgentClient(base_url)
    agent.hello(credential)
    for frame in ({"type": "resume", "conversation_id": conversation_id, "after_seq": True},
                  {"type": "resume", "conversation_id": str(conversation_id), "after_seq": 0},
                  {"type": "take", "conversation_id": True},
                  {"type": "assign", "conversation_id": conversation_id, "agent_id": "1"},
                  {"type": "read", "conversation_id": conversation_id, "seq": 1.0},
                  {"type": "typing", "conversation_id": float(conversation_id)},
                  {"conversation_id": conversation_id}):
        agent.send(frame)
        error = agent.expect("error")
        assert (error["code"], error["fatal"]) == ("bad_frame", False), (frame, error)
    agent.none_of("message", wait=0.3)  # no resume was taken as after_seq 1 (or 0)
    with db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert (conversation.status, conversation.agent_id) == ("ai", None)
