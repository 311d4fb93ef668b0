"""A ``requests`` session for calls to addresses a merchant or a platform chose.

Every hop of a request (redirects included) passes the policy's URL check;
every new connection resolves its host, checks each address and connects to
the checked one (urllib3 still sends SNI, checks the certificate and sends the
``Host`` header for the real name), so a name cannot resolve to a public
address for the check and to a private one for the connection. Environment
proxies and ``.netrc`` are ignored. A request, redirects included, has a
:class:`Deadline`: short connect and read timeouts that never run past it,
and a body read that stops at it and at :data:`MAX_BYTES`.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util import connection as urllib3_connection

from core.outbound.rules import OutboundRefused, checked_addresses, policy

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
#: Seconds for one request to an outside server, its retries and redirects included.
DEADLINE = 30.0
MAX_REDIRECTS = 3
#: Largest answer read (bytes): a WooCommerce page of 100 products is well under it.
MAX_BYTES = 32 * 1024 * 1024
#: At most this much per socket read: the deadline is checked between reads.
CHUNK = 64 * 1024


class Deadline:
    """A point in time a request (and its retries) must be done by."""

    def __init__(
        self, seconds: float = DEADLINE, *, connect: float = CONNECT_TIMEOUT, read: float = READ_TIMEOUT
    ) -> None:
        self.end = time.monotonic() + seconds
        self.connect, self.read = connect, read

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def timeout(self) -> tuple[float, float]:
        """``(connect, read)`` for the next attempt; :class:`requests.Timeout` once it is spent."""
        left = self.remaining()
        if left <= 0.05:
            raise requests.Timeout("the request's time is spent")
        return min(self.connect, left), min(self.read, left)

    def allows(self, wait: float, room: float = 1.0) -> bool:
        """True when waiting ``wait`` seconds still leaves ``room`` for another attempt."""
        return self.remaining() - wait >= room


def _connect(conn: HTTPConnection) -> socket.socket:
    """Open the socket of ``conn`` to a checked address of its host."""
    try:
        addresses = checked_addresses(conn._dns_host, conn.port)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    error: OSError | None = None
    for _, sockaddr in addresses:
        try:
            return urllib3_connection.create_connection(
                (sockaddr[0], conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out") from exc
        except OSError as exc:
            error = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {error}")


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self)


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class CheckedAdapter(HTTPAdapter):
    """Checks every hop's URL and every connection's address; reads bodies within the deadline."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        policy().check_url(request.url or "")
        deadline = timeout if isinstance(timeout, Deadline) else Deadline()
        resp = super().send(request, stream=True, timeout=deadline.timeout(), verify=verify, cert=cert, proxies=None)
        if not stream:
            _read_body(resp, deadline, self.max_bytes)
        return resp


def _read_body(resp: requests.Response, deadline: Deadline, max_bytes: int) -> None:
    """Read the whole body, one socket read at a time, stopping at the deadline and the size
    limit (a store dripping a byte a second would otherwise hold a read for ever)."""
    chunks, size = [], 0
    try:
        while True:
            if deadline.remaining() <= 0:
                raise requests.ReadTimeout("the answer took longer than the request's time")
            try:
                chunk = resp.raw.read1(CHUNK, decode_content=True)
            except ReadTimeoutError as exc:
                raise requests.ReadTimeout(exc) from exc
            except DecodeError as exc:
                raise requests.exceptions.ContentDecodingError(exc) from exc
            except (ProtocolError, OSError) as exc:
                raise requests.exceptions.ChunkedEncodingError(exc) from exc
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise OutboundRefused(f"the answer is larger than {max_bytes} bytes")
            chunks.append(chunk)
    except BaseException:
        resp.close()
        raise
    resp._content = b"".join(chunks)
    resp._content_consumed = True


class OutboundSession(requests.Session):
    """A session whose requests are checked (see the module doc).

    ``timeout`` may be given a :class:`Deadline` shared by the attempts of one
    logical request; anything else is replaced by a new deadline of this
    session's length."""

    def __init__(
        self,
        *,
        deadline: float = DEADLINE,
        connect: float = CONNECT_TIMEOUT,
        read: float = READ_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        super().__init__()
        self.trust_env = False  # no proxies or .netrc from the environment
        self.max_redirects = max_redirects
        self._length, self._connect, self._read = deadline, connect, read
        adapter = CheckedAdapter(max_bytes)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def deadline(self) -> Deadline:
        return Deadline(self._length, connect=self._connect, read=self._read)

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if not isinstance(kwargs.get("timeout"), Deadline):
            kwargs["timeout"] = self.deadline()
        kwargs.pop("proxies", None)
        return super().request(method, url, *args, **kwargs)
