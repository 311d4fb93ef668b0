"""Planning notifications (one delivery row per place) and sending one.

Planning runs in a worker, so it sees who is online when it runs: the team
is emailed about a waiting shopper only if no one is there to see it, and a
shopper is emailed the team's answer only if they left the chat. Sending a
delivery raises on failure, so its RQ job tries again; after the last try
the row says ``failed`` with the reason.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from core.db import Conversation, Message, NotificationDelivery, Shop, Visitor
from core.db.models import utcnow
from core.errors import StoreChatError
from core.notify import content, mail, recipients, webhook
from core.services import Services

log = logging.getLogger(__name__)
#: Tries of one delivery, the first included (the job's retries are one fewer).
TRIES = 5


def plan_team_alert(svc: Services, conversation_id: int, kind: str, email: str | None = None) -> list[int]:
    """Deliveries telling the team about a conversation (``kind``: waiting | contact)."""
    with svc.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return []
        if kind == "waiting":
            if conversation.status != "waiting_human":
                return []  # someone took it (or it was handed back) before this ran
            if svc.presence.agents_online(conversation.shop_id):
                return []  # the inbox already shows it to whoever is online
        shop = session.get(Shop, conversation.shop_id)
        if shop is None or not shop.active:
            return []
        who = recipients.read(session, svc.settings, shop)
        text = content.team_alert(session, svc.settings, conversation, kind, email)
        rows = []
        if svc.settings.smtp_url:
            rows += [_row(conversation, kind, "email", address, text) for address in who.emails]
        if who.webhook_url:
            rows.append(
                _row(
                    conversation,
                    kind,
                    "webhook",
                    urlsplit(who.webhook_url).hostname or "?",
                    {"text": text["webhook_text"]},
                )
            )
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def plan_shopper_reply(svc: Services, conversation_id: int) -> list[int]:
    """An email of the team's answers to a shopper who left an address and the chat."""
    with svc.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or not svc.settings.smtp_url:
            return []
        visitor = session.get(Visitor, conversation.visitor_id)
        if visitor is None or not visitor.email:
            return []
        if svc.presence.visitor_online(conversation_id):
            return []  # they read it in the chat
        sent_upto = max(
            (
                r.content.get("upto_seq", 0)
                for r in session.scalars(
                    select(NotificationDelivery).where(
                        NotificationDelivery.conversation_id == conversation_id, NotificationDelivery.kind == "reply"
                    )
                )
            ),
            default=0,
        )
        newest = session.scalar(
            select(Message.seq)
            .where(Message.conversation_id == conversation_id, Message.author == "agent")
            .order_by(Message.seq.desc())
            .limit(1)
        )
        if newest is None or newest <= sent_upto:
            return []
        row = _row(conversation, "reply", "email", visitor.email, content.shopper_reply(session, conversation, newest))
        session.add(row)
        session.flush()
        return [row.id]


def _row(
    conversation: Conversation, kind: str, channel: str, target: str, body: dict[str, Any]
) -> NotificationDelivery:
    return NotificationDelivery(
        shop_id=conversation.shop_id,
        conversation_id=conversation.id,
        kind=kind,
        channel=channel,
        target=target,
        content=body,
    )


def deliver(svc: Services, delivery_id: int) -> None:
    """Send one delivery; raise (so the job is tried again) while tries remain."""
    with svc.db.session() as session:
        row = session.get(NotificationDelivery, delivery_id)
        if row is None or row.status != "pending":
            return
        row.attempts += 1
        attempt = row.attempts
        shop = session.get(Shop, row.shop_id)
        who = recipients.read(session, svc.settings, shop) if shop is not None else None
        channel, target, body = row.channel, row.target, dict(row.content)
    try:
        if channel == "email":
            reply_to = who.emails[0] if who and who.emails and body.get("upto_seq") else None
            mail.send(
                svc.settings.smtp_url,
                mail.build(svc.settings.mail_from, target, body["subject"], body["text"], reply_to=reply_to),
            )
        else:
            if who is None or not who.webhook_url:
                raise webhook.WebhookError("the shop no longer has a webhook")
            webhook.post(svc.settings, who.webhook_url, body["text"])
    except Exception as exc:  # noqa: BLE001 - recorded whatever it was; a bug must not leave the row pending
        reason = exc.message if isinstance(exc, StoreChatError) else f"could not send ({type(exc).__name__})"
        with svc.db.session() as session:
            row = session.get_one(NotificationDelivery, delivery_id)
            row.error = reason[:500]
            if attempt >= TRIES:
                row.status = "failed"
                row.content = {k: body[k] for k in ("subject", "upto_seq") if k in body}  # what it said goes too
        log.warning(
            "notification %s (%s to %s) failed, try %d of %d: %s", delivery_id, channel, target, attempt, TRIES, reason
        )
        if attempt < TRIES:
            raise
        return
    with svc.db.session() as session:
        row = session.get_one(NotificationDelivery, delivery_id)
        row.status, row.sent_at, row.error = "sent", utcnow(), None
        # What was said is not kept once sent (it quotes the shopper); what it covered is.
        row.content = {k: body[k] for k in ("subject", "upto_seq") if k in body}


__all__ = ["deliver", "plan_shopper_reply", "plan_team_alert"]
