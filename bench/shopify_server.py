"""A Shopify-shaped Admin GraphQL server on loopback, for ``bench/shopify_sync.py``.

It serves one generated shop (seeded, so runs are reproducible) through the
same engine as the tests' fake (``tests/fakes/shopify_admin.py``): every
query validated against Shopify's real 2026-10 schema and answered with
exactly the fields asked, and Shopify's cost limits enforced with real time:
a bucket of ``maximumAvailable`` points refilled at ``restoreRate`` points a
second, the requested cost (computed the Shopify way: objects 1, connections
2 + first x node) checked before a query runs, the actual cost charged,
``THROTTLED`` when the bucket is short, ``MAX_COST_EXCEEDED`` above 1,000.

    python bench/shopify_server.py --products 10000 --plan plus

prints ``listening on http://127.0.0.1:PORT`` once ready. ``POST /admin/api/
<version>/graphql.json`` answers queries (``X-Shopify-Access-Token:
shpat_bench``); ``GET /stats`` returns what the server counted.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.shopify_admin import AdminAPI, Store, generated_products  # noqa: E402

TOKEN = "shpat_bench"
#: Restore rates per plan (PLATFORMS.md A6); the bucket holds 20 seconds of
#: restore, as Shopify's standard plan does (2,000 points at 100/s).
PLANS = {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = self.throttled = 0
        self.spent = 0.0
        self.first_at: float | None = None
        self.last_at: float | None = None

    def add(self, payload: dict[str, Any]) -> None:
        now = time.monotonic()
        cost = (payload.get("extensions") or {}).get("cost") or {}
        with self.lock:
            self.requests += 1
            self.first_at = self.first_at or now
            self.last_at = now
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in payload.get("errors") or ()):
                self.throttled += 1
            self.spent += cost.get("actualQueryCost") or 0

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {"requests": self.requests, "throttled": self.throttled, "spent": self.spent,
                    "first_at": self.first_at, "last_at": self.last_at}


def make_handler(api: AdminAPI, counters: Counters, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/stats":
                self._send(200, {**counters.as_dict(), "maximum": api.maximum, "restore_rate": api.restore_rate})
            else:
                self._send(404, {"errors": "Not Found"})

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not (self.path.startswith("/admin/api/") and self.path.endswith("/graphql.json")):
                self._send(404, {"errors": "Not Found"})
                return
            if self.headers.get("X-Shopify-Access-Token") != TOKEN:
                self._send(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
                return
            try:
                request = json.loads(body)
            except ValueError:
                self._send(400, {"errors": "body is not JSON"})
                return
            with lock:  # one bucket, one store: answer one query at a time
                payload = api.answer(request)
            counters.add(payload)
            self._send(200, payload)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plan", choices=sorted(PLANS), default="plus")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    restore = PLANS[args.plan]
    store = Store(products=generated_products(args.products, seed=args.seed))
    api = AdminAPI(store, clock=time.monotonic, maximum=restore * 20, restore_rate=restore)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(api, Counters(), threading.Lock()))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
