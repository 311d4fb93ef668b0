"""Who owns a conversation, as an explicit state machine.

    ai ──handoff──▶ waiting_human ──take / assign──▶ human ──release──▶ ai
     └──────────────take / assign──────────────────▲   └──requeue──▶ waiting_human
    any open state ──close──▶ closed ──reopen──▶ human

One person owns a conversation at a time: ``take`` of a conversation another
agent owns is refused (naming who has it), so two agents pressing "take
over" at once end with exactly one owner; taking one's own again changes
nothing; ``assign`` hands it to a named
teammate on purpose. ``requeue`` puts it back in the queue when its owner
went away. While a human owns a conversation the assistant stays silent.
Each change is stored as a system message (so the shopper sees it, in
order, with a seq) and announced as a ``conversation`` frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from core import metrics
from core.db import Agent, Conversation, Database
from core.db.models import utcnow
from core.errors import NotFound, StoreChatError

TRANSITIONS: dict[tuple[str, str], str] = {
    ("ai", "handoff"): "waiting_human",
    ("ai", "take"): "human",
    ("waiting_human", "take"): "human",
    ("ai", "assign"): "human",
    ("waiting_human", "assign"): "human",
    ("human", "assign"): "human",
    ("waiting_human", "release"): "ai",
    ("human", "release"): "ai",
    ("human", "requeue"): "waiting_human",
    ("ai", "close"): "closed",
    ("waiting_human", "close"): "closed",
    ("human", "close"): "closed",
    ("closed", "reopen"): "human",
}
ACTIONS = frozenset(action for _, action in TRANSITIONS)


class TransitionRefused(StoreChatError):
    code = "transition_refused"


@dataclass(frozen=True)
class Change:
    conversation_id: int
    shop_id: int
    before: str
    after: str
    agent_id: int | None
    agent_name: str | None
    notice: str
    #: Who made the change (None: the assistant or StoreChat itself).
    by_name: str | None = None
    waiting_since: str | None = None
    #: False when the action asked for what already is (an agent taking their own
    #: conversation again): nothing was stored and there is nothing to announce.
    changed: bool = True


def apply(
    db: Database, conversation_id: int, action: str, *, agent: Agent | None = None, assignee: Agent | None = None
) -> Change:
    """Move a conversation along the state machine, or refuse clearly.

    ``agent``: who acts (None for the assistant or StoreChat); ``assignee``:
    the teammate an ``assign`` hands it to. The change is a compare-and-set
    on the state read (one ``UPDATE ... WHERE status = <read> AND agent_id =
    <read>``), so of two racing changes one wins and the other is decided
    again on what the winner left: the same on SQLite (whose ``SELECT`` takes
    no lock) as on PostgreSQL."""
    if action not in ACTIONS:
        raise TransitionRefused(f"unknown action {action!r}")
    for _ in range(5):
        with db.session() as session:
            conversation = session.scalar(
                select(Conversation).where(Conversation.id == conversation_id).with_for_update()
            )
            if conversation is None or (agent is not None and conversation.shop_id != agent.shop_id):
                raise NotFound(f"conversation {conversation_id} does not exist")
            before, before_agent = conversation.status, conversation.agent_id
            if action == "take" and before == "human" and agent is not None and before_agent == agent.id:
                # Taking one's own conversation again (a second tab, a retried click): nothing to do.
                return Change(
                    conversation_id=conversation.id,
                    shop_id=conversation.shop_id,
                    before=before,
                    after=before,
                    agent_id=agent.id,
                    agent_name=agent.name,
                    notice="",
                    by_name=agent.name,
                    changed=False,
                )
            after, owner = _decide(session, conversation, action, agent, assignee)
            now = utcnow()
            waiting_since = now if after == "waiting_human" else None if after != before else conversation.waiting_since
            agent_id = owner.id if after == "human" and owner is not None else None
            moved = cast(
                CursorResult[Any],
                session.execute(
                    update(Conversation)
                    .where(
                        Conversation.id == conversation_id,
                        Conversation.status == before,
                        Conversation.agent_id.is_(None)
                        if before_agent is None
                        else Conversation.agent_id == before_agent,
                    )
                    .values(status=after, agent_id=agent_id, waiting_since=waiting_since, updated_at=now)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            if moved != 1:
                continue  # another change came first: decide again on what it left
            if action == "handoff" and after != before:
                metrics.HANDOFFS.inc()
            return Change(
                conversation_id=conversation.id,
                shop_id=conversation.shop_id,
                before=before,
                after=after,
                agent_id=agent_id,
                agent_name=owner.name if after == "human" and owner is not None else None,
                notice=_notice(action, after, owner),
                by_name=agent.name if agent is not None else None,
                waiting_since=waiting_since.isoformat() if waiting_since else None,
            )
    raise TransitionRefused("the conversation kept changing; try again")


def _decide(
    session: Session, conversation: Conversation, action: str, agent: Agent | None, assignee: Agent | None
) -> tuple[str, Agent | None]:
    """The state ``action`` leads to from the conversation's, and its new owner; or refused."""
    before = conversation.status
    if action == "take" and before == "human":
        # The race two agents run when both press "take over": the loser learns who won.
        holder = session.get(Agent, conversation.agent_id) if conversation.agent_id else None
        raise TransitionRefused(f"{holder.name if holder else 'Someone'} already took this conversation")
    after = TRANSITIONS.get((before, action))
    if after is None:
        raise TransitionRefused(f"cannot {action} a conversation that is {before}")
    if action == "assign" and (assignee is None or assignee.shop_id != conversation.shop_id or not assignee.active):
        raise TransitionRefused("assign it to an active teammate of this shop")
    if action == "reopen" and _newer_open(session, conversation):
        raise TransitionRefused("the shopper has started a new conversation since; answer them there")
    owner = assignee if action == "assign" else agent
    if action == "requeue" and (agent is None or conversation.agent_id != agent.id):
        raise TransitionRefused("only its owner's conversations go back to the queue")
    if before == "human" and action == "assign" and owner is not None and conversation.agent_id == owner.id:
        raise TransitionRefused(f"{owner.name} already has this conversation")
    return after, owner


def _newer_open(session: Session, conversation: Conversation) -> bool:
    return (
        session.scalar(
            select(Conversation.id)
            .where(
                Conversation.visitor_id == conversation.visitor_id,
                Conversation.id > conversation.id,
                Conversation.status != "closed",
            )
            .limit(1)
        )
        is not None
    )


def _notice(action: str, after: str, agent: Agent | None) -> str:
    who = agent.name if agent is not None else "Someone from the team"
    if after == "human":
        return f"{who} joined the conversation."
    if action == "requeue":
        return f"{who} had to step away. Someone else from the team will reply here."
    if after == "waiting_human":
        return "I've asked someone from the team to join. They'll reply here."
    if after == "ai" and action == "release":
        return "The assistant is back to help."
    return "This conversation was closed."
