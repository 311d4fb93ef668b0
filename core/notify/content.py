"""What each notification says: to the team when a shopper waits with nobody
online or leaves an address, and to a shopper the team answered by email."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.links import admin_url
from core.db import Conversation, Message, Shop, Visitor
from core.settings import Settings

#: Lines of the transcript an alert to the team quotes.
QUOTED = 8
AUTHORS = {"visitor": "Shopper", "assistant": "Assistant", "agent": "Team", "system": "—"}


def _line(message: Message, shop_name: str) -> str:
    who = message.payload.get("agent_name") if message.author == "agent" and message.payload else None
    label = who or (shop_name if message.author == "agent" else AUTHORS.get(message.author, message.author))
    return f"{label}: {message.text}"


def _transcript(
    session: Session, conversation_id: int, shop_name: str, *, last: int | None = None, shopper_view: bool = False
) -> str:
    query = select(Message).where(Message.conversation_id == conversation_id)
    if last:
        rows = list(reversed(session.scalars(query.order_by(Message.seq.desc()).limit(last)).all()))
    else:
        rows = list(session.scalars(query.order_by(Message.seq)))
    if shopper_view:
        rows = [m for m in rows if m.author != "system"]
    return "\n".join(_line(m, shop_name) for m in rows)


def team_alert(
    session: Session, settings: Settings, conversation: Conversation, kind: str, email: str | None = None
) -> dict[str, Any]:
    """Subject and text for the team (``kind``: waiting | contact)."""
    shop = session.get(Shop, conversation.shop_id)
    name = shop.name if shop else "your shop"
    visitor = session.get(Visitor, conversation.visitor_id)
    who = email or (visitor.email if visitor else None) or "A shopper"
    link = admin_url(settings, f"inbox/#c{conversation.id}")
    if kind == "waiting":
        subject = f"{who} is waiting for someone from {name}"
        opening = (
            f"{who} asked for a person in the chat of {name}, and no one from the team is online.\n"
            f"Answer in the inbox: {link}"
        )
    else:
        subject = f"{who} left their email address in the chat of {name}"
        opening = (
            f"{who} left their address to be answered later.\nReply in the inbox (it goes to them by email): {link}"
        )
    text = opening + "\n\nThe conversation so far:\n" + _transcript(session, conversation.id, name, last=QUOTED)
    return {"subject": subject, "text": text, "webhook_text": f"{subject}: {link}"}


def shopper_reply(session: Session, conversation: Conversation, upto_seq: int) -> dict[str, Any]:
    """The conversation as the shopper sees it, up to the team's newest reply."""
    shop = session.get(Shop, conversation.shop_id)
    name = shop.name if shop else "the shop"
    text = (
        f"{name} answered you in the chat. The conversation:\n\n"
        + _transcript(session, conversation.id, name, shopper_view=True)
        + (
            "\n\nTo answer, reply to this email or go back to the chat"
            + (f" at {shop.storefront_url}" if shop and shop.storefront_url else "")
            + "."
        )
    )
    return {"subject": f"{name} answered your question", "text": text, "upto_seq": upto_seq}
