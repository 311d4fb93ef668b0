"""Expiring HMAC-SHA256 signatures with a secret the store and StoreChat both hold.

The WordPress plugin signs with the shop's *identity secret* what StoreChat
then checks: shopper identities (:mod:`.identity`), "Connect WooCommerce"
states (:mod:`.connect_state`) and "Open StoreChat inbox" links
(:mod:`.sign_in_link`). Each is a lowercase hex HMAC-SHA256, keyed with the
secret's UTF-8 bytes, of a versioned message ending in a Unix time
(``expires``) after which it is refused; one that claims to live longer than
its format allows is refused too (a leaked secret cannot mint long-lived
tokens). Signatures are compared in constant time and checked before the
time, so timing says nothing about which other check failed.

The first two are tokens ``<subject>.<expires>.<signature>``
(:class:`ExpiringSigner`); the link carries its fields in a query and uses
:func:`signature` and :func:`expiry_problem` directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field

#: The shortest identity secret anything is signed or checked with.
MIN_SECRET = 16
#: Why a token is refused (:attr:`Refused.reason`).
REASONS = ("malformed", "signature", "expired", "too_long")


class Refused(Exception):
    """A token that is not genuine and live; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(secret: str, message: str) -> str:
    """Lowercase hex HMAC-SHA256 of ``message`` (UTF-8), keyed with ``secret`` (UTF-8)."""
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def expiry_problem(expires: int, max_ahead: int, now: float | None = None) -> str | None:
    """``"expired"``, ``"too_long"`` (more than ``max_ahead`` seconds ahead) or None when live."""
    current = int(now if now is not None else time.time())
    if expires < current:
        return "expired"
    if expires > current + max_ahead:
        return "too_long"
    return None


@dataclass(frozen=True)
class ExpiringSigner:
    """Tokens ``<subject>.<expires>.<signature>``, the signature over
    ``<prefix><context><subject>.<expires>`` (``context``: what else the token
    is bound to, in the caller's format, or nothing)."""

    prefix: str
    #: A regular expression the subject matches in full.
    subject: str
    #: Seconds ahead of now a token may claim to live.
    max_ahead: int
    max_length: int = 200
    _token: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_token", re.compile(rf"({self.subject})\.([0-9]{{1,12}})\.([0-9a-f]{{64}})"))

    def looks_like(self, token: object) -> bool:
        """Whether ``token`` has this format (says nothing of its signature)."""
        return isinstance(token, str) and len(token) <= self.max_length and bool(self._token.fullmatch(token))

    def sign(self, secret: str, subject: str, expires: int, context: str = "") -> str:
        return f"{subject}.{expires}.{signature(secret, f'{self.prefix}{context}{subject}.{expires}')}"

    def check(self, token: object, secret: str, *, context: str = "", now: float | None = None) -> tuple[str, int]:
        """The subject and expiry of a genuine, live token; :class:`Refused` otherwise."""
        if not isinstance(token, str) or len(token) > self.max_length:
            raise Refused("malformed")
        match = self._token.fullmatch(token)
        if match is None:
            raise Refused("malformed")
        subject, expires_text, given = match.groups()
        expires = int(expires_text)
        if not hmac.compare_digest(given, signature(secret, f"{self.prefix}{context}{subject}.{expires}")):
            raise Refused("signature")
        problem = expiry_problem(expires, self.max_ahead, now)
        if problem:
            raise Refused(problem)
        return subject, expires
