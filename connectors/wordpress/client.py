"""The WordPress REST API (``/wp-json/wp/v2/``) as this connector reads it.

One core :class:`~core.connector.OutboundSession` per connector (the site's
address is the merchant's to choose: public https addresses only, every
redirect hop and connection checked, short timeouts and one deadline for a
call and its retries), HTTP Basic with an application password when one is
configured (public content needs none), and a few retries on 429 and 5xx
answers (``Retry-After`` honoured, capped, within the deadline). Collections
are read ``per_page=100`` at a time, following ``X-WP-TotalPages``. When the
site cannot be reached the error says so and nothing more (no address, no
network error text).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from core.connector import ConnectorError, OutboundSession, retried

log = logging.getLogger(__name__)

#: The WordPress REST API's largest page.
PER_PAGE = 100
#: Seconds for one call, its retries included (connect and read timeouts are core's: 5 s, 15 s).
DEADLINE = 45.0
USER_AGENT = "StoreChat-WordPress/1"
UNREACHABLE = "StoreChat could not reach the WordPress site; check that it is online and try again"


class WordPressClient:
    def __init__(
        self,
        site_url: str,
        *,
        username: str | None = None,
        application_password: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.site_url = site_url.rstrip("/")
        self.api = f"{self.site_url}/wp-json/wp/v2"
        self.username = username
        self._session = OutboundSession(deadline=DEADLINE)
        self._session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        if username and application_password:
            # WordPress ignores the spaces it shows in the password; so may we.
            self._session.auth = (username, application_password.replace(" ", ""))
        self._sleep = sleep

    def get(self, path: str, params: Mapping[str, Any]) -> requests.Response:
        """GET ``/wp-json/wp/v2/<path>``; retried on 429/5xx and network errors."""
        url = f"{self.api}/{path.lstrip('/')}"
        # OutboundSession takes a Deadline for timeout (requests' own types know only seconds).
        return retried(
            lambda deadline: self._session.get(url, params=dict(params), timeout=deadline),  # type: ignore[arg-type]
            self._session.deadline(),
            sleep=self._sleep,
            unreachable=UNREACHABLE,
            platform="WordPress",
            place="site",
            log=log,
        )

    def get_json(self, path: str, params: Mapping[str, Any]) -> tuple[Any, requests.Response]:
        resp = self.get(path, params)
        self._raise_for_status(resp, path)
        try:
            return resp.json(), resp
        except ValueError:
            raise ConnectorError(
                f"/wp-json/wp/v2/{path} did not answer JSON "
                f"(is {self.site_url} a WordPress site with the REST API on?)",
                code="platform_bad_response",
            ) from None

    def iter_collection(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a collection, page after page, in the order asked for.

        Pages are offsets: when items are removed while the collection is read,
        the items after them move to pages already read and would be missed (and
        a full sync would then remove them). So a collection that shrinks during
        the read stops it with an error; the sync fails, removes nothing, and the
        next one reads it whole.
        """
        page, pages, total = 1, 1, None
        while page <= pages:
            resp = self.get(path, {**params, "per_page": PER_PAGE, "page": page})
            shrank = resp.status_code == 400 and _error_code(resp) == "rest_post_invalid_page_number"
            now = _total(resp)
            if shrank or (total is not None and now is not None and now < total):
                raise ConnectorError(
                    f"{self.site_url}: {path} changed while it was read (items were removed); "
                    "nothing was removed from StoreChat, sync again",
                    code="platform_changed_during_read",
                )
            total = total if total is not None else now
            self._raise_for_status(resp, path)
            try:
                items = resp.json()
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise ConnectorError(
                    f"/wp-json/wp/v2/{path} did not answer a JSON list (is {self.site_url} a WordPress site?)",
                    code="platform_bad_response",
                )
            for item in items:
                if not isinstance(item, dict):
                    raise ConnectorError(
                        f"/wp-json/wp/v2/{path}: an item is not a JSON object", code="platform_bad_response"
                    )
                yield item
            pages = _total_pages(resp)
            page += 1

    def raise_for_status(self, resp: requests.Response, path: str) -> None:
        """:class:`ConnectorError` for an answer that is not a success, with its code."""
        self._raise_for_status(resp, path)

    def _raise_for_status(self, resp: requests.Response, path: str) -> None:
        if resp.ok:
            return
        code = _error_code(resp)
        detail = f" ({code})" if code else ""
        if resp.status_code in (401, 403):
            who = f"user {self.username!r} with its application password" if self.username else "anonymous access"
            raise ConnectorError(
                f"WordPress at {self.site_url} refused {who}: HTTP {resp.status_code}{detail}. "
                "Check the username and create a new application password under Users → Profile.",
                code="platform_auth_failed",
            )
        if resp.status_code == 404 and code in (None, "rest_no_route"):
            raise ConnectorError(
                f"no WordPress REST API route /wp/v2/{path} at {self.site_url} (HTTP 404{detail})",
                code="platform_not_found",
            )
        raise ConnectorError(
            f"WordPress at {self.site_url} answered HTTP {resp.status_code}{detail} for /wp/v2/{path}",
            code="platform_error",
        )


def _total(resp: requests.Response) -> int | None:
    try:
        return int(resp.headers["X-WP-Total"])
    except (KeyError, ValueError):
        return None


def _total_pages(resp: requests.Response) -> int:
    try:
        return max(1, int(resp.headers.get("X-WP-TotalPages", "1")))
    except ValueError:
        return 1


def _error_code(resp: requests.Response) -> str | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None
