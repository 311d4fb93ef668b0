"""Per-address limits count an IPv6 client by its /64 (one host holds a whole /64)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import websocket

from core.app import create_app
from core.security.client_address import address_key
from tests.live import serve


@pytest.mark.parametrize("ip, key", [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("2001:DB8:1:3::1", "2001:db8:1:3::/64"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("fe80::1%eth0", "fe80::/64"),
    ("", "unknown"),
    (None, "unknown"),
    ("not-an-address", "not-an-address"),
])
def test_address_key(ip: str | None, key: str) -> None:
    assert address_key(ip) == key


@pytest.fixture
def proxied_url(settings, db, redis, shop) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app behind one trusted proxy: X-Forwarded-For says who the client is."""
    settings.trusted_proxies = 1
    settings.max_connections_per_ip = 1
    app = create_app(settings)
    with serve(app) as url:
        yield url
    app.extensions["storechat"].close()


def _socket(url: str, ip: str) -> websocket.WebSocket:
    return websocket.create_connection(url.replace("http://", "ws://") + "/ws/visitor", timeout=10,
                                       header=[f"X-Forwarded-For: {ip}"])


def _hello(url: str, ip: str) -> requests.Response:
    return requests.post(url + "/api/v1/visitor/hello", data='{"site_key": "sk_test"}',
                         headers={"X-Forwarded-For": ip}, timeout=10)


def test_one_ipv6_64_is_one_address_for_the_connection_cap(proxied_url: str) -> None:
    held = _socket(proxied_url, "2001:db8:1:2::1")
    held.send('{"type": "hello", "site_key": "sk_test"}')
    assert '"welcome"' in held.recv()  # its slot is held from here on
    try:
        # Another address of the same /64: over the cap of 1, on a socket and over HTTP.
        same = _socket(proxied_url, "2001:db8:1:2::beef")
        assert '"too_many_connections"' in same.recv()
        same.close()
        refused = _hello(proxied_url, "2001:db8:1:2:aaaa::9")
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_connections"
        # The next /64, and an IPv4 client, are other addresses.
        assert _hello(proxied_url, "2001:db8:1:3::1").status_code == 200
        assert _hello(proxied_url, "203.0.113.7").status_code == 200
    finally:
        held.close()
