"""Bring the reference topology up on loopback, run the faults under steady traffic,
print what was lost or duplicated, measure the capacity table on the same hosts
(capacity.py's ladder; --no-capacity skips it), tear it all down (docs/deploy.md).

    .venv/bin/python tools/topology/run.py            # 60 shoppers, 30 s freeze
    .venv/bin/python tools/topology/run.py --quick    # what CI runs (tests/test_topology.py)

Three web hosts (127.0.0.11-13) and two worker hosts (127.0.0.14-15), each a
`storechat serve --role web|worker`, behind HAProxy (127.0.0.10); a PostgreSQL
cluster of its own (127.0.0.30); a Redis primary (127.0.0.21), its replica
(127.0.0.22) and three Sentinels (127.0.0.23-25), which StoreChat reaches
through STORECHAT_REDIS_SENTINELS. The faults, in order: a rolling restart of
every web host, then of every worker host; a web host frozen with SIGSTOP (a
silent partition) and resumed; the Redis primary killed (Sentinel promotes the
replica); PostgreSQL restarted. After each, shoppers stop sending, every line
is acked, and every conversation is replayed from ``after_seq = 0``.

Needs Debian's haproxy, redis-server, redis-sentinel and postgresql.
Exits 1 if anything was lost or duplicated or a phase did not recover.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from parts import wait_for  # noqa: E402
from topology import Topology, cli  # noqa: E402

import capacity  # noqa: E402
from traffic import Agent, Shopper, audit, replay  # noqa: E402

CATALOG = ROOT / "tests" / "data" / "shopify" / "apparel.csv"


# -- the faults ----------------------------------------------------------------------


def rolling_web(top: Topology, args: argparse.Namespace) -> None:
    for host in top.webs:
        host.stop()
        host.start()
        time.sleep(args.settle)


def rolling_workers(top: Topology, args: argparse.Namespace) -> None:
    for host in top.workers:
        host.stop()
        host.start()
        time.sleep(args.settle)


def freeze_web(top: Topology, args: argparse.Namespace) -> None:
    host = top.webs[0]
    host.freeze()
    time.sleep(args.freeze)
    host.thaw()


def kill_redis_primary(top: Topology, args: argparse.Namespace) -> None:
    old = top.current_primary()
    old.kill()
    new = wait_for(lambda: (p := top.current_primary()) is not old and p.role() == "master" and p,
                   "the Sentinels' failover", timeout=60)
    # The old primary comes back; the Sentinels make it a replica of the new one.
    old.replica_of = new
    old.start()
    time.sleep(args.settle)


def restart_postgres(top: Topology, args: argparse.Namespace) -> None:
    top.pg.restart()
    time.sleep(args.settle)


FAULTS = [("rolling restart, web hosts", rolling_web), ("rolling restart, worker hosts", rolling_workers),
          ("web host frozen (SIGSTOP)", freeze_web), ("Redis primary killed", kill_redis_primary),
          ("PostgreSQL restarted", restart_postgres)]


# -- the run ---------------------------------------------------------------------


async def phase(top: Topology, name: str, fault, shoppers: list[Shopper], sending: asyncio.Event,  # type: ignore[no-untyped-def]
                args: argparse.Namespace, site: str) -> dict[str, Any]:
    sending.set()
    started = time.monotonic()
    sync = subprocess.Popen([sys.executable, "-m", "core.cli", "sync", site, "--incremental"], env=top.env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    await asyncio.to_thread(fault, top, args)
    fault_s = time.monotonic() - started
    await asyncio.sleep(args.settle)
    sending.clear()
    # Every socket back and every line acked, or the phase did not recover.
    deadline = time.monotonic() + args.recover
    while time.monotonic() < deadline and any(s.down_since is not None or s.unacked for s in shoppers):
        await asyncio.sleep(0.2)
    stuck = sum(1 for s in shoppers if s.down_since is not None or s.unacked)
    outages = [b - a for s in shoppers for a, b in s.outages if b >= started]
    await asyncio.sleep(args.settle)  # the last lines' replies
    totals = {"lost": 0, "duplicated": 0, "gaps": 0, "unanswered": 0, "stored": 0}
    for s in shoppers:
        if s.token:
            messages = await replay(top.ws_url, site, s)
            for k, v in audit(s, messages).items():
                totals[k] += v
            if args.verbose and s.idx == 0:
                for m in messages[-4:]:
                    print("    ", m.get("seq"), m.get("author"), m.get("status"), (m.get("text") or "")[:60])
    sync_out, _ = sync.communicate(timeout=300)
    return {"phase": name, "fault_s": round(fault_s, 1), "sockets_dropped": len(outages),
            "all_back_s": round(max(outages, default=0.0), 1), "not_recovered": stuck,
            "sync_ok": sync.returncode == 0 and "sync finished" in sync_out, **totals,
            **({} if sync.returncode == 0 else {"sync_output": sync_out[-300:]})}


async def main_async(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="storechat-topology-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user (initdb refuses root)
    top = Topology(folder)
    results: list[dict[str, Any]] = []
    capacity_rows: tuple[list[list[Any]], list[list[Any]]] | None = None
    capacity_error: str | None = None
    try:
        print(f"bringing the topology up in {folder} ...", flush=True)
        top.up()
        print(f"  up in {top.up_seconds:.0f} s: haproxy {top.proxy.url}, web {', '.join(h.address for h in top.webs)}, "
              f"workers {', '.join(h.address for h in top.workers)}, Redis primary {top.primary.host} + replica "
              f"+ 3 Sentinels, PostgreSQL {top.pg.host}", flush=True)
        out = await asyncio.to_thread(cli, top.env, "shop", "create", "Topology Shop", "--csv", str(CATALOG))
        site = re.search(r"site key: (\S+)", out).group(1)  # type: ignore[union-attr]
        shop_id = re.search(r"shop id: (\d+)", out).group(1)  # type: ignore[union-attr]
        cred = re.search(r"credential: (\S+)", await asyncio.to_thread(cli, top.env, "agent", "create", shop_id,
                                                                          "--name", "Sam")).group(1)  # type: ignore[union-attr]
        stop, sending = asyncio.Event(), asyncio.Event()
        shoppers = [Shopper(i, top.ws_url, site) for i in range(args.shoppers)]
        agent = Agent(top.agent_url, cred)
        tasks = [asyncio.create_task(s.run(stop, args.every, sending)) for s in shoppers]
        tasks.append(asyncio.create_task(agent.run(stop)))
        sending.set()
        await asyncio.sleep(args.settle * 2)
        print(f"traffic: {args.shoppers} shoppers, one line each every {args.every:g} s, one agent socket", flush=True)
        for name, fault in FAULTS:
            if args.only and args.only not in name:
                continue
            result = await phase(top, name, fault, shoppers, sending, args, site)
            results.append(result)
            print("  " + json.dumps(result), flush=True)
        stop.set()
        await asyncio.wait(tasks, timeout=10)
        if args.capacity:
            print("capacity, on the same hosts:", flush=True)
            try:
                capacity_rows = await capacity.measure(top, args)
            except Exception as exc:  # noqa: BLE001 - the faults' results are still printed and written
                capacity_error = f"{type(exc).__name__}: {exc}"
                print(f"  capacity failed: {capacity_error}", flush=True)
    finally:
        top.down()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(results)
    if capacity_rows is not None:
        capacity.print_tables(*capacity_rows, args.sockets)
    if args.json:
        capacity_json = None if capacity_rows is None else {
            "web": [dict(zip(("hosts", "sockets_held", "messages_per_s"), row)) for row in capacity_rows[0]],
            "workers": [dict(zip(("hosts", "replies_per_s", "products_per_s"), row)) for row in capacity_rows[1]]}
        Path(args.json).write_text(json.dumps({"faults": results, "capacity": capacity_json,
                                               "capacity_error": capacity_error}, indent=2))
    bad = [r for r in results if r["lost"] or r["duplicated"] or r["gaps"] or r["not_recovered"]
           or r["unanswered"] or not r["sync_ok"]]
    return 1 if bad or not results or capacity_error else 0


def print_table(results: list[dict[str, Any]]) -> None:
    cols = ["phase", "lost", "duplicated", "gaps", "unanswered", "stored", "sockets_dropped", "all_back_s",
            "not_recovered", "sync_ok"]
    widths = [max(len(c), *(len(str(r[c])) for r in results)) if results else len(c) for c in cols]
    print("\n" + "  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for r in results:
        print("  ".join(str(r[c]).ljust(w) for c, w in zip(cols, widths)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 shoppers, a 10 s freeze (what CI runs)")
    parser.add_argument("--shoppers", type=int, default=None)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between a shopper's lines")
    parser.add_argument("--freeze", type=float, default=None, help="seconds a web host stays frozen (30)")
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--recover", type=float, default=90.0, help="seconds a phase may take to recover")
    parser.add_argument("--only", help="run only the faults whose name contains this")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--verbose", action="store_true", help="show the end of one conversation per phase")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs) afterwards")
    parser.add_argument("--no-capacity", dest="capacity", action="store_false",
                        help="skip the capacity table measured after the faults (capacity.py's ladder)")
    capacity.add_options(parser)
    args = parser.parse_args()
    capacity.settings(args, args.quick)
    args.shoppers = args.shoppers or (20 if args.quick else 60)
    args.freeze = args.freeze if args.freeze is not None else (10.0 if args.quick else 30.0)
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
