"""The outbox writes what is queued together: one socket write for an ack and its message."""
from __future__ import annotations

import json
import threading
from typing import Any

from wsproto.connection import Connection, ConnectionType
from wsproto.events import TextMessage

from core.chat.outbox import Outbox


class _Sock:
    """Records each write; the first one blocks until released (the client is slow once)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def send(self, data: bytes) -> int:
        if not self.writes:
            self.writes.append(data)
            self.first_started.set()
            self.release.wait(10)
        else:
            self.writes.append(data)
        return len(data)


class _Ws:
    """What the outbox uses of a simple-websocket server connection."""

    def __init__(self) -> None:
        self.ws = Connection(ConnectionType.SERVER)
        self.sock = _Sock()
        self.connected = True

    def send(self, text: str) -> None:
        self.sock.send(self.ws.send(TextMessage(data=text)))


def _frames(data: bytes) -> list[dict[str, Any]]:
    client = Connection(ConnectionType.CLIENT)
    client.receive_data(data)
    return [json.loads(e.data) for e in client.events() if isinstance(e, TextMessage)]


def test_frames_queued_while_a_write_is_under_way_go_out_in_one_write() -> None:
    ws = _Ws()
    outbox = Outbox(ws, lambda conversation_id, after: [], maxsize=100)
    outbox.follow(7, 0, catch_up=False)
    outbox.put({"type": "welcome"})
    assert ws.sock.first_started.wait(10)
    outbox.put({"type": "ack", "client_id": "c1", "seq": 1, "conversation_id": 7})
    outbox.put({"type": "message", "conversation_id": 7, "seq": 1, "text": "hi"})
    outbox.put({"type": "message", "conversation_id": 7, "seq": 1, "text": "hi"})  # the bus's copy
    outbox.put({"type": "typing", "conversation_id": 7})
    ws.sock.release.set()
    outbox.close()
    assert len(ws.sock.writes) == 2
    assert _frames(ws.sock.writes[0]) == [{"type": "welcome"}]
    assert [f["type"] for f in _frames(ws.sock.writes[1])] == ["ack", "message", "typing"]


def test_a_long_catch_up_is_written_in_bounded_pieces() -> None:
    ws = _Ws()
    ws.sock.release.set()
    backlog = [{"type": "message", "conversation_id": 7, "seq": n, "text": "x" * 1000} for n in range(1, 201)]

    def load_after(conversation_id: int, after: int) -> list[dict[str, Any]]:
        return [f for f in backlog if f["seq"] > after][:500]

    outbox = Outbox(ws, load_after, maxsize=100)
    outbox.follow(7, 0)
    outbox.close()
    sent = [f["seq"] for data in ws.sock.writes for f in _frames(data)]
    assert sent == list(range(1, 201))
    assert len(ws.sock.writes) >= 3  # ~200 KB of frames: several writes of at most ~64 KB
    assert max(len(w) for w in ws.sock.writes) < 80 * 1024


def test_a_copy_of_a_message_already_sent_is_not_even_queued() -> None:
    ws = _Ws()
    ws.sock.release.set()
    outbox = Outbox(ws, lambda conversation_id, after: [], maxsize=100)
    outbox.follow(7, 0, catch_up=False)
    outbox.put({"type": "message", "conversation_id": 7, "seq": 1, "text": "hi"})
    for _ in range(1000):
        if outbox._sent[7] == 1:
            break
        threading.Event().wait(0.01)
    outbox.put({"type": "message", "conversation_id": 7, "seq": 1, "text": "hi"})
    assert outbox._queue.qsize() == 0
    outbox.put({"type": "message", "conversation_id": 8, "seq": 1, "text": "not followed"})
    assert outbox._queue.qsize() == 1  # the sender decides about conversations it does not follow
    outbox.close()
    assert [f["seq"] for data in ws.sock.writes for f in _frames(data)] == [1]
