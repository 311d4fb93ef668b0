"""The reference topology assembled from its parts (parts.py): PostgreSQL, a Redis primary
with a replica and three Sentinels, HAProxy, web and worker hosts; what run.py (the
faults) and capacity.py (the capacity table) bring up and tear down."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from parts import HAProxy, Host, Postgres, RedisNode, Sentinel

ROOT = Path(__file__).resolve().parents[2]


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run([sys.executable, "-m", "core.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"storechat {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout


class Topology:
    def __init__(self, folder: Path, webs: int = 3, workers: int = 2) -> None:
        self.folder = folder
        self.pg = Postgres(folder / "pg", "127.0.0.30")
        self.primary = RedisNode(folder / "redis-a", "127.0.0.21")
        self.replica = RedisNode(folder / "redis-b", "127.0.0.22", replica_of=self.primary)
        self.sentinels = [Sentinel(folder / f"sentinel{i}", f"127.0.0.{23 + i}", self.primary) for i in range(3)]
        self.proxy = HAProxy(folder / "haproxy", "127.0.0.10")
        self.env: dict[str, str] = {}
        self.webs: list[Host] = []
        self.workers: list[Host] = []
        self.n_webs, self.n_workers = webs, workers

    def up(self) -> None:
        t0 = time.monotonic()
        self.pg.start()
        self.primary.start()
        self.replica.start()
        for s in self.sentinels:
            s.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
        env.update({
            "PYTHONPATH": str(ROOT),
            "STORECHAT_DATABASE_URL": self.pg.url,
            "STORECHAT_REDIS_SENTINELS": ",".join(s.address for s in self.sentinels),
            "STORECHAT_SECRET_KEY": secrets.token_urlsafe(48),
            "STORECHAT_TRUSTED_PROXIES": "1",
            "STORECHAT_INSTANCE_PATH": str(self.folder / "cli"),
            "STORECHAT_LOG_LEVEL": "WARNING",
        })
        self.env = env
        cli(env, "migrate")
        self.webs = [Host(f"web{i + 1}", "web", f"127.0.0.{11 + i}", self.folder / f"web{i + 1}", env)
                     for i in range(self.n_webs)]
        self.workers = [Host(f"worker{i + 1}", "worker", f"127.0.0.{14 + i}", self.folder / f"worker{i + 1}", env)
                        for i in range(self.n_workers)]
        for host in [*self.workers, *self.webs]:
            host.start()
        self.proxy.start(self.webs)
        self.up_seconds = time.monotonic() - t0

    def down(self) -> None:
        for step in [self.proxy.stop, *(h.stop for h in self.webs + self.workers),
                     *(s.stop for s in self.sentinels), self.replica.kill, self.primary.kill, self.pg.stop]:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - tear down the rest
                print(f"  (tear-down: {exc})")

    @property
    def ws_url(self) -> str:
        return self.proxy.url.replace("http", "ws") + "/ws/visitor"

    @property
    def agent_url(self) -> str:
        return self.proxy.url.replace("http", "ws") + "/ws/agent"

    def current_primary(self) -> RedisNode:
        host, port = self.sentinels[0].primary_address()
        return next(n for n in (self.primary, self.replica) if (n.host, n.port) == (host, port))
