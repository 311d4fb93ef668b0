"""``storechat serve``: one command runs the web process(es), the workers and,
when no Redis URL is set, the embedded Redis they share.

The workers are laid out by :func:`core.jobs.worker_layout`: by default one
for shoppers' replies and one for syncs and webhooks, so a reply never waits
behind a sync.

The supervisor owns the embedded Redis: it starts it once, hands its socket
URL to its children, and stops it on exit. Children die with it (Linux
parent-death signal), so a killed supervisor leaves no orphans behind.

A host of a larger deployment runs one role (docs/deploy.md): ``web`` (the web
processes only) or ``worker`` (the RQ workers only), sharing a Redis server
and PostgreSQL with the others. Those roles never migrate the database: they
refuse to start against a schema older than their code, and `storechat
migrate` is run once per release, before the rolling restart.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import cast

from core import metrics_dir
from core.db import Database
from core.db.migrate import require_current, upgrade
from core.embedded_redis import RUNTIME_FILE, EmbeddedRedis
from core.errors import StoreChatError
from core.jobs import worker_layout
from core.settings import Settings

PR_SET_PDEATHSIG = 1
#: Seconds a worker told to stop may finish its job (a reply takes well under one). A job
#: still running then (a sync waiting on a slow store) is stopped by a second SIGTERM,
#: RQ's cold shutdown: it fails and is recorded, and its shop's slot is freed at once,
#: where a killed worker's job would hold the slot until RQ finds it abandoned (the job's
#: timeout: an hour for a sync).
WORKER_GRACE = 5.0
#: Seconds every child has to exit before it is killed.
STOP_TIMEOUT = 15.0
#: What a `storechat serve` process runs: everything, or one part of a larger deployment.
ROLES = ("all", "web", "worker")


class ServeError(StoreChatError):
    code = "serve_failed"


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: children are still stopped by stop()


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        host: str,
        port: int,
        *,
        web_workers: int,
        worker_queues: list[tuple[str, ...]] | None = None,
        role: str = "all",
    ) -> None:
        if role not in ROLES:
            raise ServeError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        self.role = role
        self.settings = settings
        self.host, self.port = host, port
        self.web_workers = web_workers if role != "worker" else 0
        #: The queues of each worker process to start.
        self.worker_queues = (
            [] if role == "web" else (worker_layout() if worker_queues is None else list(worker_queues))
        )
        self.redis: EmbeddedRedis | None = None
        self.children: list[subprocess.Popen[bytes]] = []
        self._workers: list[subprocess.Popen[bytes]] = []
        self.addresses: list[tuple[str, int]] = []
        self.stopping = threading.Event()
        self._runtime = settings.instance_path / RUNTIME_FILE
        self._ready = settings.instance_path / f"web-{os.getpid()}.ready"

    @property
    def workers(self) -> int:
        return len(self.worker_queues)

    @property
    def redis_url(self) -> str:
        return self.settings.redis_url or (self.redis.url if self.redis else "")

    def start(self) -> list[tuple[str, int]]:
        if self.role != "all" and not self.settings.redis_url:
            raise ServeError(
                f"a {self.role} host shares Redis with the other hosts: set STORECHAT_REDIS_URL "
                "(or STORECHAT_REDIS_SENTINELS); the embedded Redis is for `--role all` only"
            )
        db = Database(self.settings)
        try:
            # One machine migrates as it starts; the hosts of a larger deployment only check
            # (`storechat migrate` runs once per release, see docs/deploy.md).
            upgrade(db.engine) if self.role == "all" else require_current(db.engine)
        finally:
            db.dispose()
        if not self.settings.redis_url:
            self.redis = EmbeddedRedis(self.settings.instance_path / "redis.db")
            self.redis.start()
            self._runtime.write_text(self.redis.url)
        # One metrics folder for every process this supervisor starts, emptied now (core/metrics_dir.py).
        metrics_dir.use(self.settings.instance_path, clean=True)
        env = dict(os.environ)
        env.update(
            {
                "STORECHAT_REDIS_URL": self.redis_url,
                "STORECHAT_INSTANCE_PATH": str(self.settings.instance_path),
                "STORECHAT_DATABASE_URL": self.settings.sqlalchemy_url,
                "STORECHAT_SECRET_KEY": self.settings.secret_key or "",
            }
        )
        self._ready.unlink(missing_ok=True)
        if self.web_workers:
            self._spawn(
                [
                    "web",
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.web_workers),
                    "--ready-file",
                    str(self._ready),
                ],
                env,
            )
        for queues in self.worker_queues:
            self._workers.append(self._spawn(["worker", "--queue", ",".join(queues)], env))
        self.addresses = self._wait_ready(timeout=60) if self.web_workers else []
        return self.addresses

    def _spawn(self, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "core.cli", *args]
        # A process group of its own: Ctrl-C in a terminal signals the whole foreground
        # group, and the children must stop through stop() (SIGTERM, in order), not each
        # on its own SIGINT (gunicorn's quick exit prints a gevent traceback per worker).
        child = subprocess.Popen(cmd, env=env, preexec_fn=_die_with_parent, process_group=0)
        self.children.append(child)
        return child

    def _wait_ready(self, timeout: float) -> list[tuple[str, int]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._ready.exists():
                data = json.loads(self._ready.read_text())
                self._ready.unlink(missing_ok=True)
                return [(h, int(p)) for h, p in data["addresses"]]
            for child in self.children:
                if child.poll() is not None:
                    self.stop()
                    what = " ".join(cast(list[str], child.args)[3:4])
                    raise ServeError(f"{what} process exited with {child.returncode} while starting")
            time.sleep(0.05)
        self.stop()
        raise ServeError(f"the web server did not start within {timeout:.0f}s")

    def wait(self) -> int:
        """Block until asked to stop or a child dies; then stop everything."""
        code = 0
        while not self.stopping.is_set():
            for child in self.children:
                if child.poll() is not None:
                    code = child.returncode or 1
                    self.stopping.set()
            self.stopping.wait(0.5)
        self.stop()
        return code

    def stop(self) -> None:
        self.stopping.set()
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        started = time.monotonic()
        deadline = started + STOP_TIMEOUT
        while any(w.poll() is None for w in self._workers) and time.monotonic() < started + WORKER_GRACE:
            time.sleep(0.05)
        for worker in self._workers:
            if worker.poll() is None:
                worker.terminate()  # the second signal: stop the job now
        self._workers.clear()
        for child in self.children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            metrics_dir.mark_dead(child.pid)
        self.children.clear()
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
            self._runtime.unlink(missing_ok=True)
