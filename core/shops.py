"""Creating and finding shops."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import or_, select

from core import connector_registry, shop_connectors
from core.chat.frames import MAX_INT
from core.db import Database, Shop
from core.errors import BadInput, NotFound


def new_site_key() -> str:
    return "sk_" + secrets.token_urlsafe(18)


def create_shop(
    db: Database,
    name: str,
    platform: str,
    config: dict[str, Any],
    *,
    currency: str = "USD",
    locale: str = "en",
    storefront_url: str | None = None,
    platform_ref: str | None = None,
    allowed_origins: list[str] | None = None,
) -> Shop:
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("a shop name must have 1 to 200 characters")
    if len(currency) != 3 or not currency.isalpha():
        raise BadInput(f"currency must be a 3-letter ISO code, not {currency!r}")
    connector_registry.get(platform)  # fails clearly when no such connector is installed
    with db.session() as session:
        shop = Shop(
            name=name,
            platform=platform,
            platform_ref=platform_ref,
            site_key=new_site_key(),
            currency=currency.upper(),
            locale=locale,
            storefront_url=storefront_url,
            allowed_origins=allowed_origins or [],
            connector_config=shop_connectors.seal_config(db.settings, platform, config),
            settings={},
        )
        session.add(shop)
        session.flush()
        return shop


def find_shop(db: Database, ref: str) -> Shop:
    """A shop by id, site key, or exact name."""
    with db.session() as session:
        clauses = [Shop.site_key == ref, Shop.name == ref]
        if ref.isascii() and ref.isdigit() and int(ref) <= MAX_INT:
            clauses.append(Shop.id == int(ref))
        shops = list(session.scalars(select(Shop).where(or_(*clauses))))
        if not shops:
            raise NotFound(f"no shop with id, site key or name {ref!r}")
        if len(shops) > 1:
            raise BadInput(f"{len(shops)} shops match {ref!r}; use the id or site key")
        return shops[0]


def demo_shop_config(storefront_url: str) -> dict[str, object]:
    """The demo store's CSV connector config: the packaged catalog, with its images
    served by the demo storefront (``/demo/images/<handle>.svg``, core/demo) rather than a CDN."""
    return {"demo": True, "storefront_url": storefront_url, "demo_images_url": f"{storefront_url}/images"}


def ensure_demo_shop(db: Database, storefront_url: str) -> Shop:
    """The demo store, created once and pointed at this server's demo storefront."""
    with db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.platform == "csv", Shop.platform_ref == "demo"))
        if shop is not None:
            shop.storefront_url = storefront_url
            shop.connector_config = demo_shop_config(storefront_url)
            return shop
    return create_shop(
        db,
        "StoreChat Demo Apparel",
        "csv",
        demo_shop_config(storefront_url),
        storefront_url=storefront_url,
        platform_ref="demo",
    )
