"""The WordPress plugin's "Open StoreChat inbox" link, format v1.

A WordPress administrator (``manage_options``) presses the button on the
plugin's settings page; the plugin signs a link with the shop's *identity
secret* (which StoreChat holds too) and sends the browser to it::

    {server}/admin/wordpress/sign-in?site_key=<site_key>&email=<email>&name=<name>
        &expires=<expires>&nonce=<nonce>&signature=<signature>

``site_key``
    The shop's site key, 1 to 64 of ``A-Z a-z 0-9 _ -``.
``email``, ``name``
    The WordPress user's email address and display name, each as base64url
    (RFC 4648 section 5, no ``=`` padding) of its UTF-8 bytes; the name may be
    empty. Each at most 400 characters.
``expires``
    Unix time in seconds; the plugin gives 60 seconds.
``nonce``
    32 lowercase hex characters, random.
``signature``
    Lowercase hex HMAC-SHA256, keyed with the identity secret (its UTF-8
    bytes), of the ASCII text
    ``storechat-wp-sign-in-v1:<site_key>|<email>|<name>|<expires>|<nonce>``
    (``email`` and ``name`` base64url, exactly as in the link; no field can
    contain ``|``).

StoreChat checks the format, then the signature (constant time, with the
secret of the shop the site key names), then the time: a link whose
``expires`` is past, or more than :data:`MAX_TTL` seconds ahead, is refused.
Each nonce is accepted once (the route keeps it in Redis with ``SET NX`` and
a TTL longer than any link lives). Anyone holding the identity secret can
sign such a link: it is an owner's credential, kept like a password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from core.security.expiring import MIN_SECRET, expiry_problem, signature
from core.security.identity import BadIdentity

PREFIX = "storechat-wp-sign-in-v1:"
#: The longest a link may claim to live; the plugin gives 60 s, the rest absorbs clock skew.
MAX_TTL = 120
FIELDS = ("site_key", "email", "name", "expires", "nonce", "signature")
_FORMAT = {
    "site_key": re.compile(r"[A-Za-z0-9_-]{1,64}"),
    "email": re.compile(r"[A-Za-z0-9_-]{1,400}"),
    "name": re.compile(r"[A-Za-z0-9_-]{0,400}"),
    "expires": re.compile(r"[0-9]{1,12}"),
    "nonce": re.compile(r"[0-9a-f]{32}"),
    "signature": re.compile(r"[0-9a-f]{64}"),
}


class BadSignInLink(BadIdentity):
    code = "bad_link"


@dataclass(frozen=True)
class SignInLink:
    site_key: str
    email: str
    name: str
    expires: int
    nonce: str


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _unb64(value: str) -> str:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        raise BadSignInLink("the sign-in link is malformed") from None


def _signature(secret: str, site_key: str, email_b64: str, name_b64: str, expires: int, nonce: str) -> str:
    return signature(secret, f"{PREFIX}{site_key}|{email_b64}|{name_b64}|{expires}|{nonce}")


def sign(secret: str, site_key: str, email: str, name: str, nonce: str, expires: int) -> dict[str, str]:
    """The link's query, as the plugin builds it (for tests and tools)."""
    e, n = b64(email), b64(name)
    return {
        "site_key": site_key,
        "email": e,
        "name": n,
        "expires": str(expires),
        "nonce": nonce,
        "signature": _signature(secret, site_key, e, n, expires, nonce),
    }


def query(secret: str, site_key: str, email: str, name: str, nonce: str, expires: int) -> str:
    return urlencode(sign(secret, site_key, email, name, nonce, expires))


def parse(args: Mapping[str, str]) -> dict[str, str]:
    """The link's fields when they are well formed; :class:`BadSignInLink` otherwise."""
    fields = {name: args.get(name, "") for name in FIELDS}
    for name, value in fields.items():
        if not isinstance(value, str) or not _FORMAT[name].fullmatch(value):
            raise BadSignInLink("the sign-in link is malformed")
    return fields


def verify(fields: Mapping[str, str], secret: str | None, *, now: float | None = None) -> SignInLink:
    """The sign-in a parsed link carries when it is signed with ``secret`` and live.
    Single use is the caller's job (accept each nonce once)."""
    if not isinstance(secret, str) or len(secret) < MIN_SECRET:
        raise BadSignInLink("this shop has no identity secret to check the link with", code="config_invalid")
    expires = int(fields["expires"])
    expected = _signature(secret, fields["site_key"], fields["email"], fields["name"], expires, fields["nonce"])
    if not hmac.compare_digest(expected, fields["signature"]):
        raise BadSignInLink("the sign-in link is not signed for this shop")
    problem = expiry_problem(expires, MAX_TTL, now)
    if problem == "expired":
        raise BadSignInLink("the sign-in link has expired; press the button in WordPress again", code="link_expired")
    if problem == "too_long":
        raise BadSignInLink("the sign-in link claims to be valid for too long")
    return SignInLink(fields["site_key"], _unb64(fields["email"]), _unb64(fields["name"]), expires, fields["nonce"])
