"""An agent whose sockets are gone past the grace period: their conversations
go back to the queue with a notice; a short absence (a reload) changes nothing."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from core.accounts.users import create_user
from core.chat import away, ownership
from core.db import Agent, Conversation, Database, Message, Shop, Visitor
from core.services import Services
from core.settings import Settings


@pytest.fixture
def svc(settings: Settings, db: Database, redis) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    services = Services(settings.model_copy(update={"agent_away_grace": 60.0}))
    yield services
    services.close()


def _owned(db: Database) -> tuple[int, Agent, Agent, list[int]]:
    with db.session() as session:
        shop = Shop(name="Away", platform="csv", site_key="sk_away", connector_config={})
        session.add(shop)
        session.flush()
        shop_id = shop.id
    agents = []
    for name in ("ana", "ben"):
        user = create_user(db, shop_id, f"{name}@example.com", name=name.title())
        with db.session() as session:
            agents.append(session.get(Agent, user.agent_id))
    conversations = []
    for n in range(3):
        with db.session() as session:
            session.add(Visitor(id=f"v_away_{n}", shop_id=shop_id))
            session.flush()
            conversation = Conversation(shop_id=shop_id, visitor_id=f"v_away_{n}", status="ai")
            session.add(conversation)
            session.flush()
            conversations.append(conversation.id)
        ownership.apply(db, conversations[-1], "take", agent=agents[0 if n < 2 else 1])
    return shop_id, agents[0], agents[1], conversations


def test_conversations_of_an_agent_away_past_the_grace_go_back_to_the_queue(svc: Services, db: Database, redis) -> None:  # type: ignore[no-untyped-def]
    shop_id, ana, ben, (c1, c2, c3) = _owned(db)
    svc.presence.agent_beat(shop_id, ben.id, "ben-tab")  # Ben is online; Ana closed her last tab
    t0 = 1_000_000.0
    assert away.requeue_away(svc, redis, now=t0) == 0          # the clock starts
    assert away.requeue_away(svc, redis, now=t0 + 59) == 0     # still within the grace (a reload)
    assert away.requeue_away(svc, redis, now=t0 + 61) == 2
    with db.session() as session:
        states = {c: (session.get(Conversation, c).status, session.get(Conversation, c).agent_id) for c in (c1, c2, c3)}
        notice = session.scalar(select(Message.text).where(Message.conversation_id == c1, Message.author == "system")
                                .order_by(Message.seq.desc()).limit(1))
    assert states[c1] == states[c2] == ("waiting_human", None)
    assert states[c3] == ("human", ben.id)                      # Ben's stays his
    assert notice == "Ana had to step away. Someone else from the team will reply here."
    assert away.requeue_away(svc, redis, now=t0 + 200) == 0     # nothing left of hers


def test_coming_back_within_the_grace_resets_the_clock(svc: Services, db: Database, redis) -> None:  # type: ignore[no-untyped-def]
    shop_id, ana, ben, (c1, c2, c3) = _owned(db)
    t0 = 2_000_000.0
    away.requeue_away(svc, redis, now=t0)
    svc.presence.agent_beat(shop_id, ana.id, "ana-tab")
    svc.presence.agent_beat(shop_id, ben.id, "ben-tab")
    assert away.requeue_away(svc, redis, now=t0 + 30) == 0      # back: the clock is cleared
    svc.presence.agent_gone(shop_id, ana.id, "ana-tab")
    assert away.requeue_away(svc, redis, now=t0 + 70) == 0      # gone again: a new clock from here
    assert away.requeue_away(svc, redis, now=t0 + 131) == 2


def test_only_the_owner_can_be_requeued(db: Database) -> None:
    shop_id, ana, ben, (c1, _, _) = _owned(db)
    with pytest.raises(ownership.TransitionRefused):
        ownership.apply(db, c1, "requeue", agent=ben)
