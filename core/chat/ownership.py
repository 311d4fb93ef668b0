"""Who owns a conversation, as an explicit state machine.

    ai ──handoff──▶ waiting_human ──take──▶ human ──release──▶ ai
     └────────────────take───────────────────▲
    any open state ──close──▶ closed

While a human owns a conversation the assistant stays silent. Each change is
stored as a system message (so the shopper sees it, in order, with a seq)
and announced as a ``conversation`` frame.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import Agent, Conversation, Database
from core.errors import NotFound, StoreChatError

TRANSITIONS: dict[tuple[str, str], str] = {
    ("ai", "handoff"): "waiting_human",
    ("ai", "take"): "human",
    ("waiting_human", "take"): "human",
    ("human", "take"): "human",  # another agent takes it over
    ("waiting_human", "release"): "ai",
    ("human", "release"): "ai",
    ("ai", "close"): "closed",
    ("waiting_human", "close"): "closed",
    ("human", "close"): "closed",
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


def apply(db: Database, conversation_id: int, action: str, *, agent: Agent | None = None) -> Change:
    """Move a conversation along the state machine, or refuse clearly."""
    if action not in ACTIONS:
        raise TransitionRefused(f"unknown action {action!r}")
    with db.session() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.id == conversation_id).with_for_update()
        )
        if conversation is None or (agent is not None and conversation.shop_id != agent.shop_id):
            raise NotFound(f"conversation {conversation_id} does not exist")
        before = conversation.status
        after = TRANSITIONS.get((before, action))
        if after is None:
            raise TransitionRefused(f"cannot {action} a conversation that is {before}")
        conversation.status = after
        conversation.agent_id = agent.id if after == "human" and agent is not None else None
        return Change(
            conversation_id=conversation.id,
            shop_id=conversation.shop_id,
            before=before,
            after=after,
            agent_id=conversation.agent_id,
            agent_name=agent.name if agent is not None else None,
            notice=_notice(action, after, agent),
        )


def _notice(action: str, after: str, agent: Agent | None) -> str:
    who = agent.name if agent is not None else "Someone from the team"
    if after == "human":
        return f"{who} joined the conversation."
    if after == "waiting_human":
        return "I've asked someone from the team to join. They'll reply here."
    if after == "ai" and action == "release":
        return "The assistant is back to help."
    return "This conversation was closed."
