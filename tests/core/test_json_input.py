"""JSON from outside is read by one parser with a nesting limit: a deeply nested
body is refused as malformed input at every entry point, never a 500.

Every route that takes a request body is listed in ``BODY_ROUTES``: a new one
fails ``test_every_route_with_a_body_is_listed`` until it is added there (and
so tested with a deeply nested body)."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core import json_input
from core.app import create_app
from core.connector import webhook_payload
from core.errors import RecordError
from tests.core.tinyshop import sign, tiny  # noqa: F401 - fixture
from tests.wsclient import AgentClient, VisitorClient

DEEP = "[" * 15000
#: Deep enough to break the standard parser, small enough for a cookie.
DEEP_COOKIE = base64.urlsafe_b64encode(b"[" * 2500).decode().rstrip("=")


@pytest.fixture
def app(settings, db, redis, shop, tiny) -> Iterator[Flask]:  # type: ignore[no-untyped-def]  # noqa: F811
    if "demo" in type(settings).model_fields:
        settings.demo = True  # the demo storefront's routes take bodies too
    app = create_app(settings)
    yield app
    app.extensions["storechat"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _visitor(path: str) -> Callable[[FlaskClient, bytes], TestResponse]:
    return lambda client, body: client.post(f"/api/v1/visitor/{path}", data=body,
                                            headers={"Content-Type": "text/plain"})


def _webhook(client: FlaskClient, body: bytes) -> TestResponse:
    return client.post("/webhooks/tiny", data=body, headers={
        "X-Tiny-Shop": "t1.example", "X-Tiny-Topic": "product", "X-Tiny-Id": "d1",
        "X-Tiny-Signature": sign(body), "Content-Type": "application/json"})


#: endpoint -> how to post a body to it.
BODY_ROUTES: dict[str, Callable[[FlaskClient, bytes], TestResponse]] = {
    "visitor_http.hello": _visitor("hello"),
    "visitor_http.send": _visitor("messages"),
    "visitor_http.typing": _visitor("typing"),
    "visitor_http.ask_for_human": _visitor("handoff"),
    "visitor_http.rate": _visitor("rate"),
    "visitor_http.contact": _visitor("contact"),
    "webhooks.receive": _webhook,
    "widget_events.receive": lambda client, body: client.post("/widget/v1/events", data=body,
                                                              headers={"Content-Type": "text/plain"}),
    "connect_woocommerce.callback": lambda client, body: client.post(
        "/connect/woocommerce/callback?site_key=sk_test&store=https://shop.example", data=body,
        headers={"Content-Type": "application/json"}),
    "demo.cart_add": lambda client, body: client.post("/demo/cart/add.js", data=body,
                                                      headers={"Content-Type": "application/json"}),
    "demo.cart_update": lambda client, body: client.post("/demo/cart/update.js", data=body,
                                                         headers={"Content-Type": "application/json"}),
}


#: The admin's form routes: they read form fields (urlencoded), never JSON, and a
#: JSON body is refused before anything reads it (the CSRF check finds no token).
FORM_ROUTES: dict[str, str] = {
    "admin.sign_in": "/admin/sign-in",
    "admin.sign_out": "/admin/sign-out",
    "admin.sign_out_all": "/admin/sign-out-everywhere",
    "admin.forgot": "/admin/forgot",
    "admin.welcome": "/admin/welcome/x",
    "admin.reset": "/admin/reset/x",
    "team.invite": "/admin/team/invite",
    "team.close": "/admin/team/1/close",
    "team.role": "/admin/team/1/role",
    "team.notifications": "/admin/team/notifications",
    "hours.save": "/admin/hours/",
    "canned.add": "/admin/canned/",
    "canned.delete": "/admin/canned/1/delete",
    "settings.save": "/admin/settings/widget",
    "settings.test_engine": "/admin/settings/assistant/test",
    "settings.privacy_export": "/admin/settings/privacy/export",
    "settings.privacy_delete": "/admin/settings/privacy/delete",
    "install_admin.sync_now": "/admin/settings/install/sync",
    "wordpress_connect.approve": "/admin/wordpress/approve",
    "wordpress_connect.sign_up": "/admin/wordpress/sign-up",
    "wordpress_connect.disconnect": "/admin/wordpress/site/disconnect",
    "analytics.rollup_now": "/admin/analytics/rollup",
    "experiments.create": "/admin/experiments/",
    "experiments.start": "/admin/experiments/1/start",
    "experiments.stop": "/admin/experiments/1/stop",
}


def test_every_route_with_a_body_is_listed(app: Flask) -> None:
    with_body = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.methods and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    assert with_body == set(BODY_ROUTES) | set(FORM_ROUTES)
    assert not set(BODY_ROUTES) & set(FORM_ROUTES)


@pytest.mark.parametrize("endpoint", sorted(FORM_ROUTES))
def test_deep_json_posted_to_a_form_route_is_refused_unread(client: FlaskClient, endpoint: str) -> None:
    resp = client.post(FORM_ROUTES[endpoint], data=DEEP.encode(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, (endpoint, resp.status_code)
    assert "did not come from StoreChat" in resp.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", sorted(BODY_ROUTES))
def test_deeply_nested_bodies_are_refused_clearly(client: FlaskClient, endpoint: str) -> None:
    for body in (DEEP.encode(), b'{"a": ' * 5000 + b"1" + b"}" * 5000):
        resp = BODY_ROUTES[endpoint](client, body)
        assert 400 <= resp.status_code < 500, (endpoint, resp.status_code)
        answer = resp.get_json()
        assert answer, endpoint
        # Each family answers in its own shape: {"error": {code, message}} or Shopify's cart errors.
        assert answer.get("error", {}).get("message") or answer.get("description"), (endpoint, answer)


def test_deep_json_in_the_http_fallback_names_the_limit(client: FlaskClient) -> None:
    error = BODY_ROUTES["visitor_http.send"](client, DEEP.encode()).get_json()["error"]
    assert error["code"] == "invalid_json" and "nested" in error["message"]


def test_deeply_nested_demo_cookies_read_as_empty(client: FlaskClient) -> None:
    for cookie in ("demo_cart", "demo_cart_attributes"):
        client.set_cookie(cookie, DEEP_COOKIE, path="/demo")
        resp = client.get("/demo/cart.js")
        assert resp.status_code == 200 and resp.get_json()["items"] == [] and resp.get_json()["attributes"] == {}
        client.delete_cookie(cookie, path="/demo")


def _agent_credential(db: Any, shop: Any) -> str:
    from core.agents import create_agent

    return create_agent(db, shop.id, "Alex")[1]


@pytest.mark.parametrize("side", ["visitor", "agent"])
def test_deeply_nested_frames_are_refused_on_both_sockets(base_url: str, db: Any, shop: Any, side: str) -> None:
    def opened() -> Any:
        return VisitorClient(base_url) if side == "visitor" else AgentClient(base_url)

    # As the hello: the socket is refused with a clear fatal error.
    first = opened()
    first.send(DEEP)
    error = first.expect("error")
    assert error["code"] == "invalid_json" and error["fatal"] is True and "nested" in error["message"]
    first.close()

    # After the hello: refused, and the socket goes on.
    client = opened()
    if side == "visitor":
        client.hello("sk_test")
    else:
        client.hello(_agent_credential(db, shop))
    client.send(DEEP)
    error = client.expect("error")
    assert error["code"] == "invalid_json" and error["fatal"] is False
    client.send({"type": "ping"})
    client.expect("pong")
    client.close()


# -- the parser itself ----------------------------------------------------------


def test_nesting_up_to_the_limit_parses_and_deeper_is_refused() -> None:
    limit = json_input.MAX_DEPTH
    assert json_input.loads("[" * limit + "]" * limit) == json.loads("[" * limit + "]" * limit)
    with pytest.raises(json_input.JSONInputError, match="nested"):
        json_input.loads("[" * (limit + 1) + "]" * (limit + 1))
    with pytest.raises(json_input.JSONInputError, match="nested"):
        json_input.loads(b'{"a":' * (limit + 1) + b"1" + b"}" * (limit + 1))


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"text": "[" * 5000 + '\\"{' * 100, "list": ["]]]", "{{{"]})
    assert json_input.load_object(text)["list"] == ["]]]", "{{{"]
    # An unterminated string hides nothing: the text is refused as JSON, quickly.
    with pytest.raises(json_input.JSONInputError):
        json_input.loads(b"[" * 100 + b'"\\"' * 100_000)


def test_malformed_json_is_one_error_type() -> None:
    for raw in (b"not json", b"\xff\xfe", "", b"[1,"):
        with pytest.raises(json_input.JSONInputError) as caught:
            json_input.loads(raw)
        assert caught.value.code == "invalid_json" and caught.value.message
    with pytest.raises(json_input.JSONInputError, match="object"):
        json_input.load_object("[1]")


def test_webhook_payload_refuses_deep_bodies_for_every_connector() -> None:
    # Shopify and WooCommerce read their bodies with core.connector.webhook_payload.
    with pytest.raises(RecordError, match="nested"):
        webhook_payload(DEEP.encode())
    assert webhook_payload(b'{"id": 1}') == {"id": 1}
