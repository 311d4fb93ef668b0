"""A shopper's data, exported or erased; a shop's data, erased.

What StoreChat holds about a shopper: the ``visitors`` rows that carry their
email (given in the chat) or their platform customer id (a signed identity),
those visitors' conversations, messages and events, the analytics days that
count them (content gaps keep a question's words and its conversation: those
days are rolled up again without them), and earlier exports of their data. A
shopper who chatted without ever giving an email or logging in cannot be matched
to a platform request, so nothing of theirs is found.

Given Redis (the owner's Export and Delete in Settings > Privacy, ``storechat
privacy``, the platforms' webhooks), their traces there go too: the keys named
after them and the RQ jobs carrying them (:mod:`core.privacy_live`).

Erasure deletes rows; it does not anonymize them. Everything of a shop is
every row that names it, directly (``shop_id``) or through its products and
conversations, plus its rows in the search index tables. The tests check this
against every table of the schema, so a new table that holds shop or shopper
data must be added here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, text
from sqlalchemy.orm import Session

from core import privacy_live
from core.analytics import rollup
from core.catalog import search
from core.db import (
    Agent,
    AnalyticsDay,
    AuditLog,
    CannedReply,
    Conversation,
    ConversationRead,
    Database,
    Document,
    Event,
    Experiment,
    Message,
    Note,
    NotificationDelivery,
    Product,
    Shop,
    SyncRun,
    User,
    Variant,
    Visitor,
    WebhookDelivery,
)
from core.db.models import PlatformStaff, utcnow

#: The event kind an export is recorded under, for the merchant to hand over.
EXPORT_EVENT = "privacy_export"
#: Search index tables (created by migration 0001, outside the models); keyed by shop_id.
SEARCH_TABLES = ("product_search", "document_search")


@dataclass(frozen=True)
class Shopper:
    """How a platform names a shopper: their email, their customer id, or both."""

    email: str | None = None
    customer_id: str | None = None

    def __bool__(self) -> bool:
        return bool(self.email or self.customer_id)


def shopper_label(shopper: Shopper) -> dict[str, str | None]:
    """How the audit log names a shopper whose data was exported or deleted: masked
    (``x***@example.com``, ``cu***``), so the entry outlives their data without naming them."""
    email, customer = (shopper.email or "").strip(), str(shopper.customer_id or "").strip()
    local, _, domain = email.partition("@")
    return {
        "email": f"{local[:1]}***@{domain.lower()}" if email else None,
        "customer_id": f"{customer[:2]}***" if customer else None,
    }


def _visitor_ids(session: Session, shop_id: int, shopper: Shopper) -> list[str]:
    clauses = []
    if shopper.email:
        clauses.append(func.lower(Visitor.email) == shopper.email.strip().lower())
    if shopper.customer_id:
        clauses.append(Visitor.customer_ref == str(shopper.customer_id))
    if not clauses:
        return []
    return list(session.scalars(select(Visitor.id).where(Visitor.shop_id == shop_id, or_(*clauses))))


def _is_export_of(event: Event, shopper: Shopper) -> bool:
    who = (event.data or {}).get("shopper") or {}
    email = (who.get("email") or "").lower()
    return bool(
        (shopper.email and email == shopper.email.strip().lower())
        or (shopper.customer_id and who.get("customer_id") == str(shopper.customer_id))
    )


def _emails(shopper: Shopper) -> set[str]:
    return {shopper.email.strip().lower()} if shopper.email and shopper.email.strip() else set()


def _deliveries_to(session: Session, shop_id: int, shopper: Shopper) -> list[int]:
    """Notifications of the shop addressed to the shopper's email, with or without a conversation."""
    emails = _emails(shopper)
    if not emails:
        return []
    return list(
        session.scalars(
            select(NotificationDelivery.id).where(
                NotificationDelivery.shop_id == shop_id, func.lower(NotificationDelivery.target).in_(emails)
            )
        )
    )


def traces(session: Session, shop_id: int, shopper: Shopper) -> privacy_live.Traces:
    """What names the shopper in the shop's rows: read before they are deleted."""
    t = privacy_live.Traces(
        shop_id, emails=_emails(shopper), customer_ids={str(shopper.customer_id)} if shopper.customer_id else set()
    )
    if not shopper:
        return t
    visitors = session.execute(
        select(Visitor.id, Visitor.email, Visitor.customer_ref).where(
            Visitor.id.in_(_visitor_ids(session, shop_id, shopper))
        )
    ).all()
    t.visitor_ids = {v.id for v in visitors}
    t.emails |= {v.email.strip().lower() for v in visitors if v.email}
    t.customer_ids |= {v.customer_ref for v in visitors if v.customer_ref}
    t.conversation_ids = set(session.scalars(select(Conversation.id).where(Conversation.visitor_id.in_(t.visitor_ids))))
    t.delivery_ids = set(
        session.scalars(
            select(NotificationDelivery.id).where(NotificationDelivery.conversation_id.in_(t.conversation_ids))
        )
    ) | set(_deliveries_to(session, shop_id, shopper))
    for payload in session.scalars(
        select(Message.payload).where(Message.conversation_id.in_(t.conversation_ids), Message.author == "visitor")
    ):
        if isinstance(payload, dict) and isinstance(payload.get("client"), str):
            t.client_tags.add(payload["client"])
    t.shop_deliveries = set(session.scalars(select(WebhookDelivery.id).where(WebhookDelivery.shop_id == shop_id)))
    return t


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_shopper(
    db: Database,
    shop_id: int,
    shopper: Shopper,
    *,
    request_id: str | None = None,
    record: bool = True,
    redis: Any = None,
) -> dict[str, Any]:
    """Everything held about ``shopper``; with ``record`` also stored as a ``privacy_export`` event.

    A platform's data request asks the app to give this to the merchant (who
    answers the shopper): the event is where the merchant (admin UI, API, or
    the database) finds it; it is erased with the shopper's other data. The
    owner's Export and ``storechat privacy export`` hand it over at once
    (``record=False``), and, given ``redis``, add what Redis holds about them.
    """
    with db.session() as session:
        visitor_ids = _visitor_ids(session, shop_id, shopper)
        visitors = list(
            session.scalars(select(Visitor).where(Visitor.id.in_(visitor_ids)).order_by(Visitor.created_at))
        )
        conversations = list(
            session.scalars(
                select(Conversation).where(Conversation.visitor_id.in_(visitor_ids)).order_by(Conversation.id)
            )
        )
        export: dict[str, Any] = {
            "shopper": {"email": shopper.email, "customer_id": shopper.customer_id},
            "request_id": request_id,
            "shop_id": shop_id,
            "exported_at": utcnow().isoformat(),
            "visitors": [
                {
                    "id": v.id,
                    "email": v.email,
                    "customer_id": v.customer_ref,
                    "first_seen": v.created_at.isoformat(),
                    "last_seen": v.last_seen_at.isoformat(),
                    "context": v.context or {},
                }
                for v in visitors
            ],
            "conversations": [],
        }
        for c in conversations:
            messages = session.scalars(select(Message).where(Message.conversation_id == c.id).order_by(Message.seq))
            events = session.scalars(select(Event).where(Event.conversation_id == c.id).order_by(Event.id))
            notes = session.scalars(select(Note).where(Note.conversation_id == c.id).order_by(Note.id))
            export["conversations"].append(
                {
                    "id": c.id,
                    "status": c.status,
                    "started": c.created_at.isoformat(),
                    "last_activity": c.updated_at.isoformat(),
                    "messages": [
                        {"seq": m.seq, "author": m.author, "text": m.text, "at": m.created_at.isoformat()}
                        for m in messages
                    ],
                    "events": [{"kind": e.kind, "data": e.data, "at": e.created_at.isoformat()} for e in events],
                    # What the team wrote about them: personal data too.
                    "team_notes": [{"text": n.text, "at": n.created_at.isoformat()} for n in notes],
                }
            )
        # Emails sent to them or about them (what they said is not kept: kind, address, outcome).
        delivery_ids = set(_deliveries_to(session, shop_id, shopper)) | set(
            session.scalars(
                select(NotificationDelivery.id).where(
                    NotificationDelivery.conversation_id.in_([c.id for c in conversations])
                )
            )
        )
        export["notifications"] = [
            {
                "conversation_id": d.conversation_id,
                "kind": d.kind,
                "channel": d.channel,
                "to": d.target,
                "status": d.status,
                "at": d.created_at.isoformat(),
            }
            for d in session.scalars(
                select(NotificationDelivery)
                .where(NotificationDelivery.id.in_(delivery_ids))
                .order_by(NotificationDelivery.id)
            )
        ]
        earlier = session.scalars(
            select(Event).where(Event.shop_id == shop_id, Event.kind == EXPORT_EVENT).order_by(Event.id)
        )
        export["earlier_exports"] = [
            {"request_id": (e.data or {}).get("request_id"), "at": _at(e.created_at)}
            for e in earlier
            if _is_export_of(e, shopper)
        ]
        if redis is not None:
            # Keys and jobs of Redis about them, as they are now (they expire on their own).
            export["redis"] = privacy_live.find(redis, traces(session, shop_id, shopper)).as_dict()
        if record:
            session.add(
                Event(
                    shop_id=shop_id,
                    kind=EXPORT_EVENT,
                    data={"shopper": export["shopper"], "request_id": request_id, "export": export},
                )
            )
    return export


@dataclass(frozen=True)
class Erased:
    """What :func:`erase_shopper` deleted."""

    visitors: int
    conversations: int
    #: Redis keys and set members (0 without Redis).
    redis_keys: int = 0
    #: RQ jobs (0 without Redis).
    jobs: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def redact_shopper(db: Database, shop_id: int, shopper: Shopper, *, redis: Any = None) -> int:
    """:func:`erase_shopper`; returns the visitors deleted."""
    return erase_shopper(db, shop_id, shopper, redis=redis).visitors


def erase_shopper(db: Database, shop_id: int, shopper: Shopper, *, redis: Any = None) -> Erased:
    """Delete the shopper's visitors, conversations, messages, events, notes, notifications and
    exports; given ``redis``, also their keys and jobs there (before and after the rows: a
    retry after a failure finds them again, and what appeared meanwhile goes too)."""
    if not shopper:
        return Erased(0, 0)
    with db.session() as session:
        found = traces(session, shop_id, shopper)
    live = (0, 0)
    if redis is not None:
        live = privacy_live.erase(redis, found)
    with db.session() as session:
        visitor_ids = _visitor_ids(session, shop_id, shopper)
        conversation_ids = list(
            session.scalars(select(Conversation.id).where(Conversation.visitor_id.in_(visitor_ids)))
        )
        # The rolled-up days their conversations and events count in (content gaps keep
        # their words and conversation ids): computed again without them, below.
        days = _days_of(session, shop_id, conversation_ids)
        if conversation_ids:
            for model in (Message, Event, Note, ConversationRead, NotificationDelivery):
                session.execute(delete(model).where(model.conversation_id.in_(conversation_ids)))
            session.execute(delete(Conversation).where(Conversation.id.in_(conversation_ids)))
        addressed = _deliveries_to(session, shop_id, shopper)
        if addressed:
            session.execute(delete(NotificationDelivery).where(NotificationDelivery.id.in_(addressed)))
        if visitor_ids:
            session.execute(delete(Visitor).where(Visitor.id.in_(visitor_ids)))
        exports = session.scalars(select(Event).where(Event.shop_id == shop_id, Event.kind == EXPORT_EVENT))
        for event in exports:
            if _is_export_of(event, shopper):
                session.delete(event)
        session.flush()
        for day in sorted(days):
            rollup.store_day(session, shop_id, day)
        session.add(
            Event(
                shop_id=shop_id,
                kind="privacy_redacted",
                data={"visitors": len(visitor_ids), "conversations": len(conversation_ids)},
            )
        )
    if redis is not None:
        again = privacy_live.erase(redis, found)
        live = (live[0] + again[0], live[1] + again[1])
    return Erased(len(visitor_ids), len(conversation_ids), *live)


def _days_of(session: Session, shop_id: int, conversation_ids: list[int]) -> set[date]:
    """The days already rolled up that count these conversations (their start, their events)."""
    if not conversation_ids:
        return set()
    found = {
        at.date()
        for at in session.scalars(select(Conversation.created_at).where(Conversation.id.in_(conversation_ids)))
    }
    found |= {
        at.date() for at in session.scalars(select(Event.created_at).where(Event.conversation_id.in_(conversation_ids)))
    }
    rolled = set(
        session.scalars(select(AnalyticsDay.day).where(AnalyticsDay.shop_id == shop_id, AnalyticsDay.day.in_(found)))
    )
    return found & rolled


def redact_shop(db: Database, shop_id: int) -> None:
    """Delete every row of the shop, in every table, the shop itself last."""
    with db.session() as session:
        product_ids = select(Product.id).where(Product.shop_id == shop_id)
        document_ids = select(Document.id).where(Document.shop_id == shop_id)
        search.unindex_products(session, session.scalars(product_ids))
        search.unindex_documents(session, session.scalars(document_ids))
        for table in SEARCH_TABLES:  # both engines keep the shop id beside each indexed row
            session.execute(text(f"DELETE FROM {table} WHERE shop_id = :shop"), {"shop": shop_id})
        conversation_ids = select(Conversation.id).where(Conversation.shop_id == shop_id)
        for child in (Message, Note, ConversationRead):
            session.execute(delete(child).where(child.conversation_id.in_(conversation_ids)))
        session.execute(delete(Variant).where(Variant.product_id.in_(product_ids)))
        # Children before parents: a user before the agent it answers as, deliveries before conversations.
        # The audit log goes with the shop (the only deletion of its rows), before the users it names.
        for model in (
            NotificationDelivery,
            Event,
            AnalyticsDay,
            Experiment,
            Conversation,
            Visitor,
            PlatformStaff,
            AuditLog,
            User,
            CannedReply,
            Agent,
            Product,
            Document,
            SyncRun,
            WebhookDelivery,
        ):
            session.execute(delete(model).where(model.shop_id == shop_id))
        session.execute(delete(Shop).where(Shop.id == shop_id))


def deactivate_shop(db: Database, shop_id: int, secret_fields: frozenset[str]) -> int:
    """The app was removed: stop serving the shop and drop its credentials.

    Returns the id of the ``app_uninstalled`` event, which a scheduled purge
    checks so that a reinstall (and a second uninstall) cancels it.
    """
    from core.security.credentials import SEALED

    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return 0
        shop.active = False
        shop.connector_config = {
            k: v for k, v in (shop.connector_config or {}).items() if k != SEALED and k not in secret_fields
        }
        event = Event(shop_id=shop_id, kind="app_uninstalled", data={"at": utcnow().isoformat()})
        session.add(event)
        session.flush()
        return event.id


def purge_uninstalled(db: Database, shop_id: int, uninstall_event_id: int) -> bool:
    """Erase the shop if it is still uninstalled since that event; True when it did."""
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.active:
            return False
        latest = session.scalar(
            select(func.max(Event.id)).where(Event.shop_id == shop_id, Event.kind == "app_uninstalled")
        )
        if latest != uninstall_event_id:
            return False
    redact_shop(db, shop_id)
    return True


# ---- retention: a shop's conversations and shopper data kept only so many days

#: Redis key: one process erases expired data per hour, however many workers run the loop.
RETENTION_LOCK = "sc:retention:lock"
RETENTION_EVERY = 3600


def expire_shop(db: Database, shop_id: int, days: int, now: datetime | None = None) -> tuple[int, int]:
    """Erase the shop's conversations with no activity for ``days`` days (messages, events,
    notes, read marks, deliveries), its visitors not seen since who have no conversation
    left, and its data exports older than that; returns (conversations, visitors)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    with db.session() as session:
        conversation_ids = list(
            session.scalars(
                select(Conversation.id).where(Conversation.shop_id == shop_id, Conversation.updated_at < cutoff)
            )
        )
        # The rolled-up days they count in keep content gaps' words: computed again without them.
        rolled: set[date] = set()
        for start in range(0, len(conversation_ids), 500):
            rolled |= _days_of(session, shop_id, conversation_ids[start : start + 500])
        for start in range(0, len(conversation_ids), 500):
            batch = conversation_ids[start : start + 500]
            for model in (Message, Event, Note, ConversationRead, NotificationDelivery):
                session.execute(delete(model).where(model.conversation_id.in_(batch)))
            session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
        still = select(Conversation.visitor_id).where(Conversation.shop_id == shop_id)
        visitors = cast(
            CursorResult[Any],
            session.execute(
                delete(Visitor).where(
                    Visitor.shop_id == shop_id, Visitor.last_seen_at < cutoff, Visitor.id.not_in(still)
                )
            ),
        )
        session.execute(
            delete(Event).where(Event.shop_id == shop_id, Event.kind == EXPORT_EVENT, Event.created_at < cutoff)
        )
        session.flush()
        for day in sorted(rolled):
            rollup.store_day(session, shop_id, day)
        return len(conversation_ids), visitors.rowcount or 0


def expire_all(db: Database, now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """:func:`expire_shop` for every shop with a retention (``settings["privacy"]["retention_days"]``)."""
    from core.shop_settings import retention_days

    with db.session() as session:
        shops = [
            (shop_id, retention_days(settings)) for shop_id, settings in session.execute(select(Shop.id, Shop.settings))
        ]
    return {shop_id: expire_shop(db, shop_id, days, now) for shop_id, days in shops if days}


def expire_if_due(db: Database, redis: Any) -> dict[int, tuple[int, int]] | None:
    """:func:`expire_all` at most once an hour across processes (the sweeper's loop calls this)."""
    if not redis.set(RETENTION_LOCK, 1, nx=True, ex=RETENTION_EVERY):
        return None
    return expire_all(db)
