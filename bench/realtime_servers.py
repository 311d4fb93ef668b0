"""bench/realtime.py's plan and servers: redis, the StoreChat clusters, their log."""
from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent

from bench.realtime_figures import CpuMeter, gunicorn_workers, now, raise_fd_limit, say
from core.testing.cluster import Cluster, RedisServer

CSV = ROOT / "connectors" / "csv" / "demo" / "apparel.csv"


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


PARTS = ("echo", "idle", "latency", "assistant", "vanished")


class Servers:
    """The bench's plan, servers and their log (the setup of :class:`bench.realtime.Bench`)."""

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
