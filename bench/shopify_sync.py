"""Sync a generated 10,000-product Shopify store through the real connector
and core's sync pipeline, against a loopback Admin GraphQL server that
enforces Shopify's cost limits, and print how fast it ran and how close to
the limit the API allows.

    .venv/bin/python bench/shopify_sync.py                      # 10,000 products, Plus plan (1,000 points/s)
    .venv/bin/python bench/shopify_sync.py --plan standard --products 2000

Figures printed:

- products/s over the whole sync (documents included, first request to last commit);
- cost points Shopify charged per second, against the plan's restore rate:
  overall (which includes spending the initially full bucket) and in steady
  state (points charged beyond the initial bucket, per second);
- THROTTLED answers (the client waits for the bucket before asking, so these
  should be rare: one per query shape at most, before it learns the bucket);
- seconds the client spent waiting for the bucket.

It asserts nothing; the database is SQLite in a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.shopify_server import PLANS, TOKEN  # noqa: E402
from connectors.shopify import connector as shopify_connector  # noqa: E402
from core.catalog.sync import create_run, run_sync  # noqa: E402
from core.db import Database, Product, Variant  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.shops import create_shop  # noqa: E402

SHOP = "bench-shop.myshopify.com"


class Loopback(HTTPAdapter):
    """Sends ``https://<shop>/...`` to the loopback server instead."""

    def __init__(self, base: str) -> None:
        super().__init__(pool_connections=1, pool_maxsize=1)
        self.base = base

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        request.url = request.url.replace(f"https://{SHOP}", self.base, 1)
        return super().send(request, **kwargs)


def start_server(products: int, plan: str, seed: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("shopify_server.py")), "--products", str(products),
         "--plan", plan, "--seed", str(seed)],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"the bench server did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--plan", choices=sorted(PLANS), default="plus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    proc, base = start_server(args.products, args.plan, args.seed)
    waited = [0.0]

    def sleep(seconds: float) -> None:
        waited[0] += seconds
        time.sleep(seconds)

    def session() -> requests.Session:
        http = requests.Session()
        http.mount(f"https://{SHOP}", Loopback(base))
        return http

    shopify_connector.SLEEP = sleep
    shopify_connector.HTTP = session
    try:
        with tempfile.TemporaryDirectory(prefix="storechat-shopify-bench-") as folder:
            settings = load_settings(instance_path=Path(folder), secret_key="b" * 40)
            db = Database(settings)
            upgrade(db.engine)
            shop = create_shop(db, "Bench shop", "shopify",
                               {"shop_domain": SHOP, "access_token": TOKEN, "storefront_url": "https://bench.example"},
                               platform_ref=SHOP)
            run_id = create_run(db, shop.id).id
            print(f"syncing {args.products} products from {base} ({args.plan} plan: "
                  f"{PLANS[args.plan]:.0f} points/s, bucket {PLANS[args.plan] * 20:.0f})", flush=True)
            started = time.monotonic()
            run = run_sync(db, run_id)
            elapsed = time.monotonic() - started
            with db.session() as s:
                stored = s.query(Product).filter(Product.shop_id == shop.id).count()
                variants = s.query(Variant).join(Product).filter(Product.shop_id == shop.id).count()
            db.dispose()
        stats = requests.get(f"{base}/stats", timeout=10).json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    restore, bucket = stats["restore_rate"], stats["maximum"]
    figures = {
        "products": stored,
        "variants": variants,
        "documents": run.documents_seen,
        "status": run.status,
        "seconds": round(elapsed, 2),
        "products_per_s": round(stored / elapsed, 1),
        "requests": stats["requests"],
        "throttled": stats["throttled"],
        "points_spent": stats["spent"],
        "points_per_s": round(stats["spent"] / elapsed, 1),
        "steady_points_per_s": round(max(0.0, stats["spent"] - bucket) / elapsed, 1),
        "restore_rate": restore,
        "bucket": bucket,
        "client_waited_s": round(waited[0], 2),
    }
    print(f"status {run.status}: {stored} products ({variants} variants), {run.documents_seen} documents stored")
    print(f"{elapsed:.1f} s, {figures['products_per_s']} products/s; {stats['requests']} requests, "
          f"{stats['throttled']} THROTTLED")
    print(f"cost: {stats['spent']:.0f} points charged, {figures['points_per_s']} points/s overall "
          f"({100 * figures['points_per_s'] / restore:.0f}% of the {restore:.0f}/s restore rate, "
          f"the initial {bucket:.0f}-point bucket included)")
    print(f"steady state: {figures['steady_points_per_s']} points/s beyond the initial bucket "
          f"= {100 * figures['steady_points_per_s'] / restore:.0f}% of the restore rate; "
          f"client waited {waited[0]:.1f} s for the bucket")
    if stored != args.products:
        print(f"MISMATCH: {stored} products stored, {args.products} expected")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
