#!/usr/bin/env python
"""StoreChat's real-time benchmark: prints figures, asserts nothing.

    .venv/bin/python bench/realtime.py --quick      # 1-2 minutes
    .venv/bin/python bench/realtime.py              # full: about ten minutes on 2 cores
    .venv/bin/python bench/realtime.py --database-url postgresql://user@host/db
    .venv/bin/python bench/realtime.py --quick --only latency --contend 10 --hold 0.02   # SQLite + 2nd writer

On loopback: a private redis-server (RedisServer), two `storechat web`
processes with one gevent worker each plus an RQ worker (Cluster), SQLite
unless --database-url is given. One asyncio client (the `websockets`
library, a bench-only dependency: see bench/README.md) drives every socket.

What it measures (bench/README.md explains how to read each figure):

  0. baseline: the same client against a bare flask-sock echo server
  1. latency at a moderate rate: 1,000 visitors on web process A send with
     Poisson arrivals; one agent socket on process B receives every message.
     send->ack at the visitor, send->receipt at the agent.
  2. idle sockets one web process holds, and resident memory per socket
  3. time until the server drops a vanished peer (SIGKILLed; SIGSTOPped)
  4. the highest aggregate rate whose p99 stays within 50 ms
  5. (full mode) the same load as 1 with the assistant answering every line
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from core.testing.cluster import Cluster, RedisServer, free_port  # noqa: E402

CSV = ROOT / "connectors" / "csv" / "demo" / "apparel.csv"
now = time.perf_counter  # CLOCK_MONOTONIC: one clock for the whole client process


def say(*parts: Any) -> None:
    print(*parts, flush=True)


# -- statistics ------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def dist(values: list[float]) -> dict[str, float]:
    """p50/p90/p99/max in milliseconds."""
    s = sorted(values)
    return {"n": len(s), "p50": percentile(s, 50) * 1e3, "p90": percentile(s, 90) * 1e3,
            "p99": percentile(s, 99) * 1e3, "max": (s[-1] * 1e3) if s else math.nan}


def fmt_ms(x: float) -> str:
    if x != x:  # nan
        return "-"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_dist(d: dict[str, float]) -> str:
    return " / ".join(fmt_ms(d[k]) for k in ("p50", "p90", "p99", "max"))


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths)),
           "  " + "  ".join("-" * w for w in widths)]
    out += ["  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
            for r in cells[1:]]
    return "\n".join(out)


# -- processes -------------------------------------------------------------------


def gunicorn_workers(arbiter_pid: int, expected: int = 1, timeout: float = 15) -> list[psutil.Process]:
    """The worker processes of a gunicorn arbiter (spawned just after it is ready)."""
    arbiter = psutil.Process(arbiter_pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = arbiter.children()
        if len(kids) >= expected:
            return kids
        time.sleep(0.05)
    raise RuntimeError(f"gunicorn {arbiter_pid} has no workers")


class CpuMeter:
    """CPU used by named groups of processes over a window, in % of one core."""

    def __init__(self, groups: dict[str, list[psutil.Process]]) -> None:
        self.groups = groups
        self._t0 = 0.0
        self._c0: dict[str, float] = {}

    def _cpu(self, procs: list[psutil.Process]) -> float:
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    @staticmethod
    def _busy() -> float:
        t = psutil.cpu_times()
        return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0)

    def start(self) -> None:
        self._t0 = now()
        self._c0 = {k: self._cpu(v) for k, v in self.groups.items()}
        self._busy0 = self._busy()

    def stop(self) -> dict[str, float]:
        """Per group, plus ``other``: everything else the machine ran meanwhile
        (other people's processes share these cores too)."""
        wall = max(now() - self._t0, 1e-9)
        out = {k: 100 * (self._cpu(v) - self._c0[k]) / wall for k, v in self.groups.items()}
        out["other"] = max(0.0, 100 * (self._busy() - self._busy0) / wall - sum(out.values()))
        return out


def cpu_per_message(res: dict[str, Any]) -> dict[str, float]:
    """CPU milliseconds each process spent per message sent in a step: unlike
    latency, this hardly depends on what else the machine runs."""
    if not res.get("sent"):
        return {}
    return {k: v / 100 * res["cpu_window_s"] * 1000 / res["sent"] for k, v in res["cpu"].items() if k != "other"}


def fmt_cpu(cpu: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.0f}%" for k, v in cpu.items())


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


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


# -- the bench -------------------------------------------------------------------


@dataclass
class Plan:
    quick: bool
    visitors: int
    rate: float
    latency_seconds: float
    echo_seconds: float
    echo_ramp: list[float]
    ramp: list[float]
    ramp_seconds: float
    idle_steps: list[int]
    ping_interval: float
    killed_peers: int
    stopped_peers: int
    assistant_seconds: float
    idle_breakdown: int = 0


def make_plan(args: argparse.Namespace) -> Plan:
    plan = _plan(args)
    if args.latency_seconds:
        plan.latency_seconds = args.latency_seconds
    if args.ramp:
        plan.ramp = [float(r) for r in args.ramp.split(",")]
    return plan


def _plan(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan(True, args.visitors, args.rate, 8, 4, [], [50, 100, 250, 1000, 4000], 3,
                    [1000, 2000], args.ping_interval or 2, 2, 3, 0)
    return Plan(False, args.visitors, args.rate, 30, 10, [1000, 2000, 4000],
                [50, 100, 150, 250, 500, 1000, 2000, 4000], 10, [1000, 2000, 5000, 10000],
                args.ping_interval or 5, 3, 5, 20, idle_breakdown=1000)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.plan = make_plan(args)
        self.tmp = Path(tempfile.mkdtemp(prefix="storechat-bench-"))
        self.results: dict[str, Any] = {"mode": "quick" if args.quick else "full"}
        self.redis: RedisServer | None = None
        self.cluster: Cluster | None = None
        self.ping_cluster: Cluster | None = None
        self.idle_cluster: Cluster | None = None
        self.echo: subprocess.Popen[bytes] | None = None
        self.peers: list[subprocess.Popen[str]] = []
        self.contender: subprocess.Popen[str] | None = None
        self.only = {p.strip() for p in args.only.split(",") if p.strip()}
        unknown = self.only - set(PARTS)
        if unknown:
            raise SystemExit(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
        self.server_log = self.tmp / "server.log"

    # setup -----------------------------------------------------------------------

    def redis_url(self) -> str:
        url = self.redis.url if self.redis else ""
        if self.args.redis_max_connections:
            # redis-py reads pool options from the URL's query string.
            url += f"?max_connections={self.args.redis_max_connections}"
        return url

    def env(self) -> dict[str, str]:
        return {
            "STORECHAT_REDIS_URL": self.redis_url(),
            "STORECHAT_DATABASE_URL": self.args.database_url or f"sqlite:///{self.tmp / 'bench.db'}",
            "STORECHAT_SECRET_KEY": "bench-secret-" + "x" * 40,
            "STORECHAT_WEB_CONNECTIONS": "12000",
            "STORECHAT_LOG_LEVEL": "WARNING",
            # The per-visitor token bucket (default 1 msg/s, burst 10) caps 1,000
            # visitors at about 1,000 msg/s: raised so the ramp measures the
            # server, not the limiter. Both Redis checks (visitor and address)
            # still run on every message; per-address limits stay at their
            # defaults (every visitor has its own address, see source_ip).
            "STORECHAT_VISITOR_MESSAGE_RATE": "1000",
            "STORECHAT_VISITOR_MESSAGE_BURST": "1000",
            # Each web worker times its garbage collections (gc.callbacks) into
            # instance/gc-<pid>.json, and looks at a full pass every few seconds
            # instead of every 10 minutes, so it decides with the sockets open.
            "STORECHAT_GC_REPORT": "1",
            "STORECHAT_GC_FULL_INTERVAL": str(self.args.gc_full_interval),
            **({"STORECHAT_GC_MAX_PAUSE": str(self.args.gc_max_pause / 1000)}
               if self.args.gc_max_pause is not None else {}),
        }

    def gc_report(self) -> dict[str, Any] | None:
        """Web A's garbage collections so far (core/gc_schedule.py's report)."""
        path = self.tmp / "instance" / f"gc-{self.web[0].pid}.json"
        try:
            stats: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        stats["worst_ms"] = max(g["worst_ms"] for g in stats["pauses"].values())
        stats["worst_cpu_ms"] = max(g.get("worst_cpu_ms", 0) for g in stats["pauses"].values())
        return stats

    def _print_gc(self, indent: str, label: str, stats: dict[str, Any] | None) -> None:
        if stats is None:
            say(f"{indent}GC ({label}): no report from web A")
            return
        pauses = ", ".join(f"gen{g} {p['count']}x worst {p['worst_ms']:.1f} (CPU {p.get('worst_cpu_ms', 0):.1f})"
                           for g, p in stats["pauses"].items())
        look = stats.get("last_look") or {}
        say(f"{indent}GC on web A ({label}): worst pause {stats['worst_ms']:.1f} ms ({pauses} ms); "
            f"full passes run {stats['full_runs']} (forced {stats.get('forced', 0)}, longest "
            f"{stats['worst_full_ms']:.1f} ms, {stats.get('full_freed', 0):,} objects freed), put off "
            f"{stats['deferred']}; last look: "
            f"{look.get('frozen', 0):,} frozen objects with {look.get('sockets', 0):,} sockets open "
            f"(a full pass forced from {look.get('allowed', 0):,.0f}), a full pass estimated "
            f"{look.get('estimate_ms', 0):.1f} ms")

    @contextlib.contextmanager
    def servers_log(self) -> Iterator[None]:
        """Processes started inside inherit stdout/stderr pointing at
        server.log (Cluster starts them with our own), so the figures stay
        readable; the report counts the log's warnings and errors."""
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        fd = os.open(self.server_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for f in (*saved, fd):
                os.close(f)

    def start(self) -> None:
        limit = raise_fd_limit()
        quiet = CpuMeter({})
        quiet.start()
        time.sleep(1.0)
        busy = quiet.stop()["other"]
        self.results["machine_busy_before_pct"] = round(busy, 1)
        say(f"before starting: the machine was {busy:.0f}% busy (of {100 * (os.cpu_count() or 1)}%)"
            + ("  <- NOT IDLE: other processes compete for the cores; figures will be pessimistic"
               if busy > 15 else ""))
        self.results["fd_limit"] = limit
        self.redis = RedisServer(self.tmp / "redis")
        self.redis.start()
        t0 = now()
        with self.servers_log():
            self.cluster = Cluster(self.tmp / "instance", self.env(), web=2, worker=True, web_workers=1).start()
        out = self.cluster.cli("shop", "create", "Bench shop", "--csv", str(CSV)).stdout
        self.site_key = re.search(r"site key: (\S+)", out).group(1)  # type: ignore[union-attr]
        shop_id = re.search(r"shop id: (\d+)", out).group(1)  # type: ignore[union-attr]
        out = self.cluster.cli("agent", "create", shop_id, "--name", "Bench agent").stdout
        self.credential = re.search(r"credential: (\S+)", out).group(1)  # type: ignore[union-attr]
        self.web = [gunicorn_workers(p.pid)[0] for p in self.cluster.webs if p is not None]
        self.rq = psutil.Process(self.cluster.worker.pid)  # type: ignore[union-attr]
        self.redis_proc = psutil.Process(self.redis.proc.pid)  # type: ignore[union-attr]
        self.me = psutil.Process()
        if self.args.contend:
            from bench import contender

            self.contender = contender.start(self.tmp / "bench.db", self.args.contend, self.args.hold)
            self.results["contend"] = {"rate": self.args.contend, "hold_s": self.args.hold}
            say(f"another process (bench/contender.py) takes the SQLite write lock {self.args.contend:g} times "
                f"a second and holds it {self.args.hold * 1000:g} ms each time, from now on")
        say(f"cluster up in {now() - t0:.1f}s: web A worker pid {self.web[0].pid} "
            f"(port {self.cluster.ports[0]}), web B worker pid {self.web[1].pid} (port {self.cluster.ports[1]}), "
            f"rq worker pid {self.rq.pid}, redis-server pid {self.redis_proc.pid}; "
            f"database {'PostgreSQL' if self.args.database_url else 'SQLite (WAL)'}; fd limit {limit}")

    def ws_url(self, i: int, path: str) -> str:
        assert self.cluster is not None
        return f"ws://127.0.0.1:{self.cluster.ports[i]}{path}"

    def meter(self) -> CpuMeter:
        return CpuMeter({"client": [self.me], "web A": [self.web[0]], "web B": [self.web[1]],
                         "rq": [self.rq], "redis": [self.redis_proc]})

    def stop(self) -> None:
        if self.contender is not None:
            from bench import contender

            say(contender.stop(self.contender))
        for p in self.peers:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.echo is not None and self.echo.poll() is None:
            self.echo.terminate()
            try:
                self.echo.wait(10)
            except subprocess.TimeoutExpired:
                self.echo.kill()
        for c in (self.ping_cluster, self.idle_cluster, self.cluster):
            if c is not None:
                try:
                    c.stop()
                except Exception as exc:  # noqa: BLE001
                    say(f"(stopping a cluster: {exc})")
        if self.redis is not None:
            self.redis.stop()
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # 0. baseline: bare flask-sock echo ---------------------------------------------

    async def echo_baseline(self) -> None:
        plan = self.plan
        say(f"\n== 0. Baseline: the same client against a bare flask-sock echo "
            f"(gunicorn, 1 gevent worker), {plan.visitors} sockets")
        port, worker = self.start_echo()
        tally = Tally(expect_agent=False)
        client = Client(tally, seed=7)
        url = f"ws://127.0.0.1:{port}/echo"
        sem = asyncio.Semaphore(200)

        async def one(i: int) -> Visitor:
            async with sem:
                return Visitor(i, await open_ws(url, i))

        visitors = list(await asyncio.gather(*(one(i) for i in range(plan.visitors))))

        async def echo_reader(v: Visitor) -> None:
            try:
                async for raw in v.ws:
                    tally.acked(json.loads(raw)["client_id"], now())
            except ConnectionClosed:
                pass
            finally:
                v.alive = False

        for v in visitors:
            v.task = asyncio.create_task(echo_reader(v))
        meter = CpuMeter({"client": [self.me], "echo server": [worker]})
        rows = []
        for rate, secs in [(plan.rate, plan.echo_seconds), *[(r, 5.0) for r in plan.echo_ramp]]:
            res = await self.step(client, visitors, rate, secs, meter)
            rows.append(res)
            per_msg = ", ".join(f"{k} {v:.2f}" for k, v in cpu_per_message(res).items())
            say(f"  {rate:>6.0f} msg/s (achieved {res['achieved']:.0f}): send->echo ms p50/p90/p99/max "
                f"{fmt_dist(res['ack'])}; missing {res['missing_ack']}; CPU {fmt_cpu(res['cpu'])}; "
                f"CPU ms per message: {per_msg}")
        self.results["echo"] = rows
        await client.close_all(visitors)
        self.stop_echo()

    def start_echo(self) -> tuple[int, psutil.Process]:
        """A fresh bare flask-sock echo server (gunicorn, one gevent worker)."""
        port = free_port()
        with self.servers_log():
            self.echo = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "12000",
                 "-b", f"127.0.0.1:{port}", "--pythonpath", str(BENCH), "--log-level", "warning",
                 "echo_app:app"],
                start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the echo server did not start") from None
                time.sleep(0.05)
        return port, gunicorn_workers(self.echo.pid)[0]

    def stop_echo(self) -> None:
        if self.echo is not None:
            self.echo.terminate()
            self.echo.wait(10)
            self.echo = None

    async def idle_breakdown(self, n: int) -> None:
        """Where an idle socket's memory goes: StoreChat without deflate, and a
        bare flask-sock echo with and without deflate, each on a fresh process."""
        say(f"  breakdown at {n} sockets, each on a fresh process (one frame each way, then idle):")
        rows = {}
        # StoreChat without permessage-deflate: web B has served nothing yet.
        client = Client(Tally(), deflate=False)
        worker = self.web[1]
        base = worker.memory_info().rss
        conns, failures = await client.open_visitors(self.ws_url(1, "/ws/visitor"), self.site_key, n)
        await self._ping_round(conns)
        await asyncio.sleep(2)
        rows["StoreChat, no deflate"] = (worker.memory_info().rss - base) / max(len(conns), 1) / 1024
        await client.close_all(conns)
        for deflate in (True, False):
            port, worker = self.start_echo()
            await asyncio.sleep(1)
            base = worker.memory_info().rss
            sem = asyncio.Semaphore(100)

            async def one(i: int) -> ClientConnection:
                async with sem:
                    ws = await open_ws(f"ws://127.0.0.1:{port}/echo", i, deflate)
                    await ws.send('{"type":"hello","site_key":"none","after_seq":0}')
                    await ws.recv()
                    return ws

            socks = await asyncio.gather(*(one(i) for i in range(n)))
            await asyncio.sleep(2)
            rows[f"bare flask-sock echo, {'deflate' if deflate else 'no deflate'}"] = \
                (worker.memory_info().rss - base) / n / 1024
            await asyncio.gather(*(w.close() for w in socks), return_exceptions=True)
            self.stop_echo()
        for k, v in rows.items():
            say(f"    {k:<34} {v:6.1f} KiB/socket")
        self.results["idle"]["breakdown"] = {k: round(v, 1) for k, v in rows.items()}

    # 2. idle sockets -------------------------------------------------------------

    async def idle_sockets(self) -> None:
        plan = self.plan
        # A web process of its own (same database and Redis), so figure 1 runs
        # on processes that did not just hold and drop 10,000 sockets.
        with self.servers_log():
            self.idle_cluster = Cluster(self.tmp / "idle-instance", self.env(), web=1, worker=False,
                                        web_workers=1).start()
        worker = gunicorn_workers(self.idle_cluster.webs[0].pid)[0]  # type: ignore[union-attr]
        port = self.idle_cluster.ports[0]
        say(f"\n== 2. Idle sockets on ONE web process (a third one, pid {worker.pid}), hello'd, "
            f"permessage-deflate; steps {plan.idle_steps}")
        client = Client(Tally())
        url = f"ws://127.0.0.1:{port}/ws/visitor"
        try:
            await self._idle_steps(client, url, worker, port)
        finally:
            self.idle_cluster.stop()
            self.idle_cluster = None
        if plan.idle_breakdown:
            await self.idle_breakdown(plan.idle_breakdown)

    async def _idle_steps(self, client: Client, url: str, worker: psutil.Process, port: int) -> None:
        plan = self.plan
        # Warm the process (imports, pools, first-call caches) before the baseline.
        warm, _ = await client.open_visitors(url, self.site_key, 50)
        ext = warm[0].ws.response.headers.get("Sec-WebSocket-Extensions") if warm else None
        await self._ping_round(warm)
        await client.close_all(warm)
        await asyncio.sleep(1.5)
        base_rss, base_fds = worker.memory_info().rss, worker.num_fds()
        base_client = self.me.memory_info().rss
        say(f"  negotiated: Sec-WebSocket-Extensions: {ext}")
        say(f"  baseline: worker RSS {base_rss / 2**20:.1f} MiB, {base_fds} fds")
        conns: list[Visitor] = []
        rows: list[dict[str, Any]] = []
        stopped_why = None
        for target in plan.idle_steps:
            mark = self.log_mark()
            t0 = now()
            cmeter = CpuMeter({"web": [worker], "client": [self.me]})
            cmeter.start()
            new, failures = await client.open_visitors(url, self.site_key, target - len(conns),
                                                       start_idx=len(conns), give_up_after=30)
            connect_cpu = cmeter.stop()
            conns += new
            connect_s = now() - t0
            t1 = now()
            lost = await self._ping_round(conns)
            ping_round_s = now() - t1
            await asyncio.sleep(2)
            alive = worker.is_running()
            rss, fds = (worker.memory_info().rss, worker.num_fds()) if alive else (0, 0)
            meter = CpuMeter({"web": [worker], "client": [self.me]})
            meter.start()
            # Over a whole heartbeat period (10 s) in full mode: the beats of
            # sockets that connected together come in waves.
            await asyncio.sleep(3 if plan.quick else 10)
            idle_cpu = meter.stop()
            held = len(conns)
            row = {
                "target": target, "held": held, "connect_s": round(connect_s, 2),
                "connect_per_s": round(len(new) / connect_s) if connect_s else 0,
                "connect_cpu_ms_web": round(connect_cpu["web"] / 100 * connect_s * 1000 / max(len(new), 1), 2),
                "connect_other_pct": round(connect_cpu["other"]),
                "ping_round_s": round(ping_round_s, 2), "rss_mib": round(rss / 2**20, 1),
                "kib_per_socket": round((rss - base_rss) / held / 1024, 1) if held else None,
                "fds_per_socket": round((fds - base_fds) / held, 2) if held else None,
                "idle_cpu_web": round(idle_cpu["web"], 1),
                "idle_other_pct": round(idle_cpu["other"]),
                "client_kib_per_socket": round((self.me.memory_info().rss - base_client) / held / 1024, 1),
                "failures": dict(failures), "lost_in_ping_round": lost,
                "server_errors": self.log_since(mark),
            }
            rows.append(row)
            say(f"  {held:>6} sockets: connected in {connect_s:.1f}s ({row['connect_per_s']}/s, web "
                f"{row['connect_cpu_ms_web']} ms CPU each, others {row['connect_other_pct']}%), "
                f"worker RSS {row['rss_mib']} MiB -> {row['kib_per_socket']} KiB/socket, "
                f"{row['fds_per_socket']} fds/socket, CPU while idle {row['idle_cpu_web']}% "
                f"(others {row['idle_other_pct']}%), ping round {ping_round_s:.1f}s, "
                f"client {row['client_kib_per_socket']} KiB/socket")
            if row["server_errors"]:
                say(f"         server errors meanwhile: {row['server_errors']}")
            if failures or lost:
                say(f"         NOT ALL OPENED: failures {dict(failures)}, lost in the ping round {lost}")
            if held < 0.9 * target or not alive:
                stopped_why = (f"stopped at {held} of {target}: failures {dict(failures)}, "
                               f"lost in ping round {lost}, worker alive {alive}")
                say("  " + stopped_why)
                break
        self.results["idle"] = {"baseline_rss_mib": round(base_rss / 2**20, 1), "steps": rows,
                                "extension": ext, "stopped": stopped_why}
        t0 = now()
        await client.close_all(conns, timeout=60)
        # Let the server finish tearing them down before the next phase.
        def client_sockets() -> int:
            return sum(1 for c in worker.net_connections(kind="tcp") if c.laddr and c.laddr.port == port and c.raddr)

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and client_sockets() > 0:
            await asyncio.sleep(0.5)
        fds_left = worker.num_fds() - base_fds
        assert self.redis is not None
        tcp = worker.net_connections(kind="tcp")
        still_held = sum(1 for c in tcp if c.laddr and c.laddr.port == port and c.raddr)
        to_redis = sum(1 for c in tcp if c.raddr and c.raddr.port == self.redis.port)
        self.results["idle"].update(fds_left_after_close=fds_left, client_sockets_still_held=still_held,
                                    redis_connections=to_redis)
        say(f"  closed {len(conns)} sockets in {now() - t0:.1f}s; the worker still has {fds_left:+d} descriptors "
            f"against the baseline: {still_held} client sockets never cleaned up, {to_redis} connections to "
            f"Redis (its pool); RSS {worker.memory_info().rss / 2**20:.1f} MiB")

    async def _ping_round(self, conns: list[Visitor]) -> int:
        """Some traffic on every socket: a ping frame and its pong."""
        sem = asyncio.Semaphore(500)
        lost = 0

        async def one(v: Visitor) -> None:
            nonlocal lost
            async with sem:
                try:
                    await v.ws.send('{"type":"ping"}')
                    await recv_type(v.ws, "pong", timeout=30)
                except Exception:  # noqa: BLE001
                    lost += 1

        await asyncio.gather(*(one(v) for v in conns))
        return lost

    # 1 and 4: latency and the ramp ---------------------------------------------------

    async def latency(self) -> None:
        plan = self.plan
        say(f"\n== 1. Latency: {plan.visitors} visitors on web A, one agent socket on web B, "
            f"Poisson arrivals at {plan.rate:.0f} msg/s for {plan.latency_seconds:.0f}s")
        tally = Tally()
        client = Client(tally, seed=42)
        agent = AgentClient(self.ws_url(1, "/ws/agent"), self.credential, tally, client.events)
        await agent.start()
        t0 = now()
        mark = self.log_mark()
        visitors, failures = await client.open_visitors(self.ws_url(0, "/ws/visitor"), self.site_key,
                                                        plan.visitors)
        if failures:
            say(f"  could not open every visitor: {dict(failures)}; server errors {self.log_since(mark)}")
        client.start_reading(visitors)
        say(f"  {len(visitors)} visitors connected in {now() - t0:.1f}s")
        # Each visitor's first line starts its conversation; the agent takes
        # each one over as it sees it, so the assistant stays silent and the
        # figures are transport + store + relay (the worker still runs).
        agent.take = True
        t0 = now()
        tally.reset()
        for v in visitors:  # about 300 first lines per second
            client.seq += 1
            cid = f"{v.idx}.{client.seq}"
            tally.sent(cid, now())
            await v.ws.send(json.dumps({"type": "message", "client_id": cid, "text": "hello"}))
            await asyncio.sleep(0.003)
        # Until every live visitor's conversation is taken, or nothing moved for 10 s.
        last_progress, last_state = time.monotonic(), None
        give_up = time.monotonic() + 180
        while time.monotonic() - last_progress < 30 and time.monotonic() < give_up:
            live = [v for v in visitors if v.alive]
            state = (len(agent.taken), len(tally.pending_ack), len(live))
            if all(v.conversation_id in agent.taken for v in live):
                break
            if state != last_state:
                last_progress, last_state = time.monotonic(), state
            await asyncio.sleep(0.05)
        dead = sum(1 for v in visitors if not v.alive)
        if dead:
            say(f"  {dead} visitor sockets were closed by the server during the warm-up (see server errors)")
        say(f"  warm-up: {len(agent.taken)} conversations taken over by the agent in {now() - t0:.1f}s "
            f"(status human: the assistant stays silent)")
        await asyncio.sleep(1.0)  # replies scheduled for the first lines find the conversation taken

        meter = self.meter()
        res = await self.step(client, visitors, plan.rate, plan.latency_seconds, meter)
        self.results["latency"] = res
        self._print_step("  ", res)
        # Every collection since web A started, the connects and warm-up included.
        self.results["gc_latency"] = self.gc_report()
        self._print_gc("  ", f"up to the end of figure 1, {len(visitors)} sockets open", self.results["gc_latency"])

        say(f"\n== 4. Ramp: {len(visitors)} visitors, {plan.ramp_seconds:.0f}s per step, rates {plan.ramp}")
        rows = []
        for rate in plan.ramp:
            res = await self.step(client, visitors, rate, plan.ramp_seconds, meter)
            rows.append(res)
            self._print_step("  ", res)
            if (res["agent"]["p99"] > 1000 or res["missing_agent"] > 0.05 * max(res["sent"], 1)
                    or res["achieved"] < 0.8 * rate):
                say("  saturated: stopping the ramp")
                break
            await asyncio.sleep(1)
        ok = [r for r in rows if max(r["ack"]["p99"], r["agent"]["p99"]) <= 50
              and r["missing_agent"] == 0 and r["achieved"] >= 0.95 * r["rate"]]
        self.results["ramp"] = {"steps": rows, "max_rate_p99_50ms": max((r["rate"] for r in ok), default=None)}
        self.results["gc_ramp"] = self.gc_report()
        self._print_gc("  ", "up to the end of the ramp", self.results["gc_ramp"])
        self.results["agent_disconnects"] = agent.disconnects
        self.results["events"] = client.events[:20]
        if client.events:
            say(f"  events: {client.events[:5]}{' ...' if len(client.events) > 5 else ''}")
        await agent.close()
        await client.close_all(visitors)

    async def settle(self, limit: float = 20.0) -> float:
        """Wait (up to ``limit`` s) until the servers are done with earlier work:
        over one second, web A below 50% of a core and the RQ worker below 10%
        (it may still be answering the warm-up's first lines, which were the
        assistant's until the agent took them). Returns the seconds waited."""
        t0 = now()
        while now() - t0 < limit:
            m = CpuMeter({"web A": [self.web[0]], "rq": [self.rq]})
            m.start()
            await asyncio.sleep(1.0)
            use = m.stop()
            if use["web A"] < 50 and use["rq"] < 10:
                break
        return now() - t0

    async def step(self, client: Client, visitors: list[Visitor], rate: float, seconds: float,
                   meter: CpuMeter | None) -> dict[str, Any]:
        waited = await self.settle()
        if waited > 2:
            say(f"  (waited {waited:.0f}s for web A to finish earlier work)")
        mark = self.log_mark()
        res = await client.run_rate(visitors, rate, seconds, meter)
        res["server_errors"] = self.log_since(mark)
        res["dead_sockets"] = sum(1 for v in visitors if not v.alive)
        return res

    def _print_step(self, indent: str, res: dict[str, Any]) -> None:
        extra = ""
        if res["missing_ack"] or res["missing_agent"] or res["send_failed"]:
            extra += (f"; MISSING ack {res['missing_ack']} agent {res['missing_agent']} "
                      f"send-failed {res['send_failed']}")
        if res["errors"]:
            extra += f"; errors {res['errors']}"
        if res.get("drain_s", 0) > 2:
            extra += f"; backlog drained {res['drain_s']}s after the last send"
        if res.get("server_errors"):
            extra += f"; SERVER ERRORS {res['server_errors']}"
        if res.get("dead_sockets"):
            extra += f"; visitor sockets dead {res['dead_sockets']}"
        if res["assistant_seen"]:
            extra += f"; assistant replies seen by the agent {res['assistant_seen']}"
        say(f"{indent}{res['rate']:>6.0f} msg/s (achieved {res['achieved']:.0f}, n={res['sent']}): "
            f"send->ack p50/p90/p99/max {fmt_dist(res['ack'])} ms | send->agent {fmt_dist(res['agent'])} ms"
            f" | client lag p99 {fmt_ms(res['lag_p99_ms'])} ms{extra}")
        per_msg = ", ".join(f"{k} {v:.2f}" for k, v in cpu_per_message(res).items()
                            if k in ("web A", "web B", "client", "redis", "rq"))
        say(f"{indent}        CPU (% of one core, over sending + draining {res['cpu_window_s']:.0f}s): "
            f"{fmt_cpu(res['cpu'])}; CPU ms per message: {per_msg}")

    # 5. with the assistant -----------------------------------------------------------

    async def with_assistant(self) -> None:
        plan = self.plan
        say(f"\n== 5. With the assistant: {plan.visitors} new visitors (conversations owned by the assistant), "
            f"{plan.rate:.0f} msg/s for {plan.assistant_seconds:.0f}s; the RQ worker answers each line "
            f"(after STORECHAT_ASSISTANT_DELAY, 0.4 s)")
        tally = Tally()
        client = Client(tally, seed=99)
        agent = AgentClient(self.ws_url(1, "/ws/agent"), self.credential, tally, client.events)
        await agent.start()
        visitors, failures = await client.open_visitors(self.ws_url(0, "/ws/visitor"), self.site_key,
                                                        plan.visitors, start_idx=100000)
        client.start_reading(visitors)
        import redis as redis_lib

        r = redis_lib.Redis.from_url(self.redis.url)  # type: ignore[union-attr]
        meter = self.meter()
        res = await self.step(client, visitors, plan.rate, plan.assistant_seconds, meter)
        res["assistant_queue_left"] = r.llen("rq:queue:assistant")
        await asyncio.sleep(3)
        res["assistant_replies"] = len(tally.reply)
        res["reply"] = dist(tally.reply) if tally.reply else None
        self.results["assistant"] = res
        self._print_step("  ", res)
        rep = res["reply"]
        say(f"  assistant replies received by visitors: {res['assistant_replies']} for {res['sent']} lines "
            f"(a burst gets one reply); line->reply ms p50/p99 "
            f"{fmt_ms(rep['p50']) if rep else '-'} / {fmt_ms(rep['p99']) if rep else '-'}; "
            f"jobs still queued at the end of sending: {res['assistant_queue_left']}")
        await agent.close()
        await client.close_all(visitors)

    # 3. vanished peers ---------------------------------------------------------------

    def vanished_peers(self) -> None:
        plan = self.plan
        p = plan.ping_interval
        say(f"\n== 3. Vanished peers: a separate web process with STORECHAT_WS_PING_INTERVAL={p:g}")
        env = {**self.env(), "STORECHAT_WS_PING_INTERVAL": str(p)}
        with self.servers_log():
            self.ping_cluster = Cluster(self.tmp / "ping-instance", env, web=1, worker=False, web_workers=1).start()
        worker = gunicorn_workers(self.ping_cluster.webs[0].pid)[0]  # type: ignore[union-attr]
        server_port = self.ping_cluster.ports[0]
        url = f"ws://127.0.0.1:{server_port}/ws/visitor"

        def held_ports() -> set[int]:
            """Peer ports of the server's connections the server has not closed
            yet: ESTABLISHED, or CLOSE_WAIT (the peer closed, the server has
            not noticed). Read from /proc/net/tcp: cheap enough to poll at 1 ms."""
            held = set()
            with open("/proc/net/tcp") as fh:
                next(fh)
                for line in fh:
                    f = line.split()
                    if f[3] in ("01", "08") and int(f[1].rsplit(":", 1)[1], 16) == server_port:
                        held.add(int(f[2].rsplit(":", 1)[1], 16))
            return held

        def spawn() -> tuple[subprocess.Popen[str], int]:
            proc = subprocess.Popen([sys.executable, str(BENCH / "peer.py"), url, self.site_key],
                                    stdout=subprocess.PIPE, text=True)
            self.peers.append(proc)
            line = proc.stdout.readline()  # type: ignore[union-attr]
            port = json.loads(line)["port"]
            deadline = time.monotonic() + 10
            while port not in held_ports():
                if time.monotonic() > deadline:
                    raise RuntimeError("the server never showed the peer's connection")
                time.sleep(0.01)
            return proc, port

        killed = []
        for _ in range(plan.killed_peers):
            proc, port = spawn()
            t0 = now()
            proc.send_signal(signal.SIGKILL)
            while port in held_ports() and now() - t0 < 30:
                time.sleep(0.001)
            killed.append(now() - t0)
            proc.wait()
        say(f"  SIGKILLed peer (the kernel closes its TCP connection): dropped by the server after "
            + ", ".join(f"{x * 1e3:.1f} ms" for x in killed))

        peers = [spawn() for _ in range(plan.stopped_peers)]
        # Stop them at spread-out moments of the ping cycle.
        stopped_at: dict[int, float] = {}
        order = list(range(len(peers)))
        for i in order:
            stopped_at[i] = now()
            peers[i][0].send_signal(signal.SIGSTOP)
            time.sleep(p / len(peers))
        gone: dict[int, float] = {}
        deadline = now() + 3 * p + 10
        while len(gone) < len(peers) and now() < deadline:
            held = held_ports()
            t = now()
            for i, (_, port) in enumerate(peers):
                if i not in gone and port not in held:
                    gone[i] = t - stopped_at[i]
            time.sleep(0.02)
        closes = []
        for i, (proc, _) in enumerate(peers):
            proc.send_signal(signal.SIGCONT)
            try:
                out, _ = proc.communicate(timeout=10)
                closes.append(json.loads(out.strip().splitlines()[-1]) if out.strip() else None)
            except subprocess.TimeoutExpired:
                proc.kill()
                closes.append(None)
        delays = [gone.get(i) for i in range(len(peers))]
        say(f"  SIGSTOPped peer (connection up, nothing answers pings): dropped after "
            + ", ".join(f"{d:.2f} s" if d is not None else "NOT dropped" for d in delays)
            + f"  (= {', '.join(f'{d / p:.2f}' if d else '-' for d in delays)} ping intervals)")
        codes = collections.Counter(f"{c.get('code')} {c.get('reason')!r}" if c else "no close seen"
                                    for c in closes)
        say(f"  what each stopped peer read once resumed (SIGCONT): {dict(codes)}")
        self.results["vanished"] = {"ping_interval": p, "sigkill_ms": [round(x * 1e3, 2) for x in killed],
                                    "sigstop_s": [round(d, 2) if d is not None else None for d in delays],
                                    "close_seen": dict(codes)}
        self.ping_cluster.stop()
        self.ping_cluster = None

    # the report ------------------------------------------------------------------

    def log_mark(self) -> int:
        try:
            return self.server_log.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, mark: int) -> dict[str, int]:
        """Exceptions the servers logged since ``mark`` (last line of each traceback)."""
        try:
            with open(self.server_log, "rb") as fh:
                fh.seek(mark)
                text = fh.read().decode(errors="replace")
        except FileNotFoundError:
            return {}
        found: collections.Counter[str] = collections.Counter()
        for ln in text.splitlines():
            m = re.match(r"^([\w.]+(?:Error|Exception|Timeout))\b", ln.strip())
            if m and not ln.strip().startswith("IndexError: pop from empty list"):
                found[m.group(1).rsplit(".", 1)[-1]] += 1
        return dict(found.most_common(6))

    def log_report(self) -> None:
        """What the servers complained about (their output went to server.log)."""
        try:
            text = self.server_log.read_text(errors="replace")
        except FileNotFoundError:
            return
        lines = text.splitlines()
        exceptions = collections.Counter(
            ln.strip()[:140] for ln in lines
            if re.match(r"^[\w.]+(Error|Exception|Exit|Closed|Timeout)\b.*", ln.strip())
            and not ln.strip().startswith("IndexError: pop from empty list"))
        levels = collections.Counter(m.group(1) for ln in lines
                                     if (m := re.search(r" (WARNING|ERROR|CRITICAL) ", ln)))
        self.results["server_log"] = {"tracebacks": text.count("Traceback (most recent call last)"),
                                      "levels": dict(levels), "exceptions": dict(exceptions.most_common(8))}
        say(f"\nServer log ({self.server_log}{'' if self.args.keep else ', removed at exit: --keep keeps it'}): "
            f"{text.count('Traceback (most recent call last)')} tracebacks, {dict(levels) or 'no warnings'}")
        for exc, n in exceptions.most_common(8):
            say(f"  {n:>6} x {exc}")

    def summary(self) -> None:
        res, plan = self.results, self.plan
        say("\n" + "=" * 100)
        say(f"SUMMARY ({res['mode']} mode; 2 web processes x 1 gevent worker, RQ worker, redis-server, "
            f"{'PostgreSQL' if self.args.database_url else 'SQLite'}; client and servers share "
            f"{os.cpu_count()} cores)")
        rows: list[list[Any]] = []
        lat = res.get("latency")
        if lat:
            rows.append([f"1a send->ack p99 @ {lat['rate']:.0f} msg/s, {plan.visitors} sockets",
                         f"{fmt_ms(lat['ack']['p99'])} ms (p50 {fmt_ms(lat['ack']['p50'])}, "
                         f"max {fmt_ms(lat['ack']['max'])})", "<= 10 ms",
                         "ok" if lat["ack"]["p99"] <= 10 else "MISSED"])
            rows.append([f"1b send->agent (other process) p99", f"{fmt_ms(lat['agent']['p99'])} ms "
                         f"(p50 {fmt_ms(lat['agent']['p50'])}, max {fmt_ms(lat['agent']['max'])})",
                         "<= 10 ms", "ok" if lat["agent"]["p99"] <= 10 else "MISSED"])
        gcs = res.get("gc_latency")
        if gcs:
            rows.append([f"1d GC worst pause on web A, {plan.visitors} sockets (to the end of figure 1)",
                         f"{gcs['worst_ms']:.1f} ms (CPU {gcs['worst_cpu_ms']:.1f}; full passes {gcs['full_runs']}, "
                         f"forced {gcs.get('forced', 0)}, "
                         f"put off {gcs['deferred']})",
                         "<= 20 ms", "ok" if gcs["worst_ms"] <= 20 else "MISSED"])
        idle = res.get("idle")
        if idle and idle["steps"]:
            last = idle["steps"][-1]
            rows.append(["2  idle sockets held by one process", f"{last['held']}"
                         + (" (stopped early, see above)" if idle["stopped"] else ""), ">= 10,000",
                         "ok" if last["held"] >= 10000 else ("MISSED" if not plan.quick else "quick: 2k only")])
            rows.append([f"2  RSS per idle socket at {last['held']}", f"{last['kib_per_socket']} KiB",
                         "<= 64 kB", "ok" if last["kib_per_socket"] * 1.024 <= 64 else "MISSED"])
        van = res.get("vanished")
        if van:
            stops = [d for d in van["sigstop_s"] if d is not None]
            rows.append(["3  SIGKILLed peer dropped after", f"max {max(van['sigkill_ms']):.1f} ms", "-", ""])
            rows.append([f"3  silent peer dropped after (ping {van['ping_interval']:g}s)",
                         f"{min(stops):.2f}-{max(stops):.2f} s" if stops else "never",
                         f"<= 2 intervals ({2 * van['ping_interval']:g}s)",
                         "ok" if stops and len(stops) == len(van["sigstop_s"])
                         and max(stops) <= 2 * van["ping_interval"] + 0.5 else "MISSED"])
        ramp = res.get("ramp")
        if ramp:
            best = ramp["max_rate_p99_50ms"]
            rows.append(["4  highest rate with p99 <= 50 ms (ack and agent)",
                         f"{best:.0f} msg/s" if best else "none", "-", "(ramp: "
                         + ", ".join(f"{r['rate']:.0f}:{fmt_ms(max(r['ack']['p99'], r['agent']['p99']))}"
                                     for r in ramp["steps"]) + " ms p99)"])
        ast = res.get("assistant")
        if ast:
            rows.append([f"5  with assistant: send->ack / send->agent p99",
                         f"{fmt_ms(ast['ack']['p99'])} / {fmt_ms(ast['agent']['p99'])} ms", "-",
                         f"worker CPU {ast['cpu'].get('rq', 0):.0f}%"])
        echo = res.get("echo")
        if echo:
            e = echo[0]
            rows.append([f"0  bare flask-sock echo p99 @ {e['rate']:.0f} msg/s (same client)",
                         f"{fmt_ms(e['ack']['p99'])} ms (p50 {fmt_ms(e['ack']['p50'])})", "-", ""])
        if lat and lat.get("sent"):
            pm = cpu_per_message(lat)
            server = sum(v for k, v in pm.items() if k != "client")
            rows.append(["1c server CPU per message (A+B+redis+rq)",
                         f"{server:.2f} ms (web A {pm['web A']:.2f}, web B {pm['web B']:.2f}, "
                         f"redis {pm['redis']:.2f}, rq {pm['rq']:.2f})", "-",
                         f"web A alone caps at ~{1000 / pm['web A']:.0f} msg/s" if pm["web A"] else ""])
        if echo and echo[0].get("sent"):
            pm = cpu_per_message(echo[0])
            rows.append(["0  bare echo server CPU per message", f"{pm.get('echo server', 0):.2f} ms", "-", ""])
        errs = res.get("server_log") or {}
        if errs.get("tracebacks"):
            top = ", ".join(f"{n} {e.split(':')[0].rsplit('.', 1)[-1]}" for e, n in list(errs["exceptions"].items())[:3])
            rows.append(["!  server tracebacks during the run", f"{errs['tracebacks']} ({top})", "0", "see above"])
        if res.get("machine_busy_before_pct", 0) > 15:
            rows.append(["!  machine busy before the run (others)", f"{res['machine_busy_before_pct']:.0f}%",
                         "~0%", "figures pessimistic"])
        say(table(["figure", "measured", "goal", ""], rows))

        say("\nNext to the baselines in bench/README.md (measured before StoreChat existed, same kind of machine):")
        say(table(["", "baseline", "here"], [
            ["echo p50 / p99, 1-2k sockets, gevent", "0.3-0.5 / 1.1-2.2 ms at 1-1.5k msg/s",
             f"{fmt_ms(echo[0]['ack']['p50'])} / {fmt_ms(echo[0]['ack']['p99'])} ms at {echo[0]['rate']:.0f} msg/s"
             if echo else "-"],
            ["RSS per idle socket (gevent)", "40-57 kB bare; 140-160 kB with deflate after traffic",
             f"{idle['steps'][-1]['kib_per_socket']} KiB (StoreChat, deflate, after traffic)"
             if idle and idle["steps"] else "-"],
            ["relay through 2 processes + Redis", "~9k deliveries/s: p50 1.3 ms, p99 5-7 ms",
             f"{lat['rate']:.0f} msg/s: send->agent p50 {fmt_ms(lat['agent']['p50'])}, "
             f"p99 {fmt_ms(lat['agent']['p99'])} ms" if lat else "-"],
            ["silent peer closed", "within two ping intervals",
             f"{min(stops):.1f}-{max(stops):.1f} s at {van['ping_interval']:g} s" if van and stops else "-"],
        ]))
        say("\nWhat bounds each figure:")
        for line in self.bounds():
            say("  - " + line)

    def bounds(self) -> list[str]:
        res = self.results
        notes = []
        lat = res.get("latency")
        if lat:
            c = lat["cpu"]
            notes.append(
                f"1: every message is parsed, stored (UPDATE the conversation's counter + INSERT, one commit) "
                f"before the ack, then published to Redis and relayed by process B. At {lat['rate']:.0f} msg/s "
                f"CPU was web A {c['web A']:.0f}%, web B {c['web B']:.0f}%, client {c['client']:.0f}%, "
                f"redis {c['redis']:.0f}%, rq {c['rq']:.0f}% of one core (2 cores in all). The client's own "
                f"scheduling lag p99 was {fmt_ms(lat['lag_p99_ms'])} ms; latencies are timed from the real send.")
        ramp = res.get("ramp")
        if ramp and ramp["steps"]:
            top = ramp["steps"][-1]
            c = top["cpu"]
            busiest = max(c, key=c.get)
            notes.append(
                f"4: at the last step ({top['rate']:.0f} msg/s, achieved {top['achieved']:.0f}) the busiest process "
                f"was {busiest} at {c[busiest]:.0f}% of a core (all: {fmt_cpu(c)}). Total across processes "
                f"{sum(c.values()):.0f}% of 200% available. With SQLite, web A's store-before-ack write is "
                f"serialized (one writer; under gevent the sqlite3 call holds the whole process while it runs).")
        idle = res.get("idle")
        if idle and idle["steps"]:
            last = idle["steps"][-1]
            notes.append(
                f"2: memory per socket is the handler greenlet + simple-websocket's reader greenlet + the "
                f"outbox sender greenlet and queue (deflate is negotiated without context takeover, so no zlib "
                f"state outlives a frame). CPU of the process while its {last['held']} sockets were idle: "
                f"{last['idle_cpu_web']}% of a core (one pipelined refresh of every slot and presence entry "
                f"per 10 s for the whole process, each socket's ping every STORECHAT_WS_PING_INTERVAL).")
        van = res.get("vanished")
        if van:
            notes.append(
                f"3: a peer whose process dies is dropped on the kernel's FIN/RST at once; a silent peer only "
                f"by the ping/pong check: the first ping after it went silent goes unanswered and the next tick "
                f"closes (1008), so between 1 and 2 intervals: with the default 25 s, 25-50 s.")
        notes.append("the client is one asyncio process (websockets, C-accelerated framing, deflate) on the same "
                     "2 cores: its CPU is shown with every figure; a client near 100% bounds what we can see.")
        return notes


PARTS = ("echo", "idle", "latency", "assistant", "vanished")


async def run_async(bench: Bench) -> None:
    only = bench.only
    if "echo" in only:
        await bench.echo_baseline()
    if "idle" in only:
        await bench.idle_sockets()
    if "latency" in only:
        await bench.latency()
    if "assistant" in only and bench.plan.assistant_seconds:
        await bench.with_assistant()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="about a minute: shorter steps, idle sockets up to 2k")
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a SQLite file in a temp dir)")
    ap.add_argument("--visitors", type=int, default=1000, help="active visitor sockets (default 1000)")
    ap.add_argument("--rate", type=float, default=200, help="aggregate msg/s for figure 1 (default 200)")
    ap.add_argument("--latency-seconds", type=float, default=None,
                    help="length of figure 1's run (default 30 s; 10 s with --quick)")
    ap.add_argument("--ramp", default=None, help="comma-separated rates for figure 4 (msg/s)")
    ap.add_argument("--ping-interval", type=float, default=None,
                    help="ping interval for figure 3 (default 5 s; 2 s with --quick)")
    ap.add_argument("--only", default=",".join(PARTS),
                    help=f"comma-separated parts to run (default all: {','.join(PARTS)}; "
                         "latency includes the ramp)")
    ap.add_argument("--connect-concurrency", type=int, default=100,
                    help="WebSocket handshakes in flight at once when opening many sockets (default 100)")
    ap.add_argument("--redis-max-connections", type=int, default=None,
                    help="size of each process's redis-py connection pool, set through the Redis URL "
                         "(default: the server's own, i.e. redis-py's 100); see bench/README.md")
    ap.add_argument("--gc-full-interval", type=float, default=5.0,
                    help="seconds between the web workers' looks at a full GC pass (server default 600; "
                         "default here 5, so it happens with the sockets open)")
    ap.add_argument("--gc-max-pause", type=float, default=None,
                    help="longest full GC pass (ms) the servers run on schedule (server default 20; "
                         "a large value runs every full pass, as before)")
    ap.add_argument("--contend", type=float, default=None, metavar="RATE",
                    help="SQLite: another process takes the database's write lock RATE times a second "
                         "(bench/contender.py)")
    ap.add_argument("--hold", type=float, default=0.02,
                    help="with --contend: seconds it holds the lock each time (default 0.02)")
    ap.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs)")
    args = ap.parse_args()
    if args.contend and args.database_url:
        ap.error("--contend is for SQLite")

    Client.connect_concurrency = args.connect_concurrency

    def terminated(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # so `finally` stops every server we started

    signal.signal(signal.SIGTERM, terminated)
    bench = Bench(args)
    started = now()
    say(f"StoreChat real-time bench ({'quick' if args.quick else 'full'}), {time.strftime('%Y-%m-%d %H:%M:%S')}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, temp {bench.tmp}")
    try:
        bench.start()
        asyncio.run(run_async(bench))
        if "vanished" in bench.only:
            bench.vanished_peers()
        bench.results["wall_s"] = round(now() - started, 1)
        bench.log_report()
        bench.summary()
        say(f"\n(total {now() - started:.0f}s)")
    finally:
        bench.stop()
        if args.json:
            args.json.write_text(json.dumps(bench.results, indent=2, default=str))


if __name__ == "__main__":
    main()
