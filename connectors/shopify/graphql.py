"""A small client for Shopify's Admin GraphQL API, over ``requests``.

It does what every call needs and nothing else:

- ``POST https://{shop}/admin/api/{version}/graphql.json`` with the shop's
  ``X-Shopify-Access-Token``;
- cost-based throttling: each response's ``extensions.cost.throttleStatus``
  says how full the shop's bucket is and how fast it refills; before a query
  the client waits exactly as long as the bucket needs to hold that query's
  requested cost (never a fixed sleep), and a ``THROTTLED`` answer is retried
  after the computed refill time;
- 429 and 5xx answers and dropped connections retried with bounded
  exponential backoff (``Retry-After`` honoured);
- a 401 calls the token refresher once and retries; a token about to expire
  is refreshed before the call;
- GraphQL ``errors`` and mutation ``userErrors`` become
  :class:`~core.connector.ConnectorError` with a message naming the cause.

``sleep`` and ``clock`` are injectable so tests never really wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from core.connector import ConnectorError

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2026-10"
#: Refresh an expiring offline token when it has less than this left.
REFRESH_MARGIN = timedelta(minutes=5)
MAX_RETRIES = 5
MAX_THROTTLE_WAITS = 20
#: Waits aim one point past the cost: the bucket Shopify reports is rounded.
SAFETY_POINTS = 1.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
#: Seconds to connect, and to wait for each read of an answer.
TIMEOUT = (5.0, 15.0)
#: Seconds one call may spend failing (network errors, 429/5xx and the waits between
#: them): a store that keeps failing gives its sync worker back instead of holding it
#: for minutes. Waits for the cost bucket are planned, not failures, and not counted.
FAILURE_DEADLINE = 60.0


class ShopifyAuthError(ConnectorError):
    code = "shopify_unauthorized"


class ShopifyThrottled(ConnectorError):
    code = "shopify_throttled"


@dataclass
class Bucket:
    """The shop's cost bucket as the last response described it."""

    available: float
    maximum: float
    restore_rate: float
    seen_at: float

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.seen_at) * self.restore_rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until the bucket holds ``cost`` points (0 when it already does)."""
        if self.restore_rate <= 0:
            return 0.0
        missing = min(cost, self.maximum) - self.available_at(now)
        return (missing + SAFETY_POINTS) / self.restore_rate if missing > 0 else 0.0


class AdminGraphQL:
    """One shop's Admin GraphQL endpoint."""

    def __init__(
        self,
        shop_domain: str,
        *,
        access_token: Callable[[], str],
        api_version: str = DEFAULT_API_VERSION,
        refresh: Callable[[], None] | None = None,
        token_expires_at: Callable[[], datetime | None] = lambda: None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout: float | tuple[float, float] = TIMEOUT,
        cost_hints: Mapping[str, float] | None = None,
    ) -> None:
        if not shop_domain:
            raise ConnectorError("Shopify connector config has no shop_domain", code="config_invalid")
        self.url = f"https://{shop_domain}/admin/api/{api_version}/graphql.json"
        self._token = access_token
        self._refresh = refresh
        self._expires_at = token_expires_at
        self._http = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._timeout = timeout
        self.bucket: Bucket | None = None
        #: The requested cost of each query text: first the caller's estimate,
        #: then what Shopify's responses say.
        self._costs: dict[str, float] = dict(cost_hints or {})
        #: Counters for benchmarks and logs.
        self.stats = {"requests": 0, "throttled": 0, "retries": 0, "waited": 0.0, "cost": 0.0}

    # -- public ---------------------------------------------------------------

    def execute(
        self, query: str, variables: Mapping[str, Any] | None = None, *, allow_partial: bool = False
    ) -> dict[str, Any]:
        """Run one query; return its ``data``.

        With ``allow_partial``, field-level errors (protected customer data a
        shop has not granted, say) are logged and the partial ``data`` is
        returned; otherwise any error raises.
        """
        self._refresh_if_expiring()
        refreshed = False
        failures = 0
        throttle_waits = 0
        self._failing_since: float | None = None
        while True:
            self._wait_for_bucket(query)
            try:
                response = self._post(query, variables)
            except (requests.ConnectionError, requests.Timeout) as exc:
                failures = self._backoff(failures, None, f"network error: {exc}")
                continue
            status = response.status_code
            if status == 401:
                if refreshed or self._refresh is None:
                    raise ShopifyAuthError(
                        "Shopify refused the access token (401): reinstall the app or refresh the token"
                    )
                log.info("Shopify answered 401; refreshing the access token and retrying once")
                self._refresh()
                refreshed = True
                continue
            payload = _json_or_none(response)
            if payload is not None:
                self._learn_cost(query, payload)
            if _is_throttled(status, payload):
                self.stats["throttled"] += 1
                throttle_waits += 1
                if throttle_waits > MAX_THROTTLE_WAITS:
                    raise ShopifyThrottled("Shopify kept throttling the sync; try again later")
                self._sleep_for(self._throttle_wait(query, response))
                continue
            if status == 429 or status >= 500:
                failures = self._backoff(failures, response, f"HTTP {status}")
                continue
            if status >= 400:
                raise ConnectorError(_http_error_message(status, payload), code=f"shopify_http_{status}")
            if payload is None:
                raise ConnectorError(f"Shopify answered HTTP {status} with a body that is not JSON")
            return _data_or_raise(payload, allow_partial)

    # -- throttling -------------------------------------------------------------

    def _wait_for_bucket(self, query: str) -> None:
        cost = self._costs.get(query)
        if self.bucket is None or cost is None:
            return
        self._sleep_for(self.bucket.wait_for(cost, self._clock()))

    def _learn_cost(self, query: str, payload: Mapping[str, Any]) -> None:
        cost = (payload.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if cost.get("requestedQueryCost") is not None:
            self._costs[query] = float(cost["requestedQueryCost"])
        if cost.get("actualQueryCost") is not None:
            self.stats["cost"] += float(cost["actualQueryCost"])
        try:
            self.bucket = Bucket(
                available=float(status["currentlyAvailable"]),
                maximum=float(status["maximumAvailable"]),
                restore_rate=float(status["restoreRate"]),
                seen_at=self._clock(),
            )
        except (KeyError, TypeError, ValueError):
            pass

    def _throttle_wait(self, query: str, response: requests.Response) -> float:
        cost = self._costs.get(query)
        if self.bucket is not None and cost is not None and self.bucket.restore_rate > 0:
            # At least a sliver: the bucket said "no" to exactly this cost just now.
            return max(self.bucket.wait_for(cost, self._clock()), 1 / self.bucket.restore_rate)
        return _retry_after(response) or BACKOFF_BASE

    # -- retries ------------------------------------------------------------------

    def _backoff(self, failures: int, response: requests.Response | None, what: str) -> int:
        if failures >= MAX_RETRIES:
            raise ConnectorError(f"Shopify failed {failures + 1} times in a row ({what}); giving up")
        delay = (_retry_after(response) if response is not None else None) or min(
            BACKOFF_CAP, BACKOFF_BASE * 2**failures
        )
        now = self._clock()
        if self._failing_since is None:
            self._failing_since = now
        if now - self._failing_since + delay > FAILURE_DEADLINE:
            raise ConnectorError(f"Shopify kept failing for {now - self._failing_since:.0f} s ({what}); giving up")
        log.warning("Shopify call failed (%s); retrying in %.1fs", what, delay)
        self.stats["retries"] += 1
        self._sleep_for(delay)
        return failures + 1

    def _sleep_for(self, seconds: float) -> None:
        if seconds > 0:
            self.stats["waited"] += seconds
            self._sleep(seconds)

    # -- tokens and HTTP -------------------------------------------------------------

    def _refresh_if_expiring(self) -> None:
        expires_at = self._expires_at()
        if self._refresh is not None and expires_at is not None and expires_at - self._now() < REFRESH_MARGIN:
            log.info("Shopify access token expires at %s; refreshing it first", expires_at.isoformat())
            self._refresh()

    def _post(self, query: str, variables: Mapping[str, Any] | None) -> requests.Response:
        self.stats["requests"] += 1
        return self._http.post(
            self.url,
            json={"query": query, "variables": dict(variables or {})},
            headers={"X-Shopify-Access-Token": self._token(), "Accept": "application/json"},
            timeout=self._timeout,
        )


def raise_user_errors(result: Mapping[str, Any] | None, what: str) -> None:
    """Raise when a mutation's payload carries ``userErrors``."""
    errors = (result or {}).get("userErrors") or []
    if errors:
        detail = "; ".join(f"{'.'.join(map(str, e.get('field') or [])) or 'input'}: {e.get('message')}" for e in errors)
        raise ConnectorError(f"Shopify rejected {what}: {detail}", code="shopify_user_error")


def _data_or_raise(payload: Mapping[str, Any], allow_partial: bool) -> dict[str, Any]:
    errors = payload.get("errors")
    data = payload.get("data")
    if errors:
        message = _error_text(errors)
        if allow_partial and isinstance(data, dict):
            log.warning("Shopify answered with partial data: %s", message)
            return data
        raise ConnectorError(f"Shopify GraphQL error: {message}", code="shopify_graphql_error")
    if not isinstance(data, dict):
        raise ConnectorError("Shopify answered without data or errors")
    return data


def _error_text(errors: Any) -> str:
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        parts = []
        for e in errors:
            if isinstance(e, Mapping):
                code = (e.get("extensions") or {}).get("code")
                path = ".".join(map(str, e.get("path") or []))
                parts.append(" ".join(p for p in (f"[{code}]" if code else "", path, str(e.get("message"))) if p))
            else:
                parts.append(str(e))
        return "; ".join(parts)
    return str(errors)


def _is_throttled(status: int, payload: Mapping[str, Any] | None) -> bool:
    errors = (payload or {}).get("errors")
    if isinstance(errors, list):
        return any(isinstance(e, Mapping) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)
    return False


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    try:
        value = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(value, BACKOFF_CAP) if value > 0 else None


def _json_or_none(response: requests.Response) -> dict[str, Any] | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _http_error_message(status: int, payload: Mapping[str, Any] | None) -> str:
    detail = _error_text(payload.get("errors")) if payload and payload.get("errors") else ""
    hint = {
        402: "the shop is frozen or unpaid",
        403: "the app lacks an access scope this call needs",
        404: "the shop or API version does not exist",
        423: "the shop is locked",
    }.get(status, "the request was refused")
    return f"Shopify answered HTTP {status}: {hint}" + (f" ({detail})" if detail else "")


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp from Shopify (``...Z`` or with an offset) as aware UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
