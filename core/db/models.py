"""SQLAlchemy 2 models: shops, catalog, content, visitors, conversations, events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend: SQLite hands back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


Money = Numeric(12, 2)


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Name of the connector (entry point) that reads this shop.
    platform: Mapped[str] = mapped_column(String(50))
    #: The platform's id for the shop (``x.myshopify.com``, a site URL); unique per platform.
    platform_ref: Mapped[str | None] = mapped_column(String(255))
    #: Public key the widget presents; not a secret.
    site_key: Mapped[str] = mapped_column(String(64), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    storefront_url: Mapped[str | None] = mapped_column(String(500))
    #: Origins allowed to open the visitor socket; empty means any.
    allowed_origins: Mapped[list[Any]] = mapped_column(default=list)
    #: Connector configuration (paths, credentials).
    connector_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Merchant settings: branding, greeting, assistant tone.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Bumped by every write of the shop's products (``core.catalog.version``): what caches of the catalog check.
    catalog_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (UniqueConstraint("platform", "platform_ref", name="uq_shops_platform_ref"),)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    vendor: Mapped[str | None] = mapped_column(String(255))
    product_type: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    #: ``[{"name": "Size", "values": ["S", "M"]}]``
    options: Mapped[list[Any]] = mapped_column(default=list)
    image_url: Mapped[str | None] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(1000))
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    price_min: Mapped[Decimal] = mapped_column(Money)
    price_max: Mapped[Decimal] = mapped_column(Money)
    compare_at_max: Mapped[Decimal | None] = mapped_column(Money)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    remote_updated_at: Mapped[datetime | None]
    #: When a sync last wrote this row (a sync skips products whose content did not change).
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Hash of the platform record last written (``core.catalog.sync.content_hash``); None: never synced.
    content_hash: Mapped[str | None] = mapped_column(String(64))

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="Variant.position",
        lazy="selectin",
    )

    __table_args__ = (
        UniqueConstraint("shop_id", "external_id", name="uq_products_shop_external"),
        Index("ix_products_shop_handle", "shop_id", "handle"),
        Index("ix_products_shop_price", "shop_id", "price_min", "id"),
        Index("ix_products_shop_price_max", "shop_id", "price_max", "id"),
        Index("ix_products_shop_id", "shop_id", "id"),
        Index("ix_products_shop_vendor", "shop_id", "vendor"),
        # "anything from BRAND": vendors compared case-insensitively (core.catalog.ranking.vendors_named)
        Index("ix_products_shop_vendor_lower", "shop_id", sql_text("lower(vendor)")),
    )


class Variant(Base):
    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    option_values: Mapped[list[Any]] = mapped_column(default=list)
    #: The option values as the assistant compares them (``core.catalog.option_keys``); None until the sync
    #: writes them (a variant stored before migration 0013).
    option_keys: Mapped[list[str] | None] = mapped_column(ARRAY(Text).with_variant(JSON(none_as_null=True), "sqlite"))
    sku: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[Decimal] = mapped_column(Money)
    compare_at_price: Mapped[Decimal | None] = mapped_column(Money)
    inventory_tracked: Mapped[bool] = mapped_column(Boolean, default=True)
    inventory_quantity: Mapped[int | None] = mapped_column(Integer)
    inventory_policy: Mapped[str] = mapped_column(String(16), default="deny")
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    image_url: Mapped[str | None] = mapped_column(String(1000))

    product: Mapped[Product] = relationship(back_populates="variants")

    @validates("option_values")
    def _keyed(self, _key: str, values: list[Any]) -> list[Any]:
        """Values set through the ORM take their keys with them (the sync writes both itself)."""
        from core.catalog.option_keys import keys

        self.option_keys = keys(values or [])
        return values

    __table_args__ = (
        UniqueConstraint("product_id", "external_id", name="uq_variants_product_external"),
        # The variants still without keys, which the sync fills (core.catalog.option_keys.fill).
        Index(
            "ix_variants_unkeyed",
            "product_id",
            postgresql_where=sql_text("option_keys IS NULL"),
            sqlite_where=sql_text("option_keys IS NULL"),
        ),
    )


class Document(Base):
    """Store content: pages, policies, FAQ entries, posts."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(1000))
    remote_updated_at: Mapped[datetime | None]
    #: When a sync last wrote this row (a sync skips documents whose content did not change).
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Hash of the platform record last written (``core.catalog.sync.content_hash``); None: never synced.
    content_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("shop_id", "external_id", name="uq_documents_shop_external"),)


class SyncRun(Base):
    """One run of the catalog sync: its progress, outcome and resume point."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    #: queued -> running -> finished | failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    full: Mapped[bool] = mapped_column(Boolean, default=True)
    products_seen: Mapped[int] = mapped_column(Integer, default=0)
    products_removed: Mapped[int] = mapped_column(Integer, default=0)
    documents_seen: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: Where a resumed run picks up: the connector's own checkpoint (a page cursor, say).
    resume_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Visitor(Base):
    __tablename__ = "visitors"

    #: Random id minted into the visitor token; the row exists from the first message.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(320))
    customer_ref: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: What the widget last said about the shopper's visit, for the team: the
    #: page (``url``, ``title``), ``locale``, and ``cart`` (items, total).
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)


#: Who owns a conversation: the assistant, nobody yet (waiting for a human),
#: a human agent, or nobody because it is over.
CONVERSATION_STATES = ("ai", "waiting_human", "human", "closed")


class Agent(Base):
    """A human who answers a shop's shoppers. Authenticates with a credential
    whose SHA-256 is kept here; the credential itself is shown once."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    credential_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="ai")
    #: The agent who owns it while ``status == "human"``.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    #: Highest sequence number handed out; messages are numbered 1..last_seq, no gaps.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Since when it waits for a human (``status == "waiting_human"``), else None.
    waiting_since: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_conversations_visitor", "visitor_id", "status"),
        # The inbox's lists: a shop's conversations in a state, newest first.
        Index("ix_conversations_shop_status_updated", "shop_id", "status", "updated_at"),
        Index("ix_conversations_shop_updated", "shop_id", "updated_at"),
        # The analytics roll-up: the conversations a shop started on a day.
        Index("ix_conversations_shop_created", "shop_id", "created_at"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    #: The sender's idempotency key; a retry with the same id stores nothing new.
    client_id: Mapped[str | None] = mapped_column(String(100))
    #: visitor | assistant | agent | system
    author: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    #: Product cards, quick replies, and the tool calls an answer used.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
    )


class Event(Base):
    """Things that happened, for analytics and audit."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_events_shop_kind", "shop_id", "kind", "created_at"),
        # A conversation's events (its handoffs, replies, rating): roll-ups, erasure, the inbox.
        Index("ix_events_conversation", "conversation_id", "kind"),
    )


class WebhookDelivery(Base):
    """A webhook the platform delivered: kept to drop repeated deliveries and to audit."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(50))
    #: The platform's delivery or event id.
    delivery_id: Mapped[str] = mapped_column(String(255))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    #: The platform's reference of the shop it was for ('' when none): ids are unique per shop.
    shop_ref: Mapped[str] = mapped_column(String(255), default="", server_default="")
    topic: Mapped[str] = mapped_column(String(100))
    #: received -> processed | failed
    status: Mapped[str] = mapped_column(String(16), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("platform", "shop_ref", "delivery_id", name="uq_webhook_deliveries_platform_shop_delivery"),
    )


#: What a shop's user may do: an owner also manages the team and the settings.
USER_ROLES = ("owner", "agent")


class User(Base):
    """Someone on a shop's team who signs in to the admin: an owner or an agent.

    The password is kept as an argon2 hash; ``session_version`` is part of
    every session's identity, so raising it signs the user out everywhere."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    #: Kept lowercased; one account per address and shop.
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16), default="agent")
    #: None until the user chooses a password through their link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The user as the chat knows them: who owns a conversation, who replied.
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("shop_id", "email", name="uq_users_shop_email"),
        Index("ix_users_email", "email"),
    )


class PlatformStaff(Base):
    """A platform's staff member (a Shopify staff user id) known as one of the
    shop's users: the platform is asked who they are only the first time."""

    __tablename__ = "platform_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(50))
    #: The platform's id for the staff member (a session token's ``sub``).
    staff_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "platform", "staff_id", name="uq_platform_staff_shop_staff"),)


class Note(Base):
    """An internal note on a conversation: seen by the shop's team, never by
    the shopper (so it takes no seq of the conversation's messages)."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_notes_conversation", "conversation_id", "id"),)


class ConversationRead(Base):
    """How far an agent has read a conversation (its highest seq seen)."""

    __tablename__ = "conversation_reads"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    read_seq: Mapped[int] = mapped_column(Integer, default=0)


class CannedReply(Base):
    """A reply the team keeps at hand: typed as ``/shortcut`` in the inbox."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "shortcut", name="uq_canned_replies_shop_shortcut"),)


class NotificationDelivery(Base):
    """One notification to one place: an email to a teammate or a shopper, or
    a POST to the shop's chat webhook. Kept as a record of what was sent."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    #: waiting (a shopper waits and no one is online) | contact (a shopper left an
    #: address) | reply (the team's answer, emailed to the shopper)
    kind: Mapped[str] = mapped_column(String(16))
    #: email | webhook
    channel: Mapped[str] = mapped_column(String(16))
    #: The address, or the webhook's host (its full URL is a secret).
    target: Mapped[str] = mapped_column(String(320))
    #: pending -> sent | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: What is sent, kept until it is (subject, text; a webhook's text).
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notification_deliveries_shop", "shop_id", "created_at"),)


class AuditLog(Base):
    """One change a signed-in person made to a shop (``core/audit.py``): who, when,
    what (``detail``: the fields changed, old and new, secrets redacted), from where.
    Append-only: only erasing the shop deletes rows, and nothing updates them."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    #: The user who acted (None: the CLI or the platform).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The client's address.
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_audit_log_shop", "shop_id", "id"),)


class AnalyticsDay(Base):
    """One shop's figures for one UTC day, rolled up from events, conversations and
    messages by ``core/analytics/rollup.py``; the dashboard reads only these rows.
    ``data`` holds counts, response-time histograms, intents and ratings; ``gaps``
    the content gaps (their wording and conversation ids: shopper data, recomputed
    when a shopper is erased); ``ab`` the A/B split. Apart, so each reader parses
    only what it shows (see docs/architecture.md, "Analytics")."""

    __tablename__ = "analytics_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    gaps: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ab: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "day", name="uq_analytics_days_shop_day"),)


#: What an experiment varies: the greeting, the launcher's text, or one proactive trigger's message.
EXPERIMENT_TARGETS = ("greeting", "launcher_text", "trigger")


class Experiment(Base):
    """An A/B test of a shop: two or more variants of one text, each with a weight."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    target: Mapped[str] = mapped_column(String(16))
    #: For ``target == "trigger"``: its index in the shop's trigger list.
    trigger: Mapped[int | None] = mapped_column(Integer)
    #: ``[{"key": "A", "weight": 50, "value": "..."}]``; the first is the control.
    variants: Mapped[list[Any]] = mapped_column(default=list)
    #: draft -> running -> stopped
    status: Mapped[str] = mapped_column(String(16), default="draft")
    started_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_experiments_shop_status", "shop_id", "status"),)
