"""The App Proxy route: who the shopper is, vouched for by Shopify (PLATFORMS.md A7).

The app's proxy is configured as subpath prefix ``apps``, subpath
``storechat``, URL ``{public_url}/connect/shopify/proxy``. The widget, on the
shop's own domain, asks ``/apps/storechat/identity``; Shopify forwards it here
with ``shop``, ``logged_in_customer_id`` (empty when nobody is logged in),
``path_prefix``, ``timestamp`` and a ``signature`` over all of them. A genuine,
fresh request for an installed shop with a logged-in customer gets a
short-lived signed identity the widget sends in its ``hello``; order lookups
then use that customer id.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from core.connector import InstallHost, StoreChatError

from .signatures import proxy_signature_ok, shop_domain

PLATFORM = "shopify"
MAX_AGE = 300
MAX_CUSTOMER_ID = 32


def _json(body: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    resp = jsonify(body)
    # Per shopper: never cached by Shopify's proxy or the browser.
    resp.headers["Cache-Control"] = "no-store, private"
    return resp, status


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return _json({"error": {"code": code, "message": message}}, status)


def add_routes(bp: Blueprint, host: InstallHost, *, clock: Callable[[], float]) -> None:
    @bp.get("/proxy/identity")
    def identity() -> tuple[Response, int]:
        secret = str(host.app_config(PLATFORM).get("client_secret") or "")
        if not proxy_signature_ok(request.args.to_dict(flat=False), secret):
            return _error(401, "bad_signature", "the proxied request's signature does not match")
        shop = shop_domain(request.args.get("shop"))
        if shop is None:
            return _error(400, "bad_shop_domain", "the proxied request names no myshopify.com shop")
        try:
            age = abs(clock() - int(request.args.get("timestamp", "")))
        except ValueError:
            return _error(400, "stale_request", "the proxied request has no valid timestamp")
        if age > MAX_AGE:
            return _error(400, "stale_request", "the proxied request is too old")
        customer = (request.args.get("logged_in_customer_id") or "").strip()
        if not customer:
            return _json({"identity": None, "logged_in": False})
        if not customer.isdigit() or len(customer) > MAX_CUSTOMER_ID:
            return _error(400, "bad_customer_id", "logged_in_customer_id is not a Shopify customer id")
        try:
            token = host.sign_identity(PLATFORM, shop, customer)
        except StoreChatError:
            return _error(404, "shop_not_installed", "StoreChat is not installed on this shop")
        return _json({"identity": token, "logged_in": True})
