"""Conversations and messages: the database is the source of truth.

Every message gets the next sequence number of its conversation when it is
stored. Numbers are gap-free and strictly increasing even with writers in
several processes: the counter lives on the conversation row, and the
increment is the first statement of the storing transaction, so writers
queue on that row (PostgreSQL) or on the database write lock (SQLite). A
retry with the same ``client_id`` rolls back the increment and returns the
message already stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import Conversation, Database, Message, Visitor
from core.db.models import utcnow
from core.errors import NotFound, StoreChatError

AUTHORS = ("visitor", "assistant", "agent", "system")


@dataclass(frozen=True)
class Stored:
    message: Message
    #: False when ``client_id`` had been seen: nothing new was stored.
    created: bool
    #: The conversation's owner state when the message was stored.
    status: str = "ai"
    shop_id: int = 0


class ConversationClosed(StoreChatError):
    code = "conversation_closed"


class _AlreadyStored(Exception):
    def __init__(self, message: Message, status: str, shop_id: int) -> None:
        self.message = message
        self.status = status
        self.shop_id = shop_id


def open_conversation(session: Session, shop_id: int, visitor_id: str) -> Conversation | None:
    """The visitor's latest conversation that is not closed."""
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.shop_id == shop_id,
            Conversation.visitor_id == visitor_id,
            Conversation.status != "closed",
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def start_conversation(db: Database, shop_id: int, visitor_id: str) -> Conversation:
    """Return the visitor's open conversation, creating visitor and conversation if needed."""
    with db.session() as session:
        if session.get(Visitor, visitor_id) is None:
            session.add(Visitor(id=visitor_id, shop_id=shop_id))
            try:
                session.flush()
            except IntegrityError:  # another tab created it first
                session.rollback()
        conversation = open_conversation(session, shop_id, visitor_id)
        if conversation is None:
            conversation = Conversation(shop_id=shop_id, visitor_id=visitor_id, status="ai")
            session.add(conversation)
            session.flush()
        return conversation


def append_message(
    db: Database,
    conversation_id: int,
    *,
    author: str,
    text: str,
    client_id: str | None = None,
    payload: dict[str, Any] | None = None,
    open_only: bool = False,
) -> Stored:
    """Store a message with the conversation's next seq.

    ``open_only``: refuse (:class:`ConversationClosed`) when the conversation
    is closed, checked in the same statement that takes the seq.
    """
    if author not in AUTHORS:
        raise ValueError(f"unknown author {author!r}")
    try:
        return _append(db, conversation_id, author, text, client_id, payload, open_only)
    except _AlreadyStored as dup:
        return Stored(dup.message, created=False, status=dup.status, shop_id=dup.shop_id)
    except IntegrityError:
        # Two writers raced on the same client_id; the loser rolled back its increment.
        existing = _by_client_id(db, conversation_id, client_id)
        if existing is None:
            raise
        return Stored(existing, created=False, status="ai", shop_id=0)


# The store path runs for every line of every shopper and, under gevent, its
# CPU holds the whole web process: it is written in SQLAlchemy Core with the
# statements built once (their compiled form is cached), not through the ORM.
_conversations = Conversation.__table__
_messages = Message.__table__
_BUMP = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("cid"))
    .values(last_seq=_conversations.c.last_seq + 1, updated_at=bindparam("now"))
    .returning(_conversations.c.last_seq, _conversations.c.status, _conversations.c.shop_id)
)
_BUMP_OPEN = _BUMP.where(_conversations.c.status != "closed")
_EXISTS = select(_conversations.c.id).where(_conversations.c.id == bindparam("cid"))
_BY_CLIENT_ID = select(_messages).where(
    _messages.c.conversation_id == bindparam("cid"), _messages.c.client_id == bindparam("client_id")
)
_INSERT = insert(_messages).returning(_messages.c.id)


def _append(
    db: Database,
    conversation_id: int,
    author: str,
    text: str,
    client_id: str | None,
    payload: dict[str, Any] | None,
    open_only: bool,
) -> Stored:
    now = utcnow()
    with db.engine.begin() as conn:  # commits on success; an exception rolls the increment back
        row = conn.execute(_BUMP_OPEN if open_only else _BUMP, {"cid": conversation_id, "now": now}).one_or_none()
        if row is None:
            if open_only and conn.execute(_EXISTS, {"cid": conversation_id}).first() is not None:
                raise ConversationClosed(f"conversation {conversation_id} is closed")
            raise NotFound(f"conversation {conversation_id} does not exist")
        seq, status, shop_id = row
        if client_id is not None:
            existing = _find(conn, conversation_id, client_id)
            if existing is not None:
                raise _AlreadyStored(existing, status, shop_id)
        values = {"conversation_id": conversation_id, "seq": seq, "client_id": client_id, "author": author,
                  "text": text, "payload": payload or {}, "created_at": now}
        message_id = conn.execute(_INSERT, values).scalar_one()
    return Stored(Message(id=message_id, **values), created=True, status=status, shop_id=shop_id)


def _find(conn: Connection, conversation_id: int, client_id: str) -> Message | None:
    row = conn.execute(_BY_CLIENT_ID, {"cid": conversation_id, "client_id": client_id}).one_or_none()
    return None if row is None else Message(**row._mapping)


def _by_client_id(db: Database, conversation_id: int, client_id: str | None) -> Message | None:
    if client_id is None:
        return None
    with db.engine.connect() as conn:
        return _find(conn, conversation_id, client_id)


def messages_after(
    session: Session, conversation_id: int, after_seq: int, limit: int = 500
) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(limit)
        )
    )


def message_frame(message: Message) -> dict[str, Any]:
    """The ``message`` frame of the real-time protocol (docs/protocol.md)."""
    payload = message.payload or {}
    frame: dict[str, Any] = {
        "type": "message",
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "author": message.author,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }
    if message.author == "visitor" and message.client_id:
        frame["client_id"] = message.client_id
    if message.author == "assistant" and message.client_id and message.client_id.startswith("reply:"):
        # Which shopper line this answers: replaces the ``delta`` frames for it.
        frame["reply_to"] = int(message.client_id.split(":", 1)[1])
    if message.author == "agent" and payload.get("agent_name"):
        frame["agent_name"] = payload["agent_name"]
    if message.author == "system" and payload.get("status"):
        frame["status"] = payload["status"]
    for key in ("cards", "quick_replies"):
        if payload.get(key):
            frame[key] = payload[key]
    return frame
