"""One conversation as the team sees it: the transcript with the assistant's
cards and the facts behind each answer, the internal notes, and what is
known of the shopper (verified identity, the page, locale and cart)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.chat.messages import message_frame
from core.db import Agent, Conversation, ConversationRead, Event, Message, Note, Visitor
from core.errors import NotFound

#: The newest messages shown at once; older ones come by ``before_seq``.
TRANSCRIPT = 200
#: A tool result is shown to the team, cut to this many characters.
FACT_CHARS = 600


def owned_conversation(session: Session, shop_id: int, conversation_id: int) -> Conversation:
    """The shop's conversation; the same NotFound for another shop's as for none."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.shop_id != shop_id:
        raise NotFound(f"conversation {conversation_id} does not exist")
    return conversation


def facts(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """What the assistant looked up for an answer, as the team reads it."""
    result = []
    for call in payload.get("tool_calls") or []:
        text = json.dumps(call.get("result"), ensure_ascii=False, default=str)
        result.append(
            {
                "tool": str(call.get("tool", ""))[:60],
                "args": call.get("args") or {},
                "result": text if len(text) <= FACT_CHARS else text[:FACT_CHARS] + "…",
                "rejected": bool(call.get("rejected")),
            }
        )
    return result


def detail(
    session: Session, shop_id: int, conversation_id: int, agent_id: int, *, before_seq: int | None = None
) -> dict[str, Any]:
    conversation = owned_conversation(session, shop_id, conversation_id)
    query = select(Message).where(Message.conversation_id == conversation.id)
    if before_seq is not None:
        query = query.where(Message.seq < before_seq)
    messages = list(reversed(session.scalars(query.order_by(Message.seq.desc()).limit(TRANSCRIPT)).all()))
    frames = []
    for message in messages:
        frame = message_frame(message)
        if message.author == "assistant":
            found = facts(message.payload or {})
            if found:
                frame["facts"] = found
            if (message.payload or {}).get("guard"):
                frame["guard"] = message.payload["guard"]
        frames.append(frame)
    visitor = session.get(Visitor, conversation.visitor_id)
    owner = session.get(Agent, conversation.agent_id) if conversation.agent_id else None
    notes = session.execute(
        select(Note, Agent.name)
        .outerjoin(Agent, Agent.id == Note.agent_id)
        .where(Note.conversation_id == conversation.id)
        .order_by(Note.id)
    ).all()
    rating = session.scalar(
        select(Event)
        .where(Event.conversation_id == conversation.id, Event.kind == "csat")
        .order_by(Event.id.desc())
        .limit(1)
    )
    read = session.get(ConversationRead, (agent_id, conversation.id))
    return {
        "conversation_id": conversation.id,
        "status": conversation.status,
        "agent_id": conversation.agent_id,
        "agent_name": owner.name if owner else None,
        "last_seq": conversation.last_seq,
        "read_seq": read.read_seq if read else 0,
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
        "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
        "messages": frames,
        "more_before": bool(messages) and messages[0].seq > 1,
        "notes": [note_frame(note, name) for note, name in notes],
        "rating": rating.data if rating else None,
        "visitor": {
            "id": visitor.id if visitor else conversation.visitor_id,
            "email": visitor.email if visitor else None,
            # Set only from an identity the store signed: the shopper is who they say.
            "verified_customer": visitor.customer_ref if visitor else None,
            "context": (visitor.context or {}) if visitor else {},
            "first_seen": visitor.created_at.isoformat() if visitor else None,
        },
    }


def note_frame(note: Note, agent_name: str | None) -> dict[str, Any]:
    return {
        "type": "note",
        "id": note.id,
        "conversation_id": note.conversation_id,
        "agent_id": note.agent_id,
        "agent_name": agent_name,
        "text": note.text,
        "created_at": note.created_at.isoformat(),
    }
