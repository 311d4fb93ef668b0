"""Shoppers' reply latency while another shop's slow store is syncing.

    .venv/bin/python bench/sync_isolation.py                   # about 1 minute
    .venv/bin/python bench/sync_isolation.py --page-delay 5 --pages 4 --shoppers 30

Shop A is a WordPress site on loopback (``tests/fakes/slow_wordpress.py``)
that answers each request after ``--page-delay`` seconds, so its sync holds a
worker for (pages + 2) x delay. Shop B is the CSV apparel store. While A's
sync runs, a new shopper of shop B connects every ``--interval`` seconds over
the visitor socket and asks one question; the figure is the time from sending
the line to receiving the assistant's reply (it includes the assistant's
0.4 s hold for a follow-up line). Both worker layouts run in the same run,
one after the other, on the same database, Redis and web process:

- ``single``: the old layout, one worker on every queue (``storechat worker``);
- ``split``: what ``storechat serve`` starts now (``core.jobs.worker_layout()``):
  one worker on ``assistant``, one on ``default``.

It prints p50/p99/max per layout and asserts nothing. SQLite in a temporary
folder, a private redis-server on a free port.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis as redis_lib  # noqa: E402

from bench.assistant import QUESTIONS, percentile  # noqa: E402
from core import jobs  # noqa: E402
from core.catalog.sync import create_run  # noqa: E402
from core.db import Database, Shop, SyncRun  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.shops import create_shop  # noqa: E402
from core.testing.cluster import Cluster, RedisServer  # noqa: E402
from tests.fakes.slow_wordpress import CALL_LOOPBACK, SlowWordPress  # noqa: E402
from tests.wsclient import VisitorClient  # noqa: E402

APPAREL = Path(__file__).resolve().parents[1] / "tests" / "data" / "shopify" / "apparel.csv"
SECRET = "bench-sync-isolation-" + "x" * 40
LAYOUTS = {"single": [jobs.QUEUES], "split": jobs.worker_layout()}


def ask(base: str, site_key: str, question: str, out: list[float], errors: list[str]) -> None:
    try:
        visitor = VisitorClient(base, timeout=30)
        try:
            visitor.hello(site_key)
            started = time.perf_counter()
            visitor.say(question)
            visitor.assistant_reply(timeout=300)
            out.append(time.perf_counter() - started)
        finally:
            visitor.close()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        errors.append(f"{type(exc).__name__}: {exc}")


def wait_run(db: Database, run_id: int, timeout: float = 600) -> SyncRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            if run.status in ("finished", "failed"):
                return run
        time.sleep(0.1)
    raise TimeoutError(f"sync run {run_id} did not end")


def scenario(name: str, cluster_args: dict, db: Database, redis: redis_lib.Redis, site: SlowWordPress,
             slow_shop: int, site_key: str, shoppers: int, interval: float) -> dict:
    questions = [q for group in QUESTIONS.values() for q in group]
    cluster = Cluster(web=1, worker_queues=LAYOUTS[name], **cluster_args).start()
    try:
        seen = site.requests
        run = create_run(db, slow_shop)
        sync_started = time.monotonic()
        jobs.enqueue_sync(redis, run.id, slow_shop)
        site.wait_for_requests(seen + 1)  # A's sync is in a worker, waiting on the slow store
        latencies: list[float] = []
        errors: list[str] = []
        threads = []
        for i in range(shoppers):
            thread = threading.Thread(target=ask, args=(cluster.url(0), site_key, questions[i % len(questions)],
                                                        latencies, errors))
            thread.start()
            threads.append(thread)
            time.sleep(interval)
        sent_by = time.monotonic() - sync_started
        for thread in threads:
            thread.join()
        done = wait_run(db, run.id)
        sync_seconds = time.monotonic() - sync_started
    finally:
        cluster.stop()
    return {"layout": name, "workers": " + ".join(",".join(q) for q in LAYOUTS[name]),
            "latencies": latencies, "errors": errors, "sync_status": done.status,
            "sync_seconds": sync_seconds, "sent_by": sent_by}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page-delay", type=float, default=2.0, help="seconds the slow store takes per request")
    parser.add_argument("--pages", type=int, default=5, help="pages of the slow store's content")
    parser.add_argument("--shoppers", type=int, default=20, help="shop B's shoppers per layout, one question each")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between shop B's shoppers")
    parser.add_argument("--layouts", default="single,split", help="which layouts to run, in order")
    args = parser.parse_args()
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    for name in layouts:
        if name not in LAYOUTS:
            parser.error(f"unknown layout {name!r}: the layouts are {', '.join(LAYOUTS)}")

    with tempfile.TemporaryDirectory(prefix="storechat-bench-") as tmp, \
            SlowWordPress(pages=args.pages, per_page=20, delay=args.page_delay) as site:
        folder = Path(tmp)
        redis_server = RedisServer(folder / "redis")
        redis_url = redis_server.start()
        try:
            env = {"STORECHAT_REDIS_URL": redis_url, "STORECHAT_SECRET_KEY": SECRET, "STORECHAT_LOG_LEVEL": "WARNING",
                   "STORECHAT_DATABASE_URL": f"sqlite:///{folder / 'instance' / 'storechat.db'}", **CALL_LOOPBACK}
            settings = load_settings(instance_path=folder / "instance", database_url=env["STORECHAT_DATABASE_URL"],
                                     redis_url=redis_url, secret_key=SECRET)
            cluster_args = {"instance": folder / "instance", "env": env}
            setup = Cluster(web=0, worker=False, **cluster_args).start()  # migrates
            created = setup.cli("shop", "create", "Shop B", "--csv", str(APPAREL)).stdout
            db = Database(settings)
            with db.session() as session:
                shop_b = session.query(Shop).filter_by(name="Shop B").one()
                site_key = shop_b.site_key
            slow = create_shop(db, "Shop A (slow store)", "wordpress", {"site_url": site.url})
            redis = redis_lib.Redis.from_url(redis_url)
            print(f"shop B: {created.splitlines()[0]}; shop A's store answers each request after "
                  f"{args.page_delay:g} s ({args.pages} pages + 2 more requests per sync)")
            results = [scenario(name, cluster_args, db, redis, site, slow.id, site_key, args.shoppers, args.interval)
                       for name in layouts]
            db.dispose()
        finally:
            redis_server.stop()

    print(f"\nshop B's reply latency while shop A syncs ({args.shoppers} shoppers, one every {args.interval:g} s)")
    print(f"{'layout':<8}{'workers (queues)':<28}{'n':>4}{'p50 s':>8}{'p99 s':>8}{'max s':>8}{'A sync s':>10}  errors")
    for r in results:
        lat = r["latencies"]
        figures = (f"{statistics.median(lat):>8.2f}{percentile(lat, 99):>8.2f}{max(lat):>8.2f}" if lat
                   else f"{'-':>8}{'-':>8}{'-':>8}")
        print(f"{r['layout']:<8}{r['workers']:<28}{len(lat):>4}{figures}{r['sync_seconds']:>10.1f}  "
              f"{len(r['errors'])}{' (' + r['errors'][0] + ')' if r['errors'] else ''}"
              f"{'' if r['sync_status'] == 'finished' else '  sync ' + r['sync_status']}")


if __name__ == "__main__":
    main()
