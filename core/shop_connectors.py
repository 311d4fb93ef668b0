"""Building a shop's connector: the one place core does it.

Every connector core builds gets its shop's config decrypted, the platform
app's settings (``settings.apps[platform]``), and an ``on_config_change``
that encrypts and saves what the connector changed (a refreshed token) at
once, in its own transaction, so a rotated credential is never lost with a
request that fails later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from core import connector_registry
from core.connector import Connector
from core.db import Database, Shop
from core.errors import NotFound
from core.security.credentials import Credentials
from core.settings import Settings

log = logging.getLogger(__name__)


def build(
    settings: Settings,
    platform: str,
    config: Mapping[str, Any],
    *,
    on_config_change: Callable[[dict[str, Any]], None] | None = None,
) -> Connector:
    """A connector for an unsaved config (a file to preview) or, with ``{}``, app-only."""
    cls = connector_registry.get(platform)
    return cls(config, app=settings.apps.get(platform, {}), on_config_change=on_config_change)


def app_only(settings: Settings, platform: str) -> Connector:
    """A connector with the app's settings and no shop: verifies webhooks for a shop that is gone."""
    return build(settings, platform, {})


#: Secret in every shop's config, whatever its connector: the key stores sign shopper identities with.
CORE_SECRET_FIELDS = frozenset({"identity_secret"})


def seal_config(settings: Settings, platform: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` as stored in ``Shop.connector_config``: its secret fields encrypted."""
    fields = connector_registry.get(platform).secret_fields | CORE_SECRET_FIELDS
    return Credentials.from_settings(settings).seal(config, fields)


def open_config(settings: Settings, shop: Shop) -> dict[str, Any]:
    """The shop's decrypted connector config."""
    return Credentials.from_settings(settings).open(shop.connector_config or {})


def for_shop(db: Database, shop: Shop) -> Connector:
    """The connector serving ``shop``; config changes it makes are saved right away."""
    settings = db.settings
    shop_id, platform = shop.id, shop.platform

    def save(config: dict[str, Any]) -> None:
        sealed = seal_config(settings, platform, config)
        with db.session() as session:
            row = session.get(Shop, shop_id)
            if row is not None:
                row.connector_config = sealed
        shop.connector_config = sealed

    def stored() -> dict[str, Any]:
        with db.session() as session:
            row = session.get(Shop, shop_id)
            return open_config(settings, row) if row is not None else {}

    connector = build(settings, platform, open_config(settings, shop), on_config_change=save)
    connector.stored_config = stored
    return connector


def for_shop_id(db: Database, shop_id: int) -> Connector:
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound(f"shop {shop_id} does not exist")
    return for_shop(db, shop)


def in_session(session: Session, shop: Shop) -> Connector:
    """:func:`for_shop` for code that holds a session rather than the database."""
    return for_shop(Database.of(session), shop)


def rotate_credentials(db: Database) -> int:
    """Re-encrypt every shop's credentials (its connector's, its assistant's API key) with the first
    configured key, sealing an API key still stored plain; returns shops rewritten."""
    from core.assistant.llm import sealed_key

    credentials = Credentials.from_settings(db.settings)
    count = 0
    with db.session() as session:
        for shop in session.query(Shop).all():
            rotated = credentials.rotate(shop.connector_config or {})
            changed = rotated != (shop.connector_config or {})
            if changed:
                shop.connector_config = rotated
            if sealed_key.reseal(credentials, shop) or changed:
                count += 1
    return count
