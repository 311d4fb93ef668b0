"""The inbox's conversation lists: views, search, keyset pages, unread counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from core.db import Agent, Conversation, ConversationRead, Message, Visitor
from core.errors import BadInput

#: view -> which conversations it shows (``mine`` also needs the agent).
VIEWS = ("open", "assistant", "waiting", "mine", "unassigned", "closed", "all")
PAGE = 50
_ORDER = re.compile(r"^#?\d{3,12}$")


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after this (updated_at, id), newest first."""

    updated_at: datetime
    conversation_id: int

    def encode(self) -> str:
        return f"{self.updated_at.isoformat()}~{self.conversation_id}"

    @staticmethod
    def decode(value: str) -> Cursor:
        stamp, _, ident = value.partition("~")
        try:
            parsed = datetime.fromisoformat(stamp)
            conversation_id = int(ident)
        except ValueError:
            raise BadInput("the page cursor is not valid") from None
        if parsed.tzinfo is None or conversation_id < 1:
            raise BadInput("the page cursor is not valid")
        return Cursor(parsed, conversation_id)


def _view(query: Select[*tuple[Any, ...]], view: str, agent_id: int) -> Select[*tuple[Any, ...]]:
    status = Conversation.status
    if view == "open":
        return query.where(status != "closed")
    if view == "assistant":
        return query.where(status == "ai")
    if view == "waiting":
        return query.where(status == "waiting_human")
    if view == "mine":
        return query.where(status == "human", Conversation.agent_id == agent_id)
    if view == "unassigned":
        return query.where(status.in_(("ai", "waiting_human")))
    if view == "closed":
        return query.where(status == "closed")
    return query


def _search(query: Select[*tuple[Any, ...]], text: str) -> Select[*tuple[Any, ...]]:
    """An email, an order number, or any words from the transcript."""
    text = text.strip()
    if not text:
        return query
    if len(text) > 200:
        raise BadInput("the search is too long (200 characters at most)")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    in_messages = exists().where(
        Message.conversation_id == Conversation.id,
        func.lower(Message.text).like(f"%{escaped.lower()}%", escape="\\"),
    )
    if "@" in text:
        return query.where(or_(func.lower(Visitor.email).like(f"%{escaped.lower()}%", escape="\\"), in_messages))
    if _ORDER.match(text):
        number = text.lstrip("#")
        return query.where(exists().where(Message.conversation_id == Conversation.id, Message.text.like(f"%{number}%")))
    return query.where(in_messages)


def list_conversations(
    session: Session,
    shop_id: int,
    agent_id: int,
    *,
    view: str = "open",
    search: str = "",
    after: str | None = None,
    limit: int = PAGE,
) -> dict[str, Any]:
    """One page of a view, newest activity first, with each row's last line and unread count."""
    if view not in VIEWS:
        raise BadInput(f"unknown view {view!r}; one of {', '.join(VIEWS)}")
    limit = max(1, min(limit, 200))
    last = aliased(Message)
    owner = aliased(Agent)
    query: Select[*tuple[Any, ...]] = (
        select(
            Conversation,
            Visitor.email,
            owner.name,
            last.author,
            last.text,
            func.coalesce(ConversationRead.read_seq, literal(0)),
        )
        .join(Visitor, Visitor.id == Conversation.visitor_id)
        .outerjoin(owner, owner.id == Conversation.agent_id)
        .outerjoin(last, and_(last.conversation_id == Conversation.id, last.seq == Conversation.last_seq))
        .outerjoin(
            ConversationRead,
            and_(ConversationRead.conversation_id == Conversation.id, ConversationRead.agent_id == agent_id),
        )
        .where(Conversation.shop_id == shop_id)
    )
    query = _search(_view(query, view, agent_id), search)
    if after:
        cursor = Cursor.decode(after)
        query = query.where(
            or_(
                Conversation.updated_at < cursor.updated_at,
                and_(Conversation.updated_at == cursor.updated_at, Conversation.id < cursor.conversation_id),
            )
        )
    rows = session.execute(
        query.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        row_dict(c, email, owner_name, author, text, read_seq) for c, email, owner_name, author, text, read_seq in rows
    ]
    next_cursor = Cursor(rows[-1][0].updated_at, rows[-1][0].id).encode() if more and rows else None
    return {"view": view, "search": search, "conversations": items, "next": next_cursor}


def row_dict(
    conversation: Conversation,
    email: str | None,
    owner_name: str | None,
    author: str | None,
    text: str | None,
    read_seq: int,
) -> dict[str, Any]:
    return {
        "conversation_id": conversation.id,
        "status": conversation.status,
        "agent_id": conversation.agent_id,
        "agent_name": owner_name,
        "visitor_id": conversation.visitor_id,
        "visitor_email": email,
        "last_seq": conversation.last_seq,
        "unread": max(0, conversation.last_seq - (read_seq or 0)),
        "last_author": author,
        "last_text": (text or "")[:160],
        "updated_at": conversation.updated_at.isoformat(),
        "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
    }


def counts(session: Session, shop_id: int, agent_id: int) -> dict[str, int]:
    """How many conversations each open view holds (the inbox's tabs)."""
    rows = session.execute(
        select(Conversation.status, (Conversation.agent_id == agent_id).label("mine"), func.count())
        .where(Conversation.shop_id == shop_id, Conversation.status != "closed")
        .group_by(Conversation.status, "mine")
    ).all()
    result = {"open": 0, "assistant": 0, "waiting": 0, "mine": 0, "unassigned": 0}
    for status, mine, n in rows:
        result["open"] += n
        if status == "ai":
            result["assistant"] += n
            result["unassigned"] += n
        elif status == "waiting_human":
            result["waiting"] += n
            result["unassigned"] += n
        elif status == "human" and mine:
            result["mine"] += n
    return result
