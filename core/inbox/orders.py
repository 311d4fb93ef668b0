"""The orders a shopper named in a conversation, looked up live for the team
through the shop's connector: only for the shopper's own address or verified
customer id (the same rule as the assistant's lookups), never cached."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import shop_connectors
from core.assistant.tools.orders import order_dict
from core.db import Message, Shop, Visitor
from core.errors import StoreChatError
from core.inbox.conversation import owned_conversation

log = logging.getLogger(__name__)
#: "#1001", "order 1001": a number of 3 to 12 digits the shopper wrote.
_REFERENCE = re.compile(r"(?:#|\border\s*(?:no\.?|number|nr\.?)?\s*#?)(\d{3,12})\b", re.IGNORECASE)
#: The most recent distinct references looked up.
MAX_ORDERS = 3


def mentioned(texts: list[str]) -> list[str]:
    """Order references in the shopper's lines, newest first, each once."""
    found: list[str] = []
    for text in reversed(texts):
        for ref in reversed(_REFERENCE.findall(text)):
            if ref not in found:
                found.append(ref)
    return found[:MAX_ORDERS]


def shopper_orders(session: Session, shop_id: int, conversation_id: int) -> dict[str, Any]:
    conversation = owned_conversation(session, shop_id, conversation_id)
    visitor = session.get(Visitor, conversation.visitor_id)
    email = visitor.email if visitor else None
    customer_id = visitor.customer_ref if visitor else None
    texts = list(
        session.scalars(
            select(Message.text)
            .where(Message.conversation_id == conversation.id, Message.author == "visitor")
            .order_by(Message.seq)
        )
    )
    references = mentioned(texts)
    if not references:
        return {"orders": [], "looked_up": [], "status": "none_mentioned"}
    if not email and not customer_id:
        return {"orders": [], "looked_up": references, "status": "need_email"}
    shop = session.get_one(Shop, shop_id)
    try:
        connector = shop_connectors.in_session(session, shop)
        orders = [connector.find_order(ref, email=email, customer_id=customer_id) for ref in references]
    except StoreChatError as exc:
        log.warning("order lookup for the inbox failed for shop %s: %s", shop_id, exc)
        return {"orders": [], "looked_up": references, "status": "unavailable"}
    return {"orders": [order_dict(o) for o in orders if o is not None], "looked_up": references, "status": "ok"}
