"""The agent socket as the inbox uses it: tickets from a signed-in user, one
owner at a time (a take race has one winner), assignment, internal notes the
shopper never sees, typing both ways, read marks, reopening, the waiting
clock, the visit's context, and the notifications a handoff queues."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from core.accounts.tickets import SocketTickets
from core.accounts.users import close_user, create_user, sign_out_everywhere
from core.db import Conversation, ConversationRead, Database, Message, Note, User, Visitor
from core.inbox import listing
from core.settings import Settings
from tests.wsclient import AgentClient, VisitorClient

RECHECK = 0.5


@pytest.fixture
def team(db: Database, shop, settings: Settings) -> dict[str, tuple[User, str]]:  # type: ignore[no-untyped-def]
    """Two signed-in teammates of the shop, each with a socket ticket."""
    settings.agent_recheck_seconds = RECHECK
    tickets = SocketTickets(settings.secret_key or "")
    people = {}
    for name in ("ana", "ben"):
        user = create_user(db, shop.id, f"{name}@example.com", name=name.title())
        people[name] = (user, tickets.mint(user.id, user.session_version))
    return people


def _agent(base_url: str, ticket: str) -> tuple[AgentClient, dict]:  # type: ignore[type-arg]
    client = AgentClient(base_url)
    return client, client.hello_ticket(ticket)


def _shopper(base_url: str, text: str = "hello") -> tuple[VisitorClient, int]:
    visitor = VisitorClient(base_url)
    visitor.send({"type": "hello", "site_key": "sk_test", "page": {"url": "https://shop.example/p/boots",
                                                                    "title": "Boots"}, "locale": "de-DE"})
    visitor.expect("welcome")
    return visitor, visitor.say(text)["conversation_id"]


def test_a_ticket_opens_the_agent_socket_as_the_user(base_url, team, db: Database) -> None:  # type: ignore[no-untyped-def]
    ana, welcome = _agent(base_url, team["ana"][1])
    assert welcome["agent"]["id"] == team["ana"][0].agent_id and welcome["agent"]["name"] == "Ana"
    assert {m["name"] for m in welcome["team"]} == {"Ana", "Ben"}
    ana.close()
    for bad in ("forged.ticket.value", SocketTickets("another secret " * 4).mint(team["ana"][0].id, 1)):
        client = AgentClient(base_url)
        client.send({"type": "hello", "ticket": bad})
        error = client.expect("error")
        assert error["fatal"] is True and error["code"] == "bad_credential"
        client.close()
    both = AgentClient(base_url)
    both.send({"type": "hello", "ticket": team["ana"][1], "credential": "sca_x"})
    assert both.expect("error")["code"] == "bad_frame"
    both.close()


def test_signing_out_everywhere_ends_tickets_and_closes_live_sockets(base_url, team, db: Database) -> None:  # type: ignore[no-untyped-def]
    user, ticket = team["ana"]
    live, _ = _agent(base_url, ticket)
    other, _ = _agent(base_url, team["ben"][1])
    sign_out_everywhere(db, user.id)
    assert live.expect("error", timeout=RECHECK * 8)["code"] == "agent_revoked"
    again = AgentClient(base_url)
    again.send({"type": "hello", "ticket": ticket})
    assert again.expect("error")["code"] == "bad_credential"
    other.send({"type": "ping"})
    other.expect("pong")  # a teammate's socket stays open
    close_user(db, user.shop_id, team["ben"][0].id)
    assert other.expect("error", timeout=RECHECK * 8)["code"] == "agent_revoked"


def test_two_agents_taking_at_once_end_with_one_owner(base_url, team, db: Database) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url)
    ana, _ = _agent(base_url, team["ana"][1])
    ben, _ = _agent(base_url, team["ben"][1])
    gate = threading.Barrier(2)

    def take(client: AgentClient) -> None:
        gate.wait()
        client.act("take", conversation)

    threads = [threading.Thread(target=take, args=(c,)) for c in (ana, ben)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Both see who owns it now; the shopper sees one join notice.
    owners = {client.expect("conversation", lambda f: f["status"] == "human")["agent_id"] for client in (ana, ben)}
    with db.session() as session:
        owner = session.get(Conversation, conversation).agent_id
    assert owners == {owner}
    winner, loser = (ana, ben) if owner == team["ana"][0].agent_id else (ben, ana)
    winner_name = "Ana" if winner is ana else "Ben"
    refused = loser.expect("error", lambda f: f["code"] == "transition_refused")
    assert f"{winner_name} already took this conversation" == refused["message"]
    for client in (ana, ben):
        client.none_of("conversation", lambda f: f["status"] == "human", wait=0.5)
    joined = [f for f in _drain(visitor, "message") if f["author"] == "system"]
    assert len(joined) == 1 and winner_name in joined[0]["text"]
    # The loser cannot reply over the owner's head.
    loser.send({"type": "message", "conversation_id": conversation, "client_id": "x1", "text": "me too"})
    assert loser.expect("error", lambda f: f.get("code") == "not_owner")["message"].startswith(winner_name)


def test_taking_your_own_conversation_again_changes_nothing(base_url, team, db: Database) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url)
    ana, _ = _agent(base_url, team["ana"][1])
    for _ in range(40):
        ana.act("take", conversation)
    ana.send({"type": "ping"})
    ana.expect("pong")  # every take was handled before this
    # One change: one conversation frame, no error, one join line stored.
    changes = _drain(ana, "conversation", wait=0.5)
    assert [(f["status"], f["agent_id"]) for f in changes] == [("human", team["ana"][0].agent_id)]
    assert not [f for f in ana.frames if f.get("type") == "error"], ana.frames
    with db.session() as session:
        system = session.scalars(select(Message.text).where(Message.conversation_id == conversation,
                                                            Message.author == "system")).all()
    assert system == ["Ana joined the conversation."]
    # Taking one another agent owns is still refused, naming the owner.
    ben, _ = _agent(base_url, team["ben"][1])
    ben.act("take", conversation)
    assert ben.expect("error", lambda f: f["code"] == "transition_refused")["message"] == \
        "Ana already took this conversation"


def _drain(client, kind: str, wait: float = 1.0) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    got = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            got.append(client.expect(kind, timeout=max(0.05, deadline - time.monotonic())))
        except Exception:  # noqa: BLE001 - nothing more within the wait
            break
    return got


def test_assign_hands_the_conversation_to_a_teammate(base_url, team, db: Database) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url)
    ana, _ = _agent(base_url, team["ana"][1])
    ben_id = team["ben"][0].agent_id
    ana.send({"type": "assign", "conversation_id": conversation, "agent_id": ben_id})
    change = ana.expect("conversation", lambda f: f["status"] == "human")
    assert change["agent_id"] == ben_id and change["agent_name"] == "Ben" and change["by"] == "Ana"
    assert visitor.expect("conversation")["agent_name"] == "Ben"
    ana.send({"type": "assign", "conversation_id": conversation, "agent_id": 99999})
    assert ana.expect("error")["code"] == "transition_refused"


def test_notes_reach_the_team_and_never_the_shopper(base_url, team, db: Database) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url, "my parcel is late")
    ana, _ = _agent(base_url, team["ana"][1])
    ben, _ = _agent(base_url, team["ben"][1])
    ana.send({"type": "note", "conversation_id": conversation, "client_id": "n1", "text": "VIP: refund if asked"})
    ack = ana.expect("ack", lambda f: f.get("client_id") == "n1")
    note = ben.expect("note")
    assert note["id"] == ack["note_id"] and note["text"] == "VIP: refund if asked" and note["agent_name"] == "Ana"
    visitor.none_of("note", wait=1.0)
    with db.session() as session:
        assert session.scalar(select(Note.text)) == "VIP: refund if asked"
        seqs = list(session.scalars(select(Message.seq).where(Message.conversation_id == conversation)))
    assert seqs == list(range(1, len(seqs) + 1))  # a note takes no seq: the shopper sees no gap
    # A shopper coming back (a new page) gets the conversation again, and still no note.
    token = next(f["token"] for f in visitor.frames if f["type"] == "welcome")
    resumed = VisitorClient(base_url)
    resumed.hello("sk_test", token=token, after_seq=0)
    replayed = _drain(resumed, "message", wait=1.0)
    assert replayed and all("VIP" not in f["text"] for f in replayed)
    resumed.none_of("note", wait=0.3)
    ana.send({"type": "note", "conversation_id": conversation, "client_id": "n2", "text": " "})
    assert ana.expect("error")["code"] == "empty_message"


def test_typing_travels_both_ways_but_not_back_to_its_author(base_url, team) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url)
    ana, _ = _agent(base_url, team["ana"][1])
    visitor.send({"type": "typing"})
    assert ana.expect("typing")["author"] == "visitor"
    visitor.none_of("typing", wait=0.7)
    ana.send({"type": "typing", "conversation_id": conversation})
    seen = visitor.expect("typing")
    assert seen["author"] == "agent" and seen["agent_name"] == "Ana"


def test_a_flood_of_typing_frames_reaches_the_team_once_every_two_seconds(base_url, team) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url)
    ana, _ = _agent(base_url, team["ana"][1])
    for _ in range(200):
        visitor.send({"type": "typing"})
        ana.send({"type": "typing", "conversation_id": conversation})
    visitor.send({"type": "ping"})
    visitor.expect("pong")
    seen = [f["author"] for f in _drain(ana, "typing", wait=1.0)]
    assert sorted(seen) == ["agent", "visitor"]  # the shopper's once, and her own once (the team sees it)
    assert len(_drain(visitor, "typing", wait=0.5)) == 1  # Ana's, once


def test_notes_take_from_the_agents_bucket(base_url, team, settings) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url)
    ana, _ = _agent(base_url, team["ana"][1])
    for n in range(settings.agent_message_burst + 5):
        ana.send({"type": "note", "conversation_id": conversation, "client_id": f"n{n}", "text": f"note {n}"})
    assert ana.expect("error", lambda f: f["code"] == "rate_limited")


def test_read_marks_clear_the_unread_count(base_url, team, db: Database, shop) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url, "one")
    visitor.say("two")
    ana, _ = _agent(base_url, team["ana"][1])
    agent_id = team["ana"][0].agent_id
    with db.session() as session:
        row = listing.list_conversations(session, shop.id, agent_id)["conversations"][0]
    assert row["conversation_id"] == conversation and row["unread"] >= 2
    ana.send({"type": "read", "conversation_id": conversation, "seq": 10_000})  # capped at the last seq
    mark = ana.expect("read")
    with db.session() as session:
        read = session.get(ConversationRead, (agent_id, conversation))
        last = session.get(Conversation, conversation).last_seq
        row = listing.list_conversations(session, shop.id, agent_id)["conversations"][0]
    assert read.read_seq == last == mark["seq"] and row["unread"] == 0
    ana.send({"type": "read", "conversation_id": conversation, "seq": 1})  # never lowered
    ana.expect("read")
    with db.session() as session:
        assert session.get(ConversationRead, (agent_id, conversation)).read_seq == last
    visitor.none_of("read", wait=0.5)


def test_waiting_clock_and_reopening(base_url, team, db: Database) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url)
    ana, _ = _agent(base_url, team["ana"][1])
    visitor.send({"type": "handoff"})
    waiting = ana.expect("conversation", lambda f: f["status"] == "waiting_human")
    assert waiting["waiting_since"]
    with db.session() as session:
        assert session.get(Conversation, conversation).waiting_since is not None
    ana.act("take", conversation)
    assert ana.expect("conversation", lambda f: f["status"] == "human")["waiting_since"] is None
    ana.act("close", conversation)
    ana.expect("conversation", lambda f: f["status"] == "closed")
    ana.act("reopen", conversation)
    reopened = ana.expect("conversation", lambda f: f["status"] == "human")
    assert reopened["agent_id"] == team["ana"][0].agent_id
    ana.act("close", conversation)
    ana.expect("conversation", lambda f: f["status"] == "closed")
    visitor.say("a new question")  # the shopper starts a new conversation
    ana.act("reopen", conversation)
    assert "new conversation" in ana.expect("error")["message"]


def test_the_visit_is_kept_for_the_team(base_url, team, db: Database) -> None:  # type: ignore[no-untyped-def]
    visitor, conversation = _shopper(base_url)
    with db.session() as session:
        visitor_id = session.get(Conversation, conversation).visitor_id
        context = session.get(Visitor, visitor_id).context
    assert context == {"url": "https://shop.example/p/boots", "title": "Boots", "locale": "de-DE"}
    bad = VisitorClient(base_url)
    bad.send({"type": "hello", "site_key": "sk_test", "page": {"url": "x" * 3000}})
    assert bad.expect("error")["code"] == "bad_frame"
    for cart in ({"items": [{"title": "Boots", "quantity": "2"}]}, {"items": [{"title": "x", "quantity": 1}] * 51}):
        refused = VisitorClient(base_url)
        refused.send({"type": "hello", "site_key": "sk_test", "cart": cart})
        assert refused.expect("error")["code"] == "bad_frame"
    # The next page load brings the cart; the team sees it with the rest of the visit.
    again = VisitorClient(base_url)
    welcome = visitor.frames[0] if visitor.frames and visitor.frames[0]["type"] == "welcome" else None
    token = welcome["token"] if welcome else None
    again.send({"type": "hello", "site_key": "sk_test", "token": token,
                "cart": {"items": [{"title": "Boots", "quantity": 2}], "total": "120.00 EUR"}})
    again.expect("welcome")
    with db.session() as session:
        context = session.get(Visitor, visitor_id).context
    assert context["cart"] == {"items": [{"title": "Boots", "quantity": 2}], "total": "120.00 EUR"}
    assert context["url"] == "https://shop.example/p/boots"  # what the new hello did not say is kept


def test_a_handoff_queues_the_team_alert(base_url, team, redis) -> None:  # type: ignore[no-untyped-def]
    from rq import Queue
    from rq.serializers import JSONSerializer

    visitor, conversation = _shopper(base_url)
    queue = Queue("assistant", connection=redis, serializer=JSONSerializer)
    before = {job.func_name for job in queue.get_jobs()}
    visitor.send({"type": "handoff"})
    visitor.expect("conversation", lambda f: f["status"] == "waiting_human")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        alerts = [j for j in queue.get_jobs() if j.func_name == "core.jobs.notify_team"]
        if alerts:
            break
        time.sleep(0.05)
    assert "core.jobs.notify_team" not in before
    assert alerts and alerts[0].args == [conversation, "waiting", None]
