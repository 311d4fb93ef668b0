"""Conversations and messages: the database is the source of truth.

Every message gets the next sequence number of its conversation when it is
stored. Numbers are gap-free and strictly increasing even with writers in
several processes: the counter lives on the conversation row, and the
increment is the first statement of the storing transaction, so writers
queue on that row (PostgreSQL) or on the database write lock (SQLite). A
retry with the same ``client_id`` takes no number and returns the message
already stored. On PostgreSQL the increment and the insert are one
statement in autocommit: one round trip a message (``_one_statement``).

``client_id`` is unique per conversation, and the server names its own
messages there too (an answer is ``reply:<seq>``, an agent's line
``agent:<id>:<its id>``), so a shopper's id is stored in a namespace of its
own (``v:<id>``): no id a shopper picks can stand for a server's message.
Frames show the shopper's id as it was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, insert, select, true, update
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import metrics
from core.db import Conversation, Database, Message, Visitor, sqlite_write
from core.db.compiled import Statements, autocommit
from core.db.models import utcnow
from core.errors import NotFound, StoreChatError

AUTHORS = ("visitor", "assistant", "agent", "system")
#: Stored in front of a shopper's ``client_id`` (module docstring).
VISITOR_ID_PREFIX = "v:"


@dataclass(frozen=True)
class Stored:
    message: Message
    #: False when ``client_id`` had been seen: nothing new was stored.
    created: bool
    #: The conversation's owner state when the message was stored.
    status: str = "ai"
    shop_id: int = 0

    @cached_property
    def frame(self) -> dict[str, Any]:
        """The message's ``message`` frame, built once for the sender and the bus."""
        return message_frame(self.message)


class ConversationClosed(StoreChatError):
    code = "conversation_closed"


class _AlreadyStored(Exception):
    def __init__(self, status: str, shop_id: int) -> None:
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
    if author == "visitor" and client_id is not None:
        client_id = VISITOR_ID_PREFIX + client_id
    try:
        stored = _append(db, conversation_id, author, text, client_id, payload, open_only)
    except _AlreadyStored as dup:
        # Stored before (or by a writer that raced this one): that message, nothing new.
        existing = _by_client_id(db, conversation_id, client_id)
        if existing is None:  # pragma: no cover - a conflict means the row exists
            raise RuntimeError(f"message {client_id!r} conflicted but cannot be read") from None
        return Stored(existing, created=False, status=dup.status, shop_id=dup.shop_id)
    if stored.created:
        metrics.message_stored(author)  # the only cost the message path pays: one counter increment
    return stored


# The store path runs for every line of every shopper and, under gevent, its
# CPU holds the whole web process: its statements are built with SQLAlchemy,
# compiled once per dialect and run on the DB-API cursor (core/db/compiled.py).
_conversations = cast(Table, Conversation.__table__)
_messages = cast(Table, Message.__table__)
_BUMP = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("cid"))
    .values(last_seq=_conversations.c.last_seq + 1, updated_at=bindparam("now", type_=_conversations.c.updated_at.type))
    .returning(_conversations.c.last_seq, _conversations.c.status, _conversations.c.shop_id)
)
_MESSAGE_VALUES = ("conversation_id", "seq", "client_id", "author", "text", "payload", "created_at")


def _insert(dialect: Dialect) -> Any:
    """INSERT that stores nothing (and returns no row) when the ``client_id`` was seen:
    a retry costs no lookup before every insert, and raises nothing."""
    builds: dict[str, Callable[[Table], PostgresqlInsert | SqliteInsert]] = {
        "sqlite": sqlite_insert,
        "postgresql": postgresql_insert,
    }
    build = builds[dialect.name]
    return (
        build(_messages)
        .values({column: bindparam(column) for column in _MESSAGE_VALUES})
        .on_conflict_do_nothing(index_elements=[_messages.c.conversation_id, _messages.c.client_id])
        .returning(_messages.c.id)
    )


_STORE = Statements(
    bump=_BUMP,
    bump_open=_BUMP.where(_conversations.c.status != "closed"),
    exists=select(_conversations.c.id).where(_conversations.c.id == bindparam("cid")),
    insert=_insert,
)
_BY_CLIENT_ID = select(Message).where(
    Message.conversation_id == bindparam("cid"), Message.client_id == bindparam("client_id")
)


def _append(
    db: Database,
    conversation_id: int,
    author: str,
    text: str,
    client_id: str | None,
    payload: dict[str, Any] | None,
    open_only: bool,
) -> Stored:
    if db.dialect == "postgresql":
        return _append_in_one_statement(db, conversation_id, author, text, client_id, payload, open_only)
    now = utcnow()
    engine = db.store_engine
    sql = _STORE.for_engine(engine)
    values = {
        "conversation_id": conversation_id,
        "client_id": client_id,
        "author": author,
        "text": text,
        "payload": payload or {},
        "created_at": now,
    }

    def store(cursor: Any) -> tuple[int, int, str, int]:
        bump = sql["bump_open" if open_only else "bump"]
        row = bump.execute(cursor, {"cid": conversation_id, "now": now}).fetchone()
        if row is None:
            if open_only and sql["exists"].execute(cursor, {"cid": conversation_id}).fetchone() is not None:
                raise ConversationClosed(f"conversation {conversation_id} is closed")
            raise NotFound(f"conversation {conversation_id} does not exist")
        seq, status, shop_id = row
        inserted = sql["insert"].execute(cursor, {**values, "seq": seq}).fetchone()
        if inserted is None:
            # Seen before: the increment is rolled back and the stored message returned.
            raise _AlreadyStored(status, shop_id)
        return inserted[0], seq, status, shop_id

    # One transaction (an exception rolls the increment back), never waiting for
    # another process's write lock on the event loop (core/db/sqlite_write.py).
    message_id, seq, status, shop_id = sqlite_write.write(engine, store)
    return Stored(Message(id=message_id, seq=seq, **values), created=True, status=status, shop_id=shop_id)


# PostgreSQL: one statement, one round trip, in autocommit (its own transaction).
# Its UPDATE takes the conversation's counter, unless the client_id is stored
# already, and holds the row until the statement commits, so writers queue on
# it as before; the INSERT reads the new seq from the UPDATE's RETURNING. A
# writer racing another with the same client_id passes the NOT EXISTS (it reads
# the snapshot from before the other committed) and its INSERT then violates
# the unique constraint, which undoes the whole statement, increment included.
# (``ON CONFLICT DO NOTHING`` there would keep the increment: a gap.)
def _one_statement(open_only: bool) -> Any:
    seen = exists().where(
        _messages.c.conversation_id == bindparam("cid"), _messages.c.client_id == bindparam("client_id")
    )
    bump = _BUMP.where(~seen)
    if open_only:
        bump = bump.where(_conversations.c.status != "closed")
    taken = bump.cte("taken")
    row = select(
        bindparam("cid", type_=_messages.c.conversation_id.type),
        taken.c.last_seq,
        *(bindparam(column, type_=_messages.c[column].type) for column in _MESSAGE_VALUES[2:]),
    )
    stored = insert(_messages).from_select(list(_MESSAGE_VALUES), row).returning(_messages.c.id).cte("stored")
    return select(stored.c.id, taken.c.last_seq, taken.c.status, taken.c.shop_id).select_from(
        taken.join(stored, true())
    )


_ONE_STATEMENT = Statements(store=_one_statement(False), store_open=_one_statement(True))
_CONVERSATION = select(Conversation.status, Conversation.shop_id).where(Conversation.id == bindparam("cid"))


def _append_in_one_statement(
    db: Database,
    conversation_id: int,
    author: str,
    text: str,
    client_id: str | None,
    payload: dict[str, Any] | None,
    open_only: bool,
) -> Stored:
    now = utcnow()
    values = {
        "conversation_id": conversation_id,
        "client_id": client_id,
        "author": author,
        "text": text,
        "payload": payload or {},
        "created_at": now,
    }
    # A line with a client_id may be sent twice: it goes through the pool without a
    # pre-ping and, on a connection found dead, once more on a fresh one. A line
    # without one (a notice) is not safe to send twice: the pre-pinged pool, no retry.
    engine = db.store_engine if client_id is not None else db.engine
    store = _ONE_STATEMENT.for_engine(engine)["store_open" if open_only else "store"]
    try:
        row = autocommit(
            engine,
            lambda cursor: store.execute(cursor, {"cid": conversation_id, "now": now, **values}).fetchone(),
            retry=client_id is not None,
        )
    except engine.dialect.loaded_dbapi.IntegrityError:
        row = None  # a racing writer stored this client_id first (above); read below
    if row is not None:
        message_id, seq, status, shop_id = row
        return Stored(Message(id=message_id, seq=seq, **values), created=True, status=status, shop_id=shop_id)
    with db.session() as session:
        conversation = session.execute(_CONVERSATION, {"cid": conversation_id}).first()
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    if open_only and conversation.status == "closed":
        raise ConversationClosed(f"conversation {conversation_id} is closed")
    existing = _by_client_id(db, conversation_id, client_id)
    if existing is None:  # pragma: no cover - the statement stores unless one of the above
        raise RuntimeError(f"message {client_id!r} was neither stored nor found")
    # After a lost connection the stored line may be this call's own first attempt:
    # it carries this call's timestamp.
    return Stored(
        existing, created=existing.created_at == now, status=conversation.status, shop_id=conversation.shop_id
    )


def _by_client_id(db: Database, conversation_id: int, client_id: str | None) -> Message | None:
    if client_id is None:
        return None
    with db.session() as session:
        return session.scalar(_BY_CLIENT_ID, {"cid": conversation_id, "client_id": client_id})


def messages_after(session: Session, conversation_id: int, after_seq: int, limit: int = 500) -> list[Message]:
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
        # Lines stored before the namespace existed carry no prefix.
        frame["client_id"] = message.client_id.removeprefix(VISITOR_ID_PREFIX)
    if message.author == "assistant" and message.client_id and message.client_id.startswith("reply:"):
        # Which shopper line this answers: replaces the ``delta`` frames for it.
        frame["reply_to"] = int(message.client_id.split(":", 1)[1])
    if message.author == "agent" and payload.get("agent_name"):
        frame["agent_name"] = payload["agent_name"]
    if message.author == "system" and payload.get("status"):
        frame["status"] = payload["status"]
    if message.author == "assistant" and isinstance(payload.get("lang"), str):
        frame["lang"] = payload["lang"]  # the reply's language, for the widget's words
    for key in ("cards", "quick_replies"):
        if payload.get(key):
            frame[key] = payload[key]
    return frame
