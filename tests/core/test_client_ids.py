"""A shopper's ``client_id`` lives in a namespace of its own: it can never take
the place of an id the server gives its own messages (``reply:<seq>``)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from core.assistant import service as assistant
from core.chat import messages
from core.db import Message
from core.services import Services


@pytest.fixture
def svc(settings, db, redis) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    services = Services(settings)
    yield services
    services.close()


def _authors(db, conversation_id: int) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        rows = session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                               .order_by(Message.seq))
        return [(m.author, messages.message_frame(m).get("reply_to")) for m in rows]


@pytest.mark.parametrize("client_id", ["reply:1", "reply:2"])
def test_a_client_id_shaped_like_a_reply_id_still_gets_the_answer(svc, shop, client_id: str) -> None:  # type: ignore[no-untyped-def]
    chat = svc.chat
    ctx = chat.visitor_hello(shop.site_key, None, None)
    first = chat.visitor_message(ctx, client_id, "hello", "203.0.113.7")
    assert first.created and first.message.seq == 1
    assistant.answer(svc, ctx.conversation_id, 1)
    assert _authors(svc.db, ctx.conversation_id) == [("visitor", None), ("assistant", 1)]
    if client_id == "reply:2":
        # The line after the answer (seq 3) also gets its own answer, stored as reply:3.
        third = chat.visitor_message(ctx, "reply:3", "and shipping?", "203.0.113.7")
        assistant.answer(svc, ctx.conversation_id, third.message.seq)
        assert _authors(svc.db, ctx.conversation_id)[-1] == ("assistant", 3)


def test_the_client_sees_its_own_id_and_a_retry_is_still_stored_once(svc, shop) -> None:  # type: ignore[no-untyped-def]
    chat = svc.chat
    ctx = chat.visitor_hello(shop.site_key, None, None)
    stored = chat.visitor_message(ctx, "reply:1", "hello", "203.0.113.7")
    again = chat.visitor_message(ctx, "reply:1", "hello (retried)", "203.0.113.7")
    assert stored.created and not again.created and again.message.seq == stored.message.seq
    assert stored.frame["client_id"] == "reply:1" and again.frame["client_id"] == "reply:1"
    assert svc.chat.load_after(ctx.conversation_id, 0)[0]["client_id"] == "reply:1"
    # Stored apart from the ids the server gives its own messages.
    with svc.db.session() as session:
        assert session.scalar(select(Message.client_id).where(Message.conversation_id == ctx.conversation_id)) \
            != "reply:1"
