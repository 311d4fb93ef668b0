"""Real-time messaging against real processes.

A :class:`Live` deployment is two ``storechat web`` processes (gunicorn +
gevent) and a worker from :class:`core.testing.cluster.Cluster`, sharing one
database and a private redis-server that a test may stop and restart. The
database is a SQLite file in the instance folder, and PostgreSQL as well when
``STORECHAT_TEST_DATABASE_URL`` is set (a database of its own on that server,
its schema reset at start). A start costs seconds, so the tests share one
deployment per database (``live``, session scope); a module that needs other
settings starts its own with :func:`deploy`.
"""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
import websocket
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from core.chat.messages import VISITOR_ID_PREFIX
from core.db import Conversation, Database, Message
from core.settings import Settings
from core.testing.cluster import Cluster, RedisServer
from tests.conftest import PG_URL, SHOPIFY_DATA, _reset_postgres
from tests.realtime.agentclient import AgentClient
from tests.wsclient import VisitorClient

SECRET = "realtime-test-secret-" + "x" * 40
CSV = SHOPIFY_DATA / "apparel.csv"

#: The settings every deployment here runs with. The tests are about delivery,
#: not about limits: the message rate and connection limits are set out of reach.
BASE_ENV = {
    "STORECHAT_SECRET_KEY": SECRET,
    "STORECHAT_ASSISTANT_DELAY": "0.3",
    "STORECHAT_LOG_LEVEL": "WARNING",
    "STORECHAT_VISITOR_MESSAGE_RATE": "10000",
    "STORECHAT_VISITOR_MESSAGE_BURST": "100000",
    "STORECHAT_IP_MESSAGE_RATE": "10000",
    "STORECHAT_IP_MESSAGE_BURST": "100000",
    "STORECHAT_AGENT_MESSAGE_RATE": "10000",
    "STORECHAT_AGENT_MESSAGE_BURST": "100000",
    "STORECHAT_MAX_CONNECTIONS_PER_IP": "100000",
}

A, B = 0, 1  # the two web processes


@dataclass
class Shop:
    id: int
    site_key: str
    credential: str


@dataclass
class Live:
    cluster: Cluster
    redis: RedisServer
    db: Database
    db_kind: str
    shop: Shop
    _clients: list[Any] = field(default_factory=list)

    # -- clients ------------------------------------------------------------------

    def visitor(self, web: int, token: str | None = None, after_seq: int = 0,
                site_key: str | None = None) -> tuple[VisitorClient, dict[str, Any]]:
        """A visitor connected to web process ``web``, with its ``welcome``."""
        client = VisitorClient(self.cluster.url(web))
        self._clients.append(client)
        return client, client.hello(site_key or self.shop.site_key, token=token, after_seq=after_seq)

    def agent(self, web: int, credential: str | None = None) -> AgentClient:
        client = AgentClient(self.cluster.url(web))
        self._clients.append(client)
        client.hello(credential or self.shop.credential)
        return client

    def close_clients(self) -> None:
        for client in self._clients:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - the server may have closed it already
                pass
        self._clients.clear()

    # -- the shop and the database ------------------------------------------------

    def create_shop(self, name: str, agent_name: str = "Ann") -> Shop:
        created = self.cluster.cli("shop", "create", name, "--csv", str(CSV)).stdout
        site_key = re.search(r"site key: (\S+)", created)
        shop_id = re.search(r"shop id: (\d+)", created)
        assert site_key and shop_id, created
        made = self.cluster.cli("agent", "create", shop_id.group(1), "--name", agent_name).stdout
        credential = re.search(r"credential: (\S+)", made)
        assert credential, made
        return Shop(int(shop_id.group(1)), site_key.group(1), credential.group(1))

    def stored(self, conversation_id: int) -> list[Message]:
        with self.db.session() as session:
            return list(session.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
            ))

    def conversation(self, conversation_id: int) -> Conversation:
        with self.db.session() as session:
            found = session.get(Conversation, conversation_id)
            assert found is not None
            return found

    def count_client_id(self, conversation_id: int, client_id: str) -> int:
        """Stored visitor lines sent with ``client_id`` (kept in the visitors' namespace)."""
        stored_id = VISITOR_ID_PREFIX + client_id
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Message).where(
                Message.conversation_id == conversation_id, Message.author == "visitor",
                Message.client_id == stored_id)) or 0)

    def replay(self, web: int, token: str) -> list[dict[str, Any]]:
        """Every message of the visitor's conversation, from a fresh connection with after_seq=0."""
        client, welcome = self.visitor(web, token=token, after_seq=0)
        try:
            return [client.expect("message", timeout=10) for _ in range(welcome["last_seq"])]
        finally:
            client.close()

    # -- processes ----------------------------------------------------------------

    def ensure_webs(self) -> None:
        """Restart any web process a test killed."""
        for i, proc in enumerate(self.cluster.webs):
            if proc is None or proc.poll() is not None:
                self.cluster.start_web(i)

    def ensure_worker(self) -> None:
        worker = self.cluster.worker
        if worker is None or worker.poll() is not None:
            self.cluster.worker = subprocess.Popen([sys.executable, "-m", "core.cli", "worker"],
                                                   env=self.cluster.env)

    def bus_listeners(self) -> int:
        """Connections with a pattern subscription: each web process's bus listener has one."""
        client = redis_lib.Redis.from_url(self.redis.url, socket_connect_timeout=1)
        try:
            return sum(1 for c in client.client_list() if int(c.get("psub", 0)) > 0)
        finally:
            client.close()

    def ensure_redis(self) -> None:
        if self.redis.proc is None or self.redis.proc.poll() is not None:
            self.redis.start()


def _private_postgres(url: str, suffix: str) -> str:
    """A database of our own next to the one ``url`` names (``<name>_<suffix>``).

    Other suites reset the schema of the shared test database while they
    run; a deployment here lives for many tests, so it gets its own.
    """
    base = make_url(Settings(database_url=url, secret_key=SECRET).sqlalchemy_url)
    name = f"{base.database or 'postgres'}_{suffix}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


DB_PARAMS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="STORECHAT_TEST_DATABASE_URL is not set"))]


@contextmanager
def deploy(tmp: Path, db_kind: str, name: str, env: dict[str, str] | None = None) -> Iterator[Live]:
    """Start a deployment (its own Redis, and its own PostgreSQL database ``<db>_<name>``)."""
    redis = RedisServer(tmp / "redis")
    redis.start()
    full_env = {**BASE_ENV, "STORECHAT_REDIS_URL": redis.url, **(env or {})}
    if db_kind == "postgresql":
        assert PG_URL
        url = _private_postgres(PG_URL, name)
        _reset_postgres(url)
        full_env["STORECHAT_DATABASE_URL"] = url
        settings = Settings(database_url=url, secret_key=SECRET)
    else:
        settings = Settings(instance_path=tmp / "instance", database_url=None, secret_key=SECRET)
    cluster = Cluster(tmp / "instance", full_env, web=2)
    try:
        cluster.start()
        db = Database(settings)
        deployment = Live(cluster, redis, db, db_kind, shop=Shop(0, "", ""))
        deployment.shop = deployment.create_shop("Apparel")
        yield deployment
        deployment.close_clients()
        db.dispose()
    finally:
        cluster.stop()
        redis.stop()


#: The shared deployment's settings. The worker's sweeper answers a line left
#: unanswered for delay + max hold + 3 s: 4 s here.
SHARED_ENV = {"STORECHAT_ASSISTANT_MAX_HOLD": "0.5"}


@pytest.fixture(scope="session", params=DB_PARAMS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One deployment for the tests here that need no settings of their own (a start costs seconds)."""
    with deploy(tmp_path_factory.mktemp(f"realtime-{request.param}"), request.param, "realtime",
                SHARED_ENV) as deployment:
        yield deployment


def healed(deployment: Live) -> Iterator[Live]:
    """The deployment with every process up (a test may have killed some), its clients closed after."""
    deployment.ensure_redis()
    deployment.ensure_webs()
    deployment.ensure_worker()
    yield deployment
    deployment.close_clients()


@pytest.fixture
def rt(live: Live) -> Iterator[Live]:
    yield from healed(live)


# -- helpers -------------------------------------------------------------------------


def messages_of(frames: list[dict[str, Any]], conversation_id: int | None = None) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "message"
            and (conversation_id is None or f["conversation_id"] == conversation_id)]


def seqs_of(frames: list[dict[str, Any]], conversation_id: int | None = None) -> list[int]:
    return [f["seq"] for f in messages_of(frames, conversation_id)]


def assert_exactly_once(seqs: list[int], last: int, first: int = 1) -> None:
    """``seqs`` is exactly first..last: in order, nothing missing, nothing twice."""
    assert len(seqs) == len(set(seqs)), f"duplicates: {sorted(s for s in set(seqs) if seqs.count(s) > 1)}"
    assert seqs == list(range(first, last + 1)), f"expected {first}..{last}, got {seqs}"


def drain(client: VisitorClient, wait: float) -> None:
    """Read everything the visitor is sent in the next ``wait`` seconds into ``pending``."""
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            client.pending.append(client.recv(left))
        except websocket.WebSocketTimeoutException:
            return


def wait_until(condition: Callable[[], object], timeout: float = 10, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def cid() -> str:
    return uuid.uuid4().hex


def raw_socket(url: str, path: str, *, rcvbuf: int | None = None) -> websocket.WebSocket:
    """A bare client socket; ``rcvbuf`` shrinks its kernel receive buffer."""
    options: dict[str, Any] = {}
    if rcvbuf:
        options["sockopt"] = ((socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf),)
    return websocket.create_connection(url.replace("http://", "ws://") + path, timeout=10, **options)


def worker_pids(parent: int) -> list[int]:
    """The gunicorn worker processes of a web process (children of its arbiter)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            pids.append(int(stat.parent.name))
    return pids


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")
