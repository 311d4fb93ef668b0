"""Garbage, oversize, out-of-order and unknown frames on both sockets get a
clear error frame, and the server keeps serving (docs/protocol.md, error codes)."""
from __future__ import annotations

import json
import struct
import time
from typing import Any

import pytest
import websocket

from core.agents import create_agent
from core.shops import create_shop
from tests.realtime.conftest import A, B, Live, Shop, cid, drain, raw_socket

BIG = 20 * 1024  # over STORECHAT_MAX_FRAME_BYTES (16 KiB): refused with an error frame
HUGE = 80 * 1024  # over 4x that: the transport closes the socket (1009)


@pytest.fixture(scope="session")
def other_shop(live: Live) -> Shop:
    """A second shop, with an agent and no catalog (made directly: no import to wait for)."""
    shop = create_shop(live.db, "Other Shop", "csv", {})
    _, credential = create_agent(live.db, shop.id, "Bob")
    return Shop(shop.id, shop.site_key, credential)


def _error(client: Any, code: str, *, fatal: bool = False, client_id: str | None = None) -> dict[str, Any]:
    """The next error frame is ``code``, with a readable message."""
    frame = client.expect("error", timeout=5)
    assert frame["code"] == code, frame
    assert frame["fatal"] is fatal, frame
    assert isinstance(frame["message"], str) and len(frame["message"]) > 5, frame
    assert frame.get("client_id") == client_id, frame
    return frame


def _closed_by_server(ws: websocket.WebSocket, timeout: float = 5) -> int | None:
    """Read until the server closes; return its close code (None: no close frame, just EOF).
    A server that keeps the socket open fails with a timeout."""
    ws.settimeout(timeout)
    try:
        while True:
            opcode, frame = ws.recv_data_frame(True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return None


def _raw_error_then_close(rt: Live, path: str, frames: list[str], code: str) -> None:
    """Send ``frames`` on a fresh socket; the server answers a fatal ``code`` and closes."""
    ws = raw_socket(rt.cluster.url(A), path)
    try:
        for frame in frames:
            ws.send(frame)
        error = json.loads(ws.recv())
        assert error["type"] == "error" and error["code"] == code and error["fatal"] is True, error
        assert len(error["message"]) > 5
        assert _closed_by_server(ws) in (1008, None)  # policy violation
    finally:
        ws.close()


def test_visitor_socket_refuses_bad_frames_and_keeps_serving(rt: Live) -> None:
    visitor, welcome = rt.visitor(A)
    conv = visitor.say("hello")["conversation_id"]
    assert visitor.assistant_reply()["seq"] == 2

    refused = [
        ("garbage{", "invalid_json", None),
        ("[1, 2, 3]", "invalid_json", None),
        (json.dumps({"type": "bogus"}), "unknown_frame", None),
        (json.dumps({"no": "type"}), "bad_frame", None),
        (json.dumps({"type": "message", "text": "no client id"}), "bad_frame", None),
        (json.dumps({"type": "message", "client_id": "x" * 65, "text": "id too long"}), "bad_frame", None),
        (json.dumps({"type": "message", "client_id": "e-empty", "text": "   "}), "empty_message", "e-empty"),
        (json.dumps({"type": "message", "client_id": "e-long", "text": "x" * 4001}), "message_too_long", "e-long"),
        (json.dumps({"type": "message", "client_id": "e-big", "text": "y" * BIG}), "frame_too_large", "e-big"),
        (json.dumps({"type": "hello", "site_key": rt.shop.site_key}), "unexpected_frame", None),
    ]
    for raw, _, _ in refused:
        visitor.send(raw)
    for _, code, client_id in refused:
        _error(visitor, code, client_id=client_id)

    # Still serving on the same socket.
    visitor.send({"type": "ping"})
    visitor.expect("pong", timeout=5)
    ack = visitor.say("still here")
    assert (ack["conversation_id"], ack["seq"]) == (conv, 3)
    for client_id in ("e-empty", "e-long", "e-big"):
        assert rt.count_client_id(conv, client_id) == 0
    assert all(m.author != "visitor" or m.text in ("hello", "still here") for m in rt.stored(conv))

    # Fatal ones, each on a fresh socket: the server says why, then closes.
    site_key = rt.shop.site_key
    for frames, code in [
        ([json.dumps({"type": "message", "client_id": cid(), "text": "hi"})], "hello_required"),
        ([json.dumps({"type": "ping"})], "hello_required"),
        ([json.dumps({"type": "hello", "site_key": site_key, "after_seq": -1})], "bad_frame"),
        ([json.dumps({"type": "hello", "site_key": "sk_nope"})], "unknown_site_key"),
        ([json.dumps({"type": "hello", "site_key": site_key, "token": "forged.token.value"})], "bad_token"),
        ([json.dumps({"type": "hello", "site_key": site_key, "token": welcome["token"] + "x"})], "bad_token"),
    ]:
        _raw_error_then_close(rt, "/ws/visitor", frames, code)

    # Far over the limit: the transport closes the socket with 1009.
    ws = raw_socket(rt.cluster.url(A), "/ws/visitor")
    ws.send(json.dumps({"type": "hello", "site_key": site_key}))
    assert json.loads(ws.recv())["type"] == "welcome"
    ws.send(json.dumps({"type": "message", "client_id": cid(), "text": "z" * HUGE}))
    assert _closed_by_server(ws) == 1009
    ws.close()

    # And the process serves new sockets as before.
    again, welcome2 = rt.visitor(A, token=welcome["token"], after_seq=0)
    assert welcome2["conversation_id"] == conv
    drain(visitor, 0.2)
    assert again.say("and again")["conversation_id"] == conv


def test_agent_socket_refuses_bad_frames_and_keeps_serving(rt: Live, other_shop: Shop) -> None:
    # A conversation of this shop, and one of another shop.
    visitor, _ = rt.visitor(B)
    mine = visitor.say("hello")["conversation_id"]
    assert visitor.assistant_reply()["seq"] == 2
    stranger, _ = rt.visitor(B, site_key=other_shop.site_key)
    theirs = stranger.say("hello from the other shop")["conversation_id"]
    assert stranger.assistant_reply()["seq"] == 2
    assert theirs != mine

    agent = rt.agent(A)
    refused = [
        ("garbage{", "invalid_json", None),
        (json.dumps("a string"), "invalid_json", None),
        (json.dumps({"type": "typing"}), "bad_frame", None),  # conversation_id is missing
        (json.dumps({"type": "bogus", "conversation_id": mine}), "unknown_frame", None),
        (json.dumps({"type": "take"}), "bad_frame", None),
        (json.dumps({"type": "resume", "conversation_id": 0}), "bad_frame", None),
        (json.dumps({"type": "message", "conversation_id": mine, "client_id": "a-empty", "text": " "}),
         "empty_message", "a-empty"),
        (json.dumps({"type": "message", "conversation_id": mine, "client_id": "a-big", "text": "y" * BIG}),
         "frame_too_large", "a-big"),
        (json.dumps({"type": "hello", "credential": rt.shop.credential}), "unexpected_frame", None),
        # Another shop's conversation does not exist for this agent.
        (json.dumps({"type": "resume", "conversation_id": theirs, "after_seq": 0}), "unknown_conversation", None),
        (json.dumps({"type": "take", "conversation_id": theirs}), "unknown_conversation", None),
        (json.dumps({"type": "close", "conversation_id": theirs}), "unknown_conversation", None),
        (json.dumps({"type": "message", "conversation_id": theirs, "client_id": "a-theirs", "text": "hi"}),
         "unknown_conversation", "a-theirs"),
        (json.dumps({"type": "message", "conversation_id": 10**9, "client_id": "a-none", "text": "hi"}),
         "unknown_conversation", "a-none"),
        # Not a move the state machine allows: the assistant owns it.
        (json.dumps({"type": "release", "conversation_id": mine}), "transition_refused", None),
    ]
    for raw, _, _ in refused:
        agent.send(raw)
    for _, code, client_id in refused:
        _error(agent, code, client_id=client_id)

    # Still serving: a ping, a resume of its own conversation, a reply.
    agent.send({"type": "ping"})
    agent.expect("pong", timeout=5)
    agent.resume(mine, after_seq=0)
    assert [agent.expect("message", lambda f: f["conversation_id"] == mine, timeout=5)["seq"]
            for _ in range(2)] == [1, 2]
    assert agent.say(mine, "Hello from Ann")["seq"] == 4
    visitor.expect("message", lambda f: f["seq"] == 4, timeout=5)

    # Nothing leaked across shops, and this agent changed nothing in the other shop's conversation
    # (its assistant may hand over to a person of that shop: a system notice, status waiting_human).
    stranger.say("do you have a leather jacket?")
    drain(stranger, 0.5)
    agent.drain(0.3)
    assert [f for f in agent.frames if f.get("conversation_id") == theirs] == []
    stored = rt.stored(theirs)
    assert not [m for m in stored if m.author == "agent" or "Ann" in m.text], [(m.author, m.text) for m in stored]
    other = rt.conversation(theirs)
    assert other.status in ("ai", "waiting_human") and other.agent_id is None


def test_agent_socket_fatal_errors(rt: Live) -> None:
    for credential in ("not-a-credential", "sca_" + "x" * 43, "sca_" + "y" * 200):
        _raw_error_then_close(rt, "/ws/agent", [json.dumps({"type": "hello", "credential": credential})],
                              "bad_credential" if len(credential) <= 100 else "bad_frame")
    _raw_error_then_close(rt, "/ws/agent", [json.dumps({"type": "resume", "conversation_id": 1})], "hello_required")
    _raw_error_then_close(rt, "/ws/agent", ["garbage{"], "invalid_json")

    # Far over the limit after hello: closed by the transport.
    ws = raw_socket(rt.cluster.url(A), "/ws/agent")
    ws.send(json.dumps({"type": "hello", "credential": rt.shop.credential}))
    assert json.loads(ws.recv())["type"] == "welcome"
    ws.send(json.dumps({"type": "message", "conversation_id": 1, "client_id": cid(), "text": "z" * HUGE}))
    assert _closed_by_server(ws) == 1009
    ws.close()

    # The good credential still works, on both processes.
    for web in (A, B):
        agent = rt.agent(web)
        agent.send({"type": "ping"})
        agent.expect("pong", timeout=5)


@pytest.mark.parametrize("path", ["/ws/visitor", "/ws/agent"])
def test_a_client_that_reads_late_still_learns_its_frame_was_too_big(rt: Live, path: str) -> None:
    """The server closes with 1009 while the rest of the oversized frame is still
    arriving: the close frame must survive (no reset that throws away what the
    client has not read yet), so a client reading 0.3 s later still gets it."""
    hello = {"type": "hello", "site_key": rt.shop.site_key} if path == "/ws/visitor" else \
        {"type": "hello", "credential": rt.shop.credential}
    for web in [A, B] * 10:
        ws = raw_socket(rt.cluster.url(web), path)
        try:
            ws.send(json.dumps(hello))
            assert json.loads(ws.recv())["type"] == "welcome"
            ws.send(json.dumps({"type": "message", "conversation_id": 1, "client_id": cid(), "text": "z" * HUGE}))
            time.sleep(0.3)
            assert _closed_by_server(ws) == 1009
        finally:
            ws.close()
