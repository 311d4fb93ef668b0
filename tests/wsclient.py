"""Small blocking WebSocket clients for tests, speaking docs/protocol.md."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

import websocket


class SocketClient:
    path = "/ws/visitor"

    def __init__(self, base_url: str, *, origin: str | None = None, timeout: float = 10) -> None:
        url = base_url.replace("http://", "ws://").rstrip("/") + self.path
        options: dict[str, Any] = {"origin": origin} if origin else {}
        self.ws = websocket.create_connection(url, timeout=timeout, **options)
        self.frames: list[dict[str, Any]] = []
        #: Received but not yet taken by expect(): frames may arrive in any
        #: order the protocol allows (an echo can precede its ack).
        self.pending: list[dict[str, Any]] = []

    def send(self, frame: dict[str, Any] | str) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def _next(self, timeout: float) -> dict[str, Any] | None:
        """The next frame received within ``timeout`` seconds (None: none yet, try again)."""
        return self.recv(timeout)

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        self.ws.settimeout(timeout)
        data = self.ws.recv()
        if not data:
            raise ConnectionError("the server closed the socket")
        frame = json.loads(data)
        self.frames.append(frame)
        return frame

    def expect(self, type_: str, match: Any = None, timeout: float = 10) -> dict[str, Any]:
        def wanted(frame: dict[str, Any]) -> bool:
            return frame["type"] == type_ and (match is None or match(frame))

        for frame in self.pending:
            if wanted(frame):
                self.pending.remove(frame)
                return frame
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {type_!r} frame within {timeout}s; got {self.frames[-5:]}")
            frame = self._next(left)
            if frame is None:
                continue
            if wanted(frame):
                return frame
            self.pending.append(frame)

    def none_of(self, type_: str, match: Any = None, wait: float = 1.5) -> None:
        """Assert that no such frame arrives within ``wait`` seconds."""
        try:
            frame = self.expect(type_, match, timeout=wait)
        except (AssertionError, websocket.WebSocketTimeoutException):
            return
        raise AssertionError(f"unexpected frame {frame}")

    def close(self) -> None:
        self.ws.close()


class VisitorClient(SocketClient):
    def hello(self, site_key: str, token: str | None = None, after_seq: int = 0) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "hello", "site_key": site_key, "after_seq": after_seq}
        if token:
            frame["token"] = token
        self.send(frame)
        return self.expect("welcome")

    def say(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        cid = client_id or uuid.uuid4().hex
        self.send({"type": "message", "client_id": cid, "text": text})
        return self.expect("ack", lambda f: f.get("client_id") == cid)

    def assistant_reply(self, timeout: float = 15) -> dict[str, Any]:
        return self.expect("message", lambda f: f["author"] == "assistant", timeout)


class AgentClient(SocketClient):
    path = "/ws/agent"

    def hello(self, credential: str) -> dict[str, Any]:
        self.send({"type": "hello", "credential": credential})
        return self.expect("welcome")

    def hello_ticket(self, ticket: str) -> dict[str, Any]:
        """As the inbox does: a ticket from a signed-in user's page."""
        self.send({"type": "hello", "ticket": ticket})
        return self.expect("welcome")

    def say(self, conversation_id: int, text: str, client_id: str | None = None) -> dict[str, Any]:
        cid = self.send_message(conversation_id, text, client_id)
        return self.expect("ack", lambda f: f.get("client_id") == cid)

    def send_message(self, conversation_id: int, text: str, client_id: str | None = None) -> str:
        """Send a message without waiting for its ack; its ``client_id``."""
        cid = client_id or uuid.uuid4().hex
        self.send({"type": "message", "conversation_id": conversation_id, "client_id": cid, "text": text})
        return cid

    def act(self, action: str, conversation_id: int) -> None:
        self.send({"type": action, "conversation_id": conversation_id})

    def action(self, kind: str, conversation_id: int, *, expect_status: str | None = None) -> dict[str, Any] | None:
        """take / release / close; with ``expect_status``, wait for the ``conversation`` frame."""
        self.act(kind, conversation_id)
        if expect_status is None:
            return None
        return self.expect("conversation", lambda f: f["conversation_id"] == conversation_id
                           and f["status"] == expect_status)

    def resume(self, conversation_id: int, after_seq: int = 0) -> None:
        self.send({"type": "resume", "conversation_id": conversation_id, "after_seq": after_seq})

    def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        """Every ``message`` frame of one conversation received so far, in arrival order."""
        return [f for f in self.frames if f["type"] == "message" and f["conversation_id"] == conversation_id]

    def seqs(self, conversation_id: int) -> list[int]:
        return [f["seq"] for f in self.messages(conversation_id)]
