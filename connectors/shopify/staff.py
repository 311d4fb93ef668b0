"""Shopify staff signing in to StoreChat's inbox embedded in the Shopify admin
(PLATFORMS.md A3).

The app URL is ``/connect/shopify/admin``. Shopify opens it in its admin's
iframe with ``shop``, ``host``, ``id_token`` (a session token) and more; App
Bridge (loaded from Shopify's CDN, as Shopify requires of embedded apps) then
adds ``Authorization: Bearer <session token>`` to the page's requests.

A session token is a JWT, HS256-signed with the app's client secret, checked
by ShopifyAPI's ``shopify.session_token.decode_from_header``: the signature,
``aud`` = the client id, ``exp``/``nbf`` (10 s leeway), the claims ``iss``,
``dest``, ``sub``, ``jti``, ``sid``, and that ``iss`` and ``dest`` are the same
shop. Here also: ``exp`` must be present, and the shop must be a
``*.myshopify.com`` host. Its ``sub`` is the staff member's user id and
carries no address: the first time core meets a staff member, it asks (the
lookup below) and Shopify's token exchange for an online access token answers
with the ``associated_user`` (id, email, name, whether they own the shop).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from flask import Blueprint, Response, request
from markupsafe import escape
from shopify import session_token

from core.connector import EmbeddedPage, InstallHost, StaffMember, StaffSignIn

from . import tokens
from .signatures import shop_domain

log = logging.getLogger(__name__)
PLATFORM = "shopify"
APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
ADMIN_ORIGIN = "https://admin.shopify.com"
MAX_STAFF_ID = 64


@dataclass
class ShopifyStaff:
    """The :class:`~core.connector.StaffAuthenticator` of Shopify's session tokens."""

    host: InstallHost
    http: Any = requests
    platform: str = PLATFORM

    def _app(self) -> dict[str, Any] | None:
        app = dict(self.host.app_config(PLATFORM))
        return app if app.get("client_id") and app.get("client_secret") else None

    def verify(self, token: str) -> StaffSignIn | None:
        app = self._app()
        if app is None or not isinstance(token, str) or not token:
            return None
        try:
            claims = session_token.decode_from_header(
                session_token.PREFIX + token, app["client_id"], app["client_secret"]
            )
        except session_token.SessionTokenError as exc:
            log.info("Shopify session token refused: %s", exc)
            return None
        shop = shop_domain(urlsplit(str(claims.get("dest", ""))).hostname)
        staff_id = claims.get("sub")
        if (
            shop is None
            or "exp" not in claims
            or not isinstance(staff_id, str)
            or not staff_id
            or len(staff_id) > MAX_STAFF_ID
        ):
            log.info("Shopify session token refused: no expiry, no myshopify.com shop or no staff member")
            return None

        def lookup() -> StaffMember:
            user = tokens.staff_member(shop, app, token, http=self.http)
            if str(user.get("id")) != staff_id:
                raise tokens.TokenRefused("Shopify's online token is for another staff member")
            name = " ".join(str(user.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
            return StaffMember(
                email=str(user.get("email") or ""),
                name=name,
                owner=user.get("account_owner") is True,
                email_verified=user.get("email_verified") is True,
            )

        return StaffSignIn(platform=PLATFORM, shop_ref=shop, staff_id=staff_id, lookup=lookup)

    def embedded_page(self, shop_ref: str | None) -> EmbeddedPage:
        # A page for a token that did not verify says so and nothing else; the
        # admin may frame it (else the merchant sees a blank frame).
        if shop_ref is None:
            return EmbeddedPage(frame_ancestors=(ADMIN_ORIGIN,))
        app = self._app() or {}
        return EmbeddedPage(
            frame_ancestors=(f"https://{shop_ref}", ADMIN_ORIGIN),
            meta={"shopify-api-key": str(app.get("client_id") or "")},
            scripts=(APP_BRIDGE,),
        )


def add_routes(bp: Blueprint, host: InstallHost) -> None:
    @bp.get("/admin")
    def embedded_admin() -> Any:
        """The app URL: the inbox of the staff member the ``id_token`` names; for a shop
        StoreChat is not installed on (yet, or any more), the install."""
        from .install import INSTALL_PATH, shop_domain

        shop = shop_domain(request.args.get("shop"))
        if shop is not None and host.widget_settings(PLATFORM, shop) is None:
            return _to_install(f"{INSTALL_PATH}?{urlencode({'shop': shop})}")
        return host.embedded_admin(PLATFORM, request.args.get("id_token", ""))


def _to_install(path: str) -> Response:
    """Shopify's grant screen refuses to be framed: leave the admin's frame (or, opened
    at the top already, simply go), with a link for a browser that runs no script."""
    target = escape(path)
    page = (
        f'<!doctype html><meta charset="utf-8"><title>Install StoreChat</title>'
        f'<p>Opening the install… <a href="{target}" target="_top">Continue</a></p>'
        f"<script>window.top.location.href = {json.dumps(path)};</script>"
    )
    response = Response(page, 200, mimetype="text/html")
    response.headers["Content-Security-Policy"] = f"frame-ancestors {ADMIN_ORIGIN} https://*.myshopify.com"
    return response
