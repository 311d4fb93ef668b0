"""The chat's operations, independent of transport (WebSocket or HTTP).

Every operation stores first, then announces: a message is acknowledged only
after it is in the database, and only then published to the shop's bus
channel and handed to the assistant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import redis as redis_lib
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import shop_connectors
from core.accounts.tickets import SocketTickets
from core.agents import authenticate
from core.chat import messages, ownership, team
from core.db import Agent, Conversation, Event, Shop, Visitor
from core.db.models import utcnow
from core.errors import NotFound, StoreChatError
from core.jobs import enqueue_assistant_reply
from core.notify import triggers as notify
from core.security import identity as signed_identity
from core.security.client_address import address_key
from core.security.rate_limit import client_tag
from core.security.tokens import VisitorTokens
from core.services import Services

log = logging.getLogger(__name__)


class _Unset:
    """No identity was given (not even ``None``): leave the visitor's as it is."""


UNSET = _Unset()
#: Told about a message as soon as it is stored (see ``visitor_message``).
OnStored = Callable[[messages.Stored], None]
#: Different contact addresses a shopper may leave in one conversation.
CONTACTS_PER_CONVERSATION = 3
#: Seconds between two typing frames of one writer in one conversation on the bus.
TYPING_EVERY = 2.0


class ChatError(StoreChatError):
    """A refusal a client can act on; ``fatal`` ones end the connection."""

    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message, code=code)
        self.fatal = fatal


@dataclass
class VisitorContext:
    shop_id: int
    visitor_id: str
    token: str
    conversation_id: int | None
    last_seq: int
    #: Who owns the conversation now, for the widget's header after a reload.
    status: str | None = None
    agent_name: str | None = None
    #: What the widget said of the visit (``hello``'s ``page`` and ``locale``), for the team.
    page: Any = None
    locale: str | None = None
    cart: Any = None
    #: ``hello``'s ``ab``: the A/B variants the widget shows (experiment id -> variant key).
    ab: dict[str, str] | None = None

    def welcome(self) -> dict[str, Any]:
        return {
            "type": "welcome",
            "token": self.token,
            "conversation_id": self.conversation_id,
            "last_seq": self.last_seq,
            "status": self.status,
            "agent_name": self.agent_name,
        }


class ChatService:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.db = svc.db
        self.settings = svc.settings
        self.tokens = VisitorTokens(svc.settings.secret_key or "", svc.settings.visitor_token_ttl)

    @cached_property
    def scheduler(self):  # type: ignore[no-untyped-def]
        from core.chat.reply_scheduler import ReplyScheduler

        return ReplyScheduler(
            lambda conversation_id, seq: enqueue_assistant_reply(self.svc.redis, conversation_id, seq),
            delay=self.settings.assistant_delay,
            max_hold=self.settings.assistant_max_hold,
        )

    # -- visitors -------------------------------------------------------------

    def visitor_hello(
        self,
        site_key: str,
        token: str | None,
        origin: str | None,
        identity: str | None | _Unset = UNSET,
        *,
        page: Any = None,
        locale: str | None = None,
        cart: Any = None,
        ab: dict[str, str] | None = None,
    ) -> VisitorContext:
        """Greet a visitor. A ``hello`` passes ``identity``: the store's signed word for
        which customer is logged in (``None``: nobody), kept on the visitor for
        order lookups; other HTTP calls leave it as it is."""
        with self.db.session() as session:
            shop = session.scalar(select(Shop).where(Shop.site_key == site_key, Shop.active))
            if shop is None:
                raise ChatError("unknown_site_key", "no shop has this site key", fatal=True)
            if shop.allowed_origins and normalize_origin(origin) not in {
                normalize_origin(o) for o in shop.allowed_origins
            }:
                raise ChatError("origin_not_allowed", "this page's origin may not open the chat", fatal=True)
            if token:
                try:
                    visitor = self.tokens.read(token, shop.id)
                except StoreChatError as exc:
                    raise ChatError(exc.code, exc.message, fatal=True) from None
            else:
                token, visitor = self.tokens.mint(shop.id)
            if not isinstance(identity, _Unset):
                self._verify_customer(session, shop.id, visitor.visitor_id, identity)
            conversation = messages.open_conversation(session, shop.id, visitor.visitor_id)
            agent = session.get(Agent, conversation.agent_id) if conversation and conversation.agent_id else None
            ctx = VisitorContext(
                shop_id=shop.id,
                visitor_id=visitor.visitor_id,
                token=token,
                conversation_id=conversation.id if conversation else None,
                last_seq=conversation.last_seq if conversation else 0,
                status=conversation.status if conversation else None,
                agent_name=agent.name if agent is not None else None,
                page=page,
                locale=locale,
                cart=cart,
                ab=ab,
            )
        if ctx.conversation_id is not None:  # after the session above: SQLite has one writer at a time
            team.remember_visit(self.svc, ctx.visitor_id, page, locale, cart, ab)
        return ctx

    def _verify_customer(self, session: Any, shop_id: int, visitor_id: str, identity: str | None) -> None:
        """Keep the verified customer id on the visitor; a missing or bad identity clears it,
        so a shared browser never keeps the previous shopper's orders reachable."""
        customer = None
        if identity:
            try:
                shop = session.get(Shop, shop_id)
                customer = signed_identity.customer_of(
                    identity,
                    secret_key=self.settings.secret_key or "",
                    shop_id=shop_id,
                    identity_secret=signed_identity.shop_identity_secret(
                        shop_connectors.open_config(self.settings, shop) if shop else None,
                        shop.settings if shop else None,
                    ),
                )
            except StoreChatError as exc:
                log.info("shopper identity refused for visitor %s: %s", visitor_id, exc)
        row = session.get(Visitor, visitor_id)
        if row is None and customer is not None:
            # A logged-in shopper who opens the chat: the row carries who they are.
            try:
                with session.begin_nested():
                    session.add(Visitor(id=visitor_id, shop_id=shop_id, customer_ref=customer))
                return
            except IntegrityError:  # another tab created it first
                row = session.get(Visitor, visitor_id)
        if row is not None and row.customer_ref != customer:
            row.customer_ref = customer
            session.flush()

    def check_text(self, text: str) -> str:
        text = text.strip()
        if not text:
            raise ChatError("empty_message", "the message is empty")
        if len(text) > self.settings.max_message_chars:
            raise ChatError("message_too_long", f"messages may be at most {self.settings.max_message_chars} characters")
        return text

    def check_rate(self, *buckets: tuple[str, float, int], what: str = "messages") -> None:
        try:
            decision = self.svc.limits.take_all(buckets)
        except redis_lib.RedisError:
            # Redis is away: the database still takes the message (it is the
            # source of truth); the limits hold again once Redis is back.
            log.warning("rate limits not enforced: Redis is unavailable")
            return
        if not decision.allowed:
            raise ChatError(
                "rate_limited",
                f"too many {what}; try again in {max(decision.retry_after, 0.1):.1f} s",
            )

    def visitor_buckets(self, ctx: VisitorContext, ip: str | None) -> list[tuple[str, float, int]]:
        """The buckets everything a shopper writes takes from: theirs, and their address's."""
        s = self.settings
        buckets = [(f"visitor:{ctx.visitor_id}", s.visitor_message_rate, s.visitor_message_burst)]
        if ip is not None:
            buckets.append((f"ip:{address_key(ip)}", s.ip_message_rate, s.ip_message_burst))
        return buckets

    def agent_bucket(self, agent: Agent) -> tuple[str, float, int]:
        """The bucket everything an agent writes (replies, notes) takes from."""
        return (f"agent:{agent.id}", self.settings.agent_message_rate, self.settings.agent_message_burst)

    def visitor_message(
        self, ctx: VisitorContext, client_id: str, text: str, ip: str, on_stored: OnStored | None = None
    ) -> messages.Stored:
        """Store a shopper's line (once per ``client_id``), announce it, schedule the reply.

        Starts a conversation on the first line. ``ctx.conversation_id`` is
        updated when a new conversation had to be started. ``on_stored`` runs
        as soon as the line is stored, before it is announced: the sender's
        ack does not wait for the bus.
        """
        text = self.check_text(text)
        self.check_rate(*self.visitor_buckets(ctx, ip))
        # Which address wrote it (opaque): the assistant's order lookups count failures by it.
        payload = {"client": client_tag(self.settings.secret_key or "", ip)}
        if ctx.conversation_id is None:
            ctx.conversation_id = messages.start_conversation(self.db, ctx.shop_id, ctx.visitor_id).id
            team.remember_visit(self.svc, ctx.visitor_id, ctx.page, ctx.locale, ctx.cart, ctx.ab)
        try:
            stored = messages.append_message(
                self.db,
                ctx.conversation_id,
                author="visitor",
                text=text,
                client_id=client_id,
                payload=payload,
                open_only=True,
            )
        except messages.ConversationClosed:
            # Writing again after a conversation was closed starts a new one.
            ctx.conversation_id = messages.start_conversation(self.db, ctx.shop_id, ctx.visitor_id).id
            ctx.last_seq = 0
            stored = messages.append_message(
                self.db, ctx.conversation_id, author="visitor", text=text, client_id=client_id, payload=payload
            )
        if on_stored is not None:
            on_stored(stored)
        if stored.created:
            self._announce(stored)
            if stored.status == "ai":
                self.scheduler.line_stored(ctx.conversation_id, stored.message.seq)
        return stored

    def visitor_asks_for_human(self, ctx: VisitorContext) -> None:
        if ctx.conversation_id is None:
            raise ChatError("no_conversation", "write a message first")
        try:
            change = ownership.apply(self.db, ctx.conversation_id, "handoff")
        except ownership.TransitionRefused:
            return  # a person has it already, or it is waiting for one
        self._event(ctx.shop_id, ctx.conversation_id, "handoff", {"reason": "shopper asked"})
        self.announce_change(change)

    def visitor_rates(
        self, ctx: VisitorContext, conversation_id: int, score: int, comment: str | None, ip: str | None = None
    ) -> None:
        """One rating per conversation: a new one replaces the one before.
        Takes from the shopper's buckets like a message (``ip``: their address)."""
        self.check_rate(*self.visitor_buckets(ctx, ip), what="requests")
        with self.db.session() as session:
            # The row lock queues two ratings of one conversation (PostgreSQL).
            conversation = session.get(Conversation, conversation_id, with_for_update=True)
            if conversation is None or conversation.visitor_id != ctx.visitor_id:
                raise ChatError("unknown_conversation", "you can only rate your own conversations")
            data = {"score": score, "comment": comment}
            rating = session.scalar(
                select(Event)
                .where(Event.conversation_id == conversation_id, Event.kind == "csat")
                .order_by(Event.id)
                .limit(1)
            )
            if rating is None:
                session.add(Event(shop_id=ctx.shop_id, conversation_id=conversation_id, kind="csat", data=data))
            else:
                rating.data, rating.created_at = data, utcnow()

    def visitor_leaves_contact(self, ctx: VisitorContext, email: str, ip: str | None = None) -> None:
        """Keep an address to answer later: at most ``CONTACTS_PER_CONVERSATION``
        different ones per conversation; the one already kept again changes nothing.
        Takes from the shopper's buckets like a message (``ip``: their address)."""
        self.check_rate(*self.visitor_buckets(ctx, ip), what="requests")
        if ctx.conversation_id is None:
            raise ChatError("no_conversation", "write a message first")
        email = email.strip()
        with self.db.session() as session:
            session.get(Conversation, ctx.conversation_id, with_for_update=True)
            visitor = session.get(Visitor, ctx.visitor_id)
            if visitor is None:
                visitor = Visitor(id=ctx.visitor_id, shop_id=ctx.shop_id)
                session.add(visitor)
            left = (
                session.scalar(
                    select(func.count())
                    .select_from(Event)
                    .where(Event.conversation_id == ctx.conversation_id, Event.kind == "contact_left")
                )
                or 0
            )
            if left and (visitor.email or "").lower() == email.lower():
                return  # kept already
            if left >= CONTACTS_PER_CONVERSATION:
                raise ChatError(
                    "contact_limit",
                    f"at most {CONTACTS_PER_CONVERSATION} contact addresses per conversation: this one was not saved",
                )
            visitor.email = email
            session.add(Event(shop_id=ctx.shop_id, conversation_id=ctx.conversation_id, kind="contact_left", data={}))
        notify.contact_left(self.svc, ctx.conversation_id, email)

    def _event(self, shop_id: int, conversation_id: int | None, kind: str, data: dict[str, Any]) -> None:
        with self.db.session() as session:
            session.add(Event(shop_id=shop_id, conversation_id=conversation_id, kind=kind, data=data))

    def visitor_typing(self, ctx: VisitorContext) -> None:
        if ctx.conversation_id is not None:
            self.scheduler.typing(ctx.conversation_id)
            if self._typing_due(f"v:{ctx.conversation_id}"):
                self._publish(ctx.shop_id, team.typing_frame(ctx.conversation_id, author="visitor"))

    def _typing_due(self, who: str) -> bool:
        """At most one typing frame per writer and conversation every TYPING_EVERY seconds
        reaches the bus, however many a client sends (every agent socket of the shop gets it)."""
        try:
            return bool(self.svc.redis.set(f"sc:typing:{who}", 1, nx=True, px=int(TYPING_EVERY * 1000)))
        except redis_lib.RedisError:
            return False  # a nicety: without Redis no one is told

    # -- agents ---------------------------------------------------------------

    def agent_hello(self, credential: str | None = None, ticket: str | None = None) -> Agent:
        """The agent behind a CLI ``credential`` or a signed-in user's ``ticket``."""
        try:
            if ticket is not None:
                return SocketTickets(self.settings.secret_key or "").read(self.db, ticket)[1]
            return authenticate(self.db, credential or "")
        except StoreChatError as exc:
            raise ChatError(exc.code, exc.message, fatal=True) from None

    def open_conversations(self, shop_id: int, limit: int = 200) -> list[dict[str, Any]]:
        with self.db.session() as session:
            rows = session.scalars(
                select(Conversation)
                .where(Conversation.shop_id == shop_id, Conversation.status != "closed")
                .order_by(Conversation.updated_at.desc())
                .limit(limit)
            )
            return [conversation_frame(c) for c in rows]

    def agent_conversation(self, agent: Agent, conversation_id: int) -> Conversation:
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.shop_id != agent.shop_id:
                raise ChatError("unknown_conversation", f"no conversation {conversation_id} in this shop")
            return conversation

    def agent_message(
        self, agent: Agent, conversation_id: int, client_id: str, text: str, on_stored: OnStored | None = None
    ) -> messages.Stored:
        """An agent's reply. Replying to a conversation the assistant owns takes it over.
        ``on_stored``: as for :meth:`visitor_message`."""
        text = self.check_text(text)
        self.check_rate(self.agent_bucket(agent))
        conversation = self.agent_conversation(agent, conversation_id)
        if conversation.status == "closed":
            raise ChatError("conversation_closed", "this conversation is closed")
        if conversation.status == "human" and conversation.agent_id not in (None, agent.id):
            raise ChatError(
                "not_owner",
                f"{self._agent_name(conversation.agent_id)} has this conversation; assign it to yourself to reply",
            )
        if conversation.status in ("ai", "waiting_human"):
            self.agent_action(agent, conversation_id, "take")
        stored = messages.append_message(
            self.db,
            conversation_id,
            author="agent",
            text=text,
            client_id=f"agent:{agent.id}:{client_id}",
            payload={"agent_id": agent.id, "agent_name": agent.name},
        )
        if on_stored is not None:
            on_stored(stored)
        if stored.created:
            self._announce(stored)
            notify.team_replied(self.svc, conversation_id)
        return stored

    def _agent_name(self, agent_id: int) -> str:
        with self.db.session() as session:
            owner = session.get(Agent, agent_id)
            return owner.name if owner is not None else "Someone"

    def agent_note(self, agent: Agent, conversation_id: int, text: str) -> dict[str, Any]:
        """An internal note: stored, then shown to the shop's agents only. Takes from the
        agent's message bucket like a reply."""
        self.check_rate(self.agent_bucket(agent))
        try:
            frame = team.add_note(self.svc, agent, conversation_id, text)
        except team.TeamError as exc:
            raise ChatError(exc.code, exc.message) from None
        self._publish(agent.shop_id, frame)
        return frame

    def agent_typing(self, agent: Agent, conversation_id: int) -> None:
        self.agent_conversation(agent, conversation_id)
        if self._typing_due(f"a{agent.id}:{conversation_id}"):
            self._publish(agent.shop_id, team.typing_frame(conversation_id, author="agent", agent=agent))

    def agent_read(self, agent: Agent, conversation_id: int, seq: int) -> None:
        try:
            read_seq = team.mark_read(self.svc, agent, conversation_id, seq)
        except team.TeamError as exc:
            raise ChatError(exc.code, exc.message) from None
        # The agent's other tabs and devices clear their unread counts too.
        self._publish(
            agent.shop_id, {"type": "read", "conversation_id": conversation_id, "agent_id": agent.id, "seq": read_seq}
        )

    def agent_action(
        self, agent: Agent, conversation_id: int, action: str, assignee_id: int | None = None
    ) -> ownership.Change:
        self.agent_conversation(agent, conversation_id)
        assignee = None
        if action == "assign":
            with self.db.session() as session:
                assignee = session.get(Agent, assignee_id) if assignee_id else None
        try:
            change = ownership.apply(self.db, conversation_id, action, agent=agent, assignee=assignee)
        except ownership.TransitionRefused as exc:
            raise ChatError(exc.code, exc.message) from None
        except NotFound as exc:
            raise ChatError("unknown_conversation", exc.message) from None
        if change.changed:
            self.announce_change(change)
        return change

    # -- announcing -----------------------------------------------------------

    def announce_change(self, change: ownership.Change) -> None:
        stored = messages.append_message(
            self.db, change.conversation_id, author="system", text=change.notice, payload={"status": change.after}
        )
        self._announce(stored)
        self._publish(
            change.shop_id,
            {
                "type": "conversation",
                "conversation_id": change.conversation_id,
                "status": change.after,
                "agent_id": change.agent_id,
                # The owner's name while a human owns it; ``by``: whoever made the change.
                "agent_name": change.agent_name if change.after == "human" else None,
                "by": change.by_name,
                "waiting_since": change.waiting_since,
            },
        )
        if change.after == "waiting_human":
            notify.shopper_waiting(self.svc, change.conversation_id)

    def announce_presence(self, shop_id: int, *, conversation_id: int | None = None) -> None:
        """Tell the shop's agents who is online now."""
        presence = self.svc.presence
        if conversation_id is None:
            frame: dict[str, Any] = {"type": "presence", "agents_online": presence.agents_online(shop_id)}
        else:
            frame = {
                "type": "presence",
                "conversation_id": conversation_id,
                "visitor_online": presence.visitor_online(conversation_id),
            }
        self._publish(shop_id, frame)

    def _announce(self, stored: messages.Stored) -> None:
        self._publish(stored.shop_id, stored.frame)

    def _publish(self, shop_id: int, frame: dict[str, Any]) -> None:
        try:
            self.svc.bus.publish(shop_id, frame)
        except Exception:  # noqa: BLE001 - stored already; subscribers catch up from the database
            log.exception("could not publish to shop %s", shop_id)

    def load_after(self, conversation_id: int, after_seq: int, limit: int = 500) -> list[dict[str, Any]]:
        """Message frames after ``after_seq``, oldest first, at most ``limit`` of them."""
        with self.db.session() as session:
            return [
                messages.message_frame(m)
                for m in messages.messages_after(session, conversation_id, after_seq, limit=limit)
            ]


def conversation_frame(conversation: Conversation) -> dict[str, Any]:
    return {
        "type": "conversation",
        "conversation_id": conversation.id,
        "status": conversation.status,
        "agent_id": conversation.agent_id,
        "visitor_id": conversation.visitor_id,
        "last_seq": conversation.last_seq,
        "updated_at": conversation.updated_at.isoformat(),
        "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
    }


def normalize_origin(value: str | None) -> str:
    if not value:
        return ""
    parts = urlsplit(value.strip().lower())
    return f"{parts.scheme}://{parts.netloc}"
