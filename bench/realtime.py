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
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.realtime_clients import Client  # noqa: E402
from bench.realtime_figures import now, say  # noqa: E402
from bench.realtime_load import Load  # noqa: E402
from bench.realtime_servers import PARTS, Servers  # noqa: E402
from bench.realtime_sockets import Sockets  # noqa: E402
from bench.realtime_summary import Summary  # noqa: E402


class Bench(Servers, Load, Sockets, Summary):
    """One run: the servers (:mod:`bench.realtime_servers`), the figures
    (:mod:`bench.realtime_load`, :mod:`bench.realtime_sockets`) and the summary."""


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
