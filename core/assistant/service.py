"""Answering a conversation: the assistant job's service.

Runs in a worker. It reads what the engine needs, gives the database
connection back while an engine that waits works (an LLM call takes seconds,
and a held PostgreSQL connection would sit idle in a transaction meanwhile;
the built-in engine's reads stay in the job's transaction), and stores the
reply in a transaction of its own. If the shopper has written
again since ``seq``, the job for that later line answers the whole burst
instead. Every reply passes the grounding guard before it is stored; it is
stored with ``client_id = "reply:<seq>"``, so a retried job can never answer
the same line twice. A reply that hands off moves the conversation to
waiting for a human.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import metrics
from core.assistant import after_hours, guard, handoff_rules
from core.assistant.builtin import BuiltinEngine
from core.assistant.builtin.language import supported
from core.assistant.builtin.templates import Templates, quick
from core.assistant.engine import Reply, Turn, resolve_engine
from core.assistant.tools import Tools, orders
from core.chat import messages, ownership
from core.db import Conversation, Event, Message, Shop, Visitor
from core.db.models import utcnow
from core.security.rate_limit import Attempts
from core.services import Services

log = logging.getLogger(__name__)
HISTORY = 20


def answer(svc: Services, conversation_id: int, seq: int) -> None:
    started = time.perf_counter()
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
        burst: list[str] = []
        for m in reversed(recent):
            if m.author != "visitor":
                break
            burst.append(m.text)
        if not burst:
            return
        newest = recent[-1].seq
        if newest > seq:
            # A later line of the shopper's normally gets its own (single) answer. But a
            # shopper who keeps typing past the longest hold still deserves one: then this
            # job answers the whole burst, under the newest line (its job finds it answered).
            first = recent[len(recent) - len(burst)]
            if utcnow() - first.created_at < timedelta(seconds=svc.settings.assistant_max_hold):
                return
            seq = newest
        if any(m.author == "assistant" and m.client_id == f"reply:{seq}" for m in recent):
            return  # answered already
        earlier = recent[: len(recent) - len(burst)]
        shop = session.get(Shop, conversation.shop_id)
        visitor = session.get(Visitor, conversation.visitor_id)
        assert shop is not None
        turn = Turn(
            shop=shop,
            conversation_id=conversation_id,
            text="\n".join(reversed(burst)),
            history=[(m.author, m.text) for m in earlier],
            context=_last_context(earlier),
            unanswered_streak=_unanswered_streak(earlier),
            stream=_streamer(svc, shop.id, conversation_id, seq),
        )
        # The burst's last line says which address the shopper writes from (core/chat/service.py).
        client = (recent[-1].payload or {}).get("client")
        guesses = orders.Guesses(Attempts(svc.redis, orders.BACKOFF), client if isinstance(client, str) else None)
        tools = Tools(
            session,
            shop,
            conversation_id,
            verified_customer_id=visitor.customer_ref if visitor else None,
            guesses=guesses,
            locale=_page_locale(visitor),
        )
        # The shop's handoff rules (a topic for a person, a complaint) hold whatever its engine: the
        # built-in engine's rules answer those lines and hand them over.
        engine = BuiltinEngine() if handoff_rules.rules_answer(shop, turn.text) else resolve_engine(shop)
        if engine.waits:
            # All read: the connection goes back to the pool while the engine works (a model may think for
            # seconds); each tool call takes one for its own reads and returns it.
            tools.release = True
            session.commit()
        # Otherwise the engine does nothing between its tool calls but compute (a few ms): their reads
        # stay in this transaction, which has written nothing yet. Giving the connection back after each
        # tool call cost a pool check-out (a ping), BEGIN, COMMIT and a reload of the shop per call.
        reply = engine.reply(turn, tools)
        tripped = guard.ungrounded(reply.text, tools.calls, turn.text, reply.language or "en")
        if tripped:
            metrics.GUARD_TRIPS.inc()
            log.warning("grounding guard tripped in conversation %s: %s", conversation_id, tripped)
            session.add(
                Event(
                    shop_id=shop.id,
                    conversation_id=conversation_id,
                    kind="guard_trip",
                    data={"ungrounded": tripped, "text": reply.text[:2000], "engine": reply.engine},
                )
            )
            said = Templates(shop.settings, reply.language or "en", supported(shop.locale) or "en")
            reply = Reply(
                said.render("guard_safe"),
                quick_replies=quick("human", reply.language or "en"),
                intent=reply.intent,
                context=reply.context,
                usage=reply.usage,
                engine=reply.engine,
                handoff=reply.handoff,
                language=reply.language,
            )
        handoff = reply.handoff or tools.handoff_reason
        if handoff:  # outside business hours the reply names when the team is back, whatever the engine wrote
            reply.text = after_hours.said(reply.text, tools.calls)
        payload = _payload(reply, tools, tripped, time.perf_counter() - started)
        # Analytics rides on the reply's own transaction: no round trip of its own.
        session.add(
            Event(
                shop_id=shop.id,
                conversation_id=conversation_id,
                kind="assistant_reply",
                data={
                    "intent": reply.intent,
                    "engine": reply.engine,
                    "ms": payload["ms"],
                    "usage": reply.usage,
                    "handoff": bool(handoff),
                    "grounded": not tripped,
                    "answered": payload["answered"],
                },
            )
        )
        if not payload["answered"]:  # a content gap: what the shop's pages could have answered
            session.add(
                Event(
                    shop_id=shop.id,
                    conversation_id=conversation_id,
                    kind="content_gap",
                    data={"text": turn.text[:500], "intent": reply.intent, "refused": bool(tripped)},
                )
            )
    stored = messages.append_message(
        svc.db, conversation_id, author="assistant", text=reply.text, client_id=f"reply:{seq}", payload=payload
    )
    if not stored.created:
        return
    metrics.ASSISTANT_REPLY_SECONDS.labels(reply.engine or "unknown").observe(time.perf_counter() - started)
    svc.bus.publish(stored.shop_id, stored.frame)
    if handoff:
        _hand_off(svc, conversation_id, handoff)


def _payload(reply: Reply, tools: Tools, tripped: list[str], seconds: float) -> dict[str, Any]:
    return {
        "cards": reply.cards,
        "quick_replies": reply.quick_replies,
        "tool_calls": tools.calls,
        "intent": reply.intent,
        "context": reply.context,
        "engine": reply.engine,
        "usage": reply.usage,
        "guard": {"ungrounded": tripped} if tripped else None,
        "answered": bool(reply.cards) or reply.intent not in (None, "unknown", "out_of_scope") and not tripped,
        "lang": reply.language,
        "ms": round(seconds * 1000, 1),
    }


def _page_locale(visitor: Visitor | None) -> str | None:
    """The language of the shopper's page, when the widget told it (``Visitor.context``)."""
    locale = ((visitor.context if visitor else None) or {}).get("locale")
    return locale if isinstance(locale, str) else None


def _last_context(earlier: list[Message]) -> dict[str, Any]:
    for m in reversed(earlier):
        if m.author == "assistant":
            return dict((m.payload or {}).get("context") or {})
    return {}


def _unanswered_streak(earlier: list[Message]) -> int:
    streak = 0
    for m in reversed(earlier):
        if m.author != "assistant":
            continue
        if (m.payload or {}).get("answered", True):
            break
        streak += 1
    return streak


def _streamer(svc: Services, shop_id: int, conversation_id: int, seq: int):  # type: ignore[no-untyped-def]
    """Publishes partial text as ``delta`` frames; the stored message replaces it."""

    def send(text: str) -> None:
        try:
            svc.bus.publish(
                shop_id, {"type": "delta", "conversation_id": conversation_id, "reply_to": seq, "text": text}
            )
        except Exception:  # noqa: BLE001 - streaming is a nicety; the final message is what counts
            log.debug("could not publish a delta", exc_info=True)

    return send


def _hand_off(svc: Services, conversation_id: int, reason: str) -> None:
    try:
        change = ownership.apply(svc.db, conversation_id, "handoff")
    except ownership.TransitionRefused:
        return  # someone took it meanwhile
    with svc.db.session() as session:
        session.add(
            Event(shop_id=change.shop_id, conversation_id=conversation_id, kind="handoff", data={"reason": reason})
        )
    svc.chat.announce_change(change)
