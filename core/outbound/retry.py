"""Retrying one call to a store or site a merchant chose, within its deadline.

A few attempts (:data:`ATTEMPTS`) on network errors and on 429 and 5xx answers
(:data:`RETRY_STATUSES`): exponential backoff from :data:`BACKOFF` seconds, or
the answer's ``Retry-After`` when it gives one, capped at :data:`MAX_WAIT`, and
only while the call's :class:`~core.outbound.Deadline` leaves room for another
attempt. A refused address or a network error on the last attempt becomes a
:class:`~core.errors.ConnectorError` ``platform_unreachable`` that says so and
nothing more (no address, no network error text); the last answer is returned
as is, whatever its status.

Connectors reach this through :mod:`core.connector`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import requests

from core.errors import ConnectorError
from core.outbound.rules import OutboundRefused
from core.outbound.session import Deadline

ATTEMPTS = 4
BACKOFF = 0.5
MAX_WAIT = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, ...)."""
    return min(MAX_WAIT, BACKOFF * 2 ** (attempt - 1))


def retry_after(resp: requests.Response) -> float | None:
    """The answer's ``Retry-After`` in seconds (0 to :data:`MAX_WAIT`), None when it has none."""
    try:
        return min(MAX_WAIT, max(0.0, float(resp.headers["Retry-After"])))
    except (KeyError, ValueError):
        return None


def retried(
    send: Callable[[Deadline], requests.Response],
    deadline: Deadline,
    *,
    sleep: Callable[[float], None],
    unreachable: str,
    platform: str,
    place: str,
    log: logging.Logger,
) -> requests.Response:
    """``send(deadline)`` until it gives an answer not worth retrying, or attempts or time run out.

    ``unreachable`` is the error's message; ``platform`` and ``place`` (``"WooCommerce"``,
    ``"store"``) name the other side in the log."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            resp = send(deadline)
        except OutboundRefused as exc:
            log.warning("%s call refused: %s", platform, exc.message)
            raise ConnectorError(unreachable, code="platform_unreachable") from None
        except requests.RequestException as exc:
            wait = backoff(attempt)
            if attempt < ATTEMPTS and deadline.allows(wait):
                sleep(wait)
                continue
            log.warning("%s %s unreachable: %s", platform, place, type(exc).__name__)
            raise ConnectorError(unreachable, code="platform_unreachable") from None
        wait = retry_after(resp) or backoff(attempt)
        if resp.status_code in RETRY_STATUSES and attempt < ATTEMPTS and deadline.allows(wait):
            sleep(wait)
            continue
        return resp
    raise AssertionError("unreachable")  # pragma: no cover
