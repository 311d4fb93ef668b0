"""Schemathesis over every operation of /api/openapi.json, against the app served on a
loopback port (a real database and Redis): no 5xx the document does not name (never a
500), every answer in its documented status, content type and schema, none slower
than ``BOUND`` seconds (a bound that catches a hang, not a benchmark: bench/ measures).

Each operation gets ``EXAMPLES`` valid and ``EXAMPLES`` invalid generated requests
(hypothesis, derandomized: the same cases every run). Each case is sent as generated,
then again as a known shopper or signed-in owner would send it (the real site key and
visitor token, the owner's session), so the fuzzing reaches past the front door.
"""
from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.accounts.users import create_user, set_password
from core.api import openapi
from core.app import create_app
from core.catalog.sync import create_run
from core.db import Database
from tests.fakes.shopify_app import proxy_signature, signed_callback
from tests.live import serve

#: Examples per operation and mode (STORECHAT_FUZZ_EXAMPLES raises it for a longer run).
EXAMPLES = int(os.environ.get("STORECHAT_FUZZ_EXAMPLES", "15"))
#: Seconds any answer may take. The long poll is asked not to wait (``wait=0``) or is allowed its wait.
BOUND = 2.0
PASSWORD = "correct horse battery"
SHOPIFY_SECRET = "fuzz-secret"
SHOPIFY_SHOP = "fuzz-store.myshopify.com"
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class Known:
    """What a real client of the fuzzed server holds."""

    url: str
    site_key: str
    token: str
    conversation_id: int
    owner: requests.Session
    run_id: int
    sent: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def known(settings, db: Database, redis, shop) -> Iterator[Known]:  # type: ignore[no-untyped-def]
    # A Shopify app with a secret, so its install routes go past "not configured" to their checks.
    settings.apps["shopify"] = {"client_id": "fuzz-client", "client_secret": SHOPIFY_SECRET}
    set_password(db, create_user(db, shop.id, "owner@example.com", role="owner").id, PASSWORD)
    app = create_app(settings)
    try:
        with serve(app) as url:
            hello = requests.post(f"{url}/api/v1/visitor/hello", json={"site_key": shop.site_key}, timeout=10).json()
            sent = requests.post(f"{url}/api/v1/visitor/messages", timeout=10, json={
                "site_key": shop.site_key, "token": hello["token"], "client_id": "c1", "text": "hello"}).json()
            owner = requests.Session()
            page = owner.get(f"{url}/admin/sign-in", timeout=10).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            signed = owner.post(f"{url}/admin/sign-in", allow_redirects=False, timeout=10,
                                data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": csrf})
            assert signed.status_code == 302
            run = create_run(db, shop.id)  # a catalog sync of the shop's, for its progress
            yield Known(url, shop.site_key, hello["token"], sent["ack"]["conversation_id"], owner, run.id)
    finally:
        app.extensions["storechat"].close()


def _as_known_client(case: Any, known: Known) -> bool:
    """Make ``case`` a known client's request; False when the operation takes no credential."""
    path = case.operation.path
    # Without the generated credentials (a Bearer header wins over the session cookie).
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("authorization", "cookie")}
    case.cookies = {}
    if path.startswith("/api/v1/visitor/"):
        if isinstance(case.body, dict):
            case.body = {**case.body, "site_key": known.site_key, "token": known.token}
            return True
        if path.endswith("/events"):
            case.query = {**(case.query or {}), "site_key": known.site_key, "wait": "0"}
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {known.token}"}
            return True
        return False
    if path == "/widget/v1/events":  # the shop's own site key: the events reach the database
        if isinstance(case.body, dict):
            case.body = {**case.body, "site_key": known.site_key}
            return True
        return False
    if path.startswith("/widget/v1/") and "config" in path:
        case.query = {**(case.query or {}), "site_key": known.site_key}
        return True
    if path.startswith("/admin/"):
        if case.path_parameters and "conversation_id" in case.path_parameters:
            case.path_parameters = {**case.path_parameters, "conversation_id": known.conversation_id}
        if case.path_parameters and "run_id" in case.path_parameters:
            case.path_parameters = {**case.path_parameters, "run_id": known.run_id}
        return True
    if path == "/installed/{site_key}":
        case.path_parameters = {"site_key": known.site_key}
        return True
    if path == "/webhooks/{platform}":  # a real platform: its signature check reads the body
        case.path_parameters = {"platform": "shopify"}
        return True
    if path == "/connect/woocommerce/callback":
        case.query = {**(case.query or {}), "site_key": known.site_key, "store": "https://shop.example"}
        return True
    query = {str(k): str(v) for k, v in (case.query or {}).items()}
    if path in ("/connect/shopify/install", "/connect/shopify/admin"):
        case.query = {**query, "shop": SHOPIFY_SHOP}
        return True
    if path == "/connect/shopify/callback":  # signed as Shopify signs: the checks after the signature run
        case.query = signed_callback({**{k: v for k, v in query.items() if k != "hmac"}, "shop": SHOPIFY_SHOP,
                                      "timestamp": str(int(time.time()))}, SHOPIFY_SECRET)
        return True
    if path == "/connect/shopify/proxy/identity":
        pairs = {**{k: v for k, v in query.items() if k != "signature"}, "shop": SHOPIFY_SHOP,
                 "timestamp": str(int(time.time()))}
        case.query = {**pairs, "signature": proxy_signature(list(pairs.items()), SHOPIFY_SECRET)}
        return True
    return False


def _bound(case: Any) -> float:
    """The long poll may wait as long as it was asked to (25 s when it was not told)."""
    if case.operation.path.endswith("/events"):
        wait = str((case.query or {}).get("wait", "25"))
        return BOUND + (int(wait) if wait.isdigit() and int(wait) <= 25 else 0)
    return BOUND


def _send(case: Any, known: Known, session: requests.Session | None, label: str) -> None:
    started = time.monotonic()
    response = case.call(base_url=known.url, session=session, allow_redirects=False, timeout=60)
    took = time.monotonic() - started
    known.sent[case.operation.label] += 1
    known.statuses.setdefault(case.operation.label, Counter())[response.status_code] += 1
    problem = None
    if response.status_code == 500:
        problem = "500"
    elif took > _bound(case):
        problem = f"took {took:.2f}s (bound {_bound(case)}s)"
    else:
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, reported together
            problem = f"{type(exc).__name__}: {str(exc)[:600]}"
    if problem and case.operation.label not in known.failures:
        known.failures[case.operation.label] = (
            f"{label}: {problem}\n  request: {case.as_curl_command(headers=dict(session.headers) if session else None)}"
            f"\n  answer: {response.status_code} {response.text[:300]!r}")


def _fuzz(operation: Any, mode: GenerationMode, known: Known) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception:  # noqa: BLE001 - nothing to make invalid (no parameters, no body)
        return

    @hypothesis_settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        _send(case, known, None, f"{mode.value}, as generated")
        if _as_known_client(case, known):
            session = known.owner if case.operation.path.startswith("/admin/") else None
            _send(case, known, session, f"{mode.value}, as a known client")

    try:
        run()
    except Exception as exc:  # noqa: BLE001 - e.g. hypothesis cannot make an invalid case for this operation
        if "Unsatisfiable" not in type(exc).__name__ and "Unsatisfied" not in str(exc):
            raise


def test_every_operation_holds_under_fuzzing(known: Known) -> None:
    spec = requests.get(known.url + openapi.PATH, timeout=10).json()
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(openapi.OPERATIONS)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, known)
    print(f"\nschemathesis: {len(operations)} operations, {sum(known.sent.values())} requests")
    for label, count in sorted(known.sent.items()):
        statuses = " ".join(f"{status}x{n}" for status, n in sorted(known.statuses[label].items()))
        print(f"  {count:5d}  {label}  ({statuses})")
    assert set(known.sent) == {op.label for op in operations}, "an operation was never called"
    assert not known.failures, "\n\n".join(f"{label}: {text}" for label, text in sorted(known.failures.items()))


# ---- what the fuzzing found, kept as plain cases


@pytest.fixture
def owner_client(app, db: Database, shop):  # type: ignore[no-untyped-def]
    set_password(db, create_user(db, shop.id, "owner@example.com", role="owner").id, PASSWORD)
    client = app.test_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/admin/sign-in", data={"email": "owner@example.com", "password": PASSWORD,
                                               "csrf_token": csrf}).status_code == 302
    return client


@pytest.mark.parametrize("before_seq", ["573893163301984448326664192", "²", "0", "-1", "1.5"])
def test_a_before_seq_out_of_range_is_refused_clearly(owner_client, before_seq: str) -> None:  # type: ignore[no-untyped-def]
    # Found by the fuzzing: a number past the column's range was a 500, a superscript digit too.
    response = owner_client.get(f"/admin/inbox/api/conversations/1?before_seq={before_seq}")
    assert response.status_code == 400
    assert "before_seq" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("path", ["/admin/inbox/api/conversations/abc", "/api/v1/visitor/nothing",
                                  "/widget/v1/nothing.js", "/admin/inbox/api/conversations/1/nothing"])
def test_a_path_under_the_api_that_no_route_takes_answers_json(owner_client, path: str) -> None:  # type: ignore[no-untyped-def]
    # Found by the fuzzing: Werkzeug's HTML 404 page, which the API's clients cannot read.
    response = owner_client.get(path)
    assert response.status_code == 404 and response.is_json
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_method_an_api_route_does_not_take_answers_json(owner_client) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.delete("/api/v1/visitor/hello")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
    page = owner_client.get("/admin/nothing")  # pages keep their HTML
    assert page.status_code == 404 and not page.is_json


# Found by the fuzzing on PostgreSQL: a NUL character (which its text columns refuse) in a
# site key, a query or a message was a 500; half a surrogate pair is no text for either database.


@pytest.mark.parametrize("path", ["/widget/v1/config?site_key=sk%00x",
                                  "/widget/v1/chat-config?site_key=sk_test&lang=e%00n",
                                  "/admin/inbox/api/conversations?q=a%00b", "/installed/sk%00x"])
def test_a_nul_in_the_address_is_refused_clearly(owner_client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.get(path)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("body", [
    b'{"site_key": "sk\\u0000", "client_id": "c", "text": "hi", "token": "t"}',
    b'{"site_key": "sk_test", "client_id": "c", "text": "a\\u0000b", "token": "t"}',
    b'{"site_key": "sk_test", "client_id": "c", "text": "a\\ud800b", "token": "t"}',
    b'{"site_key": "sk_test", "client_id": "c", "text": "hi", "token": "t", "x\\u0000": 1}',
])
def test_text_no_database_can_store_is_refused_by_the_http_transport(app, body: bytes) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().post("/api/v1/visitor/messages", data=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "NUL" in message or "surrogate" in message


def test_text_no_database_can_store_is_refused_on_the_socket(base_url: str) -> None:
    from tests.wsclient import VisitorClient

    client = VisitorClient(base_url)
    client.hello("sk_test")
    client.send('{"type": "message", "client_id": "c1", "text": "a\\u0000b"}')
    refused = client.expect("error")
    assert refused["client_id"] == "c1" and "NUL" in refused["message"] and not refused["fatal"]
    assert client.say("still here")["seq"] == 1  # the socket goes on; nothing was stored
    client.close()


def test_a_nul_in_an_admin_form_is_refused_before_anything_is_stored(owner_client, db: Database) -> None:  # type: ignore[no-untyped-def]
    from core.db import CannedReply

    page = owner_client.get("/admin/canned/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = owner_client.post("/admin/canned/", data={"csrf_token": csrf, "shortcut": "hi", "text": "a\x00b"})
    assert response.status_code == 400
    with db.session() as session:
        assert session.query(CannedReply).count() == 0


# Found while covering the analytics API: a day at the edge of the calendar (a range
# reaching before year 1 or past 9999-12-31) was a 500 (OverflowError).


@pytest.mark.parametrize("path", ["/admin/api/analytics?to=0001-01-05", "/admin/api/analytics?to=9999-12-31",
                                  "/admin/api/analytics?from=9999-12-30&to=9999-12-31",
                                  "/admin/analytics/export.csv?to=0001-01-01",
                                  "/admin/analytics/export.csv?from=9999-12-31&to=9999-12-31"])
def test_a_day_at_the_edge_of_the_calendar_is_refused_clearly(owner_client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.get(path)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "bad_input"
    page = owner_client.get("/admin/analytics/?" + path.split("?")[1])  # the dashboard reads the same range
    assert page.status_code == 400 and 'role="alert">from and to' in page.get_data(as_text=True)

