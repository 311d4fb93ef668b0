"""The parts of Shopify an app install and its webhooks talk to, on ``responses``:
the token endpoint (code exchange with ``expiring=1``, refresh grants, the
token exchange of a session token for an online token) and the
Admin GraphQL API of :mod:`tests.fakes.shopify_admin` extended with what the
install reads and writes (shop details, webhook subscriptions, inventory
items). Every query is still validated against Shopify's real schema.

Also builds what Shopify sends StoreChat: signed OAuth callbacks, webhook
deliveries and App Proxy requests, with HMACs computed as Shopify does, and
App Bridge's session tokens (JWTs signed with PyJWT as Shopify signs them).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import responses

from tests.fakes.shopify_admin import SHOP, TOKEN, FakeAdmin, FakeClock, Store, products_from_rest

CLIENT_ID = "storechat-client-id"
CLIENT_SECRET = "shpss_storechat-test-secret-0123456789"
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"


@dataclass
class AppStore(Store):
    """The fake shop's data plus its name, currency and the app's webhook subscriptions."""

    name: str = "Aardvark Goods"
    currency: str = "EUR"
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    #: App-data metafields: (namespace, key) -> value.
    app_metafields: dict[tuple[str, str], str] = field(default_factory=dict)

    def root(self) -> dict[str, Any]:
        root = super().root()
        root["shop"] = {**root["shop"], "name": self.name, "currencyCode": self.currency}
        root["webhookSubscriptions"] = lambda info, first=None, uri=None, **_: {
            "nodes": [s for s in self.subscriptions if uri is None or s["uri"] == uri][:first]}
        root["webhookSubscriptionCreate"] = self._subscribe
        root["inventoryItem"] = self._inventory_item
        root["currentAppInstallation"] = {"id": "gid://shopify/AppInstallation/42"}
        root["metafieldsSet"] = self._set_metafields
        return root

    def _set_metafields(self, info: Any, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        if any(m["ownerId"] != "gid://shopify/AppInstallation/42" for m in metafields):
            return {"metafields": None, "userErrors": [{"field": ["metafields", "0", "ownerId"],
                                                        "message": "Owner does not exist"}]}
        for m in metafields:
            self.app_metafields[(m["namespace"], m["key"])] = m["value"]
        return {"metafields": [{"namespace": m["namespace"], "key": m["key"]} for m in metafields], "userErrors": []}

    def _subscribe(self, info: Any, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        uri = webhookSubscription.get("uri")
        if any(s["topic"] == topic and s["uri"] == uri for s in self.subscriptions):
            return {"webhookSubscription": None, "userErrors": [
                {"field": ["webhookSubscription", "callbackUrl"], "message": "Address for this topic has already been taken"}]}
        sub = {"id": f"gid://shopify/WebhookSubscription/{len(self.subscriptions) + 1}", "topic": topic, "uri": uri}
        self.subscriptions.append(sub)
        return {"webhookSubscription": sub, "userErrors": []}

    def _inventory_item(self, info: Any, id: str) -> dict[str, Any] | None:  # noqa: A002
        for p in self.products:
            for v in p["_variants"]:
                if v["inventoryItem"]["id"] == id:
                    return {"variant": {"product": {"id": p["id"]}}}
        return None


class FakeShopify:
    """Token endpoint + Admin GraphQL for :data:`SHOP`."""

    def __init__(self, rsps: responses.RequestsMock, store: AppStore | None = None) -> None:
        self.store = store or AppStore(products=products_from_rest())
        self.admin = FakeAdmin(rsps, self.store, clock=FakeClock())
        self.codes: dict[str, str] = {}          # code -> access token it grants
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> access token it grants
        self.token_requests: list[dict[str, Any]] = []
        #: The shop's staff, by user id: the ``associated_user`` of their online tokens.
        self.staff: dict[str, dict[str, Any]] = {}
        self.issued = 0
        rsps.add_callback("POST", TOKEN_URL, callback=self._token, content_type="application/json")

    def grant_code(self) -> str:
        code = uuid.uuid4().hex
        self.codes[code] = TOKEN
        return code

    def _new_pair(self, access: str) -> dict[str, Any]:
        self.issued += 1
        refresh = f"shprt_{self.issued}_{uuid.uuid4().hex[:8]}"
        self.refresh_tokens[refresh] = access
        self.admin.valid_tokens.add(access)
        return {"access_token": access, "scope": "read_products,read_orders", "expires_in": 3600,
                "refresh_token": refresh, "refresh_token_expires_in": 7776000}

    def _token(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        self.token_requests.append(body)
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
            return 400, {}, json.dumps({"error": "invalid_client", "error_description": "Client credentials are invalid"})
        if body.get("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange":
            return self._exchange(body)
        if body.get("grant_type") == "refresh_token":
            old = body.get("refresh_token")
            if old not in self.refresh_tokens:
                return 400, {}, json.dumps({"error": "invalid_grant", "error_description": "refresh token is invalid"})
            del self.refresh_tokens[old]
            return 200, {}, json.dumps(self._new_pair(f"shpat_refreshed_{self.issued + 1}"))
        code = body.get("code")
        if code not in self.codes or body.get("expiring") != 1:
            return 400, {}, json.dumps({"error": "invalid_request", "error_description": "code is invalid or used"})
        return 200, {}, json.dumps(self._new_pair(self.codes.pop(code)))


    def add_staff(self, user_id: int, email: str, *, first_name: str = "Sam", last_name: str = "Staff",
                  account_owner: bool = False, email_verified: bool = True) -> None:
        self.staff[str(user_id)] = {"id": user_id, "first_name": first_name, "last_name": last_name,
                                    "email": email, "email_verified": email_verified,
                                    "account_owner": account_owner, "locale": "en", "collaborator": False}

    def token_exchanges(self) -> list[dict[str, Any]]:
        return [b for b in self.token_requests if b.get("grant_type", "").endswith("token-exchange")]

    def _exchange(self, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        """A session token for an online access token (PLATFORMS.md A3)."""
        if body.get("subject_token_type") != "urn:ietf:params:oauth:token-type:id_token" or \
                body.get("requested_token_type") != "urn:shopify:params:oauth:token-type:online-access-token":
            return 400, {}, json.dumps({"error": "invalid_request", "error_description": "unsupported token type"})
        try:
            claims = jwt.decode(body.get("subject_token") or "", CLIENT_SECRET, audience=CLIENT_ID,
                                algorithms=["HS256"])
        except jwt.PyJWTError as exc:
            return 400, {}, json.dumps({"error": "invalid_subject_token", "error_description": str(exc)})
        user = self.staff.get(str(claims.get("sub")))
        if user is None or claims.get("dest") != f"https://{SHOP}":
            return 400, {}, json.dumps({"error": "invalid_subject_token", "error_description": "unknown user"})
        self.issued += 1
        return 200, {}, json.dumps({"access_token": f"shpua_{self.issued}", "scope": "read_products",
                                    "expires_in": 86399, "associated_user_scope": "read_products",
                                    "associated_user": user})


# -- what Shopify sends --------------------------------------------------------------


def session_token(sub: str = "42", *, shop: str = SHOP, secret: str = CLIENT_SECRET, aud: str = CLIENT_ID,
                  lifetime: int = 60, now: int | None = None, **claims: Any) -> str:
    """An App Bridge session token: HS256 with the app secret, Shopify's claims (PLATFORMS.md A3)."""
    issued = int(time.time()) if now is None else now
    payload = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": aud, "sub": sub,
               "exp": issued + lifetime, "nbf": issued, "iat": issued, "jti": uuid.uuid4().hex,
               "sid": uuid.uuid4().hex}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")



def signed_callback(params: dict[str, str], secret: str = CLIENT_SECRET) -> dict[str, str]:
    """Query params plus the ``hmac`` Shopify computes (sorted ``k=v`` joined by ``&``, hex)."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def callback_params(state: str, code: str, *, shop: str = SHOP, timestamp: int | None = None) -> dict[str, str]:
    return {"code": code, "host": base64.b64encode(f"admin.shopify.com/store/{shop.split('.')[0]}".encode())
            .decode().rstrip("="), "shop": shop, "state": state,
            "timestamp": str(int(time.time()) if timestamp is None else timestamp)}


def webhook_headers(topic: str, body: bytes, *, shop: str = SHOP, secret: str = CLIENT_SECRET,
                    webhook_id: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-25T15:00:00.000000Z",
        "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode(),
    }


def proxy_signature(pairs: list[tuple[str, str]], secret: str = CLIENT_SECRET) -> str:
    """Shopify's App Proxy ``signature`` of these parameters: a repeated key's values joined with
    ``,``, ``k=v`` sorted by key and concatenated with no separator, hex HMAC-SHA256."""
    joined: dict[str, list[str]] = {}
    for k, v in pairs:
        joined.setdefault(k, []).append(v)
    message = "".join(f"{k}={','.join(v)}" for k, v in sorted(joined.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def proxy_query(params: dict[str, str] | list[tuple[str, str]], secret: str = CLIENT_SECRET) -> str:
    """An App Proxy query string (``params`` a dict, or pairs with repeated keys) with Shopify's ``signature``."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    return urlencode([*pairs, ("signature", proxy_signature(pairs, secret))])
