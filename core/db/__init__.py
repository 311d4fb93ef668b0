"""Persistence: models, sessions, migrations."""
from core.db.models import (
    Base,
    Conversation,
    Document,
    Event,
    Message,
    Product,
    Shop,
    SyncRun,
    Variant,
    Visitor,
)
from core.db.session import Database

__all__ = [
    "Base",
    "Conversation",
    "Database",
    "Document",
    "Event",
    "Message",
    "Product",
    "Shop",
    "SyncRun",
    "Variant",
    "Visitor",
]
