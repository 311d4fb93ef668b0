"""The visitor protocol over plain HTTP: same store-before-ack, dedupe and resume semantics."""
from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from core.db import Message
from tests.wsclient import VisitorClient

API = "/api/v1/visitor"


def post(base_url: str, path: str, body: object, origin: str | None = None) -> requests.Response:
    # text/plain, as the widget sends it: no CORS preflight.
    headers = {"Content-Type": "text/plain", **({"Origin": origin} if origin else {})}
    return requests.post(base_url + API + path, data=json.dumps(body), headers=headers, timeout=30)


def events(base_url: str, token: str | None, timeout: float = 10, **params: object) -> requests.Response:
    """``GET /events`` as the widget sends it: the token in ``Authorization``, never in the URL."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(base_url + API + "/events", params={"site_key": "sk_test", **params}, headers=headers,
                        timeout=timeout)


@pytest.fixture
def token(base_url) -> str:  # type: ignore[no-untyped-def]
    welcome = post(base_url, "/hello", {"site_key": "sk_test"})
    assert welcome.status_code == 200
    body = welcome.json()
    assert body["conversation_id"] is None and body["last_seq"] == 0 and body["messages"] == []
    return body["token"]


def _count(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Message))


def test_send_stores_then_acks_and_retries_store_once(base_url, token, db) -> None:  # type: ignore[no-untyped-def]
    body = {"site_key": "sk_test", "token": token, "client_id": "c1", "text": "hello"}
    first = post(base_url, "/messages", body)
    assert first.status_code == 201
    ack = first.json()["ack"]
    assert ack["seq"] == 1 and ack["client_id"] == "c1"
    for _ in range(2):
        again = post(base_url, "/messages", body)
        assert again.status_code == 200 and again.json()["ack"] == ack
    assert _count(db) == 1
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["Cache-Control"] == "no-store"


def test_events_return_missed_messages_then_long_poll(base_url, token) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": f"m{i}", "text": f"line {i}"})
    got = events(base_url, token, after_seq=1, wait=5).json()
    assert [m["seq"] for m in got["messages"]] == [2, 3] and got["last_seq"] == 3 and got["status"] == "ai"

    # Nothing new: the request waits until a message arrives from elsewhere (another tab on the socket).
    result: dict[str, object] = {}

    def poll() -> None:
        started = time.monotonic()
        result["body"] = events(base_url, token, timeout=20, after_seq=3, wait=10).json()
        result["took"] = time.monotonic() - started

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.5)
    tab = VisitorClient(base_url)
    tab.hello("sk_test", token=token, after_seq=3)
    tab.say("from the other tab")
    waiter.join(timeout=15)
    tab.close()
    body = result["body"]
    assert [m["text"] for m in body["messages"]] == ["from the other tab"]  # type: ignore[index]
    assert result["took"] < 9  # answered on arrival, not at the end of the wait  # type: ignore[operator]


def test_hello_replays_after_seq(base_url, token) -> None:  # type: ignore[no-untyped-def]
    for i in range(2):
        post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": f"h{i}", "text": f"x{i}"})
    welcome = post(base_url, "/hello", {"site_key": "sk_test", "token": token, "after_seq": 1}).json()
    assert welcome["last_seq"] == 2 and [m["seq"] for m in welcome["messages"]] == [2]


@pytest.mark.parametrize(
    "path, body, status, code",
    [
        ("/hello", "not json", 400, "invalid_json"),
        ("/hello", [1], 400, "invalid_json"),
        ("/hello", {"site_key": "sk_nope"}, 404, "unknown_site_key"),
        ("/hello", {"site_key": "sk_test", "token": "forged"}, 401, "bad_token"),
        ("/hello", {"site_key": ""}, 400, "bad_frame"),
        ("/messages", {"site_key": "sk_test", "client_id": "a", "text": "hi"}, 400, "bad_frame"),
        ("/messages", {"site_key": "sk_test", "token": "TOKEN", "text": "hi"}, 400, "bad_frame"),
        ("/messages", {"site_key": "sk_test", "token": "TOKEN", "client_id": "a", "text": "  "}, 400, "empty_message"),
        ("/messages", {"site_key": "sk_test", "token": "TOKEN", "client_id": "a", "text": 5}, 400, "bad_frame"),
        ("/messages", {"site_key": "sk_test", "token": "TOKEN", "client_id": "a", "text": "x" * 5000}, 400,
         "message_too_long"),
        ("/messages", {"site_key": "sk_test", "token": "TOKEN", "client_id": "a", "text": "x" * 20000}, 400,
         "frame_too_large"),
    ],
)
def test_bad_requests_are_refused_clearly_and_store_nothing(base_url, token, db, path, body, status, code) -> None:  # type: ignore[no-untyped-def]
    if isinstance(body, dict) and body.get("token") == "TOKEN":
        body = {**body, "token": token}
    raw = body if isinstance(body, str) else json.dumps(body)
    response = requests.post(base_url + API + path, data=raw, timeout=10)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert _count(db) == 0


def test_events_refuse_bad_arguments(base_url, token) -> None:  # type: ignore[no-untyped-def]
    for sent, params, code in ((token, {"after_seq": "x"}, "bad_frame"),
                               (token, {"wait": "soon"}, "bad_frame"),
                               (None, {}, "bad_frame"),
                               ("forged", {}, "bad_token")):
        response = events(base_url, sent, **params)
        assert response.status_code in (400, 401) and response.json()["error"]["code"] == code


def test_events_refuse_a_token_in_the_url(base_url, token) -> None:  # type: ignore[no-untyped-def]
    # URLs end up in access logs: the token travels in a header only.
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        response = requests.get(base_url + API + "/events", params={"site_key": "sk_test", "token": token, "wait": 0},
                                headers=headers, timeout=10)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "token_in_url" and "Authorization" in response.json()["error"]["message"]
    assert events(base_url, token, wait=0).status_code == 200
    # A browser may send the header across origins (the preflight allows it).
    pre = requests.options(base_url + API + "/events", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"}, timeout=5)
    assert "authorization" in pre.headers["Access-Control-Allow-Headers"].lower()


def test_rate_limit_over_http_names_the_refused_message(base_url, token, settings, db) -> None:  # type: ignore[no-untyped-def]
    settings.visitor_message_burst = 1
    settings.visitor_message_rate = 0.01
    assert post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "a", "text": "1"}).ok
    refused = post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "b", "text": "2"})
    assert refused.status_code == 429
    assert refused.json()["error"] == {**refused.json()["error"], "code": "rate_limited", "client_id": "b"}
    assert _count(db) == 1


def test_preflight_and_origin_check(base_url, db) -> None:  # type: ignore[no-untyped-def]
    from core.db import Shop

    pre = requests.options(base_url + API + "/messages", headers={"Origin": "https://shop.example"}, timeout=5)
    assert pre.status_code == 200 and "POST" in pre.headers["Access-Control-Allow-Methods"]
    with db.session() as session:
        session.scalar(select(Shop).where(Shop.site_key == "sk_test")).allowed_origins = ["https://shop.example"]
    bad = post(base_url, "/hello", {"site_key": "sk_test"}, origin="https://evil.example")
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "origin_not_allowed"
    good = requests.post(base_url + API + "/hello", data=json.dumps({"site_key": "sk_test"}),
                         headers={"Origin": "https://shop.example"}, timeout=5)
    assert good.status_code == 200 and good.headers["Access-Control-Allow-Origin"] == "https://shop.example"


def test_handoff_rate_and_contact_over_http(base_url, token, db) -> None:  # type: ignore[no-untyped-def]
    from core.db import Conversation, Event, Visitor

    cid = post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "a",
                                       "text": "help"}).json()["ack"]["conversation_id"]
    assert post(base_url, "/handoff", {"site_key": "sk_test", "token": token}).status_code == 204
    bad = post(base_url, "/rate", {"site_key": "sk_test", "token": token, "conversation_id": cid, "score": 0})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_frame"
    assert post(base_url, "/rate", {"site_key": "sk_test", "token": token, "conversation_id": cid,
                                    "score": 5}).json()["score"] == 5
    assert post(base_url, "/contact", {"site_key": "sk_test", "token": token, "email": "bo@example.com"}).ok
    with db.session() as session:
        assert session.get(Conversation, cid).status == "waiting_human"
        assert sorted(e.kind for e in session.scalars(select(Event))) == ["contact_left", "csat", "handoff"]
        assert session.scalar(select(Visitor)).email == "bo@example.com"


def test_events_reach_the_closing_notice_of_the_conversation_on_screen(base_url, token, db, shop) -> None:  # type: ignore[no-untyped-def]
    from core.agents import create_agent
    from tests.wsclient import AgentClient

    cid = post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "a",
                                       "text": "hello"}).json()["ack"]["conversation_id"]
    agent = AgentClient(base_url)
    agent.hello(create_agent(db, shop.id, "Alex")[1])
    agent.act("close", cid)
    agent.expect("conversation", lambda f: f["conversation_id"] == cid and f["status"] == "closed")
    agent.close()
    params = {"after_seq": 1, "wait": 5}

    # Without the id the poll sees no open conversation and cannot reach the notice.
    plain = events(base_url, token, **params).json()
    assert plain["conversation_id"] is None and plain["messages"] == []

    started = time.monotonic()
    named = events(base_url, token, **params, conversation_id=cid).json()
    assert time.monotonic() - started < 4  # at once: a closed conversation has nothing more to wait for
    assert named["conversation_id"] == cid and named["status"] == "closed"
    assert [m["text"] for m in named["messages"]][-1] == "This conversation was closed."
    assert named["last_seq"] == named["messages"][-1]["seq"]

    # A later line starts a new conversation; the old one can still be read to its end.
    post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "b", "text": "again"})
    old = events(base_url, token, **{**params, "after_seq": 0}, conversation_id=cid).json()
    assert old["conversation_id"] == cid and [m["text"] for m in old["messages"]][0] == "hello"


def test_events_refuse_another_visitors_conversation(base_url, token) -> None:  # type: ignore[no-untyped-def]
    cid = post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "a",
                                       "text": "mine"}).json()["ack"]["conversation_id"]
    stranger = post(base_url, "/hello", {"site_key": "sk_test"}).json()["token"]
    for value, status, code in ((cid, 404, "unknown_conversation"), (cid + 1000, 404, "unknown_conversation"),
                                ("x", 400, "bad_frame"), (0, 400, "bad_frame")):
        response = events(base_url, stranger, after_seq=0, wait=0, conversation_id=value)
        assert response.status_code == status and response.json()["error"]["code"] == code
        assert "mine" not in response.text


def _poll(base_url: str, token: str, wait: float) -> requests.Response:
    return events(base_url, token, timeout=wait + 10, wait=wait)


def _slots(redis, address: str = "127.0.0.1") -> int:  # type: ignore[no-untyped-def]
    return redis.zcard(f"sc:slots:ip:{address}")


def test_concurrent_requests_from_one_address_share_the_socket_cap(base_url, token, settings, redis) -> None:  # type: ignore[no-untyped-def]
    settings.max_connections_per_ip = 4
    socket = VisitorClient(base_url)
    socket.hello("sk_test", token=token)
    polls = [threading.Thread(target=_poll, args=(base_url, token, 3)) for _ in range(3)]
    for poll in polls:
        poll.start()
    deadline = time.monotonic() + 5
    while _slots(redis) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _slots(redis) == 4  # the socket and three long polls

    refused = _poll(base_url, token, 1)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_connections" and refused.json()["error"]["message"]
    sent = post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "x", "text": "hi"})
    assert sent.status_code == 429 and sent.json()["error"]["code"] == "too_many_connections"
    extra = VisitorClient(base_url)
    assert extra.expect("error")["code"] == "too_many_connections"  # and sockets count the polls

    for poll in polls:
        poll.join(timeout=10)
    assert _slots(redis) == 1  # a finished request gives its slot back
    assert _poll(base_url, token, 0).status_code == 200
    socket.close()


def test_sends_over_the_address_bucket_are_refused_whatever_the_token(base_url, settings, db) -> None:  # type: ignore[no-untyped-def]
    settings.ip_message_burst = 3
    settings.ip_message_rate = 0.01
    codes = []
    for i in range(5):  # a fresh visitor (token) for every line: only the address's bucket is shared
        fresh = post(base_url, "/hello", {"site_key": "sk_test"}).json()["token"]
        answer = post(base_url, "/messages", {"site_key": "sk_test", "token": fresh, "client_id": f"c{i}", "text": "hi"})
        codes.append(answer.status_code if answer.ok else answer.json()["error"]["code"])
    assert codes == [201, 201, 201, "rate_limited", "rate_limited"]
    assert _count(db) == 3


#: What lax parsing turns into an integer (``true`` is 1: the client would silently skip seq 1).
NOT_JSON_INTEGERS = [True, False, "1", "0", 1.0, 0.5, [0], {"n": 0}, -1, 2**31]


def test_json_integers_are_integers_and_nothing_else(base_url, token, db) -> None:  # type: ignore[no-untyped-def]
    conversation = post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "c1",
                                                "text": "hello"}).json()["ack"]["conversation_id"]
    assert post(base_url, "/hello", {"site_key": "sk_test", "token": token, "after_seq": 0}).status_code == 200
    assert post(base_url, "/hello", {"site_key": "sk_test", "token": token}).status_code == 200
    for value in NOT_JSON_INTEGERS:
        hello = post(base_url, "/hello", {"site_key": "sk_test", "token": token, "after_seq": value})
        assert hello.status_code == 400 and hello.json()["error"]["code"] == "bad_frame", value
        assert "after_seq" in hello.json()["error"]["message"]
        for field, good in (("conversation_id", conversation), ("score", 5)):
            body = {"site_key": "sk_test", "token": token, "conversation_id": conversation, "score": 5, field: value}
            rated = post(base_url, "/rate", body)
            assert rated.status_code == 400 and rated.json()["error"]["code"] == "bad_frame", (field, value)
            assert field in rated.json()["error"]["message"]
    assert post(base_url, "/rate", {"site_key": "sk_test", "token": token, "conversation_id": conversation,
                                    "score": 5}).status_code == 200


def test_query_integers_are_plain_decimal_digits(base_url, token) -> None:  # type: ignore[no-untyped-def]
    conversation = post(base_url, "/messages", {"site_key": "sk_test", "token": token, "client_id": "c1",
                                                "text": "hello"}).json()["ack"]["conversation_id"]
    ok = events(base_url, token, after_seq="0", wait="0", conversation_id=str(conversation))
    assert ok.status_code == 200 and [m["seq"] for m in ok.json()["messages"]] == [1]
    for value in ("true", "+1", "-1", " 1", "1 ", "1.0", "1e0", "0x1", "1_0", "١", "9" * 20):
        for name in ("after_seq", "wait", "conversation_id"):
            response = events(base_url, token, **{"after_seq": "0", "wait": "0", name: value})
            assert response.status_code == 400, (name, value, response.text)
            assert response.json()["error"]["code"] == "bad_frame" and name in response.json()["error"]["message"]
