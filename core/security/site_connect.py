"""The state of a "Connect this site" request between StoreChat's pages.

The plugin sends the merchant to ``/admin/wordpress/connect`` with the site's
address, the settings page to return to, and a single-use token of its own.
StoreChat keeps these in a state it signs with its secret key (itsdangerous:
HMAC-SHA256 and a timestamp) and carries through its sign-in and approve
pages; approving verifies the signature and age (:data:`MAX_AGE`) and uses up
its nonce (Redis ``SET NX``), so a forged, altered, stale or replayed state is
refused before anything is connected.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

from core.errors import StoreChatError

SALT = "storechat-wp-site-connect-v1"
#: Seconds the merchant has from pressing the button to approving (signing in included).
MAX_AGE = 30 * 60
NONCE_PREFIX = "storechat:wp-site-connect"
MAX_STATE = 2000


class BadSiteConnect(StoreChatError):
    code = "bad_state"


@dataclass(frozen=True)
class SiteConnectRequest:
    site_url: str
    return_url: str
    token: str
    nonce: str


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign(secret_key: str, site_url: str, return_url: str, token: str) -> str:
    request = SiteConnectRequest(site_url, return_url, token, secrets.token_hex(16))
    return _serializer(secret_key).dumps(asdict(request))


def read(secret_key: str, state: Any) -> SiteConnectRequest:
    """The request when the state is StoreChat's own and not stale (single use is :func:`claim`'s)."""
    if not isinstance(state, str) or not state or len(state) > MAX_STATE:
        raise BadSiteConnect("the connect request is missing or malformed")
    try:
        data = _serializer(secret_key).loads(state, max_age=MAX_AGE)
    except BadData as exc:
        expired = "expired" in str(exc).lower() or "age" in str(exc).lower()
        raise BadSiteConnect(
            "the connect request has expired; press Connect this site in WordPress again"
            if expired
            else "the connect request is not StoreChat's (forged or altered)"
        ) from None
    try:
        return SiteConnectRequest(**{k: str(data[k]) for k in ("site_url", "return_url", "token", "nonce")})
    except (KeyError, TypeError):
        raise BadSiteConnect("the connect request is malformed") from None


def claim(redis: Any, request: SiteConnectRequest) -> bool:
    """Use the request's nonce up; False when it was used before."""
    return bool(redis.set(f"{NONCE_PREFIX}:{request.nonce}", "1", nx=True, ex=MAX_AGE + 300))
