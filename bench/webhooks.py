"""Shopify webhooks: how fast StoreChat answers them, how fast a worker carries
them out, and how long until a changed product is searchable.

    .venv/bin/python bench/webhooks.py [--count 500] [--database-url URL] [--redis-url URL]

Runs the real app on a loopback port (werkzeug, threaded) and a real
``storechat worker`` process, with an installed Shopify shop whose products
are sent as ``products/update`` webhooks (REST payloads built from
tests/data/shopify/product.json, signed with the app secret). Prints:

1. answer time of ``POST /webhooks/shopify`` (verify HMAC, record delivery,
   queue), p50/p95/p99, with no worker running;
2. worker throughput: deliveries processed per second (store + index);
3. webhook-to-searchable: from sending an update with a new title to the
   title being found by the catalog search, with the worker idle and waiting
   (goal: under a second).

SQLite in a temporary folder and an embedded Redis unless URLs are given
(the PostgreSQL database must exist; the bench migrates it and adds a shop).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from core.app import create_app  # noqa: E402
from core.catalog import search  # noqa: E402
from core.db import Shop, WebhookDelivery  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.shop_connectors import seal_config  # noqa: E402
from core.shops import new_site_key  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "shopify"
SHOP = "bench-shop.myshopify.com"
SECRET = "shpss_bench-secret-0123456789abcdef"
GOAL_SEARCHABLE = 1.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def payload(n: int, title: str | None = None) -> bytes:
    base = json.loads((DATA / "product.json").read_text())["product"]
    variants = [dict(v, id=n * 100 + i, inventory_quantity=(n + i) % 7) for i, v in enumerate(base["variants"])]
    return json.dumps(dict(base, id=10_000 + n, handle=f"bench-{n}", title=title or f"Bench Product {n}",
                           status="active", variants=variants)).encode()


def headers(body: bytes, topic: str = "products/update") -> dict[str, str]:
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-API-Version": "2026-10"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--searchable-rounds", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="storechat-bench-webhooks-"))
    embedded = None
    redis_url = args.redis_url
    if not redis_url:
        from core.embedded_redis import EmbeddedRedis

        embedded = EmbeddedRedis(tmp / "redis.db")
        redis_url = embedded.start()
    env = {"STORECHAT_INSTANCE_PATH": str(tmp / "instance"), "STORECHAT_REDIS_URL": redis_url,
           "STORECHAT_SECRET_KEY": "bench-secret-" + "x" * 40,
           "STORECHAT_APPS__SHOPIFY__CLIENT_SECRET": SECRET, "STORECHAT_APPS__SHOPIFY__CLIENT_ID": "bench",
           "STORECHAT_PUBLIC_URL": "http://127.0.0.1"}
    if args.database_url:
        env["STORECHAT_DATABASE_URL"] = args.database_url
    os.environ.update(env)
    settings = load_settings()
    app = create_app(settings)
    svc = app.extensions["storechat"]
    upgrade(svc.db.engine)
    with svc.db.session() as session:
        session.query(Shop).filter(Shop.platform == "shopify", Shop.platform_ref == SHOP).delete()
        shop = Shop(name="Bench", platform="shopify", platform_ref=SHOP, site_key=new_site_key(), settings={},
                    connector_config=seal_config(settings, "shopify", {
                        "shop_domain": SHOP, "access_token": "shpat_bench",
                        "storefront_url": "https://bench.example.com"}))
        session.add(shop)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/webhooks/shopify"
    http = requests.Session()
    print(f"database: {settings.sqlalchemy_url.split('@')[-1]}  redis: {'embedded' if embedded else redis_url}")

    # 1. answers, no worker
    times = []
    for n in range(args.count):
        body = payload(n)
        started = time.perf_counter()
        resp = http.post(url, data=body, headers=headers(body), timeout=30)
        times.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.text
    print(f"1. answer POST /webhooks/shopify ({args.count}): p50 {pct(times, 50) * 1e3:.1f} ms, "
          f"p95 {pct(times, 95) * 1e3:.1f} ms, p99 {pct(times, 99) * 1e3:.1f} ms, "
          f"max {max(times) * 1e3:.1f} ms (Shopify allows 5 s)")

    # 2. a worker drains the queue
    started = time.perf_counter()
    worker = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--burst"], env={**os.environ},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = worker.communicate(timeout=600)
    elapsed = time.perf_counter() - started
    with svc.db.session() as session:
        done = session.query(WebhookDelivery).filter(WebhookDelivery.status == "processed").count()
    print(f"2. worker: {done}/{args.count} processed in {elapsed:.2f} s including worker start-up "
          f"= {done / elapsed:.0f} deliveries/s")
    if done != args.count:
        print(err.decode()[-2000:])

    # 3. webhook to searchable, with a worker waiting
    worker = subprocess.Popen([sys.executable, "-m", "core.cli", "worker"], env={**os.environ},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # start-up
        lags = []
        for r in range(args.searchable_rounds):
            word = f"zq{uuid.uuid4().hex[:10]}"
            body = payload(r, title=f"Bench {word}")
            started = time.perf_counter()
            http.post(url, data=body, headers=headers(body), timeout=30)
            while True:
                with svc.db.session() as session:
                    if search.search_products(session, shop.id, word):
                        break
                if time.perf_counter() - started > 10:
                    break
                time.sleep(0.005)
            lags.append(time.perf_counter() - started)
        verdict = "ok" if pct(lags, 95) < GOAL_SEARCHABLE else "MISSED"
        print(f"3. webhook to searchable ({args.searchable_rounds}): p50 {pct(lags, 50) * 1e3:.0f} ms, "
              f"p95 {pct(lags, 95) * 1e3:.0f} ms, max {max(lags) * 1e3:.0f} ms "
              f"(goal < {GOAL_SEARCHABLE:.0f} s: {verdict}; mean {statistics.mean(lags) * 1e3:.0f} ms)")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.shutdown()
        svc.close()
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
