"""The WooCommerce REST API (``/wp-json/wc/v3/``), called through core's outbound session.

The store's address is the merchant's to choose, so every call goes through
:class:`~core.connector.OutboundSession`: public https addresses only (plain
http and local addresses only where the operator allows them for
development), every redirect hop checked, short connect/read timeouts and one
deadline for a request and all its retries. Authentication is what the
``woocommerce`` package does: HTTP Basic over https, OAuth 1.0a signatures
(its ``OAuth``) over plain http. A few retries on 429 and 5xx answers
(``Retry-After`` honoured, capped, within the deadline), and errors that say
what went wrong without echoing addresses or network internals. Query values
are always strings (lists comma-joined: PHP keeps only the last of repeated keys).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from woocommerce.oauth import OAuth

from core.connector import ConnectorError, OutboundSession, retried

log = logging.getLogger(__name__)

#: The WooCommerce REST API's largest page.
PER_PAGE = 100
#: Seconds for one call, its retries included (connect and read timeouts are core's: 5 s, 15 s).
DEADLINE = 45.0
USER_AGENT = "StoreChat-WooCommerce/1"
VERSION = "wc/v3"
UNREACHABLE = "StoreChat could not reach the WooCommerce store; check that it is online and try again"


class WooClient:
    def __init__(
        self,
        store_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = DEADLINE,
    ) -> None:
        self.store_url = store_url.rstrip("/")
        self._key, self._secret = consumer_key, consumer_secret
        self._sleep = sleep
        self._session = OutboundSession(deadline=deadline)
        self._session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})

    def request(
        self, method: str, endpoint: str, params: Mapping[str, Any] | None = None, data: Any = None
    ) -> requests.Response:
        """One call, retried on 429/5xx and network errors; the last answer is returned as is."""
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        url = f"{self.store_url}/wp-json/{VERSION}/{endpoint}"
        body = json.dumps(data, ensure_ascii=False).encode() if data is not None else None
        headers = {"Content-Type": "application/json;charset=utf-8"} if body is not None else {}
        return self._retried(lambda timeout: self._send(method.upper(), url, query, body, headers, timeout))

    def _send(
        self, method: str, url: str, query: dict[str, str], body: bytes | None, headers: dict[str, str], timeout: Any
    ) -> requests.Response:
        if url.startswith("https://"):
            return self._session.request(
                method, url, params=query, data=body, headers=headers, timeout=timeout, auth=(self._key, self._secret)
            )
        # Plain http (development only): the keys sign the request instead of travelling in it.
        signed = OAuth(
            url=f"{url}?{urlencode(query)}" if query else url,
            consumer_key=self._key,
            consumer_secret=self._secret,
            version=VERSION,
            method=method,
            oauth_timestamp=int(time.time()),
        ).get_oauth_url()
        return self._session.request(method, signed, data=body, headers=headers, timeout=timeout)

    def get_public_page(self, path: str, params: Mapping[str, Any], page: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a public WordPress collection (``/wp-json/wp/v2/<path>``), without credentials."""
        url = f"{self.store_url}/wp-json/wp/v2/{path}"
        query = {**{k: _param(v) for k, v in params.items()}, "per_page": str(PER_PAGE), "page": str(page)}
        resp = self._retried(lambda timeout: self._session.get(url, params=query, timeout=timeout))
        if resp.status_code == 400 and error_code(resp) == "rest_post_invalid_page_number":
            return [], page - 1  # the collection shrank while it was read
        if not resp.ok:
            raise ConnectorError(
                f"WordPress answered HTTP {resp.status_code} ({error_code(resp) or 'no code'}) for /wp/v2/{path}",
                code="platform_error",
            )
        body = _json(resp, f"/wp-json/wp/v2/{path}")
        if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
            raise ConnectorError(
                f"/wp-json/wp/v2/{path} did not answer a JSON list of objects", code="platform_bad_response"
            )
        return body, total_pages(resp)

    def _retried(self, send: Callable[[Any], requests.Response]) -> requests.Response:
        return retried(
            send,
            self._session.deadline(),
            sleep=self._sleep,
            unreachable=UNREACHABLE,
            platform="WooCommerce",
            place="store",
            log=log,
        )

    def get_json(self, endpoint: str, params: Mapping[str, Any] | None = None) -> tuple[Any, requests.Response]:
        resp = self.request("get", endpoint, params)
        self.raise_for_status(resp, endpoint)
        return _json(resp, f"/wc/v3/{endpoint}"), resp

    def post_json(self, endpoint: str, data: Any) -> Any:
        resp = self.request("post", endpoint, data=data)
        self.raise_for_status(resp, endpoint)
        return _json(resp, f"/wc/v3/{endpoint}")

    def get_page(self, endpoint: str, params: Mapping[str, Any], page: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a collection and the collection's page count (``X-WP-TotalPages``)."""
        body, resp = self.get_json(endpoint, {**params, "per_page": PER_PAGE, "page": page})
        if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
            raise ConnectorError(
                f"/wc/v3/{endpoint} did not answer a JSON list of objects", code="platform_bad_response"
            )
        return body, total_pages(resp)

    def raise_for_status(self, resp: requests.Response, endpoint: str) -> None:
        if resp.ok:
            return
        code = error_code(resp)
        detail = f" ({code})" if code else ""
        if resp.status_code in (401, 403):
            raise ConnectorError(
                f"WooCommerce refused StoreChat's API keys: HTTP {resp.status_code}{detail}. "
                "Connect WooCommerce again from the StoreChat plugin's settings page.",
                code="platform_auth_failed",
            )
        if resp.status_code == 404:
            raise ConnectorError(
                f"WooCommerce: /wc/v3/{endpoint} not found (HTTP 404{detail})", code="platform_not_found"
            )
        raise ConnectorError(
            f"WooCommerce answered HTTP {resp.status_code}{detail} for /wc/v3/{endpoint}",
            code="platform_error",
        )


def total_pages(resp: requests.Response) -> int:
    try:
        return max(1, int(resp.headers.get("X-WP-TotalPages", "1")))
    except ValueError:
        return 1


def error_code(resp: requests.Response) -> str | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def _json(resp: requests.Response, path: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise ConnectorError(
            f"{path} did not answer JSON (is this a WooCommerce store?)", code="platform_bad_response"
        ) from None


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
