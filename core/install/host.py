"""The :class:`~core.connector.InstallHost` core gives connector install routes.

State tokens live in Redis: ``SET NX`` with a TTL when issued, ``GETDEL``
when consumed, so each is good once, for one shop, for ten minutes, in any
web process. Issuing one is rate-limited per client address (a burst, then
a few a minute), so nobody fills Redis with them. A completed install creates the shop, or updates the one with
the same ``(platform, platform_ref)``; an uninstalled shop that comes back is
reactivated with its site key, settings and history.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import redis as redis_lib
from flask import has_request_context, request
from sqlalchemy import select

from core import shop_connectors
from core.catalog.sync import create_run
from core.connector import InstallResult
from core.db import Event, Shop, SyncRun
from core.db.models import utcnow
from core.errors import BadInput, RateLimited
from core.jobs import enqueue_sync
from core.security import connect_state, identity
from core.security.client_address import address_key
from core.services import Services
from core.shops import new_site_key

log = logging.getLogger(__name__)
STATE_TTL = 600
STATE_PREFIX = "storechat:install-state"
MAX_STATE = 200
#: Install states one client address (an IPv6 client: its /64) may have issued at once,
#: and how many per second after that: each is a Redis key for STATE_TTL seconds.
INSTALL_BURST = 20
INSTALL_RATE = 10 / 60


class CoreInstallHost:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @property
    def public_url(self) -> str:
        configured = self.svc.settings.public_url
        if configured:
            return configured.rstrip("/")
        if has_request_context():
            return request.host_url.rstrip("/")
        return f"http://{self.svc.settings.host}:{self.svc.settings.port}"

    def app_config(self, platform: str) -> Mapping[str, Any]:
        return dict(self.svc.settings.apps.get(platform, {}))

    # -- state -------------------------------------------------------------

    def _state_key(self, platform: str, state: str) -> str:
        return f"{STATE_PREFIX}:{platform}:{state}"

    def issue_state(self, platform: str, shop_ref: str) -> str:
        if has_request_context():
            address = address_key(request.remote_addr)
            decision = self.svc.limits.take(f"install-state:{address}", rate=INSTALL_RATE, burst=INSTALL_BURST)
            if not decision.allowed:
                raise RateLimited(
                    f"too many install links from this address; try again in {max(decision.retry_after, 1):.0f} s",
                    retry_after=decision.retry_after,
                )
        state = secrets.token_hex(32)
        self.svc.redis.set(self._state_key(platform, state), shop_ref, nx=True, ex=STATE_TTL)
        return state

    def consume_state(self, platform: str, state: str, shop_ref: str) -> bool:
        if not isinstance(state, str) or not state or len(state) > MAX_STATE:
            return False
        stored = self.svc.redis.getdel(self._state_key(platform, state))
        if stored is None:
            return False
        return hmac.compare_digest(stored.decode() if isinstance(stored, bytes) else str(stored), shop_ref)

    def claim_connect_state(self, site_key: str, store_url: str, state: str) -> Mapping[str, Any] | None:
        if (
            not all(isinstance(v, str) and 0 < len(v) <= MAX_STATE for v in (site_key, state))
            or not isinstance(store_url, str)
            or not store_url
        ):
            return None
        with self.svc.db.session() as session:
            shop = session.scalar(select(Shop).where(Shop.site_key == site_key))
            if shop is None:
                return None
            secret = identity.shop_identity_secret(shop_connectors.open_config(self.svc.settings, shop), shop.settings)
            found = {
                "platform": shop.platform,
                "shop_ref": shop.platform_ref,
                "name": shop.name,
                "currency": shop.currency,
                "locale": shop.locale,
                "identity_secret": secret,
            }
        try:
            nonce = connect_state.verify_connect_state(state, secret or "", site_key=site_key, store_url=store_url)
        except connect_state.BadConnectState as exc:
            log.warning("connect state for site key %s refused: %s", site_key, exc)
            return None
        used = self.svc.redis.set(f"{STATE_PREFIX}:connect:{nonce}", site_key, nx=True, ex=connect_state.MAX_TTL)
        return found if used else None

    # -- install -----------------------------------------------------------

    def complete_install(self, result: InstallResult) -> str:
        settings, db = self.svc.settings, self.svc.db
        activation = result.activation_url
        if activation is not None and urlsplit(activation).scheme != "https":
            raise BadInput("an activation URL must be https")
        sealed = shop_connectors.seal_config(settings, result.platform, result.config)
        with db.session() as session:
            shop = session.scalar(
                select(Shop).where(Shop.platform == result.platform, Shop.platform_ref == result.shop_ref)
            )
            if shop is None and result.site_key:
                shop = session.scalar(select(Shop).where(Shop.site_key == result.site_key))
                if shop is not None:  # the merchant's shop moves to this platform, site key and history kept
                    shop.platform, shop.platform_ref = result.platform, result.shop_ref
            reinstall = shop is not None
            if shop is None:
                shop = Shop(
                    name=(result.name or result.shop_ref)[:200],
                    platform=result.platform,
                    platform_ref=result.shop_ref,
                    site_key=new_site_key(),
                    settings={},
                    allowed_origins=[],
                    currency=(result.currency or "USD")[:3].upper(),
                    locale=(result.locale or "en")[:16],
                )
                session.add(shop)
            elif result.name:
                shop.name = result.name[:200]
            if result.storefront_url:
                shop.storefront_url = result.storefront_url
            shop.connector_config = sealed
            shop.active = True
            shop.settings = {**(shop.settings or {}), "activation_url": activation}
            session.flush()
            session.add(Event(shop_id=shop.id, kind="app_installed", data={"reinstall": reinstall}))
        self._register_webhooks(shop)
        self._first_sync(shop)
        return f"{self.public_url}/installed/{shop.site_key}"

    def _first_sync(self, shop: Shop) -> None:
        """Queue the shop's full import, unless one is already queued or running (a reinstall)."""
        db = self.svc.db
        with db.session() as session:
            busy = session.scalar(
                select(SyncRun.id)
                .where(
                    SyncRun.shop_id == shop.id,
                    SyncRun.status.in_(("queued", "running")),
                    SyncRun.created_at > utcnow() - timedelta(hours=1),  # older: its worker died
                )
                .limit(1)
            )
        if busy is not None:
            return
        run = create_run(db, shop.id)
        try:
            job = enqueue_sync(self.svc.redis, run.id, shop.id)
        except redis_lib.RedisError as exc:
            # The install stands; the landing page shows the import as queued, and
            # `storechat sync` (or the next reinstall) starts it.
            log.error("shop %s: the first import could not be queued: %s", shop.id, exc)
            with db.session() as session:
                row = session.get(SyncRun, run.id)
                if row is not None:
                    row.status, row.error = "failed", f"could not be queued: {exc}"[:2000]
            return
        with db.session() as session:
            row = session.get(SyncRun, run.id)
            if row is not None:
                row.job_id = job.id

    def _register_webhooks(self, shop: Shop) -> None:
        address = f"{self.public_url}/webhooks/{shop.platform}"
        try:
            shop_connectors.for_shop(self.svc.db, shop).register_webhooks(address)
        except Exception as exc:  # noqa: BLE001 - the install stands; the merchant is told on the landing page
            log.exception("shop %s: webhook registration failed", shop.id)
            with self.svc.db.session() as session:
                session.add(Event(shop_id=shop.id, kind="webhooks_not_registered", data={"error": str(exc)[:500]}))

    # -- serving an installed shop -----------------------------------------

    def _active_shop(self, platform: str, shop_ref: str) -> Shop | None:
        with self.svc.db.session() as session:
            return session.scalar(
                select(Shop).where(Shop.platform == platform, Shop.platform_ref == shop_ref, Shop.active)
            )

    def widget_settings(self, platform: str, shop_ref: str) -> Mapping[str, str] | None:
        shop = self._active_shop(platform, shop_ref)
        return None if shop is None else {"site_key": shop.site_key, "origin": self.public_url}

    def embedded_admin(self, platform: str, token: str) -> Any:
        from core.admin.embedded import embedded_admin

        return embedded_admin(platform, token)

    def sign_identity(self, platform: str, shop_ref: str, customer_id: str) -> str:
        shop = self._active_shop(platform, shop_ref)
        if shop is None:
            raise BadInput(f"no installed {platform} shop {shop_ref!r}")
        return identity.sign(self.svc.settings.secret_key or "", shop.id, customer_id)
