"""The WordPress site is the merchant's to choose, so the connector calls public https
addresses only (core's outbound policy), and when it cannot, says it could not reach the
site and nothing more. Traffic stays on loopback (see tests/fakes/loopback_service.py)."""
from __future__ import annotations

from typing import Any

import pytest

from connectors.wordpress import WordPressConnector
from core.connector import ConnectorError
from tests.fakes.loopback_service import (  # noqa: F401 - a fixture
    LoopbackService,
    closed_port,
    fake_dns,
    json_route,
    off_loopback,
    redirect,
)

SITE_ROUTES = {"/wp-json/wp/v2/categories": json_route([], {"X-WP-Total": "0", "X-WP-TotalPages": "1"}),
               "/wp-json/wp/v2/pages": json_route([], {"X-WP-Total": "0", "X-WP-TotalPages": "1"}),
               "/wp-json/wp/v2/posts": json_route([], {"X-WP-Total": "0", "X-WP-TotalPages": "1"})}


def _read(site_url: str) -> ConnectorError:
    with pytest.raises(ConnectorError) as err:
        list(WordPressConnector({"site_url": site_url}, sleep=lambda s: None).iter_documents())
    assert err.value.code == "platform_unreachable"
    return err.value


def test_a_loopback_site_is_not_called_in_production(outbound_production: None, off_loopback: list[Any]) -> None:
    with LoopbackService(routes=SITE_ROUTES) as site:
        for url in (site.url, f"https://127.0.0.1:{site.port}"):
            error = _read(url)
            assert "127.0.0.1" not in error.message and str(site.port) not in error.message
        assert site.hits == []
    assert off_loopback == []


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "::ffff:127.0.0.1"])
def test_a_site_name_resolving_to_a_private_address_is_refused(
        address: str, outbound_production: None, monkeypatch: pytest.MonkeyPatch, off_loopback: list[Any]) -> None:
    fake_dns(monkeypatch, {"site.example.com": [address]})
    error = _read("https://site.example.com")
    assert address not in error.message and "Errno" not in error.message and "Max retries" not in error.message
    assert off_loopback == []


def test_a_redirect_to_another_address_is_refused_and_reads_like_a_closed_port(
        outbound_development: None, monkeypatch: pytest.MonkeyPatch, off_loopback: list[Any]) -> None:
    with LoopbackService("127.0.0.2", routes=SITE_ROUTES) as internal, LoopbackService() as site:
        site.routes["/wp-json/wp/v2/categories"] = redirect(f"{internal.url}/wp-json/wp/v2/categories")
        refused = _read(site.url)
        assert internal.hits == [] and len(site.hits) >= 1
    closed = _read(f"http://127.0.0.1:{closed_port()}")
    assert refused.message == closed.message
    assert "127.0.0" not in refused.message and "Connection" not in refused.message
    assert off_loopback == []


def test_the_development_allowance_reaches_a_local_site(outbound_development: None) -> None:
    with LoopbackService(routes=SITE_ROUTES) as site:
        assert list(WordPressConnector({"site_url": site.url}).iter_documents()) == []
        assert site.hits
