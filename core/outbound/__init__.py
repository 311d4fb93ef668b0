"""Outbound HTTP to addresses a merchant or a platform chose (a store, a WordPress
site, an OpenAI-compatible endpoint): public addresses only, https unless the
operator allows plain http, the checked address is the one connected to, and
every request has a deadline. See :mod:`.rules` for the rules.

Connectors reach this through :mod:`core.connector`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.outbound.rules import OutboundRefused, Policy, is_public, parse_networks, policy
from core.outbound.session import CONNECT_TIMEOUT, DEADLINE, READ_TIMEOUT, Deadline, OutboundSession

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "CONNECT_TIMEOUT",
    "DEADLINE",
    "READ_TIMEOUT",
    "Deadline",
    "OutboundRefused",
    "OutboundSession",
    "Policy",
    "check_url",
    "httpx_client",
    "is_public",
    "parse_networks",
    "policy",
    "refusal",
]


def check_url(url: str) -> None:
    """Refuse (:class:`OutboundRefused`) a URL the current policy would not call."""
    policy().check_url(url)


def httpx_client(**kwargs: Any) -> httpx2.Client:
    """An ``httpx2`` client for the OpenAI SDK (see :mod:`.httpx_transport`); a refusal reaches
    the SDK as a connection error, :func:`refusal` finds it in the chain."""
    from core.outbound.httpx_transport import httpx_client as make

    return make(**kwargs)


def refusal(exc: BaseException | None) -> OutboundRefused | None:
    from core.outbound.httpx_transport import refusal as find

    return find(exc)
