"""The Shopify install (authorization code grant, PLATFORMS.md A2) and the
App Proxy route, as one blueprint core mounts at ``/connect/shopify/``.

``GET install?shop=``  checks the shop domain before anything else (only
``*.myshopify.com``), issues a single-use state (core limits how many one
client address gets: past that, 429 with ``Retry-After``) and sends the
merchant to the shop's grant screen for an offline token with StoreChat's
scopes.

``GET callback``  checks, before any request: the query's HMAC, the shop
domain, the timestamp's age, then consumes the state (bound to that shop);
exchanges the code for an expiring offline token and its refresh token;
reads the shop's name, currency and primary domain; hands all of it to
core (which stores the tokens encrypted, registers webhooks and queues the
first sync); and redirects to core's landing page, which links to the theme
editor with StoreChat's app embed selected.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Blueprint, Response, jsonify, redirect, request

from core.connector import ConnectorError, InstallHost, InstallResult, RateLimited

from . import proxy, staff, tokens
from .signatures import query_hmac_ok, shop_domain, timestamp_problem

log = logging.getLogger(__name__)
PLATFORM = "shopify"
#: What StoreChat reads, and nothing more (each is the scope the Admin
#: GraphQL schema names for the types our queries touch; see the tests):
#: products and variants, stock, orders (and the customer who placed one, for
#: lookups by a verified customer id), online store pages, legal policies.
READ_SCOPES = (
    "read_products",
    "read_inventory",
    "read_orders",
    "read_customers",
    "read_online_store_pages",
    "read_legal_policies",
)
#: What the app configures rather than reads: its App Proxy (the shopper
#: identity route, :mod:`.proxy`), which Shopify sets up only with this scope.
CONFIG_SCOPES = ("write_app_proxy",)
DEFAULT_SCOPES = READ_SCOPES + CONFIG_SCOPES
#: Core mounts a connector's install blueprint at ``/connect/<name>``.
BASE_PATH = f"/connect/{PLATFORM}"
#: Where the authorization-code grant starts (the App URL sends a shop here until it is installed).
INSTALL_PATH = f"{BASE_PATH}/install"
#: The App URL: Shopify opens it in its admin's frame (signed, with a session token), and on
#: install; :mod:`.staff` shows the inbox, or sends a shop not installed yet to :data:`INSTALL_PATH`.
APP_PATH = f"{BASE_PATH}/admin"
#: Where the grant screen sends the merchant back (the one allowed redirection URL).
CALLBACK_PATH = f"{BASE_PATH}/callback"
#: The app embed block's file name (theme_snippets/shopify/blocks/storechat.liquid).
EMBED_HANDLE = "storechat"

SHOP_INFO = """
query StoreChatInstallShop {
  shop { name currencyCode primaryDomain { url } }
}
"""


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def scopes(app: dict[str, Any]) -> str:
    configured = str(app.get("scopes") or "").replace(" ", "")
    return configured or ",".join(DEFAULT_SCOPES)


def activation_url(shop: str, app: dict[str, Any]) -> str:
    """The theme editor, on the current theme's App embeds, with StoreChat's embed selected."""
    app_id = app.get("embed_app_id") or app.get("client_id")
    return f"https://{shop}/admin/themes/current/editor?" + urlencode(
        {"context": "apps", "activateAppId": f"{app_id}/{EMBED_HANDLE}"}
    )


def blueprint(host: InstallHost, *, http: Any = requests, clock: Any = time.time) -> Blueprint:
    bp = Blueprint("shopify_install", __name__)

    def app_settings() -> dict[str, Any] | tuple[Response, int]:
        app = dict(host.app_config(PLATFORM))
        if not app.get("client_id") or not app.get("client_secret"):
            return _error(
                503,
                "app_not_configured",
                "the Shopify app is not configured on this StoreChat "
                "(STORECHAT_APPS__SHOPIFY__CLIENT_ID and ..._CLIENT_SECRET)",
            )
        return app

    @bp.get("/install")
    def install() -> Any:
        shop = shop_domain(request.args.get("shop"))
        if shop is None:
            return _error(
                400, "bad_shop_domain", "shop must be your store's myshopify.com domain, like example.myshopify.com"
            )
        app = app_settings()
        if not isinstance(app, dict):
            return app
        # Opened from the Shopify admin the request is signed; a bad signature is refused.
        if "hmac" in request.args and not query_hmac_ok(request.args.to_dict(flat=False), app["client_secret"]):
            return _error(401, "bad_hmac", "the request's signature does not match")
        try:
            state = host.issue_state(PLATFORM, shop)
        except RateLimited as exc:
            resp, status = _error(429, exc.code, exc.message)
            resp.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
            return resp, status
        query = urlencode(
            {
                "client_id": app["client_id"],
                "scope": scopes(app),
                "redirect_uri": f"{host.public_url}{CALLBACK_PATH}",
                "state": state,
            }
        )
        return redirect(f"https://{shop}/admin/oauth/authorize?{query}")

    @bp.get("/callback")
    def callback() -> Any:
        app = app_settings()
        if not isinstance(app, dict):
            return app
        args = request.args.to_dict(flat=False)
        if not query_hmac_ok(args, app["client_secret"]):
            return _error(401, "bad_hmac", "the callback's signature does not match")
        shop = shop_domain(request.args.get("shop"))
        if shop is None:
            return _error(400, "bad_shop_domain", "the callback names no myshopify.com shop")
        problem = timestamp_problem(request.args.get("timestamp"), clock())
        if problem:
            return _error(
                400,
                "stale_request",
                "the callback has no valid timestamp"
                if problem == "invalid"
                else "the callback is too old; install again",
            )
        if not host.consume_state(PLATFORM, request.args.get("state", ""), shop):
            return _error(
                403, "bad_state", "the install link was already used, has expired or is for another shop; install again"
            )
        code = request.args.get("code")
        if not code:
            return _error(400, "no_code", "the callback carries no authorization code")
        try:
            config = tokens.exchange_code(shop, app, code, http=http)
        except ConnectorError as exc:
            log.warning("Shopify token exchange for %s failed: %s", shop, exc)
            return _error(502, exc.code, exc.message)
        config.pop("scope", None)
        config["shop_domain"] = shop
        info = _shop_info(shop, config, app, http)
        primary = ((info.get("primaryDomain") or {}).get("url") or "").rstrip("/") or None
        if primary:
            config["storefront_url"] = primary
        landing = host.complete_install(
            InstallResult(
                platform=PLATFORM,
                shop_ref=shop,
                config=config,
                name=info.get("name") or shop,
                storefront_url=primary or f"https://{shop}",
                currency=info.get("currencyCode"),
                activation_url=activation_url(shop, app),
            )
        )
        _publish_widget_settings(shop, config, app, http, host.widget_settings(PLATFORM, shop))
        return redirect(landing)

    proxy.add_routes(bp, host, clock=clock)
    staff.add_routes(bp, host)
    return bp


def _connector(config: dict[str, Any], app: dict[str, Any], http: Any) -> Any:
    from .connector import ShopifyConnector

    return ShopifyConnector(config, app=app, session=http if isinstance(http, requests.Session) else None)


def _publish_widget_settings(shop: str, config: dict[str, Any], app: dict[str, Any], http: Any, settings: Any) -> None:
    """Site key and address for the app embed; without them the merchant types the site key in."""
    from .storefront import publish_widget_settings

    if not settings:
        return
    try:
        publish_widget_settings(_connector(config, app, http), settings)
    except ConnectorError as exc:
        log.warning("could not store the widget settings of %s: %s", shop, exc)


def _shop_info(shop: str, config: dict[str, Any], app: dict[str, Any], http: Any) -> dict[str, Any]:
    """The shop's name, currency and storefront; the install goes on without them if Shopify will not say."""
    try:
        return dict(_connector(config, app, http).client.execute(SHOP_INFO).get("shop") or {})
    except ConnectorError as exc:
        log.warning("could not read shop details of %s: %s", shop, exc)
        return {}
