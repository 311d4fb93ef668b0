"""The whole path: `storechat demo` (web + worker + the sync job), then a
shopper asks over a real WebSocket and gets a grounded answer.

Runs on SQLite with the embedded Redis, and on PostgreSQL with the Redis
server when STORECHAT_TEST_DATABASE_URL / STORECHAT_TEST_REDIS_URL are set.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
import requests

from tests.conftest import PG_URL, REDIS_URL, SHOPIFY_DATA, _reset_postgres
from tests.wsclient import VisitorClient

READY = re.compile(r"demo store is ready: (http://\S+)/demo/")


class Running:
    def __init__(self, proc: subprocess.Popen[str], base: str, env: dict[str, str]) -> None:
        self.proc, self.base, self.env = proc, base, env

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "core.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)


def _start_demo(tmp: Path, extra_env: dict[str, str]) -> Running:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env.update({"STORECHAT_INSTANCE_PATH": str(tmp / "instance"), "STORECHAT_WEB_WORKERS": "2"})
    env.update(extra_env)
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "demo", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    seen = []
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if m := READY.search(line):
            # Keep draining output so the server never blocks on a full pipe.
            import threading

            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return Running(proc, m.group(1), env)
    proc.kill()
    raise AssertionError("storechat demo did not become ready:\n" + "".join(seen))


def _stop(running: Running) -> None:
    running.proc.terminate()
    try:
        running.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        running.proc.kill()
        raise


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    if request.param == "postgresql":
        if not (PG_URL and REDIS_URL):
            pytest.skip("STORECHAT_TEST_DATABASE_URL and STORECHAT_TEST_REDIS_URL are not set")
        _reset_postgres(PG_URL)
        redis_lib.Redis.from_url(REDIS_URL).flushdb()
        extra = {"STORECHAT_DATABASE_URL": PG_URL, "STORECHAT_REDIS_URL": REDIS_URL}
    else:
        extra = {}
    running = _start_demo(tmp_path_factory.mktemp(f"demo-{request.param}"), extra)
    yield running
    _stop(running)
    assert running.proc.returncode == 0, "storechat demo did not stop cleanly"


def _site_key(demo: Running) -> str:
    page = requests.get(f"{demo.base}/demo/", timeout=10)
    assert page.status_code == 200
    m = re.search(r'data-site-key="([^"]+)"', page.text)
    assert m, "the demo storefront does not embed the widget snippet"
    return m.group(1)


def test_shopper_asks_for_a_leather_jacket(demo: Running) -> None:
    client = VisitorClient(demo.base)
    try:
        client.hello(_site_key(demo))
        ack = client.say("do you have a leather jacket?")
        assert ack["seq"] == 1
        reply = client.assistant_reply()
    finally:
        client.close()
    assert "Classic Leather Jacket" in reply["text"]
    assert "$80.00" in reply["text"]  # the price in apparel.csv
    first = reply["cards"][0]
    assert first["title"] == "Classic Leather Jacket"
    assert first["price"] == "80.00" and first["available"] is True
    assert first["url"] == f"{demo.base}/demo/products/classic-leather-jacket"
    assert reply["seq"] == 2


def test_health_and_readiness(demo: Running) -> None:
    assert requests.get(f"{demo.base}/healthz", timeout=5).json()["status"] == "ok"
    ready = requests.get(f"{demo.base}/readyz", timeout=5)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}


def test_shop_created_from_a_csv_answers_like_the_demo(demo: Running) -> None:
    created = demo.cli("shop", "create", "Jewel Box", "--csv", str(SHOPIFY_DATA / "jewelry.csv"))
    assert created.returncode == 0, created.stdout + created.stderr
    site_key = re.search(r"site key: (\S+)", created.stdout)
    shop_id = re.search(r"shop id: (\d+)", created.stdout)
    assert site_key and shop_id, created.stdout
    assert "sync finished" in created.stdout

    client = VisitorClient(demo.base)
    try:
        client.hello(site_key.group(1))
        client.say("do you sell gold necklaces?")
        necklaces = client.assistant_reply()
        client.say("do you have a leather jacket?")
        jacket = client.assistant_reply()
    finally:
        client.close()
    import csv

    with open(SHOPIFY_DATA / "jewelry.csv", encoding="utf-8") as fh:
        gold_necklaces = {r["Handle"] for r in csv.DictReader(fh)
                          if r["Type"] == "Necklace" and "Gold" in r["Tags"]}
    assert necklaces["cards"] and {c["handle"] for c in necklaces["cards"]} <= gold_necklaces
    assert necklaces["cards"][0]["title"] in necklaces["text"]
    # The jewellery shop has no jackets: the answer must not borrow the demo store's.
    assert "Classic Leather Jacket" not in jacket["text"]

    listed = demo.cli("shop", "list")
    assert site_key.group(1) in listed.stdout

    again = demo.cli("sync", shop_id.group(1))
    assert again.returncode == 0 and "sync finished" in again.stdout, again.stdout + again.stderr
