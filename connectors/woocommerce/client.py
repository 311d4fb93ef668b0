"""The WooCommerce REST API (``/wp-json/wc/v3/``) through the ``woocommerce`` package.

The package returns plain ``requests`` responses: no retries, no status
checks, a 5 s default timeout (PLATFORMS.md B6). This wrapper adds a sane
timeout, a few retries on 429 and 5xx answers (``Retry-After`` honoured,
capped), and errors that say what went wrong. Query values are always
strings (lists comma-joined: PHP keeps only the last of repeated keys).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from woocommerce import API

from core.connector import ConnectorError

#: The WooCommerce REST API's largest page.
PER_PAGE = 100
TIMEOUT = 30
ATTEMPTS = 4
BACKOFF = 0.5
MAX_WAIT = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "StoreChat-WooCommerce/1"


class WooClient:
    def __init__(self, store_url: str, consumer_key: str, consumer_secret: str, *,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = TIMEOUT) -> None:
        self.store_url = store_url.rstrip("/")
        self._api = API(url=self.store_url, consumer_key=consumer_key, consumer_secret=consumer_secret,
                        version="wc/v3", timeout=timeout, user_agent=USER_AGENT)
        self._sleep = sleep
        self._timeout = timeout
        self._public = requests.Session()  # no credentials: for the site's public wp/v2 content
        self._public.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})

    def request(self, method: str, endpoint: str, params: Mapping[str, Any] | None = None,
                data: Any = None) -> requests.Response:
        """One call, retried on 429/5xx and network errors; the last answer is returned as is."""
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        if method in ("post", "put"):
            return self._retried(lambda: getattr(self._api, method)(endpoint, data, params=dict(query)))
        return self._retried(lambda: getattr(self._api, method)(endpoint, params=dict(query)))

    def get_public_page(self, path: str, params: Mapping[str, Any], page: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a public WordPress collection (``/wp-json/wp/v2/<path>``), without credentials."""
        url = f"{self.store_url}/wp-json/wp/v2/{path}"
        query = {**{k: _param(v) for k, v in params.items()}, "per_page": str(PER_PAGE), "page": str(page)}
        resp = self._retried(lambda: self._public.get(url, params=query, timeout=self._timeout))
        if resp.status_code == 400 and error_code(resp) == "rest_post_invalid_page_number":
            return [], page - 1  # the collection shrank while it was read
        if not resp.ok:
            raise ConnectorError(f"WordPress at {self.store_url} answered HTTP {resp.status_code} "
                                 f"({error_code(resp) or 'no code'}) for /wp/v2/{path}", code="platform_error")
        body = _json(resp, self.store_url)
        if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
            raise ConnectorError(f"{resp.url} did not answer a JSON list of objects", code="platform_bad_response")
        return body, total_pages(resp)

    def _retried(self, send: Callable[[], requests.Response]) -> requests.Response:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                resp = send()
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt < ATTEMPTS:
                    self._sleep(_backoff(attempt))
                    continue
                raise ConnectorError(f"WooCommerce at {self.store_url} could not be reached: {exc}",
                                     code="platform_unreachable") from None
            if resp.status_code in RETRY_STATUSES and attempt < ATTEMPTS:
                self._sleep(_retry_after(resp) or _backoff(attempt))
                continue
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(self, endpoint: str, params: Mapping[str, Any] | None = None) -> tuple[Any, requests.Response]:
        resp = self.request("get", endpoint, params)
        self.raise_for_status(resp, endpoint)
        return _json(resp, self.store_url), resp

    def post_json(self, endpoint: str, data: Any) -> Any:
        resp = self.request("post", endpoint, data=data)
        self.raise_for_status(resp, endpoint)
        return _json(resp, self.store_url)

    def get_page(self, endpoint: str, params: Mapping[str, Any], page: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a collection and the collection's page count (``X-WP-TotalPages``)."""
        body, resp = self.get_json(endpoint, {**params, "per_page": PER_PAGE, "page": page})
        if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
            raise ConnectorError(f"{resp.url} did not answer a JSON list of objects", code="platform_bad_response")
        return body, total_pages(resp)

    def raise_for_status(self, resp: requests.Response, endpoint: str) -> None:
        if resp.ok:
            return
        code = error_code(resp)
        detail = f" ({code})" if code else ""
        if resp.status_code in (401, 403):
            raise ConnectorError(
                f"WooCommerce at {self.store_url} refused StoreChat's API keys: HTTP {resp.status_code}{detail}. "
                "Connect WooCommerce again from the StoreChat plugin's settings page.",
                code="platform_auth_failed",
            )
        if resp.status_code == 404:
            raise ConnectorError(f"WooCommerce at {self.store_url}: /wc/v3/{endpoint} not found (HTTP 404{detail})",
                                 code="platform_not_found")
        raise ConnectorError(
            f"WooCommerce at {self.store_url} answered HTTP {resp.status_code}{detail} for /wc/v3/{endpoint}",
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


def _json(resp: requests.Response, store_url: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise ConnectorError(f"{resp.url} did not answer JSON (is {store_url} a WooCommerce store?)",
                             code="platform_bad_response") from None


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _backoff(attempt: int) -> float:
    return BACKOFF * 2 ** (attempt - 1)


def _retry_after(resp: requests.Response) -> float | None:
    try:
        wait = float(resp.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(max(wait, 0.0), MAX_WAIT)
