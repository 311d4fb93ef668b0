"""A small blocking client for the agent socket (``/ws/agent``, core/chat/frames.py).

Like :class:`tests.wsclient.VisitorClient`, with one difference: a background
thread reads the socket all the time. An agent receives every event of its
shop, and a test that sends many frames must not make the server think the
agent stopped reading.
"""
from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from typing import Any

import websocket

_CLOSED: dict[str, Any] = {"type": "_closed"}


class AgentClient:
    def __init__(self, base_url: str, *, timeout: float = 10) -> None:
        url = base_url.replace("http://", "ws://").rstrip("/") + "/ws/agent"
        self.ws = websocket.create_connection(url, timeout=timeout)
        self.ws.settimeout(None)
        #: Every frame received, in order.
        self.frames: list[dict[str, Any]] = []
        #: Received but not yet taken by expect().
        self.pending: list[dict[str, Any]] = []
        self.closed = threading.Event()
        self._inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="agent-client", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while True:
                data = self.ws.recv()
                if not data:
                    break
                frame = json.loads(data)
                self.frames.append(frame)
                self._inbox.put(frame)
        except Exception:  # noqa: BLE001 - closed by either side
            pass
        finally:
            self.closed.set()
            self._inbox.put(_CLOSED)

    # -- sending ------------------------------------------------------------------

    def send(self, frame: dict[str, Any] | str) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def hello(self, credential: str) -> dict[str, Any]:
        self.send({"type": "hello", "credential": credential})
        return self.expect("welcome")

    def say(self, conversation_id: int, text: str, client_id: str | None = None) -> dict[str, Any]:
        cid = self.send_message(conversation_id, text, client_id)
        return self.expect("ack", lambda f: f.get("client_id") == cid)

    def send_message(self, conversation_id: int, text: str, client_id: str | None = None) -> str:
        cid = client_id or uuid.uuid4().hex
        self.send({"type": "message", "conversation_id": conversation_id, "client_id": cid, "text": text})
        return cid

    def action(self, kind: str, conversation_id: int, *, expect_status: str | None = None) -> dict[str, Any] | None:
        """take / release / close; with ``expect_status``, wait for the ``conversation`` frame."""
        self.send({"type": kind, "conversation_id": conversation_id})
        if expect_status is None:
            return None
        return self.expect("conversation", lambda f: f["conversation_id"] == conversation_id
                           and f["status"] == expect_status)

    def resume(self, conversation_id: int, after_seq: int = 0) -> None:
        self.send({"type": "resume", "conversation_id": conversation_id, "after_seq": after_seq})

    # -- receiving ----------------------------------------------------------------

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
            try:
                frame = self._inbox.get(timeout=left)
            except queue.Empty:
                continue
            if frame is _CLOSED:
                self._inbox.put(_CLOSED)  # later calls see it too
                raise ConnectionError(f"the server closed the socket; last frames {self.frames[-5:]}")
            if wanted(frame):
                return frame
            self.pending.append(frame)

    def drain(self, wait: float = 0.0) -> None:
        """Move everything received (within ``wait`` seconds) to ``pending``."""
        deadline = time.monotonic() + wait
        while True:
            try:
                frame = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if frame is _CLOSED:
                self._inbox.put(_CLOSED)
                return
            self.pending.append(frame)

    def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        """Every ``message`` frame of one conversation received so far, in arrival order."""
        return [f for f in self.frames if f["type"] == "message" and f["conversation_id"] == conversation_id]

    def seqs(self, conversation_id: int) -> list[int]:
        return [f["seq"] for f in self.messages(conversation_id)]

    def close(self) -> None:
        # The reader thread owns recv(): ask the server to close, let the
        # reader see the close, then drop the TCP connection.
        try:
            self.ws.send_close()
        except Exception:  # noqa: BLE001 - already gone
            pass
        self._reader.join(timeout=2)
        self.ws.shutdown()
        self._reader.join(timeout=2)
