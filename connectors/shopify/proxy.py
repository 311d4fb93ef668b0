"""The App Proxy route: who the shopper is, vouched for by Shopify (PLATFORMS.md A7).

The app's proxy is configured as subpath prefix ``apps``, subpath
``storechat``, URL ``{public_url}/connect/shopify/proxy``. The widget, on the
shop's own domain, asks ``/apps/storechat/identity``; Shopify forwards it here
with ``shop``, ``logged_in_customer_id`` (empty when nobody is logged in),
``path_prefix``, ``timestamp`` and a ``signature`` over all of them. A genuine,
fresh request for an installed shop with a logged-in customer gets a
short-lived signed identity the widget sends in its ``hello``; order lookups
then use that customer id.

Shopify signs ``k=v`` pairs concatenated with no separator, a repeated key as
its values joined with ``,``, and passes along (and signs) any parameter the
shopper put on the storefront URL. So a signature alone does not fix which
query was signed: ``?logged_in_customer_id=999`` added by a shopper is signed
as ``logged_in_customer_id=999,``, and a shopper's own parameters can be cut
again into another query with the same message. The identity route therefore
takes Shopify's parameters only, each exactly once, none holding ``=``: then
a query's message has exactly four ``=``, and one that added any parameter
has more, so the signed query is the one read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from core.connector import InstallHost, StoreChatError

from .signatures import proxy_signature_ok, shop_domain, timestamp_problem

PLATFORM = "shopify"
#: The App Proxy: ``https://<shop>/<PREFIX>/<SUBPATH>/...`` is forwarded to
#: ``<StoreChat>/connect/shopify<ROUTE>/...`` (the theme block asks ``/apps/storechat/identity``).
PREFIX = "apps"
SUBPATH = "storechat"
ROUTE = "/proxy"
MAX_CUSTOMER_ID = 32
#: Everything Shopify puts on a proxied request; the identity route takes these and nothing else.
PROXY_PARAMS = ("logged_in_customer_id", "path_prefix", "shop", "signature", "timestamp")


def _json(body: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    resp = jsonify(body)
    # Per shopper: never cached by Shopify's proxy or the browser.
    resp.headers["Cache-Control"] = "no-store, private"
    return resp, status


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return _json({"error": {"code": code, "message": message}}, status)


def shopify_params(multi: dict[str, list[str]]) -> dict[str, str] | str:
    """:data:`PROXY_PARAMS`, each once and without ``=``; otherwise what is wrong with the query."""
    extra = sorted(set(multi) - set(PROXY_PARAMS))
    if extra:
        return f"the proxied request carries a parameter Shopify does not send: {extra[0][:40]!r}"
    args = {}
    for key in PROXY_PARAMS:
        values = multi.get(key) or []
        if len(values) != 1:
            return f"the proxied request must carry {key} exactly once"
        if "=" in values[0]:
            return f"the proxied request's {key} holds '='"
        args[key] = values[0]
    return args


def add_routes(bp: Blueprint, host: InstallHost, *, clock: Callable[[], float]) -> None:
    @bp.get(f"{ROUTE}/identity")
    def identity() -> tuple[Response, int]:
        multi = request.args.to_dict(flat=False)
        args = shopify_params(multi)
        if isinstance(args, str):
            return _error(400, "bad_proxy_query", args)
        secret = str(host.app_config(PLATFORM).get("client_secret") or "")
        if not proxy_signature_ok(multi, secret):
            return _error(401, "bad_signature", "the proxied request's signature does not match")
        shop = shop_domain(args["shop"])
        if shop is None:
            return _error(400, "bad_shop_domain", "the proxied request names no myshopify.com shop")
        problem = timestamp_problem(args["timestamp"], clock())
        if problem:
            return _error(
                400,
                "stale_request",
                "the proxied request has no valid timestamp"
                if problem == "invalid"
                else "the proxied request is too old",
            )
        customer = args["logged_in_customer_id"]
        if not customer:
            return _json({"identity": None, "logged_in": False})
        if not (customer.isascii() and customer.isdigit()) or len(customer) > MAX_CUSTOMER_ID:
            return _error(400, "bad_customer_id", "logged_in_customer_id is not a Shopify customer id")
        try:
            token = host.sign_identity(PLATFORM, shop, customer)
        except StoreChatError:
            return _error(404, "shop_not_installed", "StoreChat is not installed on this shop")
        return _json({"identity": token, "logged_in": True})
