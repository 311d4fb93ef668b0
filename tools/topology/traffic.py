"""Steady shopper and agent traffic through the load balancer that survives every fault
the way the protocol (docs/protocol.md) says a client should: keep the token and the
last seq, reconnect to any host with ``after_seq``, send unacked lines again with the
same ``client_id`` (so a retry is never stored twice). Then the check: replay every
conversation from ``after_seq = 0`` and count what was lost or duplicated.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

#: Questions about the catalog the runs import (tests/data/shopify/apparel.csv): the assistant answers them.
LINES = ["Do you have the Ocean Blue Shirt?", "How much is the Classic Varsity Top?",
         "Is the Olive Green Jacket in stock?", "What sizes does the Red Sports Tee come in?",
         "Show me a leather bag"]


def visitor_ip(idx: int) -> str:
    """A loopback source address per shopper (all of 127/8 is loopback on Linux), so the
    per-address limits behind the proxy's X-Forwarded-For see one shopper each."""
    return f"127.{100 + idx // 62500}.{1 + (idx // 250) % 250}.{1 + idx % 250}"


async def _open(url: str, idx: int | None) -> ClientConnection:
    extra = {"local_addr": (visitor_ip(idx), 0)} if idx is not None else {}
    # The client pings too: a frozen host's sockets (SIGSTOP) are silent, not closed.
    return await connect(url, proxy=None, open_timeout=10, close_timeout=2, ping_interval=2, ping_timeout=4,
                         **extra)


@dataclass
class Shopper:
    idx: int
    url: str
    site_key: str
    token: str | None = None
    last_seq: int = 0
    conversation_id: int | None = None
    sent: int = 0
    unacked: dict[str, str] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    #: When the socket dropped (None while connected) and how long each outage lasted.
    down_since: float | None = None
    outages: list[tuple[float, float]] = field(default_factory=list)
    ws: ClientConnection | None = None
    errors: dict[str, int] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event, every: float, sending: asyncio.Event) -> None:
        """Until ``stop``: stay connected, and send a line every ``every`` s while ``sending``."""
        next_send = time.monotonic() + every * (self.idx % 10) / 10
        while not stop.is_set():
            try:
                self.ws = ws = await _open(self.url, self.idx)
                hello: dict[str, Any] = {"type": "hello", "site_key": self.site_key, "after_seq": self.last_seq}
                if self.token:
                    hello["token"] = self.token
                await ws.send(json.dumps(hello))
                reader = asyncio.create_task(self._read(ws))
                try:
                    async with asyncio.timeout(10):
                        while self.token is None or self.down_since is not None:
                            if reader.done():
                                reader.result()
                            await asyncio.sleep(0.01)
                    for cid, text in list(self.unacked.items()):  # the same client_id: stored once
                        await ws.send(json.dumps({"type": "message", "client_id": cid, "text": text}))
                    while not stop.is_set() and not reader.done():
                        wait = next_send - time.monotonic()
                        if not sending.is_set():
                            next_send = max(next_send, time.monotonic() + every)
                            await asyncio.wait([reader], timeout=0.2)
                            continue
                        if wait > 0:
                            await asyncio.wait([reader], timeout=min(wait, 0.5))
                            continue
                        self.sent += 1
                        cid = f"v{self.idx}-{self.sent}"
                        text = f"{LINES[self.sent % len(LINES)]} ({cid})"
                        self.unacked[cid] = text
                        next_send += every
                        await ws.send(json.dumps({"type": "message", "client_id": cid, "text": text}))
                    if reader.done():
                        reader.result()
                finally:
                    reader.cancel()
                    await asyncio.gather(reader, return_exceptions=True)
                if stop.is_set():
                    await ws.close()
                elif self.down_since is None:  # the server ended it (server_restart, 1012)
                    self.down_since = time.monotonic()
            except (ConnectionClosed, OSError, InvalidHandshake, InvalidStatus, TimeoutError) as exc:
                kind = type(exc).__name__
                self.errors[kind] = self.errors.get(kind, 0) + 1
                if self.down_since is None:
                    self.down_since = time.monotonic()
                await asyncio.sleep(0.2)

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "welcome":
                self.token = frame["token"]
                if self.down_since is not None:
                    self.outages.append((self.down_since, time.monotonic()))
                self.down_since = None
            elif kind == "ack":
                self.unacked.pop(frame["client_id"], None)
                self.acked.add(frame["client_id"])
                self.conversation_id = frame["conversation_id"]
            elif kind == "message":
                self.last_seq = max(self.last_seq, int(frame["seq"]))
            elif kind == "error":
                code = f"error {frame.get('code')}"
                self.errors[code] = self.errors.get(code, 0) + 1
                if frame.get("fatal"):
                    return


class Agent:
    """One agent socket of the shop, reconnecting like a shopper; counts what it sees."""

    def __init__(self, url: str, credential: str) -> None:
        self.url, self.credential = url, credential
        self.seen: set[tuple[int, int]] = set()
        self.reconnects = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with await _open(self.url, None) as ws:
                    await ws.send(json.dumps({"type": "hello", "credential": self.credential}))
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame.get("type") == "message":
                            self.seen.add((frame["conversation_id"], frame["seq"]))
                        if stop.is_set():
                            return
            except (ConnectionClosed, OSError, InvalidHandshake, InvalidStatus, TimeoutError):
                self.reconnects += 1
                await asyncio.sleep(0.2)


async def replay(url: str, site_key: str, shopper: Shopper) -> list[dict[str, Any]]:
    """Every stored message of the shopper's conversation, from ``after_seq = 0``."""
    async with await _open(url, shopper.idx) as ws:
        await ws.send(json.dumps({"type": "hello", "site_key": site_key, "token": shopper.token, "after_seq": 0}))
        messages: list[dict[str, Any]] = []
        last = None
        async with asyncio.timeout(20):
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "welcome":
                    last = frame["last_seq"] or 0
                elif frame.get("type") == "message":
                    messages.append(frame)
                if last is not None and (not messages and last == 0 or messages and messages[-1]["seq"] >= last):
                    return messages
    return messages


def audit(shopper: Shopper, messages: list[dict[str, Any]]) -> dict[str, int]:
    """Lost: acked lines missing from the replay. Duplicated: a client_id stored twice.
    Gaps: seqs not 1..n. Unanswered: the conversation's last shopper line has no later reply
    while the assistant answers it (after a handoff it waits for a person, by design)."""
    ids = [m.get("client_id") for m in messages if m.get("author") == "visitor"]
    seqs = [m["seq"] for m in messages]
    last_visitor = max((m["seq"] for m in messages if m.get("author") == "visitor"), default=0)
    statuses = [m["status"] for m in messages if m.get("author") == "system" and m.get("status")]
    answered = (statuses[-1] if statuses else "ai") != "ai" or any(
        m.get("author") in ("assistant", "agent") and m["seq"] > last_visitor for m in messages)
    return {
        "lost": len(shopper.acked - set(ids)),
        "duplicated": len(ids) - len(set(ids)),
        "gaps": int(seqs != list(range(1, len(seqs) + 1))),
        "unanswered": int(bool(last_visitor) and not answered),
        "stored": len(ids),
    }
