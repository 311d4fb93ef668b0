"""The parts of the reference topology (docs/deploy.md), each a real process on its own
loopback address: a private PostgreSQL cluster, a Redis primary, its replica and three
Sentinels (Debian's redis-server and redis-sentinel), HAProxy in front (WebSocket
upgrade, health checks on /readyz), and StoreChat hosts (`storechat serve --role ...`).

Only loopback addresses are used (127.0.0.0/8), never a private or public range.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis as redis_lib
import requests


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for(check, what: str, timeout: float = 60.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = last = check()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s (last: {last!r})")
        time.sleep(every)


def need(binary: str, package: str) -> str:
    found = shutil.which(binary) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{binary}"), reverse=True)), None)
    if not found:
        raise SystemExit(f"{binary} is missing: apt-get install {package}")
    return found


class Postgres:
    """A PostgreSQL cluster of its own (initdb), so restarting it touches nothing else."""

    def __init__(self, folder: Path, host: str) -> None:
        self.folder, self.host = folder, host
        self.port = free_port(host)
        self.data = folder / "pgdata"
        self.user = None if os.geteuid() else "postgres"  # initdb refuses to run as root

    def _run(self, *args: str) -> None:
        cmd = list(args) if self.user is None else ["runuser", "-u", self.user, "--", *args]
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:1])} failed: {done.stderr.strip()}")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/storechat"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.user:
            info = pwd.getpwnam(self.user)
            os.chown(self.folder, info.pw_uid, info.pw_gid)
        self._run(need("initdb", "postgresql"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = '{self.host}'\nport = {self.port}\nunix_socket_directories = '{self.data}'\n"
                       "fsync = off\nsynchronous_commit = off\nmax_connections = 300\n")
        self._ctl("start")
        wait_for(lambda: subprocess.run([need("pg_isready", "postgresql"), "-h", self.host, "-p", str(self.port)],
                                        capture_output=True).returncode == 0, "PostgreSQL")
        subprocess.run([need("psql", "postgresql-client"), "-h", self.host, "-p", str(self.port), "-U", "postgres",
                        "-qc", "CREATE DATABASE storechat"], check=True, capture_output=True)

    def _ctl(self, action: str, *extra: str) -> None:
        self._run(need("pg_ctl", "postgresql"), "-D", str(self.data), "-l", str(self.folder / "pg.log"),
                  "-w", action, *extra)

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate")


class RedisNode:
    def __init__(self, folder: Path, host: str, replica_of: RedisNode | None = None) -> None:
        self.folder, self.host, self.replica_of = folder, host, replica_of
        self.port = free_port(host)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [need("redis-server", "redis-server"), "--bind", self.host, "--port", str(self.port),
                "--save", "", "--appendonly", "no", "--dir", str(self.folder), "--protected-mode", "no",
                # As a replica it connects out from 127.0.0.1: say where it really listens.
                "--replica-announce-ip", self.host]
        if self.replica_of is not None:
            args += ["--replicaof", self.replica_of.host, str(self.replica_of.port)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.client().ping(), f"redis {self.host}")

    def client(self) -> redis_lib.Redis:
        return redis_lib.Redis(host=self.host, port=self.port, socket_timeout=2, socket_connect_timeout=1)

    def role(self) -> str:
        return str(self.client().info("replication")["role"])

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class Sentinel:
    def __init__(self, folder: Path, host: str, primary: RedisNode, name: str = "storechat") -> None:
        self.folder, self.host, self.primary, self.name = folder, host, primary, name
        self.port = free_port(host)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "sentinel.conf"
        conf.write_text(f"bind {self.host}\nport {self.port}\ndir {self.folder}\nprotected-mode no\n"
                        f"sentinel announce-ip {self.host}\n"
                        f"sentinel monitor {self.name} {self.primary.host} {self.primary.port} 2\n"
                        f"sentinel down-after-milliseconds {self.name} 2000\n"
                        f"sentinel failover-timeout {self.name} 10000\n"
                        f"sentinel parallel-syncs {self.name} 1\n")
        binary = shutil.which("redis-sentinel")
        args = [binary, str(conf)] if binary else [need("redis-server", "redis-sentinel"), str(conf), "--sentinel"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: redis_lib.Redis(host=self.host, port=self.port, socket_timeout=1).ping(), "sentinel")

    def primary_address(self) -> tuple[str, int]:
        host, port = redis_lib.Redis(host=self.host, port=self.port, socket_timeout=1).execute_command(
            "SENTINEL", "get-master-addr-by-name", self.name)
        return host.decode(), int(port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Host:
    """One StoreChat host: `storechat serve --role <role>` in an instance folder of its own."""

    name: str
    role: str
    address: str
    folder: Path
    env: dict[str, str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "serve.log"
        if self.role == "web" and not self.port:
            self.port = free_port(self.address)

    def start(self, web_workers: int = 1) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "STORECHAT_INSTANCE_PATH": str(self.folder)}
        args = [sys.executable, "-m", "core.cli", "serve", "--role", self.role, "--host", self.address]
        if self.role == "web":
            args += ["--port", str(self.port), "--web-workers", str(web_workers)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if self.role == "web":
            wait_for(lambda: requests.get(f"http://{self.address}:{self.port}/readyz", timeout=2).ok,  # noqa
                     f"web host {self.name}", timeout=90)
        else:
            wait_for(lambda: b"working the queues" in self.log.read_bytes(), f"worker host {self.name}", timeout=90)

    def processes(self) -> list[psutil.Process]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        top = psutil.Process(self.proc.pid)
        return [top, *top.children(recursive=True)]

    def stop(self, timeout: float = 30.0) -> float:
        """SIGTERM, as a deploy tool does; seconds until it exited."""
        started = time.monotonic()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return time.monotonic() - started

    def freeze(self) -> None:
        for p in self.processes():
            p.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        for p in self.processes():
            p.send_signal(signal.SIGCONT)


class HAProxy:
    """The load balancer: HTTP and WebSocket (HAProxy upgrades natively) to the web hosts,
    each checked on /readyz every second; a host that fails two checks gets no new sockets."""

    def __init__(self, folder: Path, host: str) -> None:
        self.folder, self.host = folder, host
        self.port = free_port(host)
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf = folder / "haproxy.cfg"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def write(self, webs: list[Host]) -> None:
        servers = "\n".join(f"    server {w.name} {w.address}:{w.port} check inter 1s fall 2 rise 2"
                            for w in webs)
        self.conf.write_text(f"""global
    maxconn 8000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout client-fin 5s
    option redispatch
    retries 2
frontend storechat
    bind {self.host}:{self.port}
    option forwardfor
    default_backend web
backend web
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
{servers}
""")

    def start(self, webs: list[Host]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.write(webs)
        with open(self.folder / "haproxy.log", "ab") as log:
            self.proc = subprocess.Popen([need("haproxy", "haproxy"), "-f", str(self.conf), "-db"],
                                         stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: requests.get(f"{self.url}/readyz", timeout=2).ok, "haproxy")

    def reload(self, webs: list[Host]) -> None:
        self.stop()
        self.start(webs)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
