"""Seeing it run, on real processes: a web process of two gunicorn workers and the
RQ workers `storechat serve` starts, sharing one metrics folder, logging JSON.

- ``/metrics`` is refused without the token and, with it, shows the figures
  moving after real traffic (requests by route, sockets, messages, the
  assistant, a handoff, a webhook, jobs, the sync, queue depth), summed over
  the processes whichever gunicorn worker answers the scrape; a killed worker's
  open sockets stop counting (``child_exit`` marks it dead).
- Every log line of every process is one JSON object; a request's lines carry
  its id, a socket's its socket id; no line holds a secret or a shopper's words.
"""
from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.webhooks import SECRET as SHOPIFY_SECRET
from bench.webhooks import SHOP as SHOPIFY_SHOP
from bench.webhooks import headers as shopify_headers
from bench.webhooks import payload as shopify_product
from core.db import Database, Shop
from core.settings import Settings
from core.shop_connectors import seal_config
from core.shops import new_site_key
from core.testing.cluster import Cluster, RedisServer
from tests.conftest import PG_URL, _reset_postgres
from tests.realtime.conftest import BASE_ENV, CSV, DB_PARAMS, SECRET, _private_postgres
from tests.wsclient import AgentClient, VisitorClient

TOKEN = "metrics-" + uuid.uuid4().hex
MARKER = "zebra-quokka-" + uuid.uuid4().hex[:8]  # a shopper's words that no log line may show


class Deployment:
    def __init__(self, cluster: Cluster, db: Database, site_key: str, credential: str, logs: Path) -> None:
        self.cluster, self.db, self.site_key, self.credential, self.logs = cluster, db, site_key, credential, logs

    @property
    def url(self) -> str:
        return self.cluster.url(0)

    def scrape(self, token: str | None = TOKEN) -> requests.Response:
        return requests.get(f"{self.url}/metrics", timeout=10,
                            headers={"Authorization": f"Bearer {token}"} if token else {})

    def figures(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        response = self.scrape()
        assert response.status_code == 200, response.text
        return {(s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(response.text) for s in family.samples}

    def lines(self) -> list[str]:
        return [line for f in sorted(self.logs.glob("*.log")) for line in f.read_text().splitlines() if line.strip()]


def figure(figures: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return figures.get((name, frozenset(labels.items())), 0.0)


def wait_for(check: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@pytest.fixture(scope="module", params=DB_PARAMS)
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp(f"observability-{request.param}")
    redis = RedisServer(tmp / "redis")
    redis.start()
    env = {**BASE_ENV, "STORECHAT_REDIS_URL": redis.url, "STORECHAT_METRICS_TOKEN": TOKEN,
           "STORECHAT_LOG_FORMAT": "json", "STORECHAT_LOG_LEVEL": "INFO", "STORECHAT_ACCESS_LOG": "true",
           "STORECHAT_APPS__SHOPIFY__CLIENT_SECRET": SHOPIFY_SECRET, "STORECHAT_APPS__SHOPIFY__CLIENT_ID": "obs",
           "STORECHAT_PUBLIC_URL": "http://127.0.0.1"}
    if request.param == "postgresql":
        assert PG_URL
        url = _private_postgres(PG_URL, "obs")
        _reset_postgres(url)
        env["STORECHAT_DATABASE_URL"] = url
        settings = Settings(database_url=url, secret_key=SECRET)
    else:
        settings = Settings(instance_path=tmp / "instance", database_url=None, secret_key=SECRET)
    cluster = Cluster(tmp / "instance", env, web=1, web_workers=2, logs=tmp / "logs")
    try:
        cluster.start()
        created = cluster.cli("shop", "create", "Apparel", "--csv", str(CSV)).stdout
        site_key = re.search(r"site key: (\S+)", created)
        shop_id = re.search(r"shop id: (\d+)", created)
        assert site_key and shop_id, created
        credential = re.search(r"credential: (\S+)",
                               cluster.cli("agent", "create", shop_id.group(1), "--name", "Ann").stdout)
        assert credential
        db = Database(settings)
        with db.session() as session:  # a Shopify shop whose webhooks are signed with the app's secret
            session.add(Shop(name="Hooks", platform="shopify", platform_ref=SHOPIFY_SHOP, site_key=new_site_key(),
                             settings={}, connector_config=seal_config(
                                 Settings(secret_key=SECRET), "shopify",
                                 {"shop_domain": SHOPIFY_SHOP, "access_token": "shpat_obs",
                                  "storefront_url": "https://hooks.example.com"})))
        yield Deployment(cluster, db, site_key.group(1), credential.group(1), tmp / "logs")
        db.dispose()
    finally:
        cluster.stop()
        redis.stop()


def test_metrics_are_refused_without_the_token(deployment: Deployment) -> None:
    assert deployment.scrape(token=None).status_code == 401
    refused = deployment.scrape(token=TOKEN + "x")
    assert refused.status_code == 401 and "storechat_" not in refused.text
    assert deployment.scrape().status_code == 200


def test_the_figures_move_with_real_traffic(deployment: Deployment) -> None:
    before = deployment.figures()
    for _ in range(3):
        assert requests.get(f"{deployment.url}/healthz", timeout=10).status_code == 200

    agent = AgentClient(deployment.url)
    agent.hello(deployment.credential)
    visitor = VisitorClient(deployment.url)
    visitor.hello(deployment.site_key)
    # Both sockets counted, whichever of the two gunicorn workers answers the scrape (each holds
    # its own figures in the shared folder): several scrapes, every one sees them.
    for _ in range(4):
        open_now = deployment.figures()
        assert figure(open_now, "storechat_open_sockets", kind="visitor") == 1
        assert figure(open_now, "storechat_open_sockets", kind="agent") == 1
    visitor.say("do you have a red t-shirt?")
    visitor.assistant_reply(timeout=30)
    visitor.send({"type": "handoff"})
    visitor.expect("message", lambda f: f["author"] == "system", timeout=10)

    body = shopify_product(1)
    hook = requests.post(f"{deployment.url}/webhooks/shopify", data=body, headers=shopify_headers(body), timeout=10)
    assert hook.status_code == 200, hook.text
    forged = requests.post(f"{deployment.url}/webhooks/shopify", data=body,
                           headers={**shopify_headers(body), "X-Shopify-Hmac-Sha256": "Zm9yZ2Vk"}, timeout=10)
    assert forged.status_code == 401

    def webhook_done() -> dict[tuple[str, frozenset[tuple[str, str]]], float] | None:
        now = deployment.figures()
        done = figure(now, "storechat_job_seconds_count", job="process_webhook") > \
            figure(before, "storechat_job_seconds_count", job="process_webhook")
        return now if done else None

    after = wait_for(webhook_done)
    assert after, "the webhook's job was never counted"

    def moved(name: str, **labels: str) -> float:
        return figure(after, name, **labels) - figure(before, name, **labels)

    assert moved("storechat_http_requests_total", route="/healthz", method="GET", status="200") == 3
    assert moved("storechat_http_requests_total", route="/webhooks/<platform>", method="POST", status="200") == 1
    assert moved("storechat_messages_stored_total", author="visitor") == 1
    assert moved("storechat_messages_stored_total", author="assistant") >= 1
    assert moved("storechat_assistant_reply_seconds_count", engine="builtin") >= 1
    assert moved("storechat_handoffs_total") == 1
    assert moved("storechat_webhook_deliveries_total", platform="shopify", outcome="queued") == 1
    assert moved("storechat_webhook_deliveries_total", platform="shopify", outcome="bad_signature") == 1
    assert moved("storechat_job_seconds_count", job="assistant_reply") >= 1
    # The shop's first sync ran on a worker before this test's first scrape.
    assert figure(before, "storechat_job_seconds_count", job="sync_shop") >= 1
    assert figure(before, "storechat_sync_records_total", kind="products") > 0
    for name in ("assistant", "default"):
        assert ("storechat_queue_depth", frozenset({("queue", name)})) in after
    assert ("storechat_sync_runs", frozenset({("status", "running")})) in after
    assert not any(name == "storechat_scrape_errors" for name, _ in after)

    visitor.close()
    agent.close()
    assert wait_for(lambda: figure(deployment.figures(), "storechat_open_sockets", kind="visitor") == 0)


def test_a_killed_web_worker_stops_counting_its_sockets(deployment: Deployment) -> None:
    web = deployment.cluster.webs[0]
    assert web is not None
    visitor = VisitorClient(deployment.url)
    visitor.hello(deployment.site_key)
    assert figure(deployment.figures(), "storechat_open_sockets", kind="visitor") == 1
    for child in psutil.Process(web.pid).children():  # both gunicorn workers: one of them held it
        os.kill(child.pid, signal.SIGKILL)
    try:
        # gunicorn starts new workers and, for each dead one, child_exit drops its live gauge
        assert wait_for(lambda: _scrape_or_none(deployment) == 0.0), "a dead worker's socket is still counted"
    finally:
        visitor.ws.close()
    counted = deployment.figures()
    assert figure(counted, "storechat_http_requests_total", route="/healthz", method="GET", status="200") >= 3


def _scrape_or_none(deployment: Deployment) -> float | None:
    try:
        return figure(deployment.figures(), "storechat_open_sockets", kind="visitor")
    except (requests.ConnectionError, AssertionError):
        return None


def test_every_log_line_is_json_with_its_request_or_socket_id(deployment: Deployment) -> None:
    earlier = set(deployment.lines())  # earlier tests' sockets (one killed with its worker) are not this one's
    request_id = "obs-" + uuid.uuid4().hex[:12]
    assert requests.get(f"{deployment.url}/healthz", headers={"X-Request-ID": request_id}, timeout=10).ok
    visitor = VisitorClient(deployment.url)
    welcome = visitor.hello(deployment.site_key)
    visitor.say(f"is the {MARKER} jacket waterproof? my password is hunter2")
    visitor.assistant_reply(timeout=30)
    visitor.send({"type": "message", "client_id": "x", "text": ""})  # refused: an error frame, maybe a line
    visitor.close()
    requests.get(f"{deployment.url}/metrics", headers={"Authorization": "Bearer wrong-" + TOKEN}, timeout=10)

    def socket_closed() -> bool:
        fresh = [json.loads(line) for line in deployment.lines() if line not in earlier]
        opened = {r["socket_id"] for r in fresh if r.get("event") == "socket opened"}
        closed = {r["socket_id"] for r in fresh if r.get("event") == "socket closed"}
        return bool(opened) and opened <= closed

    assert wait_for(socket_closed), "this test's socket never logged its close"
    lines = deployment.lines()
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            pytest.fail(f"a log line that is not JSON: {line!r}")
        assert isinstance(record, dict) and {"time", "level", "logger", "event"} <= record.keys(), line
        records.append(record)

    served = [r for r in records if r.get("request_id") == request_id]
    assert [r["route"] for r in served if r["logger"] == "core.access"] == ["/healthz"]
    # the socket: opened and closed lines, and every line of that socket, carry its id and its request's
    fresh = [json.loads(line) for line in lines if line not in earlier]
    sockets = {r["socket_id"] for r in fresh if r.get("event") == "socket opened" and r.get("socket") == "visitor"}
    assert sockets
    for socket_id in sockets:
        own = [r for r in records if r.get("socket_id") == socket_id]
        assert {r["event"] for r in own} >= {"socket opened", "socket closed"}
        assert len({r.get("request_id") for r in own}) == 1 and own[0].get("request_id")
    # the requests' access lines each carry an id
    assert all(r.get("request_id") for r in records if r["logger"] == "core.access")

    text = "\n".join(lines)
    for secret in (MARKER, "hunter2", welcome["token"], TOKEN, deployment.credential, SHOPIFY_SECRET, SECRET):
        assert secret not in text, f"a log line shows {secret[:12]}..."
