"""Two changes decided on the same state: one wins, the other is decided
again on what the winner left (on SQLite, whose SELECT locks nothing, too)."""
from __future__ import annotations

import threading

import pytest

from core.accounts.users import create_user
from core.chat import ownership
from core.db import Agent, Conversation, Database, Shop, Visitor


def test_both_read_before_either_writes_and_exactly_one_takes_it(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        shop = Shop(name="Race", platform="csv", site_key="sk_race", connector_config={})
        session.add(shop)
        session.flush()
        session.add(Visitor(id="v_race", shop_id=shop.id))
        session.flush()
        conversation = Conversation(shop_id=shop.id, visitor_id="v_race", status="waiting_human")
        session.add(conversation)
        session.flush()
        shop_id, conversation_id = shop.id, conversation.id
    agents = []
    for name in ("ana", "ben"):
        user = create_user(db, shop_id, f"{name}@example.com", name=name.title())
        with db.session() as session:
            agents.append(session.get(Agent, user.agent_id))

    decide, both_decided = ownership._decide, threading.Barrier(2)
    first_round = threading.local()

    def decide_then_wait(*args):  # type: ignore[no-untyped-def]
        result = decide(*args)
        if not getattr(first_round, "done", False):
            first_round.done = True
            try:  # both have read "waiting_human" before either writes
                both_decided.wait(timeout=1)
            except threading.BrokenBarrierError:
                pass  # PostgreSQL: the other one waits on the row lock (FOR UPDATE) until this one commits
        return result

    monkeypatch.setattr(ownership, "_decide", decide_then_wait)
    outcomes: dict[str, object] = {}

    def take(agent: Agent) -> None:
        try:
            outcomes[agent.name] = ownership.apply(db, conversation_id, "take", agent=agent)
        except ownership.TransitionRefused as exc:
            outcomes[agent.name] = exc

    threads = [threading.Thread(target=take, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [name for name, o in outcomes.items() if isinstance(o, ownership.Change)]
    lost = [o for o in outcomes.values() if isinstance(o, ownership.TransitionRefused)]
    assert len(won) == 1 and len(lost) == 1
    assert str(lost[0]) == f"{won[0]} already took this conversation"
    with db.session() as session:
        owner = session.get(Agent, session.get(Conversation, conversation_id).agent_id)
    assert owner is not None and owner.name == won[0]


@pytest.mark.parametrize("action", ["take", "release", "close"])
def test_unknown_conversations_are_not_found(db: Database, action: str) -> None:
    with pytest.raises(ownership.NotFound):
        ownership.apply(db, 987654, action)
