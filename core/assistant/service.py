"""Answering a conversation: the assistant job's service.

Runs in a worker. Waits for nothing: if the shopper has already written again
since ``seq``, the job for that later line answers the whole burst instead.
The reply is stored with ``client_id = "reply:<seq>"``, so a retried job can
never answer the same line twice.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from core.assistant.engine import Turn, resolve_engine
from core.assistant.tools import Tools
from core.chat import messages
from core.db import Conversation, Message, Shop
from core.services import Services

log = logging.getLogger(__name__)
HISTORY = 20


def answer(svc: Services, conversation_id: int, seq: int) -> None:
    with svc.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.status != "ai":
            return
        recent = list(
            session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq.desc())
                .limit(HISTORY)
            )
        )[::-1]
        if any(m.author == "visitor" and m.seq > seq for m in recent):
            return  # a later line of the shopper's gets its own (single) answer
        burst: list[str] = []
        for m in reversed(recent):
            if m.author != "visitor":
                break
            burst.append(m.text)
        if not burst:
            return
        shop = session.get(Shop, conversation.shop_id)
        assert shop is not None
        turn = Turn(
            shop=shop,
            conversation_id=conversation_id,
            text="\n".join(reversed(burst)),
            history=[(m.author, m.text) for m in recent[: len(recent) - len(burst)]],
        )
        tools = Tools(session, shop)
        reply = resolve_engine(shop).reply(turn, tools)
    stored = messages.append_message(
        svc.db,
        conversation_id,
        author="assistant",
        text=reply.text,
        client_id=f"reply:{seq}",
        payload=reply.payload(),
    )
    if stored.created:
        svc.bus.publish(stored.shop_id, messages.message_frame(stored.message))
