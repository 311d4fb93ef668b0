"""Signed shopper identities: "this visitor is customer X of shop S".

A platform vouches for a logged-in shopper (Shopify through a signed App Proxy
request); core turns that into a short-lived token the widget presents in its
``hello``. Order lookups then use the customer id inside, never one the
browser merely claims.
"""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.errors import StoreChatError

SALT = "storechat.identity.v1"
#: Seconds a signed identity is good for; the widget asks for a new one after.
TTL = 60 * 60
MAX_TOKEN = 1024


class BadIdentity(StoreChatError):
    code = "bad_identity"


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
