"""Signed shopper identities: "this visitor is logged in as customer 42".

A store's own code (the WordPress plugin, a Shopify app proxy) knows who is
logged in; StoreChat does not. The store signs the customer id with the
shop's *identity secret*, a value both sides hold, and the widget hands the
token over, so the assistant can look up that shopper's orders without
asking for an email.

The format (version 1), exactly as the WordPress plugin writes it::

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

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import StoreChatError

PREFIX = "storechat-identity-v1:"
#: How long the plugin's tokens live.
DEFAULT_TTL = 3600
#: The longest validity a token may claim (plus a little clock skew).
MAX_TTL = 24 * 3600
CLOCK_SKEW = 300
MIN_SECRET = 16
MAX_TOKEN = 200
_TOKEN = re.compile(r"([A-Za-z0-9_-]{1,64})\.([0-9]{1,12})\.([0-9a-f]{64})")
_CUSTOMER = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BadIdentity(StoreChatError):
    code = "bad_identity"


@dataclass(frozen=True)
class ShopperIdentity:
    customer_id: str
    expires: int


def _signature(secret: str, customer_id: str, expires: int) -> str:
    message = f"{PREFIX}{customer_id}.{expires}".encode("ascii")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _check_secret(secret: Any) -> str:
    if not isinstance(secret, str) or len(secret) < MIN_SECRET:
        raise BadIdentity(f"the shop's identity secret must be at least {MIN_SECRET} characters", code="config_invalid")
    return secret


def sign_identity(secret: str, customer_id: str, *, ttl: int = DEFAULT_TTL, now: float | None = None) -> str:
    """A token for ``customer_id`` valid for ``ttl`` seconds (what the plugin does, in Python)."""
    _check_secret(secret)
    if not _CUSTOMER.fullmatch(customer_id):
        raise BadIdentity(f"customer id {customer_id!r} cannot be signed (1-64 of A-Z a-z 0-9 _ -)", code="bad_input")
    expires = int(now if now is not None else time.time()) + ttl
    return f"{customer_id}.{expires}.{_signature(secret, customer_id, expires)}"


def verify_identity(token: Any, secret: str, *, now: float | None = None) -> ShopperIdentity:
    """The shopper a token names, or :class:`BadIdentity` saying why not."""
    _check_secret(secret)
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise BadIdentity("the shopper identity is malformed")
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise BadIdentity("the shopper identity is malformed")
    customer_id, expires_text, signature = match.groups()
    expires = int(expires_text)
    # Check the signature first, so timing says nothing about which other check failed.
    if not hmac.compare_digest(signature, _signature(secret, customer_id, expires)):
        raise BadIdentity("the shopper identity is not signed with this shop's identity secret")
    current = int(now if now is not None else time.time())
    if expires < current:
        raise BadIdentity("the shopper identity has expired")
    if expires > current + MAX_TTL + CLOCK_SKEW:
        raise BadIdentity("the shopper identity claims to be valid for too long")
    return ShopperIdentity(customer_id, expires)


def shop_identity_secret(connector_config: Mapping[str, Any] | None,
                         settings: Mapping[str, Any] | None = None) -> str | None:
    """The shop's identity secret: ``identity_secret`` of its (decrypted) connector
    config, else of its settings; None when the shop has none."""
    for source in (connector_config or {}, settings or {}):
        value = source.get("identity_secret")
        if isinstance(value, str) and value:
            return value
    return None
