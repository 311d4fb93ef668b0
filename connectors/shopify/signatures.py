"""Checking what Shopify signs, and the shop domains it names.

Three schemes (PLATFORMS.md A2, A4, A7), all HMAC-SHA256 with the app's
client secret and all compared in constant time:

- OAuth and admin-launch query strings: ``hmac`` = hex digest of the other
  parameters, sorted, joined ``key=value`` with ``&``;
- webhooks: ``X-Shopify-Hmac-Sha256`` = base64 digest of the raw body;
- App Proxy requests: ``signature`` = hex digest of the other parameters,
  sorted, repeated keys joined with ``,``, concatenated with no separator.

Shopify's own libraries encode the query-string message differently when a
value holds ``=``, ``&``, ``%`` or a space (the JS library percent-encodes,
the Python one escapes only ``%``, ``=``, ``&``), and which one Shopify's
servers use for such values is not settled. Both messages are built and
either digest is accepted: each is a MAC under the app secret, so accepting
two encodings of the same parameters admits no forgery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

#: A stored Shopify identity is ``<handle>.myshopify.com``: a lowercase handle
#: of letters, digits and inner hyphens (the rule of ShopifyAPI's
#: ``sanitize_shop_domain``, restricted to myshopify.com).
_SHOP_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]\.myshopify\.com")
MAX_DOMAIN = 255
#: Largest age of a signed request's ``timestamp`` (seconds), either way. Shopify's
#: JS library allows 90 s; a little more absorbs clock skew between Shopify and this server.
MAX_AGE = 300


def shop_domain(value: str | None) -> str | None:
    """``value`` if it is exactly a ``*.myshopify.com`` shop host, else ``None``.

    No scheme, path, port, uppercase-only tricks or other domain is accepted:
    the value ends up in URLs StoreChat requests, so anything else is refused
    before any request is made.
    """
    if not isinstance(value, str) or len(value) > MAX_DOMAIN:
        return None
    host = value.strip().lower()
    return host if _SHOP_DOMAIN.fullmatch(host) else None


def timestamp_problem(value: str | None, now: float, max_age: int = MAX_AGE) -> str | None:
    """Why a signed request's ``timestamp`` is refused: ``"invalid"`` (not a decimal
    Unix time) or ``"stale"`` (more than ``max_age`` seconds from ``now``); None when fresh."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return "invalid"
    return "stale" if abs(now - int(value)) > max_age else None


def _digest(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _pairs(multi: Mapping[str, Iterable[str]], skip: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    return sorted((k, list(v)) for k, v in multi.items() if k not in skip)


def _query_message_js(multi: Mapping[str, Iterable[str]]) -> str:
    # URLSearchParams: percent-encoded keys and values, spaces as %20, repeats joined by ','.
    return "&".join(
        f"{quote(k, safe='*-._')}={quote(','.join(v), safe='*-._')}" for k, v in _pairs(multi, ("hmac", "signature"))
    )


def _query_message_python(multi: Mapping[str, Iterable[str]]) -> str:
    # ShopifyAPI: '%' and '&' escaped in both, '=' in keys; 'x[]' keys carry a JSON list.
    def esc(text: str, key: bool) -> str:
        text = text.replace("%", "%25")
        return text.replace("=", "%3D") if key else text

    parts = []
    for k, v in _pairs(multi, ("hmac",)):
        value = '["' + '", "'.join(v) + '"]' if k.endswith("[]") else ",".join(v)
        parts.append(f"{esc(k, True)}={esc(value, False)}".replace("&", "%26"))
    return "&".join(parts)


def _same(expected: str, given: str) -> bool:
    """Constant-time equality that refuses (instead of raising on) a non-ASCII forgery."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def query_hmac_ok(multi: Mapping[str, Iterable[str]], secret: str) -> bool:
    """The ``hmac`` of an OAuth callback (or admin launch) query; ``multi``: key -> values.

    The digest covers a repeated key's values joined with ``,`` while a route
    reads one value, and Shopify repeats only list keys (``ids[]``): any
    other repeated key is refused, so what the route reads is what was signed.
    """
    lists = {k: list(v) for k, v in multi.items()}
    given = lists.get("hmac") or []
    if not secret or len(given) != 1 or not given[0]:
        return False
    if any(len(v) > 1 and not k.endswith("[]") for k, v in lists.items()):
        return False
    ok_js = _same(_digest(secret, _query_message_js(lists)), given[0])
    ok_py = _same(_digest(secret, _query_message_python(lists)), given[0])
    return ok_js or ok_py


def webhook_hmac_ok(raw_body: bytes, header: str | None, secret: str) -> bool:
    """``X-Shopify-Hmac-Sha256``: base64 HMAC-SHA256 of the exact body bytes."""
    if not secret or not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()
    return _same(expected, header.strip())


#: Keys Shopify's App Proxy documentation says never repeat.
PROXY_SINGLE = ("shop", "signature", "timestamp", "hmac")


def proxy_signature_ok(multi: Mapping[str, Iterable[str]], secret: str) -> bool:
    """The ``signature`` of an App Proxy request (a repeat of :data:`PROXY_SINGLE` is refused).

    The message concatenates the parameters with no separator, so it only
    vouches for the query as a whole when every parameter is one Shopify put
    there: a route that reads an identity from it must also refuse anything
    else (see :mod:`.proxy`).
    """
    lists = {k: list(v) for k, v in multi.items()}
    given = lists.get("signature") or []
    if not secret or len(given) != 1 or not given[0]:
        return False
    if any(len(lists.get(key) or ()) > 1 for key in PROXY_SINGLE):
        return False
    message = "".join(f"{k}={','.join(v)}" for k, v in _pairs(lists, ("signature",)))
    return _same(_digest(secret, message), given[0])


def sign_query(params: Mapping[str, str], secret: str) -> str:
    """The ``hmac`` Shopify puts on a query with these (single-valued) params; for tests and tools."""
    return _digest(secret, _query_message_js({k: [v] for k, v in params.items()}))
