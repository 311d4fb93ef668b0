"""A small HTTP service on a loopback address that records what reached it, a resolver that
makes test names resolve to chosen addresses, and a guard that records (and blocks) any
connection to an address outside loopback, for the outbound-policy tests.

Traffic only ever goes to 127.0.0.0/8 and ::1: names that "resolve" to private or
metadata addresses are refused before a socket is opened, and the guard would catch
(and the test fail on) any attempt that was not.
"""
from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Route = Callable[[BaseHTTPRequestHandler], None]


class LoopbackService:
    """``routes`` maps a path to a handler; every request is recorded in ``hits`` (method, path, Host)."""

    def __init__(self, host: str = "127.0.0.1", routes: dict[str, Route] | None = None) -> None:
        self.routes = dict(routes or {})
        self.hits: list[tuple[str, str, str]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                service.hits.append((self.command, self.path, self.headers.get("Host", "")))
                route = service.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    send_json(self, 404, {"code": "rest_no_route"})
                else:
                    route(self)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.host, self.port = host, self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> LoopbackService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def redirect(location: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return route


def json_route(body: Any, headers: dict[str, str] | None = None) -> Route:
    return lambda handler: send_json(handler, 200, body, headers)


def dripping(seconds: float, every: float = 0.1) -> Route:
    """Headers at once, then one byte of the body every ``every`` seconds for ``seconds``."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        count = int(seconds / every)
        handler.send_response(200)
        handler.send_header("Content-Length", str(count))
        handler.end_headers()
        try:
            for _ in range(count):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            pass  # the client gave up, as it should
    return route


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> None:
    """Make ``core.outbound`` resolve each name to the given addresses (other names: no answer;
    addresses: themselves)."""
    from core.outbound import rules

    def resolve(host: str, port: int) -> list[tuple[int, tuple]]:
        try:
            values = [str(ipaddress.ip_address(host))]  # an address resolves to itself
        except ValueError:
            if host not in names:
                raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a test name") from None
            values = names[host]
        found = []
        for value in values:
            address = ipaddress.ip_address(value)
            if address.version == 6:
                found.append((socket.AF_INET6, (value, port, 0, 0)))
            else:
                found.append((socket.AF_INET, (value, port)))
        return found

    monkeypatch.setattr(rules, "resolve", resolve)


@pytest.fixture
def off_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every attempt to connect a socket outside loopback, blocked and recorded (must stay empty)."""
    attempts: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def loopback(address: Any) -> bool:
        if isinstance(address, tuple):
            try:
                return ipaddress.ip_address(address[0].split("%", 1)[0]).is_loopback
            except ValueError:
                return False
        return True  # a Unix socket

    def connect(self: socket.socket, address: Any) -> None:
        if not loopback(address):
            attempts.append(address)
            raise ConnectionRefusedError("test guard: not a loopback address")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not loopback(address):
            attempts.append(address)
            return 111
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts


@pytest.fixture
def outbound_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production default: no plain http, no private addresses."""
    monkeypatch.delenv("STORECHAT_ALLOW_PLAIN_HTTP", raising=False)
    monkeypatch.delenv("STORECHAT_OUTBOUND_ALLOW_NETWORKS", raising=False)


@pytest.fixture
def outbound_development(monkeypatch: pytest.MonkeyPatch) -> None:
    """The development allowance, set explicitly: plain http and 127.0.0.1 only."""
    monkeypatch.setenv("STORECHAT_ALLOW_PLAIN_HTTP", "1")
    monkeypatch.setenv("STORECHAT_OUTBOUND_ALLOW_NETWORKS", "127.0.0.1/32")
