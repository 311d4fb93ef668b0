"""Signed shopper identities: "this visitor is logged in as customer 42 of shop S".

A store knows who is logged in; StoreChat does not. The widget hands over a
token in its ``hello``; order lookups then use the customer id inside, never
one the browser merely claims. Two kinds of token are accepted:

**Signed by StoreChat** (:func:`sign` / :func:`read`): a platform vouches for
the shopper to StoreChat's server (Shopify through a signed App Proxy
request), and StoreChat signs a short-lived token with its own secret key
(itsdangerous), bound to the shop.

**Signed by the store** (:func:`sign_identity` / :func:`verify_identity`): the
store's own code (the WordPress plugin) signs the customer id with the shop's
*identity secret*, a value both sides hold.

The store-signed format (version 1), exactly as the WordPress plugin writes it::

    <customer_id>.<expires>.<signature>

``customer_id``
    The platform's customer id: the WordPress user id, which is also the
    WooCommerce customer id; 1 to 64 characters of ``A-Z a-z 0-9 _ -``.
``expires``
    Unix time (seconds, decimal) after which the token is refused.
``signature``
    Lowercase hex HMAC-SHA256, keyed with the identity secret (its UTF-8
    bytes), of the ASCII text ``storechat-identity-v1:<customer_id>.<expires>``.

Tokens are refused when expired, when they claim to live longer than
:data:`MAX_TTL` from now (a leaked secret cannot mint long-lived tokens that
outlive its rotation by much), or when the signature differs (compared in
constant time).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.errors import StoreChatError
from core.security.expiring import MIN_SECRET, ExpiringSigner, Refused

SALT = "storechat.identity.v1"
#: Seconds a StoreChat-signed identity is good for; the widget asks for a new one after.
TTL = 60 * 60
MAX_TOKEN = 1024


class BadIdentity(StoreChatError):
    code = "bad_identity"


# -- signed by StoreChat -------------------------------------------------------


def sign(secret_key: str, shop_id: int, customer_id: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps({"s": shop_id, "c": str(customer_id)})


def read(secret_key: str, token: str, shop_id: int, *, max_age: int | None = None) -> str:
    """The customer id in ``token`` if it is genuine, live and for this shop."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise BadIdentity("the shopper identity is malformed")
    try:
        data = URLSafeTimedSerializer(secret_key, salt=SALT).loads(token, max_age=TTL if max_age is None else max_age)
    except SignatureExpired:
        raise BadIdentity("the shopper identity has expired") from None
    except BadSignature:
        raise BadIdentity("the shopper identity is not valid") from None
    if not isinstance(data, dict) or data.get("s") != shop_id or not isinstance(data.get("c"), str) or not data["c"]:
        raise BadIdentity("the shopper identity belongs to another shop")
    return data["c"]


def customer_of(token: str, *, secret_key: str, shop_id: int, identity_secret: str | None) -> str:
    """The customer a ``hello``'s identity names, whichever side signed it."""
    if STORE_SIGNED.looks_like(token):
        if not identity_secret:
            raise BadIdentity("this shop has no identity secret to check a store-signed identity with")
        return verify_identity(token, identity_secret).customer_id
    return read(secret_key, token, shop_id)


# -- signed by the store ---------------------------------------------------------
PREFIX = "storechat-identity-v1:"
#: How long the plugin's tokens live.
DEFAULT_TTL = 3600
#: The longest validity a token may claim (plus a little clock skew).
MAX_TTL = 24 * 3600
CLOCK_SKEW = 300
STORE_MAX_TOKEN = 200
_CUSTOMER = re.compile(r"[A-Za-z0-9_-]{1,64}")
STORE_SIGNED = ExpiringSigner(PREFIX, _CUSTOMER.pattern, MAX_TTL + CLOCK_SKEW, STORE_MAX_TOKEN)
_REFUSED = {
    "malformed": "the shopper identity is malformed",
    "signature": "the shopper identity is not signed with this shop's identity secret",
    "expired": "the shopper identity has expired",
    "too_long": "the shopper identity claims to be valid for too long",
}


@dataclass(frozen=True)
class ShopperIdentity:
    customer_id: str
    expires: int


def _check_secret(secret: Any) -> str:
    if not isinstance(secret, str) or len(secret) < MIN_SECRET:
        raise BadIdentity(f"the shop's identity secret must be at least {MIN_SECRET} characters", code="config_invalid")
    return secret


def sign_identity(secret: str, customer_id: str, *, ttl: int = DEFAULT_TTL, now: float | None = None) -> str:
    """A token for ``customer_id`` valid for ``ttl`` seconds (what the plugin does, in Python)."""
    _check_secret(secret)
    if not _CUSTOMER.fullmatch(customer_id):
        raise BadIdentity(f"customer id {customer_id!r} cannot be signed (1-64 of A-Z a-z 0-9 _ -)", code="bad_input")
    return STORE_SIGNED.sign(secret, customer_id, int(now if now is not None else time.time()) + ttl)


def verify_identity(token: Any, secret: str, *, now: float | None = None) -> ShopperIdentity:
    """The shopper a token names, or :class:`BadIdentity` saying why not."""
    _check_secret(secret)
    try:
        customer_id, expires = STORE_SIGNED.check(token, secret, now=now)
    except Refused as exc:
        raise BadIdentity(_REFUSED[exc.reason]) from None
    return ShopperIdentity(customer_id, expires)


def shop_identity_secret(
    connector_config: Mapping[str, Any] | None, settings: Mapping[str, Any] | None = None
) -> str | None:
    """The shop's identity secret: ``identity_secret`` of its (decrypted) connector
    config, else of its settings; None when the shop has none."""
    for source in (connector_config or {}, settings or {}):
        value = source.get("identity_secret")
        if isinstance(value, str) and value:
            return value
    return None
