"""Persistence: models, sessions, migrations."""
from core.db.models import (
    Agent,
    Base,
    Conversation,
    Document,
    Event,
    Message,
    Product,
    Shop,
    SyncRun,
    User,
    Variant,
    Visitor,
    WebhookDelivery,
)
from core.db.session import Database

__all__ = [
    "Agent",
    "Base",
    "Conversation",
    "Database",
    "Document",
    "Event",
    "Message",
    "Product",
    "Shop",
    "SyncRun",
    "User",
    "Variant",
    "Visitor",
    "WebhookDelivery",
]
