"""What the shop's team does beside replying: internal notes, typing
indicators (both ways), read marks, and what the widget tells the team
about the shopper's visit. Notes and read marks never reach the shopper;
they are published to the shop's agents only (core/chat/bus.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import Agent, Conversation, ConversationRead, Note, Visitor
from core.errors import StoreChatError
from core.inbox.conversation import note_frame

#: Longest internal note, like a message.
NOTE_CHARS = 4000


class TeamError(StoreChatError):
    pass


def add_note(svc: Any, agent: Agent, conversation_id: int, text: str) -> dict[str, Any]:
    """Store a note on one of the agent's shop's conversations; the ``note`` frame."""
    text = (text or "").strip()
    if not text:
        raise TeamError("the note is empty", code="empty_message")
    if len(text) > NOTE_CHARS:
        raise TeamError(f"notes may be at most {NOTE_CHARS} characters", code="message_too_long")
    with svc.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.shop_id != agent.shop_id:
            raise TeamError(f"no conversation {conversation_id} in this shop", code="unknown_conversation")
        note = Note(conversation_id=conversation_id, agent_id=agent.id, text=text)
        session.add(note)
        session.flush()
        return note_frame(note, agent.name)


def mark_read(svc: Any, agent: Agent, conversation_id: int, seq: int) -> int:
    """Raise the agent's read mark (never lower it); the mark now kept."""
    with svc.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.shop_id != agent.shop_id:
            raise TeamError(f"no conversation {conversation_id} in this shop", code="unknown_conversation")
        seq = min(seq, conversation.last_seq)
        row = session.get(ConversationRead, (agent.id, conversation_id))
        if row is None:
            try:
                with session.begin_nested():
                    row = ConversationRead(agent_id=agent.id, conversation_id=conversation_id, read_seq=seq)
                    session.add(row)
                return seq
            except IntegrityError:  # the agent's other tab marked it first
                row = session.get(ConversationRead, (agent.id, conversation_id))
        if row is not None and seq > row.read_seq:
            row.read_seq = seq
        return row.read_seq if row is not None else seq


def typing_frame(conversation_id: int, *, author: str, agent: Agent | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "typing", "conversation_id": conversation_id, "author": author}
    if agent is not None:
        frame.update(agent_id=agent.id, agent_name=agent.name)
    return frame


def remember_visit(
    svc: Any,
    visitor_id: str,
    page: Any | None,
    locale: str | None,
    cart: Any | None = None,
    ab: dict[str, str] | None = None,
) -> None:
    """Keep the page, language, cart and A/B variants the widget reported on the visitor
    (only once the visitor has a row: a page view that never chats stores nothing)."""
    if page is None and locale is None and cart is None and not ab:
        return
    context: dict[str, Any] = {
        "url": page.url if page else None,
        "title": page.title if page else None,
        "locale": locale,
        "cart": cart.model_dump() if cart is not None else None,
        "ab": dict(ab) if ab else None,
    }
    context = {k: v for k, v in context.items() if v}
    with svc.db.session() as session:
        visitor = session.get(Visitor, visitor_id)
        if visitor is not None and (visitor.context or {}) != {**(visitor.context or {}), **context}:
            visitor.context = {**(visitor.context or {}), **context}


def team(svc: Any, shop_id: int) -> list[dict[str, Any]]:
    """The shop's active agents, for the inbox's names and its 'assign to' list."""
    with svc.db.session() as session:
        return [
            {"id": a.id, "name": a.name}
            for a in session.scalars(select(Agent).where(Agent.shop_id == shop_id, Agent.active).order_by(Agent.name))
        ]
