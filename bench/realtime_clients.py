"""bench/realtime.py's client: visitor and agent sockets on one asyncio loop, and what they measured."""
from __future__ import annotations

import asyncio
import collections
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.realtime_figures import CpuMeter, dist, now


# -- the client ------------------------------------------------------------------


def source_ip(idx: int) -> str:
    """A loopback address of its own for each visitor (all of 127/8 is loopback
    on Linux): the server's per-address limits see one shopper per address,
    as in real life, instead of thousands behind 127.0.0.1."""
    return f"127.{10 + idx // 62500}.{1 + (idx // 250) % 250}.{1 + idx % 250}"


async def open_ws(url: str, idx: int | None = None, deflate: bool = True) -> ClientConnection:
    # websockets offers "permessage-deflate; client_max_window_bits" by default:
    # exactly what browsers send. The server pings; the client only answers.
    extra = {"local_addr": (source_ip(idx), 0)} if idx is not None else {}
    return await connect(url, proxy=None, ping_interval=None, open_timeout=60, close_timeout=3,
                         max_queue=256, compression="deflate" if deflate else None, **extra)


async def recv_type(ws: ClientConnection, kind: str, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == kind:
                return frame
            if frame.get("type") == "error" and frame.get("fatal"):
                raise RuntimeError(f"server refused: {frame}")


@dataclass
class Visitor:
    idx: int
    ws: ClientConnection
    alive: bool = True
    conversation_id: int | None = None
    last_send: float = 0.0
    task: asyncio.Task[None] | None = None


@dataclass
class Tally:
    """In-flight messages and the latencies of one measurement window."""

    pending_ack: dict[str, float] = field(default_factory=dict)
    pending_agent: dict[str, float] = field(default_factory=dict)
    ack: list[float] = field(default_factory=list)
    agent: list[float] = field(default_factory=list)
    reply: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    assistant_seen: int = 0
    expect_agent: bool = True

    def reset(self) -> None:
        self.pending_ack.clear()
        self.pending_agent.clear()
        self.ack, self.agent, self.reply = [], [], []
        self.errors.clear()
        self.assistant_seen = 0

    def sent(self, cid: str, t: float) -> None:
        self.pending_ack[cid] = t
        if self.expect_agent:
            self.pending_agent[cid] = t

    def acked(self, cid: str, t: float) -> None:
        t0 = self.pending_ack.pop(cid, None)
        if t0 is not None:
            self.ack.append(t - t0)

    def agent_got(self, cid: str, t: float) -> None:
        t0 = self.pending_agent.pop(cid, None)
        if t0 is not None:
            self.agent.append(t - t0)

    @property
    def outstanding(self) -> int:
        return len(self.pending_ack) + len(self.pending_agent)


class Client:
    #: Handshakes in flight at once when opening many sockets (--connect-concurrency).
    connect_concurrency = 100

    def __init__(self, tally: Tally, seed: int = 1, deflate: bool = True) -> None:
        self.deflate = deflate
        self.tally = tally
        self.rng = random.Random(seed)
        self.visitors: list[Visitor] = []
        self.seq = 0
        self.events: list[str] = []

    # visitors ----------------------------------------------------------------

    async def open_visitor(self, url: str, site_key: str, idx: int) -> Visitor:
        ws = await open_ws(url, idx, self.deflate)
        try:
            await ws.send(json.dumps({"type": "hello", "site_key": site_key, "after_seq": 0}))
            await recv_type(ws, "welcome")
        except BaseException:
            ws.transport.abort()
            raise
        return Visitor(idx, ws)

    async def open_visitors(self, url: str, site_key: str, n: int, concurrency: int = 100,
                            start_idx: int = 0, give_up_after: float | None = None,
                            ) -> tuple[list[Visitor], collections.Counter[str]]:
        """Open ``n`` hello'd visitors; failures are counted by kind. With
        ``give_up_after``, stop when fewer than 5 sockets a second opened over
        that many seconds: a server that (nearly) stopped accepting."""
        sem = asyncio.Semaphore(min(concurrency, self.connect_concurrency))
        failures: collections.Counter[str] = collections.Counter()
        opened: list[Visitor] = []

        async def one(i: int) -> None:
            async with sem:
                try:
                    opened.append(await self.open_visitor(url, site_key, i))
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    failures[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

        tasks = [asyncio.create_task(one(start_idx + i)) for i in range(n)]
        pending: set[asyncio.Task[None]] = set(tasks)
        history: collections.deque[tuple[float, int]] = collections.deque()
        while pending:
            _, pending = await asyncio.wait(pending, timeout=1.0)
            t = now()
            history.append((t, len(opened)))
            if not give_up_after or not pending:
                continue
            while history and history[0][0] < t - give_up_after:
                history.popleft()
            t0, n0 = history[0]
            if t - t0 >= give_up_after - 1.5 and (len(opened) - n0) / (t - t0) < 5:
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                failures[f"gave up: under 5 sockets/s opened for {give_up_after:.0f} s"] += len(pending)
                break
        return opened, failures

    def start_reading(self, visitors: list[Visitor]) -> None:
        for v in visitors:
            v.task = asyncio.create_task(self._visitor_reader(v))

    async def _visitor_reader(self, v: Visitor) -> None:
        tally = self.tally
        try:
            async for raw in v.ws:
                t = now()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "ack":
                    tally.acked(frame["client_id"], t)
                    v.conversation_id = frame["conversation_id"]
                elif kind == "message":
                    if frame.get("author") == "assistant" and v.last_send:
                        tally.reply.append(t - v.last_send)
                elif kind == "error":
                    tally.errors[f"visitor {frame.get('code')}"] += 1
                    if frame.get("client_id"):  # that message was refused: it will never be acked
                        tally.pending_ack.pop(frame["client_id"], None)
                        tally.pending_agent.pop(frame["client_id"], None)
        except ConnectionClosed as exc:
            self.events.append(f"visitor {v.idx} closed: {exc}")
        finally:
            v.alive = False

    async def close_all(self, visitors: list[Visitor], timeout: float = 30) -> None:
        for v in visitors:
            if v.task is not None:
                v.task.cancel()
        sem = asyncio.Semaphore(500)

        async def one(v: Visitor) -> None:
            async with sem:
                try:
                    await asyncio.wait_for(v.ws.close(), 5)
                except Exception:  # noqa: BLE001
                    v.ws.transport.abort()

        try:
            await asyncio.wait_for(asyncio.gather(*(one(v) for v in visitors)), timeout)
        except asyncio.TimeoutError:
            for v in visitors:
                v.ws.transport.abort()

    # the open-loop sender --------------------------------------------------------

    async def run_rate(self, visitors: list[Visitor], rate: float, duration: float,
                       cpu: CpuMeter | None, drain: float = 60.0) -> dict[str, Any]:
        """Send at ``rate`` msg/s (exponential inter-arrivals, each to a random
        visitor) for ``duration`` s, then wait for the stragglers."""
        tally, rng = self.tally, self.rng
        tally.reset()
        lags: list[float] = []
        sent = send_failed = 0
        if cpu:
            cpu.start()
        start = now()
        end = start + duration
        due = start + rng.expovariate(rate)
        n = len(visitors)
        while due < end:
            t = now()
            if due > t:
                await asyncio.sleep(due - t)
                continue
            v = visitors[rng.randrange(n)]
            for _ in range(20):  # a visitor whose socket died is replaced by another one
                if v.alive:
                    break
                v = visitors[rng.randrange(n)]
            else:
                due += rng.expovariate(rate)
                continue
            self.seq += 1
            cid = f"{v.idx}.{self.seq}"
            t = now()
            tally.sent(cid, t)
            v.last_send = t
            try:
                await v.ws.send('{"type":"message","client_id":"%s","text":"Do you have the linen '
                                'shirt in a medium? I would like it by Friday. (%d)"}' % (cid, self.seq))
                sent += 1
                lags.append(t - due)
            except ConnectionClosed:
                tally.pending_ack.pop(cid, None)
                tally.pending_agent.pop(cid, None)
                send_failed += 1
            due += rng.expovariate(rate)
        wall = now() - start
        # Wait for the stragglers: until none is left, ``drain`` seconds pass,
        # or nothing arrives for 10 s (what is left then is lost).
        deadline = now() + drain
        last_count, last_change = tally.outstanding, now()
        while tally.outstanding and now() < deadline and now() - last_change < 10:
            await asyncio.sleep(0.01)
            if tally.outstanding != last_count:
                last_count, last_change = tally.outstanding, now()
        drained = now() - start - wall
        # CPU over sending and draining: a backlog is worked off after the last send.
        cpu_use = cpu.stop() if cpu else {}
        cpu_window = now() - start
        return {
            "rate": rate, "duration": round(wall, 2), "sent": sent, "achieved": round(sent / wall, 1),
            "ack": dist(tally.ack), "agent": dist(tally.agent) if tally.expect_agent else None,
            "missing_ack": len(tally.pending_ack), "missing_agent": len(tally.pending_agent),
            "send_failed": send_failed, "lag_p99_ms": dist(lags)["p99"], "cpu": cpu_use,
            "drain_s": round(drained, 1), "cpu_window_s": round(cpu_window, 2),
            "errors": dict(tally.errors), "assistant_seen": tally.assistant_seen,
            "reply": dist(tally.reply) if tally.reply else None,
        }


class AgentClient:
    """One agent socket: receives every message of the shop; optionally takes
    each new conversation over (so the assistant stays silent)."""

    def __init__(self, url: str, credential: str, tally: Tally, events: list[str]) -> None:
        self.url, self.credential, self.tally, self.events = url, credential, tally, events
        self.take = False
        self.taken: set[int] = set()
        self.asked: set[int] = set()
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.disconnects = 0

    async def start(self) -> None:
        self.ws = await open_ws(self.url)
        await self.ws.send(json.dumps({"type": "hello", "credential": self.credential}))
        await recv_type(self.ws, "welcome")
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        tally = self.tally
        while True:
            assert self.ws is not None
            try:
                async for raw in self.ws:
                    t = now()
                    frame = json.loads(raw)
                    kind = frame.get("type")
                    if kind == "message":
                        author = frame.get("author")
                        if author == "visitor":
                            tally.agent_got(frame.get("client_id", ""), t)
                            conv = frame["conversation_id"]
                            if self.take and conv not in self.asked:
                                self.asked.add(conv)
                                await self.ws.send(json.dumps({"type": "take", "conversation_id": conv}))
                        elif author == "assistant":
                            tally.assistant_seen += 1
                    elif kind == "conversation" and frame.get("status") == "human":
                        self.taken.add(frame["conversation_id"])
                    elif kind == "error":
                        tally.errors[f"agent {frame.get('code')}"] += 1
                return
            except ConnectionClosed as exc:
                self.disconnects += 1
                self.events.append(f"agent socket closed at {time.strftime('%X')}: {exc}; reconnecting")
                await asyncio.sleep(0.2)
                try:
                    await self.start_again()
                except Exception as exc2:  # noqa: BLE001
                    self.events.append(f"agent reconnect failed: {exc2}")
                    return

    async def start_again(self) -> None:
        self.ws = await open_ws(self.url)
        await self.ws.send(json.dumps({"type": "hello", "credential": self.credential}))
        await recv_type(self.ws, "welcome")

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
        if self.ws:
            await self.ws.close()
