"""Capacity of the reference topology on this machine: how the figures add up with 1, 2
and 3 web hosts and 1 and 2 worker hosts (the table in docs/deploy.md).

    .venv/bin/python tools/topology/capacity.py            # the full ladder
    .venv/bin/python tools/topology/capacity.py --quick    # a smoke run of every step

For each number of web hosts (HAProxy sending to the first k): sockets held (opened and
greeted, up to --sockets), and the highest message rate (over 200 sockets, a ladder of
rates, 8 s each) whose send-to-ack p99 stays at or under 50 ms. For each number of worker
hosts (each one assistant worker and one sync worker): assistant replies per second (a
burst of shoppers writing at once, until the last reply) and catalog products synced per
second (one generated catalog per shop, the shops syncing at once).
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

from topology import Topology, cli  # noqa: E402
from traffic import _open  # noqa: E402

from bench.catalog import write_catalog  # noqa: E402

P99_GOAL = 0.050


def p99(values: list[float]) -> float:
    if not values:
        return float("inf")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _greeted(url: str, site: str, idx: int):  # type: ignore[no-untyped-def]
    ws = await _open(url, idx)
    await ws.send(json.dumps({"type": "hello", "site_key": site, "after_seq": 0}))
    async with asyncio.timeout(30):
        while json.loads(await ws.recv()).get("type") != "welcome":
            pass
    return ws


async def open_many(url: str, site: str, n: int, start: int) -> list[Any]:
    sem = asyncio.Semaphore(100)
    opened: list[Any] = []

    async def one(i: int) -> None:
        async with sem:
            try:
                opened.append(await _greeted(url, site, start + i))
            except Exception:  # noqa: BLE001 - counted by what opened
                pass

    await asyncio.gather(*(one(i) for i in range(n)))
    return opened


async def close_all(sockets: list[Any]) -> None:
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


async def rate_step(sockets: list[Any], rate: float, seconds: float, tag: str) -> float:
    """Send at ``rate`` msg/s spread over ``sockets`` for ``seconds``: the send-to-ack p99."""
    sent: dict[str, float] = {}
    acks: list[float] = []

    async def read(ws: Any) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "ack" and frame["client_id"] in sent:
                    acks.append(time.perf_counter() - sent.pop(frame["client_id"]))
        except Exception:  # noqa: BLE001
            pass

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    n = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        due = start + n / rate
        if due > time.perf_counter():
            await asyncio.sleep(due - time.perf_counter())
        cid = f"{tag}-{n}"
        sent[cid] = time.perf_counter()
        try:
            await sockets[n % len(sockets)].send(json.dumps(
                {"type": "message", "client_id": cid, "text": f"Do you have the Ocean Blue Shirt? {cid}"}))
        except Exception:  # noqa: BLE001
            sent.pop(cid, None)
        n += 1
    deadline = time.perf_counter() + 10
    while sent and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    # A line never acked counts as too slow.
    return p99(acks + [float("inf")] * len(sent))


async def message_capacity(url: str, site: str, rates: list[float], seconds: float, start_idx: int) -> float:
    best = 0.0
    for i, rate in enumerate(rates):
        sockets = await open_many(url, site, 200, start_idx + i * 200)
        try:
            worst = await rate_step(sockets, rate, seconds, f"r{start_idx}-{rate:g}")
        finally:
            await close_all(sockets)
        print(f"    {rate:g} msg/s: p99 {worst * 1000:.1f} ms", flush=True)
        if worst > P99_GOAL:
            break
        best = rate
    return best


async def reply_rate(url: str, site: str, n: int, start_idx: int) -> float:
    """``n`` shoppers write one line at once: replies per second until the last reply."""
    sockets = await open_many(url, site, n, start_idx)
    got = 0
    done = asyncio.Event()

    async def read(ws: Any) -> None:
        nonlocal got
        async for raw in ws:
            if json.loads(raw).get("author") == "assistant":
                got += 1
                if got >= len(sockets):
                    done.set()
                return

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    start = time.perf_counter()
    await asyncio.gather(*(ws.send(json.dumps({"type": "message", "client_id": f"a{start_idx}-{i}",
                                                "text": "How much is the Classic Varsity Top?"}))
                           for i, ws in enumerate(sockets)))
    try:
        await asyncio.wait_for(done.wait(), 300)
    except TimeoutError:
        pass
    wall = time.perf_counter() - start
    for task in readers:
        task.cancel()
    await close_all(sockets)
    return got / wall


def sync_rate(top: Topology, shops: list[str], products: int) -> float:
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "core.cli", "sync", s], env=top.env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for s in shops]
    for p in procs:
        p.wait(1800)
    return products * len(shops) / (time.perf_counter() - start)


async def measure(top: Topology, args: argparse.Namespace) -> tuple[list[list[Any]], list[list[Any]]]:
    """The capacity rows of a topology that is up (3 web and 2 worker hosts): per number of web
    hosts [hosts, sockets held, messages/s], per number of worker hosts [hosts, replies/s,
    products/s]. It ends with one worker host stopped."""
    rows_web: list[list[Any]] = []
    rows_worker: list[list[Any]] = []
    out = await asyncio.to_thread(cli, top.env, "shop", "create", "Capacity Shop", "--csv",
                                  str(ROOT / "tests/data/shopify/apparel.csv"))
    site = re.search(r"site key: (\S+)", out).group(1)  # type: ignore[union-attr]
    catalogs = []
    for i in range(2):
        path = write_catalog(top.folder / f"catalog{i}.csv", args.products, seed=i + 1)
        created = await asyncio.to_thread(cli, top.env, "shop", "create", f"Sync Shop {i}", "--csv", str(path),
                                          timeout=1800)
        catalogs.append(re.search(r"shop id: (\d+)", created).group(1))  # type: ignore[union-attr]
    url = top.ws_url
    for k in (1, 2, 3):
        top.proxy.reload(top.webs[:k])
        print(f"  {k} web host(s):", flush=True)
        held = await open_many(url, site, args.sockets, 100_000 * k)
        n_held = len(held)
        await close_all(held)
        rate = await message_capacity(url, site, args.rates, args.seconds, 10_000 * k)
        rows_web.append([k, n_held, rate])
    top.proxy.reload(top.webs)
    # Warm the assistant workers (each builds the shop's vocabulary on its first question).
    await reply_rate(url, site, 8, 290_000)
    for m in (2, 1):
        if m == 1:
            top.workers[1].stop()
        replies = await reply_rate(url, site, args.burst, 300_000 + 1000 * m)
        synced = await asyncio.to_thread(sync_rate, top, catalogs, args.products)
        print(f"  {m} worker host(s): {replies:.1f} replies/s, {synced:.0f} products/s", flush=True)
        rows_worker.append([m, round(replies, 1), round(synced)])
    return rows_web, rows_worker


def print_tables(rows_web: list[list[Any]], rows_worker: list[list[Any]], sockets: int) -> None:
    print(f"\n| web hosts | sockets held (of {sockets}) | messages/s at p99 <= 50 ms |")
    print("| --- | --- | --- |")
    for k, held, rate in rows_web:
        print(f"| {k} | {held} | {rate:g} |")
    print("\n| worker hosts | assistant replies/s | catalog products synced/s |")
    print("| --- | --- | --- |")
    for m, replies, synced in sorted(rows_worker):
        print(f"| {m} | {replies} | {synced} |")


def settings(args: argparse.Namespace, quick: bool) -> argparse.Namespace:
    """Fill in the ladder's sizes (``--quick``: a smoke run of every step)."""
    args.sockets = args.sockets or (200 if quick else 3000)
    args.products = args.products or (300 if quick else 3000)
    args.burst = args.burst or (40 if quick else 200)
    args.seconds = args.seconds or (3.0 if quick else 8.0)
    args.rates = [25.0, 50.0] if quick else [10.0, 25.0, 50.0, 100.0, 200.0, 300.0, 400.0, 600.0, 800.0]
    return args


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sockets", type=int, default=None, help="sockets to hold per step (3000)")
    parser.add_argument("--products", type=int, default=None, help="products per sync catalog (3000)")
    parser.add_argument("--burst", type=int, default=None, help="shoppers writing at once (200)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per rate step (8)")


async def main_async(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="storechat-capacity-"))
    folder.chmod(0o755)
    top = Topology(folder, webs=3, workers=2)
    try:
        top.up()
        rows = await measure(top, args)
    finally:
        top.down()
        shutil.rmtree(folder, ignore_errors=True)
    print_tables(*rows, args.sockets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    add_options(parser)
    args = parser.parse_args()
    asyncio.run(main_async(settings(args, args.quick)))


if __name__ == "__main__":
    main()
