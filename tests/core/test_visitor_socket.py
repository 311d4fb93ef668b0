"""The visitor socket against a real Redis and database: the happy path and bad input."""
from __future__ import annotations

import json
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from websocket import WebSocketConnectionClosedException

from core.db import Conversation, Message, Shop, Visitor
from core.security.tokens import VisitorTokens
from tests.live import wait_for
from tests.wsclient import VisitorClient


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_message_is_stored_acked_echoed_and_queued(base_url, db, redis) -> None:  # type: ignore[no-untyped-def]
    client = VisitorClient(base_url)
    welcome = client.hello("sk_test")
    assert welcome["conversation_id"] is None and welcome["last_seq"] == 0 and welcome["token"]
    ack = client.say("hello there", client_id="c1")
    assert ack["seq"] == 1
    echo = client.expect("message")
    assert echo["text"] == "hello there" and echo["seq"] == 1 and echo["client_id"] == "c1"
    client.close()
    with db.session() as session:
        msg = session.scalar(select(Message))
        assert msg.text == "hello there" and msg.author == "visitor"
    # The reply is queued once the shopper pauses (assistant_delay).
    assert wait_for(lambda: redis.llen("rq:queue:assistant") == 1)


def test_same_client_id_three_times_stores_one_message(base_url, db) -> None:  # type: ignore[no-untyped-def]
    client = VisitorClient(base_url)
    client.hello("sk_test")
    acks = [client.say("only once", client_id="same") for _ in range(3)]
    client.close()
    assert {a["seq"] for a in acks} == {1}
    assert _count(db, Message) == 1


def test_resume_returns_exactly_the_missed_messages(base_url, db) -> None:  # type: ignore[no-untyped-def]
    first = VisitorClient(base_url)
    token = first.hello("sk_test")["token"]
    for i in range(4):
        first.say(f"line {i}")
    first.close()
    again = VisitorClient(base_url)
    welcome = again.hello("sk_test", token=token, after_seq=2)
    assert welcome["last_seq"] == 4
    replay = [again.expect("message"), again.expect("message")]
    assert [m["seq"] for m in replay] == [3, 4]
    assert [m["text"] for m in replay] == ["line 2", "line 3"]
    again.close()


@pytest.mark.parametrize(
    "raw, code",
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        (json.dumps({"type": "dance"}), "unknown_frame"),
        (json.dumps({"type": "message", "client_id": "", "text": "x"}), "bad_frame"),
        (json.dumps({"type": "message", "client_id": "x" * 65, "text": "x"}), "bad_frame"),
        (json.dumps({"type": "message", "client_id": "a", "text": "   "}), "empty_message"),
        (json.dumps({"type": "message", "client_id": "a", "text": "x" * 5000}), "message_too_long"),
        (json.dumps({"type": "message", "client_id": "a", "text": "x" * 20000}), "frame_too_large"),
        (json.dumps({"type": "hello", "site_key": "sk_test"}), "unexpected_frame"),
        (json.dumps({"client_id": "a", "text": "no type"}), "bad_frame"),
        (json.dumps({"type": "rate", "conversation_id": True, "score": 5}), "bad_frame"),
        (json.dumps({"type": "rate", "conversation_id": 1, "score": "5"}), "bad_frame"),
    ],
)
def test_bad_frames_get_an_error_and_store_nothing(base_url, db, raw, code) -> None:  # type: ignore[no-untyped-def]
    client = VisitorClient(base_url)
    client.hello("sk_test")
    client.send(raw)
    error = client.expect("error")
    assert error["code"] == code and error["fatal"] is False and error["message"]
    if '"client_id": "a"' in raw:
        assert error["client_id"] == "a"
    # The socket keeps serving after the error.
    assert client.say("still here")["seq"] == 1
    client.close()
    assert _count(db, Message) == 1


@pytest.mark.parametrize(
    "hello, code",
    [
        ({"type": "hello", "site_key": "sk_nope"}, "unknown_site_key"),
        ({"type": "hello", "site_key": "sk_test", "token": "forged.token.value"}, "bad_token"),
        ({"type": "message", "client_id": "a", "text": "hi"}, "hello_required"),
        ({"type": "hello", "site_key": "sk_test", "after_seq": -1}, "bad_frame"),
        # Lax parsing would read these as 1: the client would silently miss seq 1.
        ({"type": "hello", "site_key": "sk_test", "after_seq": True}, "bad_frame"),
        ({"type": "hello", "site_key": "sk_test", "after_seq": "1"}, "bad_frame"),
        ({"type": "hello", "site_key": "sk_test", "after_seq": 1.0}, "bad_frame"),
        ({"site_key": "sk_test"}, "bad_frame"),  # no type
    ],
)
def test_bad_hello_is_refused_and_stores_nothing(base_url, db, hello, code) -> None:  # type: ignore[no-untyped-def]
    client = VisitorClient(base_url)
    client.send(hello)
    error = client.expect("error")
    assert error["code"] == code and error["fatal"] is True
    with pytest.raises((WebSocketConnectionClosedException, ConnectionError, OSError)):
        for _ in range(3):
            client.recv(timeout=5)
    assert _count(db, Visitor) == 0 and _count(db, Conversation) == 0


def test_expired_and_foreign_tokens_are_refused(base_url, db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        other = Shop(name="Other", platform="csv", site_key="sk_other", connector_config={})
        session.add(other)
        session.flush()
        other_id = other.id
    foreign, _ = VisitorTokens(settings.secret_key, 3600).mint(other_id)
    with monkeypatch.context() as m:
        past = time.time() - settings.visitor_token_ttl - 60
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(past))
        expired, _ = VisitorTokens(settings.secret_key, settings.visitor_token_ttl).mint(1)
    for token in (foreign, expired):
        client = VisitorClient(base_url)
        client.send({"type": "hello", "site_key": "sk_test", "token": token})
        assert client.expect("error")["code"] == "bad_token"
        client.close()


def test_server_keeps_serving_after_bad_clients(base_url) -> None:  # type: ignore[no-untyped-def]
    for raw in ("garbage", "{}", json.dumps({"type": "hello"})):
        bad = VisitorClient(base_url)
        bad.send(raw)
        bad.expect("error")
        bad.close()
    good = VisitorClient(base_url)
    good.hello("sk_test")
    assert good.say("hi")["seq"] == 1
    good.close()


def test_origin_check(base_url, db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.site_key == "sk_test"))
        shop.allowed_origins = ["https://shop.example"]
    bad = VisitorClient(base_url, origin="https://evil.example")
    bad.send({"type": "hello", "site_key": "sk_test"})
    assert bad.expect("error")["code"] == "origin_not_allowed"
    good = VisitorClient(base_url, origin="https://shop.example")
    assert good.hello("sk_test")["token"]
    good.close()


def test_shopper_asks_for_a_human_rates_and_leaves_an_email(base_url, db) -> None:  # type: ignore[no-untyped-def]
    from core.db import Event

    client = VisitorClient(base_url)
    client.hello("sk_test")
    client.send({"type": "handoff"})
    assert client.expect("error")["code"] == "no_conversation"
    conversation_id = client.say("my parcel never arrived")["conversation_id"]
    client.send({"type": "handoff"})
    assert client.expect("conversation")["status"] == "waiting_human"
    assert client.expect("message", lambda f: f["author"] == "system")["status"] == "waiting_human"
    client.send({"type": "rate", "conversation_id": conversation_id, "score": 6})
    assert client.expect("error")["code"] == "bad_frame"
    client.send({"type": "rate", "conversation_id": conversation_id, "score": 2, "comment": "slow"})
    assert client.expect("rated")["score"] == 2
    client.send({"type": "contact", "email": "not-an-email"})
    assert client.expect("error")["code"] == "bad_frame"
    client.send({"type": "contact", "email": "ana@example.com"})
    client.expect("contact_saved")
    client.close()
    with db.session() as session:
        kinds = sorted(e.kind for e in session.scalars(select(Event)))
        assert kinds == ["contact_left", "csat", "handoff"]
        assert session.scalar(select(Visitor)).email == "ana@example.com"
        assert session.get(Conversation, conversation_id).status == "waiting_human"


def _close_code(client: VisitorClient, timeout: float = 5) -> int | None:
    """Read until the server closes; its close code (None: no close frame)."""
    import struct

    import websocket

    client.ws.settimeout(timeout)
    try:
        while True:
            opcode, frame = client.ws.recv_data_frame(True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None
    except (WebSocketConnectionClosedException, ConnectionError, OSError):
        return None


def test_the_frame_limit_counts_utf8_bytes(base_url, db, settings) -> None:  # type: ignore[no-untyped-def]
    limit = settings.max_frame_bytes
    client = VisitorClient(base_url)
    client.hello("sk_test")
    # 9,000 characters, 18,000+ bytes: over the limit in bytes, though not in characters.
    wide = json.dumps({"type": "message", "client_id": "wide", "text": "é" * 9000}, ensure_ascii=False)
    assert len(wide) < limit < len(wide.encode())
    client.send(wide)
    error = client.expect("error")
    assert (error["code"], error["client_id"]) == ("frame_too_large", "wide") and f"{limit} bytes" in error["message"]
    # Just under the limit in bytes is read as usual (and refused for its text length only).
    narrow = json.dumps({"type": "message", "client_id": "narrow", "text": "é" * 4001}, ensure_ascii=False)
    assert len(narrow.encode()) < limit
    client.send(narrow)
    assert client.expect("error")["code"] == "message_too_long"
    assert client.say("still here")["seq"] == 1
    # Over 4x the limit in bytes (though under it in characters): the transport closes with 1009.
    huge = json.dumps({"type": "message", "client_id": "huge", "text": "é" * (limit * 2 + 100)}, ensure_ascii=False)
    assert len(huge) < 4 * limit < len(huge.encode())
    client.send(huge)
    assert _close_code(client) == 1009
    assert _count(db, Message) == 1
