"""The agent socket client of :mod:`tests.wsclient` with a background reader.

An agent receives every event of its shop, and a test that sends many frames
must not make the server think the agent stopped reading: here a thread reads
the socket all the time and :meth:`~tests.wsclient.SocketClient.expect` takes
frames from what it received.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

from tests.wsclient import AgentClient as BlockingAgentClient

_CLOSED: dict[str, Any] = {"type": "_closed"}


class AgentClient(BlockingAgentClient):
    def __init__(self, base_url: str, *, timeout: float = 10) -> None:
        super().__init__(base_url, timeout=timeout)
        self.ws.settimeout(None)
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

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        raise TypeError("the reader thread owns the socket: use expect() or drain()")

    def _next(self, timeout: float) -> dict[str, Any] | None:
        try:
            frame = self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None
        if frame is _CLOSED:
            self._inbox.put(_CLOSED)  # later calls see it too
            raise ConnectionError(f"the server closed the socket; last frames {self.frames[-5:]}")
        return frame

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
