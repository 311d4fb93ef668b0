"""Signed, expiring visitor tokens (itsdangerous).

A token names the shop and a random visitor id. It is minted at the first
hello, so page views that never chat store nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.errors import StoreChatError

SALT = "storechat.visitor.v1"


class BadToken(StoreChatError):
    code = "bad_token"


@dataclass(frozen=True)
class VisitorIdentity:
    shop_id: int
    visitor_id: str


class VisitorTokens:
    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self._ttl = ttl_seconds

    def mint(self, shop_id: int, visitor_id: str | None = None) -> tuple[str, VisitorIdentity]:
        identity = VisitorIdentity(shop_id, visitor_id or "v_" + secrets.token_urlsafe(16))
        return self._serializer.dumps({"s": shop_id, "v": identity.visitor_id}), identity

    def read(self, token: str, shop_id: int) -> VisitorIdentity:
        if not isinstance(token, str) or len(token) > 512:
            raise BadToken("the visitor token is malformed")
        try:
            data = self._serializer.loads(token, max_age=self._ttl)
        except SignatureExpired:
            raise BadToken("the visitor token has expired") from None
        except BadSignature:
            raise BadToken("the visitor token is not valid") from None
        if not isinstance(data, dict) or data.get("s") != shop_id or not isinstance(data.get("v"), str):
            raise BadToken("the visitor token belongs to another shop")
        return VisitorIdentity(shop_id, data["v"])
