"""Shopify's token endpoint: the install's code exchange and the refresh of
expiring offline tokens (PLATFORMS.md A2).

``POST https://{shop}/admin/oauth/access_token`` with the app's client id and
secret and either the install's ``code`` plus ``expiring=1`` (an offline
token that expires, 60 minutes, with a refresh token) or
``grant_type=refresh_token``. A refresh answers with a new access token AND
a new refresh token; both are stored at once through
``connector.update_config`` (core saves them encrypted). ShopifyAPI's
``request_token`` has no ``expiring`` flag or refresh and does its HTTP with
urllib, so these calls are made here with ``requests``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from core.connector import Connector, ConnectorError

TIMEOUT = 15.0
Now = Callable[[], datetime]


class TokenRefused(ConnectorError):
    code = "shopify_token_refused"


def token_url(shop_domain: str) -> str:
    return f"https://{shop_domain}/admin/oauth/access_token"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def token_fields(payload: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The config fields a token response gives: tokens, their expiry, the granted scopes."""
    token = payload.get("access_token")
    if not isinstance(token, str) or not token:
        raise TokenRefused("Shopify's token response has no access_token")
    fields: dict[str, Any] = {"access_token": token, "scope": payload.get("scope")}
    if payload.get("refresh_token"):
        fields["refresh_token"] = payload["refresh_token"]
    if payload.get("expires_in") is not None:
        fields["access_token_expires_at"] = (now + timedelta(seconds=int(payload["expires_in"]))).isoformat()
    if payload.get("refresh_token_expires_in") is not None:
        fields["refresh_token_expires_at"] = (
            now + timedelta(seconds=int(payload["refresh_token_expires_in"]))
        ).isoformat()
    return fields


def _post(shop_domain: str, body: Mapping[str, Any], http: Any) -> Mapping[str, Any]:
    try:
        response = http.post(
            token_url(shop_domain), json=dict(body), timeout=TIMEOUT, headers={"Accept": "application/json"}
        )
    except requests.RequestException as exc:
        raise ConnectorError(f"could not reach Shopify's token endpoint: {exc}", code="shopify_unreachable") from None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.status_code != 200 or not isinstance(payload, dict):
        detail = ""
        if isinstance(payload, dict):
            detail = str(payload.get("error_description") or payload.get("error") or payload.get("errors") or "")
        raise TokenRefused(
            f"Shopify refused the token request (HTTP {response.status_code})" + (f": {detail}" if detail else "")
        )
    return payload


def exchange_code(
    shop_domain: str, app: Mapping[str, Any], code: str, *, http: Any = requests, now: Now = _utcnow
) -> dict[str, Any]:
    """The install's code for an expiring offline token and its refresh token."""
    payload = _post(
        shop_domain,
        {"client_id": app.get("client_id"), "client_secret": app.get("client_secret"), "code": code, "expiring": 1},
        http,
    )
    return token_fields(payload, now())


def refresh(connector: Connector, *, http: Any = None, now: Now = _utcnow) -> None:
    """Renew the connector's expiring access token and store both new tokens.

    Several processes (sync, webhooks, order lookups) hold copies of the
    tokens, and Shopify retires a refresh token once its successor is used.
    So the stored tokens are read first: when another process has refreshed
    meanwhile, its tokens are taken instead; and when Shopify refuses the
    refresh token held here, the stored ones are read again before giving up.
    """
    held = connector.config.get("access_token")
    if (
        connector.reload_config()
        and connector.config.get("access_token") != held
        and not _expiring(connector.config, now())
    ):
        return
    try:
        _refresh(connector, http=http, now=now)
    except TokenRefused:
        if connector.reload_config() and connector.config.get("access_token") != held:
            return
        raise


def _expiring(config: Mapping[str, Any], now: datetime) -> bool:
    try:
        expires = datetime.fromisoformat(str(config.get("access_token_expires_at")))
    except ValueError:
        return False
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires - now < timedelta(minutes=5)


def _refresh(connector: Connector, *, http: Any, now: Now) -> None:
    refresh_token = connector.config.get("refresh_token")
    shop_domain = connector.config.get("shop_domain")
    if not refresh_token or not shop_domain:
        raise TokenRefused("this Shopify install has no refresh token: reinstall the app", code="shopify_unauthorized")
    client = http or getattr(connector, "_session", None) or requests
    payload = _post(
        shop_domain,
        {
            "client_id": connector.app.get("client_id"),
            "client_secret": connector.app.get("client_secret"),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
        client,
    )
    fields = token_fields(payload, now())
    fields.pop("scope", None)
    connector.update_config(**fields)


#: Token exchange (PLATFORMS.md A3): a session token for an online access token,
#: whose answer names the staff member the session token is for.
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
ONLINE_TOKEN = "urn:shopify:params:oauth:token-type:online-access-token"


def staff_member(
    shop_domain: str, app: Mapping[str, Any], session_token: str, *, http: Any = requests
) -> dict[str, Any]:
    """The ``associated_user`` of an online token exchanged for ``session_token``:
    the staff member's ``id``, ``email``, ``first_name``, ``last_name``,
    ``email_verified``, ``account_owner``. The online token itself is not kept."""
    payload = _post(
        shop_domain,
        {
            "client_id": app.get("client_id"),
            "client_secret": app.get("client_secret"),
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": session_token,
            "subject_token_type": ID_TOKEN,
            "requested_token_type": ONLINE_TOKEN,
        },
        http,
    )
    user = payload.get("associated_user")
    if not isinstance(user, dict) or user.get("id") is None:
        raise TokenRefused("Shopify's online token names no staff member (associated_user)")
    return user
