"""An ``httpx2`` client for the OpenAI SDK whose calls pass the outbound policy.

Each request's URL (every redirect hop: the client sends each one through the
transport) is checked, and each new connection resolves the host, checks every
address and connects to the checked one; TLS still verifies the certificate
for the real name (httpcore passes it as SNI separately from the address).

A refusal reaches the SDK as an ordinary ``httpx2.ConnectError`` (the SDK's
"Connection error."), so it reads exactly like a closed port; the
:class:`~core.outbound.rules.OutboundRefused` stays in the exception chain
(:func:`refusal` finds it) and in the operator's log.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2

from core.outbound.rules import OutboundRefused, checked_addresses, policy

log = logging.getLogger(__name__)


class _CheckedBackend(httpcore2.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        try:
            addresses = checked_addresses(host, port)
        except OutboundRefused as exc:
            raise httpcore2.ConnectError("Connection refused") from exc
        except socket.gaierror as exc:
            raise httpcore2.ConnectError("Name resolution failed") from exc
        error: Exception | None = None
        for _, sockaddr in addresses:
            try:
                return super().connect_tcp(sockaddr[0], port, timeout, local_address, socket_options)
            except httpcore2.ConnectTimeout:
                raise
            except httpcore2.ConnectError as exc:
                error = exc
        raise error or httpcore2.ConnectError("Connection failed")


class CheckedTransport(httpx2.HTTPTransport):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trust_env=False, **kwargs)
        # httpx2 builds the pool; the backend is the one place that opens sockets.
        self._pool._network_backend = _CheckedBackend()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            policy().check_url(str(request.url))
        except OutboundRefused as exc:
            log.warning("outbound call refused: %s", exc.message)
            raise httpx2.ConnectError("Connection refused", request=request) from exc
        return super().handle_request(request)


def httpx_client(*, timeout: float = 30.0, connect: float = 5.0, max_redirects: int = 3) -> httpx2.Client:
    """A client to hand to ``openai.OpenAI(http_client=...)``."""
    return httpx2.Client(
        transport=CheckedTransport(),
        trust_env=False,
        follow_redirects=True,
        max_redirects=max_redirects,
        timeout=httpx2.Timeout(timeout, connect=connect),
    )


def refusal(exc: BaseException | None) -> OutboundRefused | None:
    """The policy refusal behind ``exc`` (anywhere in its chain of causes), if there is one."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OutboundRefused):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
