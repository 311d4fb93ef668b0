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

from typing import Any

from core.security.expiring import MIN_SECRET, ExpiringSigner, Refused
from core.security.identity import BadIdentity

PREFIX = "storechat-wc-connect-v1:"
MAX_TTL = 3600
SIGNED = ExpiringSigner(PREFIX, r"[0-9a-f]{32}", MAX_TTL)
_REFUSED = {
    "malformed": "the connect state is malformed",
    "signature": "the connect state is not signed for this shop and store",
    "expired": "the connect state has expired; start again from the plugin",
    "too_long": "the connect state claims to be valid for too long",
}


class BadConnectState(BadIdentity):
    code = "bad_state"


def _context(site_key: str, store_url: str) -> str:
    return f"{site_key}|{store_url}|"


def sign_connect_state(secret: str, site_key: str, store_url: str, nonce: str, expires: int) -> str:
    """What the plugin sends (for tests and tools)."""
    return SIGNED.sign(secret, nonce, expires, _context(site_key, store_url))


def verify_connect_state(state: Any, secret: str, *, site_key: str, store_url: str, now: float | None = None) -> str:
    """The state's nonce when it is authentic and live; :class:`BadConnectState` otherwise.
    Single use is the caller's job (remember the nonce until it expires)."""
    if not isinstance(secret, str) or len(secret) < MIN_SECRET:
        raise BadConnectState("the shop has no usable identity secret", code="config_invalid")
    try:
        nonce, _expires = SIGNED.check(state, secret, context=_context(site_key, store_url), now=now)
    except Refused as exc:
        raise BadConnectState(_REFUSED[exc.reason]) from None
    return nonce
