"""The WordPress plugin's "Connect WooCommerce" state, format v1.

WooCommerce's key authorization (``/wc-auth/v1/authorize``) posts the new keys
to StoreChat's callback unsigned and without saying which store they are for
(PLATFORMS.md B4). The plugin therefore sends, as WooCommerce's ``user_id``, a
state it signs with the shop's identity secret (which StoreChat holds too),
and puts ``site_key`` and ``store`` in the callback URL's query::

    <nonce>.<expires>.<signature>

``nonce``
    32 lowercase hex characters, random.
``expires``
    Unix time in seconds; the plugin gives 15 minutes.
``signature``
    Lowercase hex HMAC-SHA256, keyed with the identity secret, of
    ``storechat-wc-connect-v1:<site_key>|<store_url>|<nonce>.<expires>``
    where ``store_url`` is the site's ``home_url()`` exactly as sent in ``store``.

The callback verifies it with :func:`verify_connect_state`, then accepts each
nonce once (for instance with Redis ``SET nonce 1 NX EX 900``) before storing
the keys and testing them against the store.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any

from core.security.identity import BadIdentity

PREFIX = "storechat-wc-connect-v1:"
MAX_TTL = 3600
_STATE = re.compile(r"([0-9a-f]{32})\.([0-9]{1,12})\.([0-9a-f]{64})")


class BadConnectState(BadIdentity):
    code = "bad_state"


def _signature(secret: str, site_key: str, store_url: str, nonce: str, expires: int) -> str:
    message = f"{PREFIX}{site_key}|{store_url}|{nonce}.{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_connect_state(secret: str, site_key: str, store_url: str, nonce: str, expires: int) -> str:
    """What the plugin sends (for tests and tools)."""
    return f"{nonce}.{expires}.{_signature(secret, site_key, store_url, nonce, expires)}"


def verify_connect_state(state: Any, secret: str, *, site_key: str, store_url: str,
                         now: float | None = None) -> str:
    """The state's nonce when it is authentic and live; :class:`BadConnectState` otherwise.
    Single use is the caller's job (remember the nonce until it expires)."""
    if not isinstance(secret, str) or len(secret) < 16:
        raise BadConnectState("the shop has no usable identity secret", code="config_invalid")
    match = _STATE.fullmatch(state) if isinstance(state, str) else None
    if match is None:
        raise BadConnectState("the connect state is malformed")
    nonce, expires_text, signature = match.groups()
    expires = int(expires_text)
    if not hmac.compare_digest(signature, _signature(secret, site_key, store_url, nonce, expires)):
        raise BadConnectState("the connect state is not signed for this shop and store")
    current = int(now if now is not None else time.time())
    if expires < current:
        raise BadConnectState("the connect state has expired; start again from the plugin")
    if expires > current + MAX_TTL:
        raise BadConnectState("the connect state claims to be valid for too long")
    return nonce
