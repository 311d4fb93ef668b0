"""``POST /connect/woocommerce/callback``: the keys WooCommerce's key authorization sends.

The WordPress plugin sends the merchant to ``{store}/wc-auth/v1/authorize``
with ``user_id`` = a connect state it signs with the shop's identity secret,
and ``callback_url = {server}/connect/woocommerce/callback?site_key=…&store=…``
(docs/connectors.md, "WordPress"). WooCommerce POSTs the new keys here as
JSON, unsigned (PLATFORMS.md B4). The state is checked against the shop with
that site key and used up; the keys are tried on the store; then the install
completes: the shop (the plugin's own, moved to the ``woocommerce`` platform,
or the WooCommerce shop already keyed by this store URL) gets the keys
encrypted, webhooks are created and the first sync is queued. Only then is
the answer exactly 200; anything else makes WooCommerce delete the key.

Whoever holds the shop's identity secret chooses ``store``, and StoreChat then
calls it: so ``store`` must be a public https address (core's outbound policy,
checked again on every connection and redirect), and when the store cannot be
read the answer says only that, never the address tried or the network error
(it would tell a closed port from a refused address).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request

from core.connector import ConnectorError, InstallHost, InstallResult, OutboundRefused, StoreChatError, check_url

from . import connector
from .client import WooClient
from .connector import store_url

log = logging.getLogger(__name__)
MAX_BODY = 8192
#: Seconds the key check may take, retries included: WooCommerce and the merchant are waiting.
KEY_CHECK_DEADLINE = 15.0
PERMISSIONS = ("read", "write", "read_write")
UNREACHABLE = (
    "StoreChat could not reach the store's WooCommerce API; check that the store is online "
    "and try again from the StoreChat plugin"
)
KEYS_REFUSED = "the store did not accept the new API keys; try again from the StoreChat plugin"


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def blueprint(host: InstallHost) -> Blueprint:
    bp = Blueprint("woocommerce_install", __name__)

    @bp.post("/callback")
    def callback() -> tuple[Response, int]:
        site_key, store = request.args.get("site_key", ""), request.args.get("store", "")
        if not site_key or not store:
            return _error(400, "bad_request", "the callback URL needs site_key and store")
        try:
            shop_ref = store_url(store)
            check_url(shop_ref)
        except ConnectorError as exc:
            return _error(400, "bad_request", exc.message)
        except OutboundRefused:
            return _error(400, "bad_request", "StoreChat connects only to stores at a public https address")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, "payload_too_large", f"the callback body may be at most {MAX_BODY} bytes")
        body = request.get_json(force=True, silent=True)
        keys = _keys(body)
        if keys is None or body is None:
            return _error(
                400,
                "bad_request",
                "the body must be WooCommerce's JSON: key_id, user_id, consumer_key, consumer_secret, key_permissions",
            )
        shop = host.claim_connect_state(site_key, store, str(body["user_id"]))
        if shop is None:
            return _error(
                403,
                "bad_state",
                "this connect request is not valid (forged, expired or used); start again from the StoreChat plugin",
            )
        try:
            _try_keys(shop_ref, keys)
            config = {"store_url": shop_ref, **keys}
            if shop.get("identity_secret"):
                config["identity_secret"] = shop["identity_secret"]
            landing = host.complete_install(
                InstallResult(
                    platform="woocommerce",
                    shop_ref=shop_ref,
                    config=config,
                    name=shop.get("name"),
                    storefront_url=shop_ref,
                    currency=shop.get("currency"),
                    locale=shop.get("locale"),
                    site_key=site_key,
                )
            )
        except ConnectorError as exc:
            log.warning("WooCommerce connect for %s failed: %s (%s)", shop_ref, exc.code, exc)
            if exc.code == "platform_auth_failed":
                return _error(502, exc.code, KEYS_REFUSED)
            return _error(502, "store_unreachable", UNREACHABLE)
        except StoreChatError as exc:
            log.warning("WooCommerce connect for %s failed: %s", shop_ref, exc)
            return _error(400, exc.code, exc.message)
        return jsonify(status="connected", installed_url=landing), 200

    return bp


def _keys(body: Any) -> dict[str, str] | None:
    if not isinstance(body, dict) or not isinstance(body.get("user_id"), str):
        return None
    key, secret, permissions = body.get("consumer_key"), body.get("consumer_secret"), body.get("key_permissions")
    if not (
        isinstance(key, str)
        and key.startswith("ck_")
        and isinstance(secret, str)
        and secret.startswith("cs_")
        and len(key) <= 200
        and len(secret) <= 200
        and permissions in PERMISSIONS
    ):
        return None
    return {"consumer_key": key, "consumer_secret": secret, "key_permissions": permissions}


def _try_keys(shop_ref: str, keys: dict[str, str]) -> None:
    """One small authenticated read, so keys that do not work are refused now (PLATFORMS.md B4)."""
    WooClient(
        shop_ref, keys["consumer_key"], keys["consumer_secret"], sleep=connector.SLEEP, deadline=KEY_CHECK_DEADLINE
    ).get_json("products", {"per_page": 1})
