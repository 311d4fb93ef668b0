"""A WordPress site connected to a shop: what "Connect this site" in the
plugin, ``storechat shop connect SHOP wordpress`` and both sides' Disconnect do.

Connecting gives the shop the ``wordpress`` connector with the site's address
(a WooCommerce shop of the same site keeps its own connector), a new identity
secret (stored encrypted; the plugin signs shopper identities, sign-in links
and its content notifications with it), and queues the first import. The
plugin receives its site key and identity secret server to server
(:func:`deliver_keys`), never through the browser.

Disconnecting keeps the shop, its documents and its conversations (the team
can still read them): it drops the identity secret and the application
password, so nothing signed by the site is accepted any more, and marks the
connection ``disconnected`` in ``shops.settings["connection"]``; syncs of a
disconnected shop are skipped. Connecting again (from either side) resumes.

Site addresses follow core's outbound policy: https only, public hosts, unless
``STORECHAT_ALLOW_PLAIN_HTTP`` / ``STORECHAT_OUTBOUND_ALLOW_NETWORKS`` allow a
local development site.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis as redis_lib
import requests
from sqlalchemy import select

from core import shop_connectors
from core.catalog.sync import create_run
from core.db import Database, Event, Shop, SyncRun
from core.db.models import utcnow
from core.errors import BadInput, NotFound, StoreChatError
from core.jobs import enqueue_sync
from core.outbound import OutboundRefused, OutboundSession, check_url

log = logging.getLogger(__name__)
PLATFORM = "wordpress"
#: The plugin's REST routes, addressed so that they work with or without pretty permalinks.
CONNECT_ROUTE = "/?rest_route=/storechat/v1/connect"
DISCONNECT_ROUTE = "/?rest_route=/storechat/v1/disconnect"
DISCONNECT_PREFIX = "storechat-wp-disconnect-v1:"
#: Seconds StoreChat waits for the plugin to take its keys (the merchant is waiting).
DELIVERY_DEADLINE = 15.0
#: Shops a WordPress site may be connected to in place of their connector.
TAKES_OVER = ("wordpress", "csv")
HTTP_REFUSED = (
    "StoreChat connects only to sites at an https:// address (the site's keys and content travel "
    "over it); for a local development site the server's operator can set "
    "STORECHAT_ALLOW_PLAIN_HTTP=1"
)
UNREACHABLE = (
    "StoreChat could not reach the WordPress site to hand the StoreChat plugin its keys; check that "
    "the site is online and the plugin active, then press Connect this site again"
)


class SiteRefused(StoreChatError):
    code = "site_refused"


@dataclass(frozen=True)
class Connection:
    shop_id: int
    site_key: str
    site_url: str
    identity_secret: str
    platform: str


def site_address(value: object) -> str:
    """The site's home address, normalized (scheme and host lower-case, no trailing slash),
    or :class:`BadInput` saying why StoreChat will not call it."""
    if not isinstance(value, str) or not value.strip() or len(value) > 400:
        raise BadInput("the site address must be the site's home URL, like https://example.com")
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise BadInput(f"the site address must be an absolute https:// URL without query, not {value.strip()!r}")
    url = urlunsplit((scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", ""))
    try:
        check_url(url)
    except OutboundRefused as exc:
        if scheme == "http" and "plain http" in exc.message:
            raise BadInput(HTTP_REFUSED) from None
        raise BadInput(f"StoreChat does not call {url}: {exc.message}") from None
    return url


def connection_state(shop: Shop) -> str | None:
    """``connected``, ``disconnected``, or None for a shop never connected to a site."""
    state = ((shop.settings or {}).get("connection") or {}).get("state")
    return state if state in ("connected", "disconnected") else None


def connect_site(
    db: Database,
    shop_id: int,
    site_url: str,
    *,
    username: str | None = None,
    application_password: str | None = None,
    by: str = "plugin",
) -> Connection:
    """Connect the (normalized) site to shop ``shop_id``; a new identity secret each time."""
    if bool(username) != bool(application_password):
        raise BadInput("give a user and an application password together (USER:PASS), or neither")
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        config = shop_connectors.open_config(db.settings, shop)
        if shop.platform == "woocommerce":
            if (config.get("store_url") or "").rstrip("/") != site_url:
                raise BadInput(f"shop {shop.id} is the WooCommerce store {config.get('store_url')}, not {site_url}")
            platform, new_config = "woocommerce", {**config, "identity_secret": secret}
        elif shop.platform in TAKES_OVER:
            if shop.platform == "csv" and not config.get("empty"):
                raise BadInput(
                    f"shop {shop.id} imports its catalog from a CSV file; create a shop for the site "
                    "(storechat shop create NAME) and connect that one"
                )
            platform = PLATFORM
            same_site = shop.platform == PLATFORM and config.get("site_url") == site_url
            new_config = {"site_url": site_url, "identity_secret": secret}
            if username:
                new_config.update(username=username, application_password=application_password)
            elif same_site and config.get("username") and config.get("application_password"):
                new_config.update(username=config["username"], application_password=config["application_password"])
            _release_site(session, shop.id, site_url)
        else:
            raise BadInput(
                f"shop {shop.id} reads a {shop.platform} store; a WordPress site connects to a "
                "WordPress, WooCommerce or new shop"
            )
        shop_connectors.build(db.settings, platform, new_config)  # a bad config fails here, nothing saved
        shop.platform = platform
        if platform == PLATFORM:
            shop.platform_ref = site_url
        shop.storefront_url = shop.storefront_url if platform != PLATFORM else site_url
        shop.connector_config = shop_connectors.seal_config(db.settings, platform, new_config)
        shop.settings = {
            **(shop.settings or {}),
            "connection": {"state": "connected", "site_url": site_url, "at": now.isoformat(), "by": by},
        }
        shop.active = True
        session.add(Event(shop_id=shop.id, kind="site_connected", data={"site_url": site_url, "by": by}))
        return Connection(shop.id, shop.site_key, site_url, secret, platform)


def _release_site(session: Any, shop_id: int, site_url: str) -> None:
    """Another shop keyed by this site lets go of it if it is disconnected; else the site is taken."""
    other = session.scalar(
        select(Shop).where(Shop.platform == PLATFORM, Shop.platform_ref == site_url, Shop.id != shop_id)
    )
    if other is None:
        return
    if other.active and connection_state(other) != "disconnected":
        raise BadInput(
            f"{site_url} is connected to another StoreChat shop; disconnect it there first "
            "(the plugin's Disconnect button, or storechat shop disconnect)"
        )
    other.platform_ref = None
    session.flush()


def disconnect_site(db: Database, shop_id: int, *, by: str, sent_at: datetime | None = None) -> bool:
    """Mark the shop disconnected and drop the site's secrets; False when there was nothing to do
    (not connected, or connected again after ``sent_at``, when the plugin's notice was sent)."""
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or connection_state(shop) != "connected":
            return False
        connection = dict((shop.settings or {}).get("connection") or {})
        if sent_at is not None and _parse_time(connection.get("at")) > _naive_utc(sent_at):
            return False  # a notice from before the latest connect
        config = shop_connectors.open_config(db.settings, shop)
        config.pop("identity_secret", None)
        if shop.platform == PLATFORM:
            config.pop("username", None)
            config.pop("application_password", None)
        shop.connector_config = shop_connectors.seal_config(db.settings, shop.platform, config)
        connection.update(state="disconnected", at=utcnow().isoformat(), by=by)
        shop.settings = {**(shop.settings or {}), "connection": connection}
        session.add(Event(shop_id=shop.id, kind="site_disconnected", data={"by": by}))
        return True


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _parse_time(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        return datetime.min


def queue_sync(db: Database, connection: redis_lib.Redis, shop_id: int, *, full: bool = True) -> SyncRun | None:
    """Queue an import of the shop (None when one is already queued or running)."""
    with db.session() as session:
        busy = session.scalar(
            select(SyncRun.id)
            .where(
                SyncRun.shop_id == shop_id,
                SyncRun.status.in_(("queued", "running")),
                SyncRun.created_at > utcnow() - timedelta(hours=1),
            )
            .limit(1)
        )
    if busy is not None:
        return None
    run = create_run(db, shop_id, full=full)
    try:
        job = enqueue_sync(connection, run.id, shop_id)
    except redis_lib.RedisError as exc:
        log.error("shop %s: the import could not be queued: %s", shop_id, exc)
        with db.session() as session:
            row = session.get(SyncRun, run.id)
            if row is not None:
                row.status, row.error = "failed", f"could not be queued: {exc}"[:2000]
        return run
    with db.session() as session:
        row = session.get(SyncRun, run.id)
        if row is not None:
            row.job_id = job.id
    return run


def deliver_keys(connection: Connection, token: str) -> None:
    """POST the site key and identity secret to the plugin's connect route, with the plugin's
    own single-use token; :class:`SiteRefused` unless the plugin answers it took them."""
    body = {"token": token, "site_key": connection.site_key, "identity_secret": connection.identity_secret}
    try:
        resp = OutboundSession(deadline=DELIVERY_DEADLINE).post(
            connection.site_url + CONNECT_ROUTE,
            json=body,
            timeout=DELIVERY_DEADLINE,
            allow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "StoreChat-WordPress/1"},
        )
    except (OutboundRefused, requests.RequestException) as exc:
        log.warning("delivering keys to %s failed: %s", connection.site_url, type(exc).__name__)
        raise SiteRefused(UNREACHABLE, code="site_unreachable") from None
    try:
        answer = resp.json()
    except ValueError:
        answer = None
    if resp.status_code != 200 or not isinstance(answer, dict) or answer.get("status") != "connected":
        code = answer.get("code") if isinstance(answer, dict) else None
        log.warning("the plugin at %s refused its keys: HTTP %s %s", connection.site_url, resp.status_code, code)
        raise SiteRefused(
            "the StoreChat plugin on the site did not accept the connection (it expired or was "
            "already used); press Connect this site again"
        )


def disconnect_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), DISCONNECT_PREFIX.encode() + body, hashlib.sha256).hexdigest()


def tell_plugin(site_url: str, site_key: str, secret: str) -> bool:
    """Best effort: ask the plugin to forget its keys (StoreChat-side disconnect). True when it did."""
    body = json.dumps({"site_key": site_key, "sent_at": int(time.time())}).encode()
    try:
        resp = OutboundSession(deadline=10.0).post(
            site_url + DISCONNECT_ROUTE,
            data=body,
            timeout=10.0,
            allow_redirects=False,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "StoreChat-WordPress/1",
                "X-StoreChat-Signature": disconnect_signature(secret, body),
            },
        )
    except (OutboundRefused, requests.RequestException) as exc:
        log.info("telling %s about the disconnect failed: %s", site_url, type(exc).__name__)
        return False
    return resp.status_code == 200


def disconnect_from_storechat(db: Database, shop_id: int, *, by: str) -> tuple[bool, bool]:
    """StoreChat-side disconnect: (disconnected now, the plugin was told)."""
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        config = shop_connectors.open_config(db.settings, shop)
        site_url = ((shop.settings or {}).get("connection") or {}).get("site_url")
        site_key, secret = shop.site_key, config.get("identity_secret")
    if not disconnect_site(db, shop_id, by=by):
        return False, False
    told = bool(site_url and secret and tell_plugin(site_url, site_key, secret))
    return True, told
