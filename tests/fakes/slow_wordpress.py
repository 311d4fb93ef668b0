"""A slow WordPress site on loopback: a real HTTP server that answers the REST
routes the WordPress connector reads (``categories``, ``pages``, ``posts``),
each answer held back.

It stands for a store that is slow to answer, so a sync job stays busy in a
worker process for as long as a test or a benchmark wants: every request
waits ``delay`` seconds, and then for ``gate`` (a :class:`threading.Event`,
open unless a test closes it). It counts requests and the most it had in
flight at once, so a test can tell whether two syncs of one site overlapped.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: What a StoreChat process needs in its environment to call this site (plain http on loopback).
CALL_LOOPBACK = {"STORECHAT_ALLOW_PLAIN_HTTP": "1", "STORECHAT_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1"}


class SlowWordPress:
    def __init__(self, *, pages: int = 3, per_page: int = 100, delay: float = 0.0) -> None:
        self.pages, self.per_page, self.delay = pages, per_page, delay
        self.gate = threading.Event()
        self.gate.set()
        self.requests = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SlowWordPress:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="slow-wordpress", daemon=True).start()
        return self

    def stop(self) -> None:
        self.gate.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlowWordPress:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_requests(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.requests < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the site got {self.requests} requests, not {count}")
            time.sleep(0.02)

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        route = path.rstrip("/").rsplit("/", 1)[-1]
        if route == "categories":
            return [], {}
        if route == "pages":
            page = int(query.get("page", ["1"])[0])
            first = (page - 1) * self.per_page
            items = [_page(first + i + 1) for i in range(self.per_page)] if page <= self.pages else []
            return items, {"X-WP-Total": str(self.pages * self.per_page), "X-WP-TotalPages": str(self.pages)}
        if route == "posts":
            return [], {"X-WP-Total": "0", "X-WP-TotalPages": "1"}
        return {"code": "rest_no_route", "message": "No route"}, {"status": "404"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass

            def do_GET(self) -> None:  # noqa: N802
                with site._lock:
                    site.requests += 1
                    site.in_flight += 1
                    site.most_in_flight = max(site.most_in_flight, site.in_flight)
                try:
                    time.sleep(site.delay)
                    site.gate.wait()
                    parts = urlsplit(self.path)
                    body, headers = site.answer(parts.path, parse_qs(parts.query))
                finally:
                    with site._lock:
                        site.in_flight -= 1
                status = int(headers.pop("status", "200"))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a stopped worker)

        return Handler


def _page(page_id: int) -> dict[str, Any]:
    return {
        "id": page_id, "slug": f"page-{page_id}", "link": f"http://example.com/page-{page_id}/",
        "title": {"rendered": f"Page {page_id}"},
        "content": {"rendered": f"<p>What page {page_id} says about our shop.</p>", "protected": False},
        "modified_gmt": "2026-01-02T03:04:05",
    }
