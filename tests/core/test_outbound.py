"""core.outbound: calls to addresses a merchant or platform chose reach public https
addresses only, on every redirect hop, connect to the address that was checked, and
stop at their deadline.

Traffic goes only to loopback: names that "resolve" to private addresses come from a
monkeypatched resolver and are refused before any socket opens (``off_loopback``
would record an attempt that was not)."""
from __future__ import annotations

import ipaddress
from typing import Any

import httpx2
import pytest
import requests

from core import outbound
from core.outbound import Deadline, OutboundRefused, OutboundSession, Policy, is_public
from tests.fakes.loopback_service import (  # noqa: F401 - fixtures
    LoopbackService,
    closed_port,
    dripping,
    fake_dns,
    json_route,
    off_loopback,
    redirect,
)

PRIVATE = ["127.0.0.1", "127.9.9.9", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
           "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "198.18.0.1",
           "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
           "::ffff:10.0.0.5", "::ffff:169.254.169.254", "2002:7f00:1::", "2002:a00:5::", "64:ff9b::a00:5",
           "64:ff9b::7f00:1", "2001:db8::1"]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.216.34", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", ["http://shop.example.com/", "ftp://shop.example.com/", "https:///path",
                                 "https://user:pw@shop.example.com/", "https://127.0.0.1/", "https://[::1]/",
                                 "https://[::ffff:127.0.0.1]/", "https://169.254.169.254/latest/meta-data/",
                                 "https://shop.example.com:99999/", "file:///etc/passwd"])
def test_the_production_policy_refuses_these_urls(url: str, outbound_production: None) -> None:
    with pytest.raises(OutboundRefused):
        outbound.check_url(url)


def test_the_production_policy_takes_public_https(outbound_production: None) -> None:
    outbound.check_url("https://shop.example.com/wp-json/")
    outbound.check_url("https://93.184.216.34:8443/")


def test_the_development_allowance_is_explicit_and_narrow(outbound_development: None) -> None:
    outbound.check_url("http://127.0.0.1:8080/")
    with pytest.raises(OutboundRefused):
        outbound.check_url("http://127.0.0.2:8080/")  # not in the allowed network
    with pytest.raises(OutboundRefused):
        outbound.check_url("http://10.0.0.5/")


def test_an_invalid_allowance_falls_back_to_the_strict_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORECHAT_ALLOW_PLAIN_HTTP", "1")
    monkeypatch.setenv("STORECHAT_OUTBOUND_ALLOW_NETWORKS", "127.0.0.1,not-a-network")
    assert outbound.policy() == Policy()


# -- the session: every connection and every hop -------------------------------------


def test_a_loopback_url_is_refused_and_nothing_is_sent(outbound_production: None, off_loopback: list[Any]) -> None:
    with LoopbackService(routes={"/data": json_route({"secret": 1})}) as internal:
        with pytest.raises(OutboundRefused):
            OutboundSession().get(f"{internal.url}/data")
        # plain http allowed, addresses not: still refused at the connection
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("STORECHAT_ALLOW_PLAIN_HTTP", "1")
            with pytest.raises(OutboundRefused):
                OutboundSession().get(f"{internal.url}/data")
    assert internal.hits == [] and off_loopback == []


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "::ffff:127.0.0.1",
                                     "fd00::5", "0.0.0.0"])
def test_a_public_looking_name_resolving_to_a_private_address_is_refused(
        address: str, outbound_production: None, monkeypatch: pytest.MonkeyPatch, off_loopback: list[Any]) -> None:
    fake_dns(monkeypatch, {"shop.example.com": [address]})
    with pytest.raises(OutboundRefused):
        OutboundSession().get("https://shop.example.com/wp-json/wc/v3/products")
    assert off_loopback == []


def test_one_private_answer_among_public_ones_refuses_the_name(
        outbound_production: None, monkeypatch: pytest.MonkeyPatch, off_loopback: list[Any]) -> None:
    fake_dns(monkeypatch, {"shop.example.com": ["127.0.0.1", "93.184.216.34"]})
    with pytest.raises(OutboundRefused):
        OutboundSession().get("https://shop.example.com/")
    assert off_loopback == []


def test_a_redirect_to_a_refused_address_is_refused_on_that_hop(
        outbound_development: None, monkeypatch: pytest.MonkeyPatch, off_loopback: list[Any]) -> None:
    with LoopbackService("127.0.0.2", routes={"/internal": json_route({"secret": 1})}) as internal, \
            LoopbackService(routes={}) as store:
        fake_dns(monkeypatch, {"internal.example.com": ["127.0.0.2"]})
        store.routes["/to-ip"] = redirect(f"{internal.url}/internal")
        store.routes["/to-name"] = redirect(f"http://internal.example.com:{internal.port}/internal")
        session = OutboundSession()
        for path in ("/to-ip", "/to-name"):
            with pytest.raises(OutboundRefused):
                session.get(f"{store.url}{path}")
        assert [hit[1] for hit in store.hits] == ["/to-ip", "/to-name"]
    assert internal.hits == [] and off_loopback == []


def test_a_redirect_from_https_to_plain_http_is_refused(outbound_production: None) -> None:
    refused = OutboundSession().get_adapter("https://x")
    request = requests.Request("GET", "http://shop.example.com/").prepare()
    with pytest.raises(OutboundRefused):
        refused.send(request)  # every hop passes the adapter, so a redirect hop does too


def test_the_connection_goes_to_the_checked_address_with_the_real_name(
        outbound_development: None, monkeypatch: pytest.MonkeyPatch, off_loopback: list[Any]) -> None:
    """The name resolves only through the checked resolver (not the system's), so the
    connection can only have used the checked address; Host still names the store."""
    with LoopbackService(routes={"/data": json_route({"ok": True})}) as store:
        fake_dns(monkeypatch, {"store.example.test": ["127.0.0.1"]})
        resp = OutboundSession().get(f"http://store.example.test:{store.port}/data")
    assert resp.json() == {"ok": True}
    assert store.hits == [("GET", "/data", f"store.example.test:{store.port}")]
    assert off_loopback == []


def test_redirects_are_bounded(outbound_development: None) -> None:
    with LoopbackService(routes={}) as store:
        store.routes["/loop"] = redirect("/loop")
        with pytest.raises(requests.TooManyRedirects):
            OutboundSession().get(f"{store.url}/loop")
        assert len(store.hits) == outbound.session.MAX_REDIRECTS + 1


def test_environment_proxies_are_ignored(outbound_development: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    with LoopbackService(routes={"/data": json_route({"ok": True})}) as store:
        assert OutboundSession().get(f"{store.url}/data").json() == {"ok": True}


# -- deadlines and sizes -------------------------------------------------------------


def test_a_deadline_bounds_the_timeouts_and_runs_out() -> None:
    deadline = Deadline(2.0, connect=5.0, read=15.0)
    connect, read = deadline.timeout()
    assert connect <= 2.0 and read <= 2.0
    assert Deadline(60.0).timeout() == (outbound.CONNECT_TIMEOUT, outbound.READ_TIMEOUT)
    assert not deadline.allows(5.0)
    with pytest.raises(requests.Timeout):
        Deadline(0.0).timeout()


def test_a_slowly_dripping_answer_stops_at_the_deadline(outbound_development: None) -> None:
    with LoopbackService(routes={"/slow": dripping(seconds=20)}) as store:
        with pytest.raises(requests.Timeout):
            OutboundSession(deadline=0.6, read=0.5).get(f"{store.url}/slow")


def test_an_oversized_answer_is_refused(outbound_development: None) -> None:
    with LoopbackService(routes={"/big": json_route(["x" * 1000] * 100)}) as store:
        session = OutboundSession(max_bytes=10_000)
        with pytest.raises(OutboundRefused):
            session.get(f"{store.url}/big")


# -- the OpenAI SDK's client -----------------------------------------------------------


def test_the_httpx_client_refuses_the_same_way(outbound_production: None, monkeypatch: pytest.MonkeyPatch,
                                                off_loopback: list[Any]) -> None:
    with LoopbackService(routes={"/v1/models": json_route({"data": []})}) as internal:
        client = outbound.httpx_client()
        with pytest.raises(httpx2.ConnectError) as plain:
            client.get(f"{internal.url}/v1/models")
        fake_dns(monkeypatch, {"llm.example.com": ["169.254.169.254"]})
        with pytest.raises(httpx2.ConnectError) as named:
            client.get("https://llm.example.com/v1/models")
        assert outbound.refusal(plain.value) and outbound.refusal(named.value)
        assert internal.hits == []
    assert off_loopback == []


def test_the_httpx_client_connects_to_the_checked_address(outbound_development: None, monkeypatch: pytest.MonkeyPatch,
                                                          off_loopback: list[Any]) -> None:
    with LoopbackService(routes={"/v1/models": json_route({"data": []})}) as server, \
            LoopbackService("127.0.0.2", routes={"/v1/models": json_route({"data": ["internal"]})}) as internal:
        fake_dns(monkeypatch, {"llm.example.test": ["127.0.0.1"], "inside.example.test": ["127.0.0.2"]})
        server.routes["/hop"] = redirect(f"http://inside.example.test:{internal.port}/v1/models")
        client = outbound.httpx_client()
        assert client.get(f"http://llm.example.test:{server.port}/v1/models").json() == {"data": []}
        with pytest.raises(httpx2.ConnectError) as hop:
            client.get(f"http://llm.example.test:{server.port}/hop")
        assert outbound.refusal(hop.value)
        assert server.hits[0] == ("GET", "/v1/models", f"llm.example.test:{server.port}")
        assert internal.hits == []
    assert off_loopback == []
